import type { ErrorDto } from "../../bindings";
import styles from "./Toasts.module.css";

export type Toast = { id: number; error: ErrorDto };

type Props = { toasts: readonly Toast[]; onDismiss: (id: number) => void };

/** Errors, newest last, each until dismissed. */
export function Toasts({ toasts, onDismiss }: Props) {
  return (
    <div className={styles.toasts} aria-live="assertive">
      {toasts.map(({ id, error }) => (
        <div key={id} className={styles.toast} role="alert" data-testid="toast" data-error-code={error.code}>
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
