import { describe, expect, it } from "vitest";
import type { ExecutionPlan } from "./bindings";
import {
  cachedSchedule,
  criticalPathLength,
  ganttLayout,
  gateSegment,
  listSchedule,
  ticks,
  type PlannedSchedule,
  type ScheduleInput,
} from "./gantt";
import { executionPlan, task } from "./test/fixtures";

const t = (id: string, effort: number, depends_on: string[] = [], priority = 0): ScheduleInput => ({ id, effort, depends_on, priority });

/** A seeded PRNG (mulberry32), so the random graphs are the same on every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random DAG: each task depends on up to 3 earlier ones. */
function randomTasks(n: number, seed: number): ScheduleInput[] {
  const next = rng(seed);
  const tasks: ScheduleInput[] = [];
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(next() * 4);
    for (let k = 0; k < count; k++) deps.add(`t${Math.floor(next() * i)}`);
    tasks.push(t(`t${i}`, 5 + Math.floor(next() * 60), [...deps], Math.floor(next() * 3)));
  }
  return tasks;
}

function maxConcurrent(schedule: PlannedSchedule): number {
  const points: [number, number][] = [];
  for (const bar of schedule.bars.values()) {
    if (bar.end === bar.start) continue;
    points.push([bar.start, 1], [bar.end, -1]);
  }
  // Ends before starts at the same instant: a worker freed at t can start another task at t.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, delta] of points) {
    now += delta;
    most = Math.max(most, now);
  }
  return most;
}

function checkInvariants(tasks: ScheduleInput[], workers: number, schedule: PlannedSchedule) {
  expect(schedule.unscheduled).toEqual([]);
  expect(schedule.bars.size).toBe(tasks.length);
  for (const task of tasks) {
    const bar = schedule.bars.get(task.id)!;
    expect(bar.end - bar.start).toBe(task.effort);
    expect(bar.worker).toBeGreaterThanOrEqual(0);
    expect(bar.worker).toBeLessThan(workers);
    for (const dep of task.depends_on) expect(bar.start).toBeGreaterThanOrEqual(schedule.bars.get(dep)!.end);
  }
  expect(maxConcurrent(schedule)).toBeLessThanOrEqual(workers);
  // No two tasks on the same worker overlap.
  const byWorker = new Map<number, { start: number; end: number }[]>();
  for (const bar of schedule.bars.values()) byWorker.set(bar.worker, [...(byWorker.get(bar.worker) ?? []), bar]);
  for (const bars of byWorker.values()) {
    bars.sort((a, b) => a.start - b.start);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.start).toBeGreaterThanOrEqual(bars[i - 1]!.end);
  }
  const total = tasks.reduce((sum, task) => sum + task.effort, 0);
  expect(schedule.makespan).toBeGreaterThanOrEqual(criticalPathLength(tasks));
  expect(schedule.makespan).toBeGreaterThanOrEqual(total / workers);
  expect(schedule.makespan).toBe(Math.max(...[...schedule.bars.values()].map((bar) => bar.end)));
}

describe("listSchedule", () => {
  it("schedules a small graph exactly as the dispatch order says", () => {
    // a(30) → c(30); b(30); d(10). Two workers: a (longest path 60) and b first, then c and d at 30.
    const tasks = [t("a", 30), t("b", 30), t("c", 30, ["a"]), t("d", 10)];
    const schedule = listSchedule(tasks, 2);
    const at = (id: string) => {
      const bar = schedule.bars.get(id)!;
      return [bar.start, bar.end];
    };
    expect(at("a")).toEqual([0, 30]);
    expect(at("b")).toEqual([0, 30]);
    expect(at("c")).toEqual([30, 60]);
    expect(at("d")).toEqual([30, 40]);
    expect(schedule.makespan).toBe(60);
    checkInvariants(tasks, 2, schedule);
  });

  it("runs one task at a time with one worker and puts the longest remaining path first", () => {
    const tasks = [t("short", 5), t("long", 20), t("after", 20, ["short"])];
    const schedule = listSchedule(tasks, 1);
    // `short` heads a 25-minute chain, `long` only 20.
    expect(schedule.bars.get("short")!.start).toBe(0);
    expect(schedule.bars.get("after")!.start).toBe(5);
    expect(schedule.bars.get("long")!.start).toBe(25);
    expect(schedule.makespan).toBe(45);
    checkInvariants(tasks, 1, schedule);
  });

  it("breaks ties by priority, then id", () => {
    const schedule = listSchedule([t("b", 10), t("a", 10), t("c", 10, [], 5)], 1);
    expect([...schedule.bars.values()].sort((x, y) => x.start - y.start).map((bar) => bar.id)).toEqual(["c", "a", "b"]);
  });

  it("never runs two conflicting tasks at once", () => {
    const tasks = [t("a", 10), t("b", 10), t("c", 10)];
    const schedule = listSchedule(tasks, 3, [{ tasks: ["a", "b"] }]);
    const a = schedule.bars.get("a")!;
    const b = schedule.bars.get("b")!;
    expect(a.end <= b.start || b.end <= a.start).toBe(true);
    expect(schedule.makespan).toBe(20);
  });

  it("leaves a dependency cycle (and what waits on it) unscheduled and ignores unknown dependencies", () => {
    const schedule = listSchedule([t("a", 10, ["b"]), t("b", 10, ["a"]), t("c", 10, ["a"]), t("d", 10, ["ghost"])], 2);
    expect(schedule.unscheduled).toEqual(["a", "b", "c"]);
    expect(schedule.bars.get("d")).toMatchObject({ start: 0, end: 10 });
  });

  it.each([
    [40, 1, 1],
    [200, 3, 2],
    [300, 8, 3],
    [120, 32, 4],
  ])("keeps the invariants on a random graph of %i tasks with %i workers (seed %i)", (n, workers, seed) => {
    const tasks = randomTasks(n, seed);
    checkInvariants(tasks, workers, listSchedule(tasks, workers));
  });

  it("is never idle while a task is ready (work-conserving) on a graph without dependencies", () => {
    const tasks = Array.from({ length: 9 }, (_, i) => t(`t${i}`, 10));
    expect(listSchedule(tasks, 3).makespan).toBe(30);
  });

  // Speed is the render benchmark's business (npm run bench:render), not a unit test's.
  it("schedules 1,000 tasks", () => {
    const tasks = randomTasks(1000, 9);
    checkInvariants(tasks, 6, listSchedule(tasks, 6));
  });
});

describe("ganttLayout", () => {
  const plan: ExecutionPlan = executionPlan(
    {
      worktree_assignments: [
        { worktree: "wt-1", task_ids: ["c", "a"], total_effort: 60 },
        { worktree: "wt-2", task_ids: ["b"], total_effort: 30 },
      ],
    },
    { task_count: 4, total_effort: 100 },
  );

  it("groups rows by worktree in planned order, with arrows and actual spans", () => {
    const tasks = [task("a"), task("b"), task("c", { depends_on: ["a"] }), task("d", { effort_minutes: 10 })];
    const layout = ganttLayout(tasks, plan, [{ taskId: "a", start: 0, end: 1200, outcome: "done", gateMs: 0 }]);
    expect(layout.groups.map((g) => g.name)).toEqual(["wt-1", "wt-2", "unassigned"]);
    expect(layout.rows.map((r) => `${r.group}:${r.taskId}`)).toEqual(["wt-1:a", "wt-1:c", "wt-2:b", "unassigned:d"]);
    expect(layout.arrows).toEqual([{ from: "a", to: "c" }]);
    expect(layout.makespan).toBe(60);
    expect(layout.actualSpanMs).toBe(1200);
    expect(layout.rows[0]!.actual?.end).toBe(1200);
    expect(layout.rows[1]!.actual).toBeNull();
    // Rows never overlap.
    for (let i = 1; i < layout.rows.length; i++) expect(layout.rows[i]!.y).toBeGreaterThan(layout.rows[i - 1]!.y);
  });
});

describe("gateSegment", () => {
  const span = { taskId: "a", start: 1_000, end: 5_000, outcome: "done" };

  it("is the last gate_ms of a finished span, kept within it", () => {
    expect(gateSegment({ ...span, gateMs: 1_500 })).toEqual({ start: 3_500, end: 5_000 });
    expect(gateSegment({ ...span, gateMs: 60_000 })).toEqual({ start: 1_000, end: 5_000 });
  });

  it("is none without gate time, or while the task runs", () => {
    expect(gateSegment({ ...span, gateMs: 0 })).toBeNull();
    expect(gateSegment({ ...span, end: null, gateMs: 1_500 })).toBeNull();
  });
});

describe("cachedSchedule", () => {
  it("reuses the schedule across status changes and recomputes when an effort or dependency changes", () => {
    const conflicts: { tasks: string[] }[] = [];
    const tasks = [task("a"), task("b", { depends_on: ["a"] })];
    const first = cachedSchedule(tasks, 2, conflicts);
    expect(cachedSchedule([task("a", { status: "done" }), task("b", { depends_on: ["a"] })], 2, conflicts)).toBe(first);
    const longer = cachedSchedule([task("a", { effort_minutes: 50 }), task("b", { depends_on: ["a"] })], 2, conflicts);
    expect(longer).not.toBe(first);
    expect(longer.makespan).toBe(80);
    const freed = cachedSchedule([task("a", { effort_minutes: 50 }), task("b")], 2, conflicts);
    expect(freed.makespan).toBe(50);
    expect(cachedSchedule([task("a", { effort_minutes: 50 }), task("b")], 1, conflicts).makespan).toBe(80);
  });
});

describe("ticks", () => {
  it("gives round steps covering the range", () => {
    expect(ticks(60, 6)).toEqual([0, 10, 20, 30, 40, 50, 60]);
    expect(ticks(45, 4)).toEqual([0, 20, 40]);
    expect(ticks(0)).toEqual([0]);
  });
});

describe("listSchedule with the merge gate", () => {
  const job = (id: string, effort: number, depends_on: string[] = []) => ({ id, effort, depends_on });

  it("frees a worker when its agent is done and counts a task done once it landed", () => {
    const independent = Array.from({ length: 20 }, (_, i) => job(`t${i}`, 10));
    expect(listSchedule(independent, 4).makespan).toBe(50);
    // Agents keep working while the gate tests: the last wave lands one test run after it ends.
    const gated = listSchedule(independent, 4, [], 10);
    expect(gated.makespan).toBe(60);
    expect(gated.bars.get("t0")).toMatchObject({ start: 0, end: 10, landed: 20 });
    // A dependent starts once its dependency landed.
    const chain = listSchedule([job("a", 10), job("b", 10, ["a"])], 2, [], 5);
    expect(chain.bars.get("b")).toMatchObject({ start: 15, end: 25, landed: 30 });
    expect(chain.makespan).toBe(30);
    // One worker keeps its slot until the landing, as a sequential run does.
    const one = listSchedule([job("a", 10), job("b", 10)], 1, [], 5);
    expect(one.bars.get("b")).toMatchObject({ start: 15 });
    // Tasks sharing a file wait for each other's landing.
    const shared = listSchedule([job("a", 10), job("b", 10)], 2, [{ tasks: ["a", "b"] }], 5);
    expect(shared.bars.get("b")).toMatchObject({ start: 15 });
  });
});
