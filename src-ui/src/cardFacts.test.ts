import { describe, expect, it } from "vitest";
import {
  agentLabel,
  agentState,
  busyAgents,
  cardFacts,
  conflictFlag,
  formatSpent,
  parseConflictWarning,
  pinnedTasks,
  planConflicts,
  plannedWorktrees,
  timesSpent,
  type BoardFacts,
} from "./cardFacts";
import { executionPlan, lane, lanes, task } from "./test/fixtures";

describe("plan facts", () => {
  const plan = executionPlan({
    pinned: ["b"],
    conflict_groups: [
      { tasks: ["a", "b", "c"], files: ["src/cart.ts"] },
      { tasks: ["a", "c"], files: ["src/db.ts"] },
    ],
  });

  it("gives each planned task its worktree and knows the pinned ones", () => {
    expect(Object.fromEntries(plannedWorktrees(plan))).toEqual({ a: "wt-1", c: "wt-1", b: "wt-2" });
    expect(plannedWorktrees(null).size).toBe(0);
    expect([...pinnedTasks(plan)]).toEqual(["b"]);
    expect(pinnedTasks(null).size).toBe(0);
  });

  it("gives every member of a conflict group the others and the shared files", () => {
    const conflicts = planConflicts(plan);
    expect(conflicts.get("a")).toEqual({ others: ["b", "c"], count: 2, files: ["src/cart.ts", "src/db.ts"] });
    expect(conflicts.get("b")).toEqual({ others: ["a", "c"], count: 2, files: ["src/cart.ts"] });
    expect(conflicts.get("c")).toEqual({ others: ["a", "b"], count: 2, files: ["src/cart.ts", "src/db.ts"] });
    expect(planConflicts(executionPlan()).size).toBe(0);
  });

  it("names a few of thousands of tasks sharing a file and counts them all", () => {
    const tasks = Array.from({ length: 3000 }, (_, i) => `t${i}`);
    const big = planConflicts(executionPlan({ conflict_groups: [{ tasks, files: ["Cargo.toml"] }] }));
    const t7 = big.get("t7")!;
    expect(t7.others).toEqual(["t0", "t1", "t2", "t3", "t4"]);
    expect(t7.count).toBe(2999);
    expect(conflictFlag("", t7)?.label).toBe("conflicts with 2999 tasks");
  });
});

describe("run facts", () => {
  it("knows the agent of each task a lane is busy with", () => {
    const three = [
      lane(0, { task_id: "a", busy: true, agent: { state: "running" } }),
      lane(1, { task_id: "b", busy: false, agent: { state: "exited", outcome: "succeeded" } }),
      lane(2),
    ];
    expect(Object.fromEntries(busyAgents(three))).toEqual({ a: { state: "running" } });
    expect(busyAgents(lanes(2)).size).toBe(0);
  });

  it("adds up closed spans and keeps the open one's wall-clock start", () => {
    const timings = [
      { task_id: "a", slot: 0, start_ms: 0, end_ms: 3_000 },
      { task_id: "b", slot: 1, start_ms: 500, end_ms: null },
      { task_id: "a", slot: 0, start_ms: 4_000, end_ms: 5_500 },
    ];
    const times = timesSpent(timings, 1_000_000);
    expect(times.get("a")).toEqual({ spentMs: 4_500, since: null });
    expect(times.get("b")).toEqual({ spentMs: 0, since: 1_000_500 });
    expect(timesSpent([], null).size).toBe(0);
  });
});

describe("cardFacts", () => {
  const facts: BoardFacts = {
    worktrees: new Map([
      ["a", "wt-1"],
      ["b", "wt-2"],
      ["d", "wt-1"],
    ]),
    pinned: new Set(["b", "d"]),
    conflicts: new Map([["a", { others: ["b"], count: 1, files: ["x"] }]]),
    agents: new Map([["r", { state: "running" }]]),
    times: new Map([["r", { spentMs: 100, since: 42 }]]),
  };

  it("shows the plan's worktree, with the pin, for a task waiting to run", () => {
    expect(cardFacts(facts, task("b"), undefined)).toEqual({
      worktree: "wt-2",
      running: false,
      pinned: true,
      agent: undefined,
      conflict: undefined,
      spentMs: undefined,
      since: null,
    });
    expect(cardFacts(facts, task("a"), undefined).conflict).toEqual({ others: ["b"], count: 1, files: ["x"] });
  });

  it("shows the running slot, the agent and the time of a running task", () => {
    expect(cardFacts(facts, task("r", { status: "in_progress" }), 2)).toEqual({
      worktree: "wt-3",
      running: true,
      pinned: false,
      agent: { state: "running" },
      conflict: undefined,
      spentMs: 100,
      since: 42,
    });
  });

  it("shows no plan worktree, pin or predicted conflict on a done task", () => {
    const done = cardFacts(facts, task("d", { status: "done" }), undefined);
    expect(done.worktree).toBeUndefined();
    expect(done.pinned).toBe(false);
    expect(cardFacts(facts, task("a", { status: "done" }), undefined).conflict).toBeUndefined();
  });

  it("keeps a done task's time from the core once the run shown is another one", () => {
    // No timing in the run shown (the next run started): the agents' time the core kept for the task.
    expect(cardFacts(facts, task("d", { status: "done", agent_ms: 95_000 }), undefined).spentMs).toBe(95_000);
    // The run shown timed it: its own figure.
    expect(cardFacts(facts, task("r", { status: "done", agent_ms: 95_000 }), undefined).spentMs).toBe(100);
    expect(cardFacts(facts, task("d", { status: "done" }), undefined).spentMs).toBeUndefined();
  });
});

describe("conflictFlag", () => {
  it("reads the run's warning first", () => {
    const warning = JSON.stringify([{ other: { kind: "task", id: "b" }, files: ["src/a.ts", "src/b.ts"] }]);
    expect(conflictFlag(warning, { others: ["c"], count: 1, files: ["x"] })).toEqual({
      source: "run",
      label: "conflict with b",
      title: "b: src/a.ts, src/b.ts",
    });
    expect(conflictFlag(JSON.stringify([{ other: { kind: "target" }, files: ["f"] }]), undefined)?.label).toBe(
      "conflict with the target branch",
    );
  });

  it("names a task called `target` as the task, never as the target branch", () => {
    const warning = JSON.stringify([{ other: { kind: "task", id: "target" }, files: ["f"] }]);
    expect(conflictFlag(warning, undefined)?.label).toBe("conflict with target");
  });

  it("keeps a warning it cannot read as its text", () => {
    expect(conflictFlag("shares src/a.ts with b", undefined)).toEqual({
      source: "run",
      label: "conflict",
      title: "shares src/a.ts with b",
    });
    expect(parseConflictWarning("[1]")).toBeNull();
    expect(parseConflictWarning('{"other":"b"}')).toBeNull();
  });

  it("falls back to the plan's prediction, counting the other tasks", () => {
    expect(conflictFlag(null, { others: ["b"], count: 1, files: ["src/a.ts"] })).toEqual({
      source: "plan",
      label: "conflicts with b",
      title: "Predicted conflict with b on:\nsrc/a.ts",
    });
    expect(conflictFlag("", { others: ["b", "c"], count: 2, files: ["x", "y"] })?.label).toBe("conflicts with 2 tasks");
    expect(conflictFlag(null, undefined)).toBeNull();
  });
});

describe("labels", () => {
  it("names the agent's state", () => {
    expect(agentLabel({ state: "idle" })).toBe("agent starting");
    expect(agentLabel({ state: "running" })).toBe("agent running");
    expect(agentLabel({ state: "exited", outcome: "timed_out" })).toBe("agent timed out");
  });

  it("puts the agent's state in one word", () => {
    expect(agentState({ state: "idle" })).toBe("idle");
    expect(agentState({ state: "running" })).toBe("running");
    expect(agentState({ state: "exited", outcome: "no_changes" })).toBe("no_changes");
  });

  it("formats a ticking time in whole seconds and a closed one like the report", () => {
    expect(formatSpent(12_400, true)).toBe("12 s");
    expect(formatSpent(12_400, false)).toBe("12.4 s");
    expect(formatSpent(185_000, true)).toBe("3 min 5 s");
  });
});
