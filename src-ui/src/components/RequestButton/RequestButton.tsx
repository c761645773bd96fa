import { useState, type ReactNode } from "react";

type Props = {
  testId: string;
  className: string;
  /** The tooltip: what the request does. */
  title: string;
  /** Sends the request; the button is off until the promise settles (callers report failures themselves). */
  onRequest: () => Promise<unknown>;
  disabled?: boolean;
  children: ReactNode;
};

/** A button that sends one command to the core and stays disabled while that command is pending. */
export function RequestButton({ testId, className, title, onRequest, disabled = false, children }: Props) {
  const [pending, setPending] = useState(false);
  const settle = () => setPending(false);
  return (
    <button
      type="button"
      className={className}
      data-testid={testId}
      title={title}
      aria-busy={pending}
      disabled={disabled || pending}
      onClick={() => {
        setPending(true);
        onRequest().then(settle, settle);
      }}
    >
      {children}
    </button>
  );
}
