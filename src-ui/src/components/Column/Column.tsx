import { useDroppable } from "@dnd-kit/core";
import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useRef } from "react";
import type { Epic, Task, TaskStatus } from "../../bindings";
import { cardFacts, type BoardFacts } from "../../cardFacts";
import { cx } from "../../classNames";
import type { DragItem, DropZone } from "../../dragDrop";
import { TaskCard } from "../TaskCard/TaskCard";
import styles from "./Column.module.css";

type CardsProps = {
  label: string;
  tasks: readonly Task[];
  epics: ReadonlyMap<string, Epic>;
  /** Worker slots of running tasks (only the In Progress column gets them). */
  slots: Readonly<Record<string, number>>;
  facts: BoardFacts;
  /** The task whose log pane is open, when it is in this column. */
  selectedTaskId: string | null;
  onOpenTask?: ((taskId: string) => void) | undefined;
};

type Props = CardsProps & {
  status: TaskStatus;
  /** Why this column would refuse the card being dragged (undefined: it would take it, or nothing is dragged). */
  refusal?: string | undefined;
  /** Whether this column would take the card being dragged is not known yet: it does not light up meanwhile. */
  awaited?: boolean | undefined;
  /** Offers a new task in this column's head (the Backlog's). */
  onNewTask?: (() => void) | undefined;
  /** Offers to draft the tasks with the agent in this column's head (the Backlog's). */
  onDraftTasks?: (() => void) | undefined;
};

/** The colour of each column's top edge (Backlog keeps the default). */
const STATUS_CLASS: Record<TaskStatus, string | undefined> = {
  backlog: undefined,
  in_progress: styles.columnInProgress,
  review: styles.columnReview,
  done: styles.columnDone,
};

function ColumnInner({ status, label, tasks, refusal, awaited = false, onNewTask, onDraftTasks, ...cards }: Props) {
  const zone: DropZone = { label };
  const { setNodeRef, isOver, active } = useDroppable({ id: status, data: zone });
  const dragging = active !== null && (active.data.current as DragItem | undefined)?.home !== status;
  const refused = dragging && refusal !== undefined;
  const target = dragging && isOver && !refused && !awaited;
  const headingId = `column-heading-${status}`;
  return (
    <section
      ref={setNodeRef}
      className={cx(styles.column, STATUS_CLASS[status], target && styles.dropTarget, refused && styles.dropRefused)}
      data-testid={`column-${status}`}
      data-drop-target={target}
      data-drop-refused={refused}
      aria-labelledby={headingId}
    >
      <header className={styles.columnHead}>
        <h2 id={headingId}>{label}</h2>
        {(onNewTask !== undefined || onDraftTasks !== undefined) && (
          <div className={styles.headActions}>
            {onNewTask !== undefined && (
              <button type="button" className={styles.headAction} data-testid="new-task" title="New task (n)" onClick={onNewTask}>
                + New task
              </button>
            )}
            {onDraftTasks !== undefined && (
              <button
                type="button"
                className={styles.headAction}
                data-testid="draft-tasks"
                title="Draft the tasks with the agent, from an app spec or a goal"
                onClick={onDraftTasks}
              >
                Draft tasks…
              </button>
            )}
          </div>
        )}
        <span className={styles.count} data-testid="column-count" aria-label={`${tasks.length} tasks`}>
          {tasks.length}
        </span>
      </header>
      {refused && isOver && (
        <p className={styles.refusal} role="status" data-testid="drop-refusal">
          {refusal}
        </p>
      )}
      <ColumnCards label={label} tasks={tasks} {...cards} />
    </section>
  );
}

/** Columns with more cards than this render only those in view (plus a few), so a huge board stays fast. */
export const VIRTUALIZE_AFTER = 60;
/** A card's height before it is measured (a title, an epic chip and a line of facts). */
const ESTIMATED_CARD_PX = 118;
/** The gap between cards, as in the column's CSS. */
const CARD_GAP_PX = 8;

function ColumnCardsInner(props: CardsProps) {
  if (props.tasks.length === 0) {
    return (
      <div className={styles.columnBody} data-testid="card-list">
        <p className={styles.columnEmpty}>No tasks</p>
      </div>
    );
  }
  return props.tasks.length > VIRTUALIZE_AFTER ? <VirtualCards {...props} /> : <AllCards {...props} />;
}

function Card({ task, epics, slots, facts, label, selectedTaskId, onOpenTask }: CardsProps & { task: Task }) {
  return (
    <TaskCard
      task={task}
      epic={task.epic === null ? undefined : epics.get(task.epic)}
      {...cardFacts(facts, task, slots[task.id])}
      columnLabel={label}
      selected={task.id === selectedTaskId}
      onOpen={onOpenTask}
    />
  );
}

function AllCards(props: CardsProps) {
  return (
    <div className={styles.columnBody} data-testid="card-list">
      {props.tasks.map((task) => (
        <Card key={task.id} {...props} task={task} />
      ))}
    </div>
  );
}

/** The cards in view of a long column, each measured once shown; the rest are space. */
function VirtualCards(props: CardsProps) {
  const body = useRef<HTMLDivElement>(null);
  const { tasks } = props;
  // The app does not use the React Compiler; the virtualizer re-renders this component itself when it scrolls.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => body.current,
    estimateSize: () => ESTIMATED_CARD_PX,
    getItemKey: (index) => tasks[index]!.id,
    gap: CARD_GAP_PX,
    overscan: 4,
  });
  return (
    <div className={cx(styles.columnBody, styles.virtual)} ref={body} data-testid="card-list" data-virtual="true">
      <div className={styles.virtualSpace} data-testid="virtual-space" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => (
          <div
            key={item.key}
            className={styles.virtualCard}
            data-testid="virtual-card"
            data-index={item.index}
            ref={virtualizer.measureElement}
            style={{ transform: `translateY(${item.start}px)` }}
          >
            <Card {...props} task={tasks[item.index]!} />
          </div>
        ))}
      </div>
    </div>
  );
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameCards(prev: CardsProps, next: CardsProps): boolean {
  return (
    prev.label === next.label &&
    prev.epics === next.epics &&
    prev.slots === next.slots &&
    prev.facts === next.facts &&
    prev.selectedTaskId === next.selectedTaskId &&
    prev.onOpenTask === next.onOpenTask &&
    sameItems(prev.tasks, next.tasks)
  );
}

/**
 * The cards, memoized on their tasks' identities, not on the array: a status change regroups the board into
 * new arrays, and only the two columns the task left and joined render their cards again. Apart from the
 * droppable column, which dnd-kit renders again whenever a drag starts, moves over a column or ends.
 */
const ColumnCards = memo(ColumnCardsInner, sameCards);

/** One kanban column, a drop target for cards. */
export const Column = memo(
  ColumnInner,
  (prev, next) =>
    prev.status === next.status &&
    prev.refusal === next.refusal &&
    prev.awaited === next.awaited &&
    prev.onNewTask === next.onNewTask &&
    prev.onDraftTasks === next.onDraftTasks &&
    sameCards(prev, next),
);
