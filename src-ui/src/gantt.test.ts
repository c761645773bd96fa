import { describe, expect, it } from "vitest";
import type { ExecutionPlan } from "./bindings";
import { actualFromReport, actualFromTimings, ganttLayout, gateSegment, plannedTick, ranElsewhere, shareTicks } from "./gantt";
import { report } from "./test/events";
import { executionPlan, task } from "./test/fixtures";

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
  // The core's planned bars (minutes): a then c on worker 0, b beside them; d was not in the plan.
  plan.schedule = [
    { task_id: "a", worker: 0, start: 0, end: 30, landed: 30 },
    { task_id: "b", worker: 1, start: 0, end: 30, landed: 30 },
    { task_id: "c", worker: 0, start: 30, end: 60, landed: 60 },
  ];

  it("groups rows by worktree in planned order, with arrows and actual spans", () => {
    const tasks = [task("a"), task("b"), task("c", { depends_on: ["a"] }), task("d", { effort_minutes: 10 })];
    const layout = ganttLayout(tasks, plan, [{ taskId: "a", start: 0, end: 1200, outcome: "done", gateMs: 0, lane: "wt-2" }]);
    expect(layout.groups.map((g) => g.name)).toEqual(["wt-1", "wt-2", "unassigned"]);
    expect(layout.rows.map((r) => `${r.group}:${r.taskId}`)).toEqual(["wt-1:a", "wt-1:c", "wt-2:b", "unassigned:d"]);
    expect(layout.arrows).toEqual([{ from: "a", to: "c" }]);
    expect(layout.makespan).toBe(60);
    expect(layout.actualSpanMs).toBe(1200);
    expect(layout.rows[0]!.actual?.end).toBe(1200);
    expect(layout.rows[1]!.actual).toBeNull();
    expect(layout.rows.map((r) => r.planned?.start ?? null)).toEqual([0, 30, 0, null]);
    // `a` was planned for wt-1 and ran on wt-2: its row says so.
    expect(layout.rows.map((r) => ranElsewhere(r))).toEqual([true, false, false, false]);
    // Rows never overlap.
    for (let i = 1; i < layout.rows.length; i++) expect(layout.rows[i]!.y).toBeGreaterThan(layout.rows[i - 1]!.y);
  });

  it("has no planned bars without the core's schedule (a plan stored before it, or no plan)", () => {
    const tasks = [task("a"), task("b")];
    const old = ganttLayout(tasks, { ...plan, schedule: [] }, []);
    expect(old.rows.every((r) => r.planned === null)).toBe(true);
    expect(old.makespan).toBe(0);
    const none = ganttLayout(tasks, null, []);
    expect(none.groups.map((g) => g.name)).toEqual(["tasks"]);
    expect(none.rows.every((r) => r.planned === null)).toBe(true);
  });

  it("ends the planned axis at the last landing", () => {
    const gated = { ...plan, schedule: [{ task_id: "a", worker: 0, start: 0, end: 30, landed: 42 }] };
    expect(ganttLayout([task("a")], gated, []).makespan).toBe(42);
  });
});

describe("gateSegment", () => {
  const span = { taskId: "a", start: 1_000, end: 5_000, outcome: "done", lane: null };

  it("is the last gate_ms of a finished span, kept within it", () => {
    expect(gateSegment({ ...span, gateMs: 1_500 })).toEqual({ start: 3_500, end: 5_000 });
    expect(gateSegment({ ...span, gateMs: 60_000 })).toEqual({ start: 1_000, end: 5_000 });
  });

  it("is none without gate time, or while the task runs", () => {
    expect(gateSegment({ ...span, gateMs: 0 })).toBeNull();
    expect(gateSegment({ ...span, end: null, gateMs: 1_500 })).toBeNull();
  });
});

describe("the shared axis", () => {
  it("puts one set of ticks, shares of the width, more where the plot is wider", () => {
    expect(shareTicks(900)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    // 714 px has room for 8: fifths (143 px apart), never tenths 71 px apart.
    expect(shareTicks(714)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(shareTicks(400)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(shareTicks(320)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(shareTicks(100)).toEqual([0, 0.5, 1]);
    for (const width of [160, 240, 320, 400, 480, 560, 640, 720, 799, 800, 1200]) {
      const ticks = shareTicks(width);
      expect((width / (ticks.length - 1)) >= 80 || ticks.length === 3).toBe(true);
    }
  });

  it("names a planned tick in minutes, or hours past two", () => {
    expect(plannedTick(0)).toBe("0 min");
    expect(plannedTick(2.5)).toBe("2.5 min");
    expect(plannedTick(37.4)).toBe("37 min");
    expect(plannedTick(150)).toBe("2.5 h");
  });
});

describe("actual spans", () => {
  it("name the lane each task ran in, from the report or the live timings", () => {
    const finished = report({
      tasks: [{ task_id: "a", slot: 1, started_ms: 0, ended_ms: 10, work_ms: 10, gate_ms: 0, outcome: "done", reason: null }],
    });
    expect(actualFromReport(finished, ["wt-1", "wt-2"])[0]).toMatchObject({ taskId: "a", lane: "wt-2", end: 10 });
    expect(actualFromReport(finished)[0]!.lane).toBe("wt-2");
    const live = actualFromTimings([{ task_id: "b", slot: 0, start_ms: 5, end_ms: null }], ["wt-1"]);
    expect(live[0]).toMatchObject({ taskId: "b", lane: "wt-1", start: 5, end: null, gateMs: 0 });
    expect(actualFromTimings([{ task_id: "c", slot: null, start_ms: 0, end_ms: 1 }])[0]!.lane).toBeNull();
  });
});
