import { memo } from "react";
import type { Epic, Task, TaskStatus } from "../bindings";
import { TaskCard } from "./TaskCard";

type Props = {
  status: TaskStatus;
  label: string;
  tasks: readonly Task[];
  epics: ReadonlyMap<string, Epic>;
  /** Worker slots of running tasks (only the In Progress column gets them). */
  slots: Readonly<Record<string, number>>;
  /** The task whose log pane is open, when it is in this column. */
  selectedTaskId: string | null;
  onOpenTask?: ((taskId: string) => void) | undefined;
};

function ColumnInner({ status, label, tasks, epics, slots, selectedTaskId, onOpenTask }: Props) {
  const headingId = `column-heading-${status}`;
  return (
    <section className={`column column-${status}`} data-testid={`column-${status}`} aria-labelledby={headingId}>
      <header className="column-head">
        <h2 id={headingId}>{label}</h2>
        <span className="count" data-testid="column-count" aria-label={`${tasks.length} tasks`}>
          {tasks.length}
        </span>
      </header>
      <div className="column-body">
        {tasks.length === 0 ? (
          <p className="column-empty">No tasks</p>
        ) : (
          tasks.map((task) => (
            <TaskCard
              key={task.id}
              task={task}
              epic={task.epic === null ? undefined : epics.get(task.epic)}
              slot={slots[task.id]}
              selected={task.id === selectedTaskId}
              onOpen={onOpenTask}
            />
          ))
        )}
      </div>
    </section>
  );
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Memoized on its tasks' identities, not on the array: a status change regroups the board into new arrays,
 * and only the two columns the task left and joined render again.
 */
export const Column = memo(
  ColumnInner,
  (prev, next) =>
    prev.status === next.status &&
    prev.label === next.label &&
    prev.epics === next.epics &&
    prev.slots === next.slots &&
    prev.selectedTaskId === next.selectedTaskId &&
    prev.onOpenTask === next.onOpenTask &&
    sameItems(prev.tasks, next.tasks),
);
