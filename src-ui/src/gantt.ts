// The plan's timeline, computed in the window: a dynamic list schedule of the tasks (the core's `Scheduler`
// rules, untuned) and the rows, bars and arrows of the Gantt view. Pure, so it is tested without a window.
import type { ExecutionPlan, RunReport, Task } from "./bindings";

export type ScheduleInput = {
  id: string;
  /** Duration in (virtual) minutes; negative or non-finite counts as 0. */
  effort: number;
  depends_on: readonly string[];
  priority?: number;
};

/** Tasks predicted to conflict (the plan's `ConflictGroup`): no two of them run at the same time. */
export type ConflictGroupInput = { tasks: readonly string[] };

/**
 * A task's planned place: its agent works from `start` to `end` on `worker`; it has landed at `landed` (after its
 * test run at the merge gate; `end` when the gate's time is not known).
 */
export type PlannedBar = { id: string; start: number; end: number; worker: number; landed: number };

export type PlannedSchedule = {
  /** By task id. */
  bars: Map<string, PlannedBar>;
  makespan: number;
  /** Tasks never started: on a dependency cycle, or behind one. */
  unscheduled: string[];
};

/**
 * Dynamic list scheduling, as the core's `Scheduler` does it before tuning: a task starts as soon as all its
 * dependencies are done and one of `workers` workers is free, never alongside a task it is predicted to
 * conflict with; ready tasks go in dispatch order (longest remaining critical path, then higher priority, then
 * id). Dependencies on unknown ids are ignored. Conflicts come as the plan's groups (any two tasks of a group
 * conflict), so thousands of tasks sharing one file cost one group, not millions of pairs. O(n · (n + groups)) at
 * worst, fine for thousands of tasks.
 */
export function listSchedule(
  tasks: readonly ScheduleInput[],
  workers: number,
  conflicts: readonly ConflictGroupInput[] = [],
  gateMinutes = 0,
): PlannedSchedule {
  // The merge gate, as the core's run loop sees it: a worker takes its next task as soon as its agent is done (with
  // one worker, only once the work landed); a task is done (its dependents may start, tasks sharing its files may
  // run) once it landed, `gate` after its agent ended.
  const gate = Number.isFinite(gateMinutes) && gateMinutes > 0 ? gateMinutes : 0;
  const n = tasks.length;
  const index = new Map<string, number>();
  tasks.forEach((task, i) => index.set(task.id, i));
  const effort = tasks.map((task) => (Number.isFinite(task.effort) && task.effort > 0 ? task.effort : 0));
  const deps: number[][] = tasks.map((task) => {
    const seen = new Set<number>();
    for (const dep of task.depends_on) {
      const d = index.get(dep);
      if (d !== undefined && d !== index.get(task.id)) seen.add(d);
    }
    return [...seen];
  });
  const dependents: number[][] = tasks.map(() => []);
  deps.forEach((ds, t) => ds.forEach((d) => dependents[d]!.push(t)));
  // Each task's conflict groups (those with at least two known members).
  const groupsOf: number[][] = tasks.map(() => []);
  conflicts.forEach((group, g) => {
    const members = [...new Set(group.tasks.map((id) => index.get(id)).filter((t) => t !== undefined))];
    if (members.length > 1) for (const t of members) groupsOf[t]!.push(g);
  });
  const busy = new Array<number>(conflicts.length).fill(0); // running members per group
  const blocked = (t: number) => groupsOf[t]!.some((g) => busy[g]! > 0);

  // Remaining critical path (own effort + the longest chain of dependents), in reverse topological order.
  const rank = new Array<number>(n).fill(0);
  const pending = deps.map((ds) => ds.length);
  const topo: number[] = [];
  for (let t = 0; t < n; t++) if (pending[t] === 0) topo.push(t);
  for (let i = 0; i < topo.length; i++) {
    for (const u of dependents[topo[i]!]!) if (--pending[u]! === 0) topo.push(u);
  }
  for (let i = topo.length - 1; i >= 0; i--) {
    const t = topo[i]!;
    let longest = 0;
    for (const u of dependents[t]!) longest = Math.max(longest, rank[u]!);
    rank[t] = effort[t]! + longest;
  }
  const order = topo.slice().sort((x, y) => {
    const byRank = rank[y]! - rank[x]!;
    if (byRank !== 0) return byRank;
    const byPriority = (tasks[y]!.priority ?? 0) - (tasks[x]!.priority ?? 0);
    if (byPriority !== 0) return byPriority;
    const a = tasks[x]!.id;
    const b = tasks[y]!.id;
    return a < b ? -1 : a > b ? 1 : 0;
  });

  const pos = new Array<number>(n).fill(0);
  order.forEach((t, i) => (pos[t] = i));

  const slots = Math.max(1, Math.floor(Number.isFinite(workers) ? workers : 1));
  const freeWorkers: number[] = [];
  for (let w = slots - 1; w >= 0; w--) freeWorkers.push(w); // pop() gives the lowest
  const depsLeft = deps.map((ds) => ds.length);
  const started = new Array<boolean>(n).fill(false);
  // Agents at work (`end`: they free their worker) and tasks at the gate (`end`: they landed).
  const running: { t: number; end: number; worker: number; landing: boolean }[] = [];
  const bars = new Map<string, PlannedBar>();
  let ready = order.filter((t) => depsLeft[t] === 0);
  let now = 0;
  let makespan = 0;

  for (;;) {
    // Start what can start now, in dispatch order.
    if (freeWorkers.length > 0 && ready.length > 0) {
      const left: number[] = [];
      for (const t of ready) {
        if (freeWorkers.length === 0 || blocked(t)) {
          left.push(t);
          continue;
        }
        const worker = freeWorkers.pop()!;
        started[t] = true;
        const end = now + effort[t]!;
        running.push({ t, end, worker, landing: false });
        bars.set(tasks[t]!.id, { id: tasks[t]!.id, start: now, end, worker, landed: end + gate });
        makespan = Math.max(makespan, end + gate);
        for (const g of groupsOf[t]!) busy[g]!++;
      }
      ready = left;
    }
    if (running.length === 0) break;
    // Finish every task ending first.
    let next = Infinity;
    for (const r of running) next = Math.min(next, r.end);
    now = next;
    const finished: number[] = [];
    const sequential = slots === 1;
    for (let i = running.length - 1; i >= 0; i--) {
      const r = running[i]!;
      if (r.end !== now) continue;
      running.splice(i, 1);
      if (!r.landing && gate > 0) {
        // The agent is done; its work goes to the gate (its worker is free, unless the run is one at a time).
        if (!sequential) freeWorkers.push(r.worker);
        running.push({ t: r.t, end: now + gate, worker: r.worker, landing: true });
        continue;
      }
      if (!r.landing || sequential) freeWorkers.push(r.worker);
      finished.push(r.t);
      for (const g of groupsOf[r.t]!) busy[g]!--;
    }
    freeWorkers.sort((a, b) => b - a);
    let added = false;
    for (const t of finished) {
      for (const u of dependents[t]!) {
        if (--depsLeft[u]! === 0 && !started[u]) {
          ready.push(u);
          added = true;
        }
      }
    }
    if (added) ready.sort((a, b) => pos[a]! - pos[b]!);
  }

  const unscheduled = tasks.filter((task) => !bars.has(task.id)).map((task) => task.id);
  return { bars, makespan, unscheduled };
}

/** The last schedule `cachedSchedule` computed, with what it was computed from. */
let lastSchedule: { key: string; conflicts: readonly ConflictGroupInput[]; schedule: PlannedSchedule } | null = null;

/**
 * `listSchedule` of the tasks, reused while their ids, efforts, priorities and dependencies, the worker count and
 * the conflicts (by identity) stay the same: a status change in a live run does not reschedule. O(n) per call.
 */
export function cachedSchedule(
  tasks: readonly Task[],
  workers: number,
  conflicts: readonly ConflictGroupInput[],
  gateMinutes = 0,
): PlannedSchedule {
  let key = `${workers}/${gateMinutes}`;
  for (const t of tasks) key += `\n${t.id}\t${t.effort_minutes}\t${t.priority}\t${t.depends_on.join(",")}`;
  if (lastSchedule !== null && lastSchedule.key === key && lastSchedule.conflicts === conflicts) return lastSchedule.schedule;
  const schedule = listSchedule(
    tasks.map((t) => ({ id: t.id, effort: t.effort_minutes, depends_on: t.depends_on, priority: t.priority })),
    workers,
    conflicts,
    gateMinutes,
  );
  lastSchedule = { key, conflicts, schedule };
  return schedule;
}

/** The longest dependency chain by effort (ignores cycles and unknown ids). */
export function criticalPathLength(tasks: readonly ScheduleInput[]): number {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const memo = new Map<string, number>();
  const visiting = new Set<string>();
  const length = (id: string): number => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const task = byId.get(id);
    if (task === undefined || visiting.has(id)) return 0;
    visiting.add(id);
    let longest = 0;
    for (const dep of task.depends_on) longest = Math.max(longest, length(dep));
    visiting.delete(id);
    const own = Number.isFinite(task.effort) && task.effort > 0 ? task.effort : 0;
    memo.set(id, own + longest);
    return own + longest;
  };
  let best = 0;
  for (const task of tasks) best = Math.max(best, length(task.id));
  return best;
}

// ---- Layout ----

export type ActualSpan = {
  taskId: string;
  start: number;
  end: number | null;
  outcome: string | null;
  /** The last `gateMs` before `end` were spent at the merge gate (0: none, or not known, as in a live run). */
  gateMs: number;
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

const NO_CONFLICTS: readonly ConflictGroupInput[] = [];

export const ROW_HEIGHT = 18;
export const GROUP_HEADER = 20;

/** Actual spans from a run report, or from the live timeline when there is no report. */
export function actualFromReport(report: RunReport | null): ActualSpan[] {
  if (report === null) return [];
  return report.tasks.map((t) => ({
    taskId: t.task_id,
    start: t.started_ms,
    end: t.ended_ms,
    outcome: t.outcome,
    gateMs: t.gate_ms,
  }));
}

/** The part of a finished span spent at the merge gate (its last `gateMs`, within the span), or null when none. */
export function gateSegment(span: ActualSpan): { start: number; end: number } | null {
  if (span.end === null || !(span.gateMs > 0)) return null;
  return { start: Math.min(span.end, Math.max(span.start, span.end - span.gateMs)), end: span.end };
}

/**
 * Rows grouped by the plan's worktree assignments (tasks the plan does not assign go last, under `unassigned`),
 * each with its planned bar (from `listSchedule` with the plan's workers) and its actual span if any.
 */
export function ganttLayout(tasks: readonly Task[], plan: ExecutionPlan | null, actual: readonly ActualSpan[]): GanttLayout {
  const workers = Math.max(1, plan?.stats.workers ?? plan?.worktree_assignments.length ?? 1);
  const schedule = cachedSchedule(tasks, workers, plan?.conflict_groups ?? NO_CONFLICTS, plan?.stats.gate_minutes ?? 0);
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

/** About `target` round tick values from 0 to `max` (1, 2, 5 × 10^k steps). */
export function ticks(max: number, target = 8): number[] {
  if (!Number.isFinite(max) || max <= 0) return [0];
  const raw = max / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}
