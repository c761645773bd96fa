import type { ErrorDto } from "../bindings";

export type Toast = { id: number; error: ErrorDto };

type Props = { toasts: readonly Toast[]; onDismiss: (id: number) => void };

/** Errors, newest last, each until dismissed. */
export function Toasts({ toasts, onDismiss }: Props) {
  return (
    <div className="toasts" aria-live="assertive">
      {toasts.map(({ id, error }) => (
        <div key={id} className="toast" role="alert" data-testid="toast" data-error-code={error.code}>
          <div className="toast-text">
            <span className="toast-code">{error.code}</span>
            <span className="toast-message">{error.message}</span>
          </div>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => onDismiss(id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
