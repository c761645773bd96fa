import { useCallback, useMemo } from "react";
import type { Board, ExecutionPlan, Lane, TaskStatus, TimingSpan } from "../../bindings";
import { epicsById, groupByStatus } from "../../board";
import { busyAgents, cardFacts, pinnedTasks, planConflicts, plannedWorktrees, timesSpent, type Activity, type BoardFacts } from "../../cardFacts";
import { dragAnnouncements, dragInstructions } from "../../dragDrop";
import { Column } from "../Column/Column";
import { DragArea } from "../DragArea/DragArea";
import { TaskCardPreview } from "../TaskCard/TaskCard";
import styles from "./BoardView.module.css";

type Props = {
  board: Board;
  /** The plan, for each card's worktree, pin and predicted conflicts. */
  plan?: ExecutionPlan | null;
  /** Worker slot (0-based) of each running task. */
  slots?: Readonly<Record<string, number>>;
  /** The run's lanes, for the agent of each running task. */
  lanes?: readonly Lane[];
  /** The run's task starts and ends, for the time each task spent. */
  timings?: readonly TimingSpan[];
  /** When the run started (wall-clock ms). */
  runStartedAt?: number | null;
  /** The task whose log pane is open. */
  selectedTaskId?: string | null;
  /** The run's names of its worker slots. */
  laneNames?: readonly string[];
  /** What each running task's agent did last. */
  activity?: Activity;
  onOpenTask?: (taskId: string) => void;
  /** The card being dragged changed (null: none is). */
  onDragTask?: (taskId: string | null) => void;
  /**
   * Why each column would refuse the card being dragged: such a column never lights up as a drop target. Null while
   * the core's answer is awaited: no column lights up yet.
   */
  refusals?: Partial<Record<TaskStatus, string>> | null;
  /** A card was dropped on another column. */
  onMoveTask?: (taskId: string, status: TaskStatus) => void;
  /** Opens the form of a new task (offered in the Backlog's head). */
  onNewTask?: () => void;
  /** Opens the dialog that drafts the tasks with the agent (offered in the Backlog's head). */
  onDraftTasks?: () => void;
};

const NO_SLOTS: Readonly<Record<string, number>> = {};
const NO_LANES: readonly Lane[] = [];
const NO_TIMINGS: readonly TimingSpan[] = [];

const ACCESSIBILITY = {
  announcements: dragAnnouncements("column"),
  screenReaderInstructions: dragInstructions("the Left and Right arrows", "column"),
};

function isStatus(board: Board, value: string): value is TaskStatus {
  return board.columns.some((column) => column.status === value);
}

const NO_NAMES: readonly string[] = [];
const NO_ACTIVITY: Activity = {};
const NO_REFUSALS: Partial<Record<TaskStatus, string>> = {};

/** The columns of one project's board (as the core lists them); a card dragged to another column asks the core to move it. */
export function BoardView({
  board,
  plan = null,
  slots = NO_SLOTS,
  lanes = NO_LANES,
  timings = NO_TIMINGS,
  runStartedAt = null,
  selectedTaskId = null,
  laneNames = NO_NAMES,
  activity = NO_ACTIVITY,
  onOpenTask,
  onDragTask,
  refusals = NO_REFUSALS,
  onMoveTask,
  onNewTask,
  onDraftTasks,
}: Props) {
  const groups = useMemo(() => groupByStatus(board.tasks), [board.tasks]);
  const epics = useMemo(() => epicsById(board.epics), [board.epics]);
  const selectedStatus = useMemo(
    () => (selectedTaskId === null ? null : (board.tasks.find((task) => task.id === selectedTaskId)?.status ?? null)),
    [board.tasks, selectedTaskId],
  );
  const worktrees = useMemo(() => plannedWorktrees(plan), [plan]);
  const pinned = useMemo(() => pinnedTasks(plan), [plan]);
  const conflicts = useMemo(() => planConflicts(plan), [plan]);
  const agents = useMemo(() => busyAgents(lanes), [lanes]);
  const times = useMemo(() => timesSpent(timings, runStartedAt), [timings, runStartedAt]);
  const facts: BoardFacts = useMemo(
    () => ({ worktrees, pinned, conflicts, agents, times, laneNames, activity }),
    [worktrees, pinned, conflicts, agents, times, laneNames, activity],
  );

  const drop = useCallback(
    (taskId: string, to: string) => {
      if (isStatus(board, to)) onMoveTask?.(taskId, to);
    },
    [onMoveTask, board],
  );
  const preview = useCallback(
    (draggedId: string) => {
      const dragged = board.tasks.find((task) => task.id === draggedId);
      return dragged === undefined ? null : (
        <TaskCardPreview
          task={dragged}
          epic={dragged.epic === null ? undefined : epics.get(dragged.epic)}
          {...cardFacts(facts, dragged, slots[dragged.id])}
        />
      );
    },
    [board.tasks, epics, facts, slots],
  );

  return (
    <DragArea axis="x" accessibility={ACCESSIBILITY} onDrop={drop} onDragChange={onDragTask} preview={preview}>
      <div className={styles.board} data-testid="board">
        {board.columns.map(({ status, label }) => (
          <Column
            key={status}
            status={status}
            label={label}
            tasks={groups[status]}
            epics={epics}
            slots={status === "in_progress" ? slots : NO_SLOTS}
            facts={facts}
            refusal={refusals === null ? undefined : refusals[status]}
            awaited={refusals === null}
            selectedTaskId={status === selectedStatus ? selectedTaskId : null}
            onOpenTask={onOpenTask}
            onNewTask={status === "backlog" ? onNewTask : undefined}
            onDraftTasks={status === "backlog" ? onDraftTasks : undefined}
          />
        ))}
      </div>
    </DragArea>
  );
}
