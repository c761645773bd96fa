// The Gantt view's layout, computed in the window from the core's data: the plan's planned bars (`plan.schedule`,
// simulated by the core as its run loop would go, with the merge gate as measured) grouped by the plan's worktrees,
// each task's actual span, and the dependency arrows. Pure, so it is tested without a window.
import type { ExecutionPlan, PlannedBar, RunReport, Task, TimingSpan } from "./bindings";
import { slotName } from "./board";

// ---- Layout ----

export type ActualSpan = {
  taskId: string;
  start: number;
  end: number | null;
  outcome: string | null;
  /** The last `gateMs` before `end` were spent at the merge gate (0: none, or not known, as in a live run). */
  gateMs: number;
  /** The worktree lane it ran in (`wt-1`), when known. */
  lane: string | null;
};

export type GanttRow = {
  taskId: string;
  title: string;
  /** The worktree group the row is in (`wt-1`, … or `unassigned`). */
  group: string;
  y: number;
  planned: PlannedBar | null;
  actual: ActualSpan | null;
};

export type GanttGroup = { name: string; y: number; height: number };

export type GanttLayout = {
  rows: GanttRow[];
  groups: GanttGroup[];
  /** Arrows from a dependency's planned end to its dependent's planned start. */
  arrows: { from: string; to: string }[];
  makespan: number;
  /** The end of the latest actual bar, in ms (0 without actual times). */
  actualSpanMs: number;
  height: number;
  workers: number;
};

export const ROW_HEIGHT = 18;
export const GROUP_HEADER = 20;

/** Actual spans from a run report; `laneNames` names the worker slot each task ran in. */
export function actualFromReport(report: RunReport | null, laneNames: readonly string[] = []): ActualSpan[] {
  if (report === null) return [];
  return report.tasks.map((t) => ({
    taskId: t.task_id,
    start: t.started_ms,
    end: t.ended_ms,
    outcome: t.outcome,
    gateMs: t.gate_ms,
    lane: slotName(t.slot, laneNames),
  }));
}

/** Actual spans of a live run (no time at the gate known yet). */
export function actualFromTimings(timings: readonly TimingSpan[], laneNames: readonly string[] = []): ActualSpan[] {
  return timings.map((span) => ({
    taskId: span.task_id,
    start: span.start_ms,
    end: span.end_ms,
    outcome: null,
    gateMs: 0,
    lane: span.slot === null ? null : slotName(span.slot, laneNames),
  }));
}

/** Whether a row's task ran in another lane than the plan gave it (`group`). */
export function ranElsewhere(row: Pick<GanttRow, "group" | "actual">): boolean {
  return row.actual?.lane != null && row.actual.lane !== row.group && row.group !== "tasks" && row.group !== "unassigned";
}

/** The part of a finished span spent at the merge gate (its last `gateMs`, within the span), or null when none. */
export function gateSegment(span: ActualSpan): { start: number; end: number } | null {
  if (span.end === null || !(span.gateMs > 0)) return null;
  return { start: Math.min(span.end, Math.max(span.start, span.end - span.gateMs)), end: span.end };
}

/** The plan's planned bars by task, and when the last one has landed (minutes). */
function plannedBars(plan: ExecutionPlan | null): { bars: Map<string, PlannedBar>; makespan: number } {
  const bars = new Map<string, PlannedBar>();
  let makespan = 0;
  for (const bar of plan?.schedule ?? []) {
    bars.set(bar.task_id, bar);
    makespan = Math.max(makespan, bar.landed, bar.end);
  }
  return { bars, makespan };
}

/**
 * Rows grouped by the plan's worktree assignments (tasks the plan does not assign go last, under `unassigned`),
 * each with its planned bar (the core's, `plan.schedule`) and its actual span if any.
 */
export function ganttLayout(tasks: readonly Task[], plan: ExecutionPlan | null, actual: readonly ActualSpan[]): GanttLayout {
  const workers = Math.max(1, plan?.stats.workers ?? plan?.worktree_assignments.length ?? 1);
  const schedule = plannedBars(plan);
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const actualById = new Map<string, ActualSpan>();
  let actualSpanMs = 0;
  for (const span of actual) {
    actualById.set(span.taskId, span); // the last attempt wins
    actualSpanMs = Math.max(actualSpanMs, span.end ?? span.start);
  }

  const placed = new Set<string>();
  const groupsIn: { name: string; ids: string[] }[] = [];
  for (const assignment of plan?.worktree_assignments ?? []) {
    const ids = assignment.task_ids.filter((id) => byId.has(id) && !placed.has(id));
    ids.forEach((id) => placed.add(id));
    groupsIn.push({ name: assignment.worktree, ids });
  }
  const rest = tasks.filter((t) => !placed.has(t.id)).map((t) => t.id);
  if (rest.length > 0) groupsIn.push({ name: plan === null ? "tasks" : "unassigned", ids: rest });

  const rows: GanttRow[] = [];
  const groups: GanttGroup[] = [];
  let y = 0;
  for (const group of groupsIn) {
    const top = y;
    y += GROUP_HEADER;
    // Within a group, in planned order.
    const ids = group.ids
      .slice()
      .sort((a, b) => (schedule.bars.get(a)?.start ?? Infinity) - (schedule.bars.get(b)?.start ?? Infinity));
    for (const id of ids) {
      rows.push({
        taskId: id,
        title: byId.get(id)?.title ?? id,
        group: group.name,
        y,
        planned: schedule.bars.get(id) ?? null,
        actual: actualById.get(id) ?? null,
      });
      y += ROW_HEIGHT;
    }
    groups.push({ name: group.name, y: top, height: y - top });
  }

  const arrows: { from: string; to: string }[] = [];
  for (const task of tasks) {
    if (!schedule.bars.has(task.id)) continue;
    for (const dep of task.depends_on) if (schedule.bars.has(dep)) arrows.push({ from: dep, to: task.id });
  }
  return { rows, groups, arrows, makespan: schedule.makespan, actualSpanMs, height: y, workers };
}

/**
 * The one axis the planned and the actual bars share: each is scaled to the chart's width (the plan to its
 * makespan, the run to its span), so a tick is a share of each: halves, quarters, fifths or tenths, the finest that
 * keeps at least 80 px between two ticks (halves on the narrowest plots).
 */
export function shareTicks(plotWidth: number): number[] {
  const room = Math.floor(plotWidth / 80);
  const parts = [10, 5, 4, 2].find((n) => n <= room) ?? 2;
  return Array.from({ length: parts + 1 }, (_, i) => i / parts);
}

/** What a work of `minutes` becomes on a planned tick (tenths under 10 minutes, whole minutes, hours past two). */
export function plannedTick(minutes: number): string {
  if (minutes >= 120) return `${Math.round(minutes / 6) / 10} h`;
  return minutes < 10 ? `${Math.round(minutes * 10) / 10} min` : `${Math.round(minutes)} min`;
}

