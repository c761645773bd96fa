import styles from "./FieldIssues.module.css";

type Props = {
  /** For the field's `aria-describedby`. */
  id: string;
  testId: string;
  /** What is wrong; nothing is shown while empty. */
  messages: readonly string[];
};

/** What the core (or the form) finds wrong with a field, shown beside it. */
export function FieldIssues({ id, testId, messages }: Props) {
  if (messages.length === 0) return null;
  return (
    <ul id={id} className={styles.issues} data-testid={testId}>
      {messages.map((message, i) => (
        <li key={i}>{message}</li>
      ))}
    </ul>
  );
}
