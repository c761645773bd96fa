import type { ErrorDto } from "../../bindings";
import { cx } from "../../classNames";
import styles from "./Toasts.module.css";

/** An error (stays until dismissed), or news of something the person did not do here (an info toast). */
export type Toast = { id: number; tone: "error" | "info"; error: ErrorDto };

/** The class that tells an info toast from an error. */
const INFO: Record<Toast["tone"], string | undefined> = { error: undefined, info: styles.info };

type Props = { toasts: readonly Toast[]; onDismiss: (id: number) => void };

/** Errors and news, newest last, each until dismissed. */
export function Toasts({ toasts, onDismiss }: Props) {
  return (
    <div className={styles.toasts} aria-live="assertive">
      {toasts.map(({ id, tone, error }) => (
        <div
          key={id}
          className={cx(styles.toast, INFO[tone])}
          role={tone === "error" ? "alert" : "status"}
          data-testid="toast"
          data-tone={tone}
          data-error-code={error.code}
        >
          <div className={styles.toastText}>
            <span className={styles.toastCode}>{error.code}</span>
            <span className={styles.toastMessage} data-testid="toast-message">{error.message}</span>
          </div>
          <button type="button" className={styles.toastClose} data-testid="toast-dismiss" aria-label="Dismiss" onClick={() => onDismiss(id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
