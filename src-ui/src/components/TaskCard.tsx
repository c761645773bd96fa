import { memo, type CSSProperties } from "react";
import type { Epic, Task } from "../bindings";
import { epicHue, formatEffort, slotName } from "../board";

type Props = {
  task: Task;
  epic: Epic | undefined;
  /** The worker slot (0-based) while the task runs. */
  slot?: number | undefined;
  /** Its log pane is open. */
  selected?: boolean;
  onOpen?: ((taskId: string) => void) | undefined;
};

function TaskCardInner({ task, epic, slot, selected = false, onOpen }: Props) {
  const needsReview = task.status === "review" && task.review_reason !== null;
  const running = task.status === "in_progress" && slot !== undefined;
  return (
    <article
      className={selected ? "card selected" : "card"}
      data-testid="task-card"
      data-task-id={task.id}
      data-status={task.status}
      title={task.description || undefined}
    >
      <header className="card-head">
        <span className="card-id">{task.id}</span>
        {running && (
          <span className="card-slot" data-testid="card-slot" title="Worktree">
            {slotName(slot)}
          </span>
        )}
        {task.effort_minutes > 0 && <span className="card-effort">{formatEffort(task.effort_minutes)}</span>}
      </header>
      <h3 className="card-title" data-testid="task-title">
        {onOpen === undefined ? (
          task.title
        ) : (
          // Stretched over the whole card (CSS): a click anywhere opens the task's log pane.
          <button type="button" className="card-open" aria-expanded={selected} onClick={() => onOpen(task.id)}>
            {task.title}
          </button>
        )}
      </h3>
      {(epic !== undefined || task.epic !== null) && (
        <EpicChip id={task.epic ?? ""} title={epic?.title ?? task.epic ?? ""} />
      )}
      {task.depends_on.length > 0 && (
        <p className="card-deps">
          <span className="card-deps-label">after:</span> {task.depends_on.join(", ")}
        </p>
      )}
      {needsReview && (
        <p className="card-review" data-testid="card-review">
          {task.review_reason}
        </p>
      )}
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
