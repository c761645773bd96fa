import type { ProjectCommand } from "../../bindings";
import { cx } from "../../classNames";
import styles from "./CommandList.module.css";

/** What people call each kind of command a tasks file may name. */
const COMMAND_LABEL: Record<ProjectCommand["kind"], string> = {
  agent: "Agent",
  test: "Test command",
  setup: "Setup (each new worktree)",
  cleanup: "Cleanup (before a worktree is removed)",
};

type Props = {
  commands: readonly ProjectCommand[];
  /** Each command's test id. */
  testId: string;
  /** Each command on one line, its arguments after its kind (in the draft dialog); else its arguments under it. */
  compact?: boolean;
};

/** The commands a repository's tasks file asks YokeFlow to run, shown exactly: one argument per chip, no shell. */
export function CommandList({ commands, testId, compact = false }: Props) {
  return (
    <ul className={cx(styles.commands, compact && styles.compact)}>
      {commands.map((c) => (
        <li key={c.kind} className={styles.command} data-testid={testId} data-kind={c.kind}>
          <span className={styles.kind}>{COMMAND_LABEL[c.kind]}</span>
          <span className={styles.argv}>
            {c.argv.map((arg, i) => (
              <code key={i} className={styles.arg}>
                {arg}
              </code>
            ))}
          </span>
        </li>
      ))}
    </ul>
  );
}
