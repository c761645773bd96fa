import { memo, useMemo } from "react";
import type { ExecutionPlan, Task } from "../bindings";
import { slotName } from "../board";
import type { Lane, LaneMerge } from "../runStore";

type Props = {
  tasks: readonly Task[];
  plan: ExecutionPlan | null;
  lanes: readonly Lane[];
  /** The run's worker count, when a run was seen. */
  workers: number | null;
  onOpenTask?: (taskId: string) => void;
};

const MERGE_LABEL: Record<LaneMerge, string> = {
  none: "not merged yet",
  testing: "tests running",
  clean: "merged clean",
  failed: "tests failed",
  conflict: "conflict",
  nothing: "nothing to merge",
  error: "merge error",
};

/** Tasks shown per lane queue before "+N more". */
const QUEUE_SHOWN = 12;

/** How many lanes to show: the plan's worktrees, the run's workers or the slots seen, whichever is most. */
export function laneCount(plan: ExecutionPlan | null, workers: number | null, lanes: readonly Lane[]): number {
  return Math.max(plan?.worktree_assignments.length ?? 0, workers ?? 0, lanes.length);
}

function LanesViewInner({ tasks, plan, lanes, workers, onOpenTask }: Props) {
  const titles = useMemo(() => new Map(tasks.map((task) => [task.id, task] as const)), [tasks]);
  const queues = useMemo(() => {
    const byName = new Map<string, string[]>();
    for (const assignment of plan?.worktree_assignments ?? []) byName.set(assignment.worktree, assignment.task_ids);
    return byName;
  }, [plan]);
  const count = laneCount(plan, workers, lanes);
  if (count === 0) {
    return (
      <div className="lanes lanes-empty" data-testid="lanes">
        <p className="view-empty" data-testid="lanes-empty">
          No worktrees yet. Build a plan or start a run to see one lane per worktree.
        </p>
      </div>
    );
  }
  const rows = [];
  for (let slot = 0; slot < count; slot++) {
    const name = slotName(slot);
    const lane = lanes[slot];
    const queue = queues.get(name) ?? [];
    const current = lane?.taskId != null ? titles.get(lane.taskId) : undefined;
    const merge = lane?.merge ?? "none";
    rows.push(
      <section key={slot} className="lane" data-testid="lane" data-slot={slot} data-busy={lane?.busy ?? false} aria-label={`Worktree ${name}`}>
        <header className="lane-head">
          <span className="lane-name">{name}</span>
          <span className="branch lane-branch" title="Branch" data-testid="lane-branch">
            {lane?.branch ?? "no branch yet"}
          </span>
        </header>
        <dl className="lane-facts">
          <div>
            <dt>Task</dt>
            <dd data-testid="lane-task">
              {lane?.taskId == null ? (
                <span className="muted">idle</span>
              ) : (
                <button type="button" className="link-button" onClick={() => onOpenTask?.(lane.taskId!)}>
                  {current?.title ?? lane.taskId}
                  {!lane.busy && <span className="muted"> (last)</span>}
                </button>
              )}
            </dd>
          </div>
          <div>
            <dt>Agent</dt>
            <dd className="lane-agent" data-testid="lane-agent" data-agent={lane?.agent ?? "idle"}>
              {(lane?.agent ?? "idle").replace(/_/g, " ")}
            </dd>
          </div>
          <div>
            <dt>Merge</dt>
            <dd className="lane-merge" data-testid="lane-merge" data-merge={merge} title={lane?.mergeDetail ?? undefined}>
              {MERGE_LABEL[merge]}
            </dd>
          </div>
        </dl>
        <div className="lane-queue" data-testid="lane-queue">
          <span className="lane-queue-label">Planned ({queue.length})</span>
          <ol>
            {queue.slice(0, QUEUE_SHOWN).map((id) => {
              const task = titles.get(id);
              return (
                <li key={id} className="lane-chip" data-status={task?.status ?? "backlog"} title={task?.title ?? id}>
                  {id}
                </li>
              );
            })}
            {queue.length > QUEUE_SHOWN && <li className="lane-chip more">+{queue.length - QUEUE_SHOWN} more</li>}
          </ol>
        </div>
      </section>,
    );
  }
  return (
    <div className="lanes" data-testid="lanes">
      {rows}
    </div>
  );
}

/** One swimlane per worker slot: its branch, task, agent and merge state, and the tasks the plan gave it. */
export const LanesView = memo(LanesViewInner);
