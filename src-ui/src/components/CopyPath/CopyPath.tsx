import { useRef, useState } from "react";
import styles from "./CopyPath.module.css";

type Props = {
  /** What the path is ("worktree", "test log"). */
  label: string;
  path: string;
  testId?: string;
};

type Copied = "idle" | "copied" | "select";

/**
 * A path a person can copy, for where opening it fails (no desktop opener) or they want it in a terminal: shown
 * in a read-only field, copied by its button; where the clipboard is refused, the field's text is selected instead
 * and the button says to press Ctrl+C.
 */
export function CopyPath({ label, path, testId }: Props) {
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<Copied>("idle");
  const select = () => {
    field.current?.focus();
    field.current?.select();
  };
  const copy = () => {
    const clipboard = typeof navigator === "undefined" ? undefined : navigator.clipboard;
    if (clipboard === undefined) {
      select();
      setCopied("select");
      return;
    }
    clipboard.writeText(path).then(
      () => setCopied("copied"),
      () => {
        select();
        setCopied("select");
      },
    );
  };
  return (
    <div className={styles.copyPath} data-testid={testId}>
      <span className={styles.label}>{label}</span>
      <input
        ref={field}
        className={styles.field}
        readOnly
        value={path}
        aria-label={`Path of the ${label}`}
        onFocus={(e) => e.currentTarget.select()}
      />
      <button type="button" className="button small" onClick={copy} title={`Copy ${path}`}>
        {copied === "copied" ? "Copied" : copied === "select" ? "Press Ctrl+C" : "Copy path"}
      </button>
    </div>
  );
}
