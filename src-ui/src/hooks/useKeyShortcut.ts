import { useEffect, useEffectEvent } from "react";

/** Whether a key pressed now goes to something that takes text or to a dialog, not to the window. */
function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.closest("input, textarea, select, [contenteditable], [role='dialog']") !== null;
}

/**
 * Calls `action` when `key` is pressed on its own (no Ctrl, Alt or Cmd) while `enabled`, unless the focus is in a
 * text field or a dialog.
 */
export function useKeyShortcut(key: string, enabled: boolean, action: () => void): void {
  const onKeyDown = useEffectEvent((e: KeyboardEvent) => {
    if (e.key !== key || e.ctrlKey || e.metaKey || e.altKey || e.repeat || e.defaultPrevented) return;
    if (typingIn(e.target)) return;
    e.preventDefault();
    action();
  });
  useEffect(() => {
    if (!enabled) return;
    const listener = (e: KeyboardEvent) => onKeyDown(e);
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, [enabled]);
}
