import { useDraggable, useDroppable } from "@dnd-kit/core";
import { memo, useCallback, useMemo } from "react";
import type { ExecutionPlan, Lane, LaneMerge, Task } from "../../bindings";
import { slotName } from "../../board";
import { agentState, pinnedTasks } from "../../cardFacts";
import { cx } from "../../classNames";
import { dragAnnouncements, dragInstructions, type DragItem, type DropZone } from "../../dragDrop";
import { DragArea } from "../DragArea/DragArea";
import { PinMark } from "../PinMark/PinMark";
import styles from "./LanesView.module.css";

type Props = {
  tasks: readonly Task[];
  plan: ExecutionPlan | null;
  lanes: readonly Lane[];
  /** The run's worker count, when a run was seen. */
  workers: number | null;
  /** The run's names of its worker slots (`run_started.lanes`), when a run was seen. */
  laneNames?: readonly string[];
  /** The lane each task of the run ran in, by task: a planned task that ran in another lane says so. */
  ranOn?: ReadonlyMap<string, string>;
  /** The run's agents run in the sandbox; `null` when no run said. */
  sandboxed?: boolean | null;
  onOpenTask?: (taskId: string) => void;
  /** A planned task was dropped on another worktree's lane. */
  onMoveTask?: (taskId: string, worktree: string) => void;
  /** Opens the folder of a task's worktree in the file manager. */
  onOpenWorktree?: (taskId: string) => void;
  /** Opens a task's agent log file. */
  onOpenLog?: (taskId: string) => void;
};

const MERGE_LABEL: Record<LaneMerge, string> = {
  none: "not merged yet",
  predicted: "conflict predicted",
  testing: "at the merge gate",
  clean: "merged clean",
  failed: "tests failed",
  conflict: "conflict",
  nothing: "nothing to merge",
  blocked: "not landed: checkout",
  error: "merge error",
};

const SANDBOXED_TITLE = "Its agent runs in the sandbox: it writes only to its worktree, /tmp and the caches";
const UNCONFINED_TITLE = "Its agent is not confined: it can change anything you can";

/** Tasks shown per lane queue before "+N more". */
const QUEUE_SHOWN = 12;

const ACCESSIBILITY = {
  announcements: dragAnnouncements("worktree"),
  screenReaderInstructions: dragInstructions("the Up and Down arrows", "worktree"),
};

const NEW_LANE_LABEL = "new worktree";

/** How many lanes to show: the plan's worktrees, the run's workers or the slots seen, whichever is most. */
export function laneCount(plan: ExecutionPlan | null, workers: number | null, lanes: readonly Lane[]): number {
  return Math.max(plan?.worktree_assignments.length ?? 0, workers ?? 0, lanes.length);
}

/**
 * Whether to add an empty lane for the plan's next worktree (`wt-<n+1>`) as a drop target: the plan uses fewer
 * worktrees than its workers and no lane shows that worktree yet.
 */
function offersNewLane(plan: ExecutionPlan | null, count: number): boolean {
  if (plan === null) return false;
  const planned = plan.worktree_assignments.length;
  return planned < plan.stats.workers && count === planned;
}

type Facts = {
  titles: ReadonlyMap<string, Task>;
  pinned: ReadonlySet<string>;
  ranOn: ReadonlyMap<string, string>;
};

const NO_NAMES: readonly string[] = [];
const NOWHERE: ReadonlyMap<string, string> = new Map();

function LanesViewInner({
  tasks,
  plan,
  lanes,
  workers,
  laneNames = NO_NAMES,
  ranOn = NOWHERE,
  sandboxed = null,
  onOpenTask,
  onMoveTask,
  onOpenWorktree,
  onOpenLog,
}: Props) {
  const titles = useMemo(() => new Map(tasks.map((task) => [task.id, task] as const)), [tasks]);
  const pinned = useMemo(() => pinnedTasks(plan), [plan]);
  const queues = useMemo(() => {
    const byName = new Map<string, string[]>();
    for (const assignment of plan?.worktree_assignments ?? []) byName.set(assignment.worktree, assignment.task_ids);
    return byName;
  }, [plan]);
  const facts: Facts = { titles, pinned, ranOn };

  const drop = useCallback((taskId: string, to: string) => onMoveTask?.(taskId, to), [onMoveTask]);
  const preview = useCallback(
    (draggedId: string) => (
      <span className={cx(styles.laneChip, styles.preview)} data-status={titles.get(draggedId)?.status ?? "backlog"}>
        {pinned.has(draggedId) && <PinMark />}
        {draggedId}
      </span>
    ),
    [titles, pinned],
  );

  const count = laneCount(plan, workers, lanes);
  if (count === 0) {
    return (
      <div className={styles.lanes} data-testid="lanes">
        <p className="view-empty" data-testid="lanes-empty">
          No worktrees yet. Build a plan or start a run to see one lane per worktree.
        </p>
      </div>
    );
  }
  const rows = [];
  for (let slot = 0; slot < count; slot++) {
    const name = slotName(slot, laneNames);
    rows.push(
      <LaneRow
        key={slot}
        slot={slot}
        name={name}
        droppable={acceptsDrop(plan, slot)}
        lane={lanes[slot]}
        queue={queues.get(name) ?? []}
        facts={facts}
        sandboxed={sandboxed}
        onOpenTask={onOpenTask}
        onOpenWorktree={onOpenWorktree}
        onOpenLog={onOpenLog}
      />,
    );
  }
  if (offersNewLane(plan, count)) rows.push(<NewLane key="new" slot={count} name={slotName(count, laneNames)} />);
  return (
    <DragArea axis="y" accessibility={ACCESSIBILITY} onDrop={drop} preview={preview}>
      <div className={styles.lanes} data-testid="lanes">
        {rows}
      </div>
    </DragArea>
  );
}

/**
 * Whether the core would accept a task dropped on lane `slot`: one of the plan's worktrees, or the next new one
 * while under the worker limit (a run may show more lanes than the plan has worktrees).
 */
export function acceptsDrop(plan: ExecutionPlan | null, slot: number): boolean {
  if (plan === null) return false;
  const planned = plan.worktree_assignments.length;
  return slot < planned || (slot === planned && planned < plan.stats.workers);
}

type LaneProps = {
  slot: number;
  /** The lane's worktree name. */
  name: string;
  droppable: boolean;
  lane: Lane | undefined;
  queue: readonly string[];
  facts: Facts;
  onOpenTask: ((taskId: string) => void) | undefined;
  onOpenWorktree: ((taskId: string) => void) | undefined;
  onOpenLog: ((taskId: string) => void) | undefined;
  /** The run's agents run in the sandbox; `null` when no run said. */
  sandboxed: boolean | null;
};

/** One worktree's lane: a drop target for planned tasks. */
function LaneRow({ slot, name, droppable, lane, queue, facts, sandboxed, onOpenTask, onOpenWorktree, onOpenLog }: LaneProps) {
  const zone: DropZone = { label: name };
  const { setNodeRef, isOver, active } = useDroppable({ id: name, data: zone, disabled: !droppable });
  const target = isOver && (active?.data.current as DragItem | undefined)?.home !== name;
  const taskId = lane?.task_id ?? null;
  const agent = lane === undefined ? "idle" : agentState(lane.agent);
  const current = taskId === null ? undefined : facts.titles.get(taskId);
  const merge = lane?.merge ?? "none";
  // A worktree exists while its task runs, and is kept while it waits in Review; a merged one was removed.
  const hasFolder = lane?.branch != null && taskId !== null && (lane.busy || current?.status === "review");
  return (
    <section
      ref={setNodeRef}
      className={cx(styles.lane, target && styles.dropTarget)}
      data-testid="lane"
      data-slot={slot}
      data-worktree={name}
      data-drop-target={target}
      data-busy={lane?.busy ?? false}
      aria-label={`Worktree ${name}`}
    >
      <header className={styles.laneHead}>
        <span className={styles.laneName}>{name}</span>
        <span className={cx("branch", styles.laneBranch)} title="Branch" data-testid="lane-branch">
          {lane?.branch ?? "no branch yet"}
        </span>
        <span className={styles.laneActions}>
          <button
            type="button"
            className="button small"
            data-testid="open-worktree"
            disabled={!hasFolder}
            title={hasFolder ? `Open the ${name} folder` : "No worktree now: it is removed once its task merged"}
            onClick={() => {
              if (taskId !== null) onOpenWorktree?.(taskId);
            }}
          >
            Open folder
          </button>
          <button
            type="button"
            className="button small"
            data-testid="open-log"
            disabled={taskId === null}
            title={taskId === null ? "No agent has run here yet" : `Open the agent log of ${taskId}`}
            onClick={() => {
              if (taskId !== null) onOpenLog?.(taskId);
            }}
          >
            Open log
          </button>
        </span>
      </header>
      <dl className={styles.laneFacts}>
        <div>
          <dt>Task</dt>
          <dd data-testid="lane-task">
            {taskId === null ? (
              <span className={styles.muted}>idle</span>
            ) : (
              <button type="button" className={styles.linkButton} onClick={() => onOpenTask?.(taskId)}>
                {current?.title ?? taskId}
                {lane?.busy === false && <span className={styles.muted}> (last)</span>}
              </button>
            )}
          </dd>
        </div>
        <div>
          <dt>Agent</dt>
          <dd className={styles.laneAgent} data-testid="lane-agent" data-agent={agent}>
            {agent.replace(/_/g, " ")}
            {taskId !== null && sandboxed !== null && (
              <span
                className={cx(styles.laneSandbox, !sandboxed && styles.unconfined)}
                data-testid="lane-sandbox"
                title={sandboxed ? SANDBOXED_TITLE : UNCONFINED_TITLE}
              >
                {sandboxed ? "sandboxed" : "not confined"}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>Commit</dt>
          <dd className={styles.laneCommit} data-testid="lane-commit" title={lane?.last_commit?.sha}>
            {lane?.last_commit == null ? (
              <span className={styles.muted}>none yet</span>
            ) : (
              <>
                <code className={styles.laneSha}>{lane.last_commit.sha.slice(0, 8)}</code> {lane.last_commit.summary}
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Merge</dt>
          <dd className={styles.laneMerge} data-testid="lane-merge" data-merge={merge} title={lane?.merge_detail ?? undefined}>
            {MERGE_LABEL[merge]}
          </dd>
        </div>
      </dl>
      <div className={styles.laneQueue} data-testid="lane-queue">
        <span className={styles.laneQueueLabel}>Planned ({queue.length})</span>
        <ol>
          {queue.slice(0, QUEUE_SHOWN).map((id) => (
            <QueueChip
              key={id}
              id={id}
              worktree={name}
              task={facts.titles.get(id)}
              pinned={facts.pinned.has(id)}
              ranOn={facts.ranOn.get(id)}
            />
          ))}
          {queue.length > QUEUE_SHOWN && <li className={cx(styles.laneChip, styles.more)}>+{queue.length - QUEUE_SHOWN} more</li>}
        </ol>
      </div>
    </section>
  );
}

/** The lane of the plan's next worktree, empty until a task is dropped on it. */
function NewLane({ slot, name }: { slot: number; name: string }) {
  const zone: DropZone = { label: `a ${NEW_LANE_LABEL} (${name})` };
  const { setNodeRef, isOver } = useDroppable({ id: name, data: zone });
  return (
    <section
      ref={setNodeRef}
      className={cx(styles.lane, styles.laneNew, isOver && styles.dropTarget)}
      data-testid="lane"
      data-slot={slot}
      data-worktree={name}
      data-new="true"
      data-drop-target={isOver}
      aria-label={`New worktree ${name}`}
    >
      <header className={styles.laneHead}>
        <span className={styles.laneName}>{name}</span>
        <span className={styles.laneNewLabel}>{NEW_LANE_LABEL}</span>
      </header>
      <p className={styles.laneNewHint}>Drop a planned task here to give it a worktree of its own.</p>
    </section>
  );
}

// Chips stay list items (the queue is a list); the role description says they can be dragged.
const CHIP_ATTRIBUTES = { role: "listitem", roleDescription: "draggable task" } as const;
const FIXED_CHIP_ATTRIBUTES = { role: "listitem", roleDescription: "task", tabIndex: -1 } as const;

/** A planned task in a lane's queue, draggable to another lane unless it is running or done. */
function QueueChip({
  id,
  worktree,
  task,
  pinned,
  ranOn,
}: {
  id: string;
  worktree: string;
  task: Task | undefined;
  pinned: boolean;
  /** The lane it ran in, when a run took it. */
  ranOn: string | undefined;
}) {
  const elsewhere = ranOn !== undefined && ranOn !== worktree ? ranOn : null;
  const status = task?.status ?? "backlog";
  const fixed = status === "in_progress" || status === "done";
  const data: DragItem = { label: `task “${task?.title ?? id}”`, home: worktree, homeLabel: worktree };
  const { setNodeRef, attributes, listeners, isDragging } = useDraggable({
    id,
    data,
    disabled: fixed,
    attributes: fixed ? FIXED_CHIP_ATTRIBUTES : CHIP_ATTRIBUTES,
  });
  const title = `${task?.title ?? id}${pinned ? ` (pinned to ${worktree} by hand)` : ""}${
    elsewhere !== null ? ` (planned for ${worktree}, ran on ${elsewhere})` : ""
  }`;
  return (
    <li
      ref={setNodeRef}
      {...attributes}
      {...listeners}
      className={cx(styles.laneChip, isDragging && styles.dragging)}
      data-testid="lane-chip"
      data-task-id={id}
      data-status={status}
      data-pinned={pinned}
      data-ran-on={elsewhere ?? undefined}
      aria-label={title}
      title={title}
    >
      {pinned && <PinMark />}
      {id}
      {elsewhere !== null && <span className={styles.ranOn}> → {elsewhere}</span>}
    </li>
  );
}

/** One swimlane per worker slot: its branch, task, agent and merge state, and the tasks the plan gave it. */
export const LanesView = memo(LanesViewInner);
