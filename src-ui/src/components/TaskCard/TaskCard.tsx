import { useDraggable } from "@dnd-kit/core";
import { memo, useCallback, type CSSProperties } from "react";
import type { Epic, Task } from "../../bindings";
import { epicHue, formatEffort } from "../../board";
import { agentLabel, conflictFlag, formatSpent, type CardFacts } from "../../cardFacts";
import { cx } from "../../classNames";
import { useNow } from "../../clock";
import type { DragItem } from "../../dragDrop";
import { formatCost } from "../../runStore";
import { PinMark } from "../PinMark/PinMark";
import styles from "./TaskCard.module.css";

type ContentProps = CardFacts & {
  task: Task;
  epic: Epic | undefined;
  /** Its log pane is open. */
  selected?: boolean;
  /** Opens the task's log pane; without it the title is plain text (the drag preview). */
  onOpen?: ((taskId: string) => void) | undefined;
};

type Props = ContentProps & {
  /** The name of the column it is in, for screen readers. */
  columnLabel: string;
};

/** What a card shows; memoized apart from the draggable shell, which dnd-kit renders again on every drag. */
function CardContentInner({
  task,
  epic,
  worktree,
  running,
  pinned,
  agent,
  conflict,
  spentMs,
  since,
  activity,
  selected = false,
  onOpen,
}: ContentProps) {
  const needsReview = task.status === "review" && task.review_reason !== null;
  const flag = conflictFlag(task.conflict_warning, conflict);
  return (
    <>
      <header className={styles.cardHead}>
        <span className="card-id">{task.id}</span>
        {worktree !== undefined && (
          <span
            className={cx(styles.cardWorktree, running && styles.running)}
            data-testid="card-worktree"
            data-source={running ? "run" : "plan"}
            title={running ? "Running in this worktree" : pinned ? "Pinned to this worktree by hand" : "Planned worktree"}
          >
            {pinned && <PinMark />}
            {worktree}
          </span>
        )}
        {task.effort_minutes > 0 && <span className={styles.cardEffort}>{formatEffort(task.effort_minutes)}</span>}
      </header>
      <h3 className={styles.cardTitle} data-testid="task-title">
        {onOpen === undefined ? (
          task.title
        ) : (
          // Stretched over the whole card (CSS): a click anywhere opens the task's log pane.
          <button type="button" className={styles.cardOpen} aria-expanded={selected} onClick={() => onOpen(task.id)}>
            {task.title}
          </button>
        )}
      </h3>
      {(epic !== undefined || task.epic !== null) && <EpicChip id={task.epic ?? ""} title={epic?.title ?? task.epic ?? ""} />}
      {task.depends_on.length > 0 && (
        <p className={styles.cardDeps} data-testid="card-deps">
          <span className={styles.cardDepsLabel}>after:</span> {task.depends_on.join(", ")}
        </p>
      )}
      {activity !== undefined && (
        <p className={styles.cardActivity} data-testid="card-activity" title={activity}>
          {activity}
        </p>
      )}
      {(agent !== undefined || flag !== null || spentMs !== undefined || task.cost_usd !== null) && (
        <p className={styles.cardFacts}>
          {agent !== undefined && (
            <span className={styles.cardAgent} data-testid="card-agent" data-agent={agent}>
              {agentLabel(agent)}
            </span>
          )}
          {flag !== null && (
            <span className={styles.cardConflict} data-testid="card-conflict" data-source={flag.source} title={flag.title}>
              ⚠ {flag.label}
            </span>
          )}
          {spentMs !== undefined &&
            (since === null ? (
              <span className={styles.cardTime} data-testid="card-time" title="Time spent">
                {formatSpent(spentMs, false)}
              </span>
            ) : (
              <LiveTime spentMs={spentMs} since={since} />
            ))}
          {task.cost_usd !== null && (
            <span className={styles.cardCost} data-testid="card-cost" title="What its agent sessions cost">
              {formatCost(task.cost_usd)}
            </span>
          )}
        </p>
      )}
      {needsReview && (
        <p className={cx("card-review", styles.cardReview)} data-testid="card-review" title={task.review_reason ?? undefined}>
          {task.review_reason}
        </p>
      )}
    </>
  );
}

/** The time of a running task, ticking once a second (only running cards mount it). */
function LiveTime({ spentMs, since }: { spentMs: number; since: number }) {
  const now = useNow();
  return (
    <span className={cx(styles.cardTime, styles.live)} data-testid="card-time" title="Time spent (running)">
      {formatSpent(spentMs + Math.max(0, now - since), true)}
    </span>
  );
}

function EpicChip({ id, title }: { id: string; title: string }) {
  const style = { "--chip-hue": epicHue(id) } as CSSProperties;
  return (
    <span className={styles.chip} style={style} data-testid="epic-chip">
      {title}
    </span>
  );
}

const CardContent = memo(CardContentInner);

const DRAG_ATTRIBUTES = { role: "group", roleDescription: "draggable task" } as const;

function TaskCardInner({ columnLabel, ...content }: Props) {
  const { task, selected = false } = content;
  const data: DragItem = { label: `task “${task.title}”`, home: task.status, homeLabel: columnLabel };
  const { setNodeRef, setActivatorNodeRef, attributes, listeners, isDragging } = useDraggable({
    id: task.id,
    data,
    attributes: DRAG_ATTRIBUTES,
  });
  // The card itself picks up from the keyboard; Space or Enter on its title button still opens the log.
  const ref = useCallback(
    (node: HTMLElement | null) => {
      setNodeRef(node);
      setActivatorNodeRef(node);
    },
    [setNodeRef, setActivatorNodeRef],
  );
  return (
    <article
      ref={ref}
      {...attributes}
      {...listeners}
      className={cx(styles.card, selected && styles.selected, isDragging && styles.dragging)}
      aria-label={`${task.title} (${task.id})`}
      data-testid="task-card"
      data-task-id={task.id}
      data-status={task.status}
      title={task.description || undefined}
    >
      <CardContent {...content} />
    </article>
  );
}

/** One task, draggable to another column (the whole card is the handle; a click still opens its log). */
export const TaskCard = memo(TaskCardInner);

/** The card shown under the pointer while it is dragged. */
export function TaskCardPreview(props: ContentProps) {
  return (
    <article className={cx(styles.card, styles.preview)} aria-hidden="true">
      <CardContent {...props} onOpen={undefined} />
    </article>
  );
}
