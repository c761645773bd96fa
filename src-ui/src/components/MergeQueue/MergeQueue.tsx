import { memo, type ReactNode } from "react";
import type { GateLanding, GateState, MergeKind } from "../../bindings";
import { cx } from "../../classNames";
import styles from "./MergeQueue.module.css";

type Props = {
  gate: GateState;
  /** Selects a task (opens its log pane); without it, task ids are plain text. */
  onOpenTask?: (taskId: string) => void;
};

const RESULT_LABEL: Record<MergeKind, string> = {
  merged: "landed",
  conflict: "conflict",
  tests_failed: "tests failed",
  nothing_to_merge: "nothing to merge",
  checkout_blocked: "not landed: checkout",
  target_failing: "not landed: target fails",
  refused: "refused",
  error: "merge error",
};

function MergeQueueInner({ gate, onOpenTask }: Props) {
  const { waiting, preflight, preflight_failed: preflightFailed, testing, recent } = gate;
  const seen = [waiting, preflight, preflightFailed, testing, recent].some((list) => list.length > 0);
  if (!seen) return null;
  return (
    <section className={styles.mergeQueue} data-testid="merge-queue" aria-label="Merge gate">
      <h2 className={styles.title}>Merge gate</h2>
      {testing.length > 0 && (
        <p className={styles.line} data-testid="merge-queue-testing">
          <span className={styles.label}>{testing.length === 1 ? "Testing:" : "Testing together:"}</span>{" "}
          <TaskIds ids={testing} onOpenTask={onOpenTask} />
        </p>
      )}
      {waiting.length > 0 && (
        <p className={styles.line} data-testid="merge-queue-waiting">
          <span className={styles.label}>Waiting:</span> <TaskIds ids={waiting} onOpenTask={onOpenTask} />
        </p>
      )}
      {preflight.length > 0 && (
        // Tested merged with the target in their own worktrees while they wait.
        <p className={styles.line} data-testid="merge-queue-preflight">
          <span className={styles.label}>Pre-flight:</span> <TaskIds ids={preflight} onOpenTask={onOpenTask} />
        </p>
      )}
      {preflightFailed.length > 0 && (
        <p className={styles.line} data-testid="merge-queue-preflight-failed">
          <span className={styles.label}>Left out by their pre-flight:</span>{" "}
          <TaskIds ids={preflightFailed} onOpenTask={onOpenTask} />
        </p>
      )}
      {recent.length > 0 && (
        // Folded to its newest line, so the panel leaves the lanes their room.
        <details className={styles.latest} data-testid="merge-queue-latest">
          <summary className={styles.summary}>
            <span className={styles.label}>Latest ({recent.length}):</span> {recent[0]!.task_id}
            {describeLanding(recent[0]!)}
          </summary>
          <ol className={styles.recent} data-testid="merge-queue-recent" aria-label="Latest landings">
            {recent.map((landing, index) => (
              // A task can come back (a conflict, then its resolution): the position tells the items apart.
              <li
                key={`${index}:${landing.task_id}`}
                className={styles.landing}
                data-testid="merge-queue-landing"
                data-task-id={landing.task_id}
                data-result={landing.result}
              >
                <TaskId id={landing.task_id} onOpenTask={onOpenTask} />
                {describeLanding(landing)}
              </li>
            ))}
          </ol>
        </details>
      )}
    </section>
  );
}

/** What follows the task id in a landing's line: " landed (with 3 others)", ": tests failed — broke a batch of 4". */
export function describeLanding({ result, batch }: GateLanding): string {
  const others = batch - 1;
  if (result === "merged") return others > 0 ? ` landed (with ${others} ${others === 1 ? "other" : "others"})` : " landed";
  const label = RESULT_LABEL[result] ?? result.replace(/_/g, " ");
  return result === "tests_failed" && batch > 1 ? `: ${label} — broke a batch of ${batch}` : `: ${label}`;
}

function TaskIds({ ids, onOpenTask }: { ids: readonly string[]; onOpenTask: Props["onOpenTask"] }) {
  const items: ReactNode[] = [];
  ids.forEach((id, index) => {
    if (index > 0) items.push(", ");
    items.push(<TaskId key={id} id={id} onOpenTask={onOpenTask} />);
  });
  return <>{items}</>;
}

function TaskId({ id, onOpenTask }: { id: string; onOpenTask: Props["onOpenTask"] }) {
  if (onOpenTask === undefined) return <span className="card-id">{id}</span>;
  return (
    <button type="button" className={cx("card-id", styles.taskLink)} title={`Open ${id}`} onClick={() => onOpenTask(id)}>
      {id}
    </button>
  );
}

/**
 * The run's merge gate for a person: the batch it tests, the tasks waiting for it, those in their pre-flight and
 * those their pre-flight left out, and its latest results.
 */
export const MergeQueue = memo(MergeQueueInner);
