import type { ReactNode } from "react";
import type { ErrorDto } from "../../bindings";
import { cx } from "../../classNames";
import styles from "./Refusal.module.css";

type Props = {
  testId: string;
  /** What was refused (by the error's code), in bold before the core's message. */
  title: ReactNode;
  error: ErrorDto;
  /** Not a refusal but a warning (the form could not be checked): shown in amber, not announced. */
  warning?: boolean;
};

/** Why the core refused what a form or a dialog sent (announced), or a warning about it. */
export function Refusal({ testId, title, error, warning = false }: Props) {
  return (
    <p
      className={cx(styles.box, warning ? styles.warning : styles.danger)}
      role={warning ? undefined : "alert"}
      data-testid={testId}
      data-error-code={error.code}
    >
      <strong>{title}</strong> {error.message}
    </p>
  );
}

/** What the core finds wrong with a form as a whole (or with what no field shows), above its fields. */
export function GeneralIssues({ testId, messages }: { testId: string; messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <ul className={cx(styles.box, styles.danger, styles.list)} data-testid={testId}>
      {messages.map((message, i) => (
        <li key={i}>{message}</li>
      ))}
    </ul>
  );
}
