import { memo } from "react";
import type { Epic, Task, TaskStatus } from "../bindings";
import { TaskCard } from "./TaskCard";

type Props = {
  status: TaskStatus;
  label: string;
  tasks: readonly Task[];
  epics: ReadonlyMap<string, Epic>;
};

function ColumnInner({ status, label, tasks, epics }: Props) {
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
            <TaskCard key={task.id} task={task} epic={task.epic === null ? undefined : epics.get(task.epic)} />
          ))
        )}
      </div>
    </section>
  );
}

export const Column = memo(ColumnInner);
