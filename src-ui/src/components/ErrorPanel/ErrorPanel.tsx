import type { ErrorDto } from "../../bindings";
import styles from "./ErrorPanel.module.css";

type Props = { title: string; error: ErrorDto; onRetry: () => void };

export function ErrorPanel({ title, error, onRetry }: Props) {
  return (
    <div className="state-panel" data-testid="error-state" data-error-code={error.code}>
      <h2>{title}</h2>
      <p className={styles.stateMessage}>{error.message}</p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  );
}
