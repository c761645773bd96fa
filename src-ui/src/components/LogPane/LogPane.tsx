import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { BoardColumn, CardEdit, SessionLog, Task, TaskStatus } from "../../bindings";
import { columnLabel, slotName } from "../../board";
import { cx } from "../../classNames";
import { sortIssues } from "../../cards";
import { useCardCheckQuery, useDiscardWork, useEditTasks, useSetToolRule, useTaskLogQuery, useTaskPlacesQuery } from "../../queries";
import { formatCost, type LogStore } from "../../runStore";
import { DiffPanel } from "../DiffPanel/DiffPanel";
import { CopyPath } from "../CopyPath/CopyPath";
import { FeedbackForm } from "../FeedbackForm/FeedbackForm";
import { RequestButton } from "../RequestButton/RequestButton";
import { ToolRules } from "../ToolRules/ToolRules";
import { TestLogPanel } from "../TestLogPanel/TestLogPanel";
import { StoredSession, TranscriptList } from "../Transcript/Transcript";
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
  projectId: string;
  task: Task;
  /** The board's columns, for the status's name. */
  columns: readonly BoardColumn[];
  logs: LogStore;
  slot: number | undefined;
  /** The run's names of its worker slots. */
  laneNames?: readonly string[];
  /** A run is going, so the run commands that fit the task are offered. */
  runActive: boolean;
  /** Opens the task's worktree folder. */
  onOpenFolder?: (taskId: string) => void;
  /** Shows why something failed (a toast). */
  onError?: (reason: unknown) => void;
  /** Opens the task's form; without it, the task is not offered for editing (nor for deleting). */
  onEditTask?: (taskId: string) => void;
  onClose: () => void;
};

type Tab = "transcript" | "diff";

const NO_NAMES: readonly string[] = [];

/** Why no follow-up on landed work can be sent while a run of the project goes. */
export const FOLLOW_UP_AFTER_RUN =
  "A run is going: a follow-up on this task's landed work can be sent once it has finished (or is cancelled).";
const ignore = () => {};

/**
 * A side drawer with one task: why it is where it is, what its agent said and did (the stored sessions, then the
 * live transcript), what it changed (the diff), and what a person can do now (feedback, retry, allow a refused
 * tool, open its folder).
 */
export function LogPane({
  projectId,
  task,
  columns,
  logs,
  slot,
  laneNames = NO_NAMES,
  runActive,
  onOpenFolder,
  onError = ignore,
  onEditTask,
  onClose,
  ...commands
}: Props) {
  const [tab, setTab] = useState<Tab>("transcript");
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
  }, [task.id]);

  const history = useTaskLogQuery(projectId, task.id);
  const lastSession = history.data?.sessions.at(-1);
  const status = columnLabel(columns, task.status);
  const ran = task.status !== "backlog" || (history.data?.sessions.length ?? 0) > 0;
  const showsDiff = tab === "diff";
  return (
    <aside
      className={cx(styles.logPane, showsDiff && styles.wide)}
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
            {task.status === "in_progress" && slot !== undefined && <span>{slotName(slot, laneNames)}</span>}
            {task.cost_usd !== null && (
              <span className={styles.cost} data-testid="task-cost" title="What its agent sessions cost">
                {formatCost(task.cost_usd)}
              </span>
            )}
          </p>
        </div>
        <button ref={closeRef} type="button" className="icon-button" aria-label="Close the log" onClick={onClose}>
          ×
        </button>
      </header>
      <div className={styles.logPaneBody} data-scroll>
        {onEditTask !== undefined && (
          <div className={styles.logPaneActions} role="group" aria-label="Task card">
            <button type="button" className="button small" data-testid="edit-task" onClick={() => onEditTask(task.id)}>
              Edit task
            </button>
            {task.status === "backlog" && (
              <DeleteTaskButton key={task.id} projectId={projectId} taskId={task.id} onError={onError} onDeleted={onClose} />
            )}
          </div>
        )}
        {(task.status === "review" || (ran && task.status !== "backlog")) && (
          <section className={styles.review} aria-label="What now" data-testid="review-pane">
            {task.status === "review" && task.review_reason !== null && (
              <div className="card-review" data-testid="log-review-reason">
                <strong>In review:</strong> {task.review_reason}
              </div>
            )}
            {task.status === "review" && <TestLogPanel key={task.id} projectId={projectId} taskId={task.id} />}
            {lastSession !== undefined && lastSession.suggested_rules.length > 0 && (
              <AllowTools projectId={projectId} rules={lastSession.suggested_rules} onError={onError} />
            )}
            <RunActions key={task.id} task={task} runActive={runActive} {...commands} />
            <ToolRules projectId={projectId} onError={onError} />
            <FeedbackForm
              projectId={projectId}
              taskId={task.id}
              landed={task.status === "done"}
              blocked={task.status === "done" && runActive ? FOLLOW_UP_AFTER_RUN : null}
              onError={onError}
            />
            <div className={styles.logPaneActions}>
              {onOpenFolder !== undefined && task.status !== "done" && (
                <button type="button" className="button small" data-testid="open-folder" onClick={() => onOpenFolder(task.id)}>
                  Open folder
                </button>
              )}
              {task.status === "review" && !runActive && <DiscardButton key={task.id} projectId={projectId} taskId={task.id} onError={onError} />}
            </div>
            <Places projectId={projectId} taskId={task.id} />
          </section>
        )}
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
        <div className={styles.tabs} role="tablist" aria-label="Task views">
          {(["transcript", "diff"] as const).map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              className={styles.tab}
              aria-selected={tab === name}
              data-testid={`tab-${name}`}
              onClick={() => setTab(name)}
            >
              {name === "transcript" ? "Transcript" : "Diff"}
            </button>
          ))}
        </div>
        {tab === "transcript" ? (
          <TranscriptTab logs={logs} taskId={task.id} sessions={history.data?.sessions} />
        ) : (
          <DiffPanel projectId={projectId} taskId={task.id} />
        )}
      </div>
    </aside>
  );
}

/**
 * Where the task's work is on disk, each path to copy: what a person uses where the desktop cannot open a folder
 * or a file (no opener), or in a terminal. Nothing while there is none.
 */
function Places({ projectId, taskId }: { projectId: string; taskId: string }) {
  const places = useTaskPlacesQuery(projectId, taskId).data;
  if (places === undefined || (places.worktree === null && places.agent_log === null)) return null;
  return (
    <details className={styles.places} data-testid="task-places">
      <summary>On disk</summary>
      {places.worktree !== null && <CopyPath label="worktree" path={places.worktree} testId="place-worktree" />}
      {places.agent_log !== null && <CopyPath label="agent log" path={places.agent_log} testId="place-agent-log" />}
    </details>
  );
}

/** The stored sessions not seen live in this window, then what streams now. */
function TranscriptTab({
  logs,
  taskId,
  sessions,
}: {
  logs: LogStore;
  taskId: string;
  sessions: SessionLog[] | undefined;
}) {
  const version = useSyncExternalStore(logs.subscribe, () => logs.version(taskId));
  const items = logs.get(taskId);
  // A session streamed here is shown live; the stored copy of it would repeat it. (The store's list is read again
  // on every version: at most a thousand items.)
  const seenLive = new Set(items.map((item) => item.sessionId).filter((id) => id !== null));
  const stored = (sessions ?? []).filter((session) => !seenLive.has(session.session_id));
  // When the pane opens on a task with nothing streaming, its newest session unfolds; sessions that show up later
  // (an earlier run's, once the live log moved on) stay folded, so the pane holds one session's rows at a time.
  const [unfolded, setUnfolded] = useState<string | null | undefined>(undefined);
  if (unfolded === undefined && sessions !== undefined) {
    setUnfolded(items.length === 0 ? (stored.at(-1)?.session_id ?? null) : null);
  }

  // Follow the live transcript while the reader is at the bottom of the pane; leave them be when they scrolled up.
  const endRef = useRef<HTMLDivElement>(null);
  const lastHeight = useRef<number | null>(null);
  useLayoutEffect(() => {
    const body = endRef.current?.closest<HTMLElement>("[data-scroll]");
    if (body == null) return;
    const before = lastHeight.current;
    // On opening, the top (why the task is where it is, what now) is shown first.
    const atBottom = before !== null && body.scrollTop + body.clientHeight >= before - 24;
    if (atBottom) body.scrollTop = body.scrollHeight;
    lastHeight.current = body.scrollHeight;
  }, [version, taskId]);

  return (
    <div className={styles.live}>
      {stored.map((session, index) => (
        <StoredSession key={session.session_id} session={session} index={index} open={session.session_id === unfolded} />
      ))}
      {items.length > 0 ? (
        <TranscriptList items={items} testId="log-lines" label={`Agent transcript of ${taskId}`} />
      ) : (
        stored.length === 0 && (
          <p className={styles.logEmpty} data-testid="log-lines">
            No output yet.
          </p>
        )
      )}
      <div ref={endRef} />
    </div>
  );
}

/** The rules that would allow what the agent was refused, each a button that allows it for the project. */
function AllowTools({ projectId, rules, onError }: { projectId: string; rules: readonly string[]; onError: (reason: unknown) => void }) {
  const setRule = useSetToolRule();
  const [allowed, setAllowed] = useState<readonly string[]>([]);
  return (
    <div className={styles.allow} data-testid="allow-tools">
      <span>The agent was refused a tool. Allow for this project:</span>
      {rules.map((rule) =>
        allowed.includes(rule) ? (
          <span key={rule} data-testid="tool-allowed">
            <code>{rule}</code> allowed — retry or send feedback
          </span>
        ) : (
          <button
            key={rule}
            type="button"
            className="button small"
            data-testid="allow-tool"
            disabled={setRule.isPending}
            onClick={() =>
              setRule.mutate(
                { projectId, rule, allow: true },
                { onSuccess: () => setAllowed((list) => [...list, rule]), onError },
              )
            }
          >
            <code>{rule}</code>
          </button>
        ),
      )}
    </div>
  );
}

/**
 * Discards the task's work, after a second click that says what goes: its worktree and uncommitted changes (its
 * commits are kept out of sight, recoverable with git); the task goes back to the Backlog.
 */
function DiscardButton({ projectId, taskId, onError }: { projectId: string; taskId: string; onError: (reason: unknown) => void }) {
  const [asking, setAsking] = useState(false);
  const discard = useDiscardWork();
  if (!asking) {
    return (
      <button type="button" className="button small danger" data-testid="discard-work" onClick={() => setAsking(true)}>
        Discard work…
      </button>
    );
  }
  return (
    <span className={styles.confirm} role="group" aria-label="Confirm discarding the work">
      Discard its worktree and uncommitted changes, and start it afresh?
      <button
        type="button"
        className="button small danger"
        data-testid="discard-confirm"
        disabled={discard.isPending}
        onClick={() => discard.mutate({ projectId, taskId }, { onSuccess: () => setAsking(false), onError })}
      >
        {discard.isPending ? "Discarding…" : "Discard"}
      </button>
      <button type="button" className="button small" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}

/**
 * Deletes a task of the Backlog (the tasks file follows), after a second click; what would stop it (a task depending
 * on it) is asked of the core first and shown instead. A refusal (a run is going) reaches `onError`.
 */
function DeleteTaskButton({
  projectId,
  taskId,
  onError,
  onDeleted,
}: {
  projectId: string;
  taskId: string;
  onError: (reason: unknown) => void;
  onDeleted: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const remove = useEditTasks();
  const edit = useMemo<CardEdit | null>(() => (asking ? { kind: "remove_task", id: taskId } : null), [asking, taskId]);
  const check = useCardCheckQuery(projectId, edit, 0);
  if (!asking) {
    return (
      <button type="button" className="button small danger" data-testid="delete-task" onClick={() => setAsking(true)}>
        Delete task…
      </button>
    );
  }
  // No field shown here: every issue is a reason not to delete it.
  const blockers = sortIssues(check.data ?? [], taskId, []).general;
  return (
    <span className={styles.confirm} role="group" aria-label="Confirm deleting the task">
      {blockers.length > 0 ? (
        <span data-testid="delete-task-blocked">{blockers.join(" ")}</span>
      ) : (
        "Delete this task from the project and its tasks file?"
      )}
      <button
        type="button"
        className="button small danger"
        data-testid="delete-task-confirm"
        disabled={remove.isPending || check.isFetching || blockers.length > 0}
        onClick={() =>
          remove.mutate(
            { projectId, edit: { kind: "remove_task", id: taskId } },
            { onSuccess: () => onDeleted(), onError: (error) => onError(error) },
          )
        }
      >
        {remove.isPending ? "Deleting…" : "Delete"}
      </button>
      <button type="button" className="button small" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  );
}

/**
 * The run commands that fit the task's column: Retry and Retry merge in Review (taken by the run going, else by a
 * run of their own), Merge now in progress (during a run).
 */
function RunActions({ task, runActive, onRetry, onRetryMerge, onMergeNow }: TaskCommands & { task: Task; runActive: boolean }) {
  if (task.status !== "review" && !(task.status === "in_progress" && runActive)) return null;
  return (
    <div className={styles.logPaneActions} role="group" aria-label="Run commands">
      {task.status === "review" ? (
        <>
          <RequestButton
            testId="retry-task"
            className="button small"
            title="Its agent works on it again: in the run going, else in a run of its own"
            onRequest={() => onRetry(task.id)}
          >
            Retry
          </RequestButton>
          <RequestButton
            testId="retry-merge"
            className="button small"
            title="Land its kept branch again through the merge gate (e.g. after you fixed it by hand), without its agent"
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
