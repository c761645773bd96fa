import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from "react";
import type { Task, TaskStatus } from "../../bindings";
import { COLUMNS, slotName } from "../../board";
import { cx } from "../../classNames";
import type { LogStore } from "../../runStore";
import { RequestButton } from "../RequestButton/RequestButton";
import styles from "./LogPane.module.css";

/** The colour of the status tag (Backlog keeps the default). */
const STATUS_CLASS: Record<TaskStatus, string | undefined> = {
  backlog: undefined,
  in_progress: styles.statusInProgress,
  review: styles.statusReview,
  done: styles.statusDone,
};

/** Sends one run command about a task; settles once the core took it or refused it (a refusal is reported elsewhere). */
type TaskCommand = (taskId: string) => Promise<unknown>;

type TaskCommands = {
  /** Sends a task in Review back to the run's queue. */
  onRetry: TaskCommand;
  /** Lands a task in Review's kept branch through the merge gate again, without its agent. */
  onRetryMerge: TaskCommand;
  /** Stops an in-progress task's agent and sends what it left to the merge gate. */
  onMergeNow: TaskCommand;
};

type Props = TaskCommands & {
  task: Task;
  logs: LogStore;
  slot: number | undefined;
  /** A run is going, so the run commands that fit the task are offered. */
  runActive: boolean;
  onClose: () => void;
};

/** A side drawer with one task's details and its agent's output as it streams. */
export function LogPane({ task, logs, slot, runActive, onClose, ...commands }: Props) {
  const version = useSyncExternalStore(logs.subscribe, () => logs.version(task.id));
  const lines = logs.get(task.id);
  const text = lines.join("\n");

  // Follow the output while the reader is at the bottom; leave them be when they scrolled up.
  const outputRef = useRef<HTMLPreElement>(null);
  const stuck = useRef(true);
  useLayoutEffect(() => {
    const output = outputRef.current;
    if (output !== null && stuck.current) output.scrollTop = output.scrollHeight;
  }, [version, task.id]);

  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
  }, [task.id]);

  const status = COLUMNS.find((column) => column.status === task.status)?.label ?? task.status;
  return (
    <aside
      className={styles.logPane}
      data-testid="log-pane"
      data-task-id={task.id}
      aria-labelledby="log-pane-title"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className={styles.logPaneHead}>
        <div className={styles.logPaneTitle}>
          <span className="card-id">{task.id}</span>
          <h2 id="log-pane-title">{task.title}</h2>
          <p className={styles.logPaneMeta}>
            <span className={cx(styles.statusTag, STATUS_CLASS[task.status])}>{status}</span>
            {task.status === "in_progress" && slot !== undefined && <span>{slotName(slot)}</span>}
          </p>
        </div>
        <button ref={closeRef} type="button" className="icon-button" aria-label="Close the log" onClick={onClose}>
          ×
        </button>
      </header>
      <div className={styles.logPaneBody}>
        {task.status === "review" && task.review_reason !== null && (
          <div className="card-review" data-testid="log-review-reason">
            <strong>In review:</strong> {task.review_reason}
          </div>
        )}
        {runActive && <RunActions key={task.id} task={task} {...commands} />}
        {task.description !== "" && <p className={styles.logPaneDescription}>{task.description}</p>}
        {task.predicted_files.length > 0 && (
          <details className={styles.logPaneFiles}>
            <summary>Predicted files ({task.predicted_files.length})</summary>
            <ul data-testid="predicted-files">
              {task.predicted_files.map((file) => (
                <li key={file.path}>
                  <code>{file.path}</code> <span className={styles.fileReason}>{file.reason}</span>
                </li>
              ))}
            </ul>
          </details>
        )}
        <h3 className={styles.logPaneHeading}>Agent output</h3>
        <pre
          ref={outputRef}
          className={styles.logOutput}
          data-testid="log-lines"
          tabIndex={0}
          aria-label={`Agent output of ${task.id}`}
          aria-live="off"
          onScroll={(e) => {
            const el = e.currentTarget;
            stuck.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
          }}
        >
          {lines.length === 0 ? <span className={styles.logEmpty}>No output yet.</span> : text}
        </pre>
      </div>
    </aside>
  );
}

/** The run commands that fit the task's column: Retry and Retry merge in Review, Merge now in progress. */
function RunActions({ task, onRetry, onRetryMerge, onMergeNow }: TaskCommands & { task: Task }) {
  if (task.status !== "review" && task.status !== "in_progress") return null;
  return (
    <div className={styles.logPaneActions} role="group" aria-label="Run commands">
      {task.status === "review" ? (
        <>
          <RequestButton
            testId="retry-task"
            className="button small"
            title="Send it back to the run's queue: its agent works on it again"
            onRequest={() => onRetry(task.id)}
          >
            Retry
          </RequestButton>
          <RequestButton
            testId="retry-merge"
            className="button small"
            title="Land its kept branch again through the merge gate, e.g. after you fixed it by hand"
            onRequest={() => onRetryMerge(task.id)}
          >
            Retry merge
          </RequestButton>
        </>
      ) : (
        <RequestButton
          testId="merge-now"
          className="button small"
          title="Stop its agent, commit what it left and send the branch to the merge gate now"
          onRequest={() => onMergeNow(task.id)}
        >
          Merge now
        </RequestButton>
      )}
    </div>
  );
}
