import { useState } from "react";
import { useTestLogQuery } from "../../queries";
import { CopyPath } from "../CopyPath/CopyPath";
import styles from "./TestLogPanel.module.css";

/** The lines shown before the log is unfolded: why tests failed is at their end. */
export const TEST_LOG_LINES_SHOWN = 20;

type Props = {
  projectId: string;
  taskId: string;
};

/**
 * Why the merge gate's tests failed on a task's merged tree, readable in the pane: the end of its test log (the
 * last lines, unfolded to all the core read on request) and its path to copy. Nothing when the task's latest
 * attempt has no failed tests (`not_found`).
 */
export function TestLogPanel({ projectId, taskId }: Props) {
  const log = useTestLogQuery(projectId, taskId);
  const [all, setAll] = useState(false);
  if (log.data === undefined) return null;
  const lines = log.data.tail.replace(/\n$/, "").split("\n");
  const hidden = all ? 0 : Math.max(0, lines.length - TEST_LOG_LINES_SHOWN);
  const shown = hidden === 0 ? lines : lines.slice(hidden);
  return (
    <section className={styles.testLog} data-testid="test-log" aria-label="Test log">
      <h3 className={styles.title}>Test log</h3>
      {(hidden > 0 || log.data.truncated) && (
        <p className={styles.note}>
          {hidden > 0 ? `The last ${shown.length} of ${lines.length} lines` : `The last ${lines.length} lines`}
          {log.data.truncated && ` (the log has ${log.data.size} bytes; its beginning is in the file)`}
        </p>
      )}
      <pre className={styles.lines} data-testid="test-log-lines">
        {shown.join("\n")}
      </pre>
      {hidden > 0 && (
        <button type="button" className="button small" data-testid="test-log-more" onClick={() => setAll(true)}>
          Show all {lines.length} lines
        </button>
      )}
      <CopyPath label="log" path={log.data.path} testId="test-log-path" />
    </section>
  );
}
