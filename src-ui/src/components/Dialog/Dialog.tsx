import { useLayoutEffect, useRef, type ReactNode } from "react";
import { cx } from "../../classNames";
import styles from "./Dialog.module.css";

/** What Tab can reach inside a dialog. */
const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type='hidden'])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(", ");

function focusables(root: HTMLElement | null): HTMLElement[] {
  return root === null ? [] : Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE));
}

type Props = {
  /** The id of the element that names the dialog (its heading). */
  labelledBy: string;
  testId: string;
  /** Escape. */
  onCancel: () => void;
  /** A wider dialog (a form with many fields). */
  wide?: boolean;
  /** A large dialog (a table to read, e.g. a draft's tasks). */
  large?: boolean;
  children: ReactNode;
};

/**
 * A modal dialog over a dimmed window: its first control takes the focus when it opens, Tab and Shift+Tab stay
 * inside it, Escape cancels, and the focus goes back where it was when it closes.
 */
export function Dialog({ labelledBy, testId, onCancel, wide = false, large = false, children }: Props) {
  const dialog = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const opener = document.activeElement;
    focusables(dialog.current)[0]?.focus();
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, []);
  return (
    <Backdrop>
      <div
        ref={dialog}
        className={cx(styles.dialog, wide && styles.wide, large && styles.large)}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        data-testid={testId}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            e.stopPropagation();
            onCancel();
            return;
          }
          if (e.key !== "Tab") return;
          const items = focusables(dialog.current);
          const first = items[0];
          const last = items.at(-1);
          if (first === undefined || last === undefined) return;
          if (e.shiftKey && document.activeElement === first) {
            e.preventDefault();
            last.focus();
          } else if (!e.shiftKey && document.activeElement === last) {
            e.preventDefault();
            first.focus();
          }
        }}
      >
        {children}
      </div>
    </Backdrop>
  );
}

/** The dimmed window under a modal dialog (this one, the approval dialog). */
export function Backdrop({ children }: { children: ReactNode }) {
  return <div className={styles.backdrop}>{children}</div>;
}
