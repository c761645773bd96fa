import { memo, type CSSProperties } from "react";
import type { Epic, Task } from "../bindings";
import { epicHue, formatEffort } from "../board";

type Props = { task: Task; epic: Epic | undefined };

function TaskCardInner({ task, epic }: Props) {
  const needsReview = task.status === "review" && task.review_reason !== null;
  return (
    <article className="card" data-testid="task-card" data-task-id={task.id} title={task.description || undefined}>
      <header className="card-head">
        <span className="card-id">{task.id}</span>
        {task.effort_minutes > 0 && <span className="card-effort">{formatEffort(task.effort_minutes)}</span>}
      </header>
      <h3 className="card-title" data-testid="task-title">
        {task.title}
      </h3>
      {(epic !== undefined || task.epic !== null) && (
        <EpicChip id={task.epic ?? ""} title={epic?.title ?? task.epic ?? ""} />
      )}
      {task.depends_on.length > 0 && (
        <p className="card-deps">
          <span className="card-deps-label">after:</span> {task.depends_on.join(", ")}
        </p>
      )}
      {needsReview && <p className="card-review">{task.review_reason}</p>}
    </article>
  );
}

function EpicChip({ id, title }: { id: string; title: string }) {
  const style = { "--chip-hue": epicHue(id) } as CSSProperties;
  return (
    <span className="chip" style={style} data-testid="epic-chip">
      {title}
    </span>
  );
}

/** One task. Memoized: a board re-render leaves unchanged cards alone. */
export const TaskCard = memo(TaskCardInner);
