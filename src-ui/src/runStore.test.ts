import { describe, expect, it } from "vitest";
import type { Entry, Event } from "./bindings";
import { groupByStatus } from "./board";
import { board, runStarted, task } from "./test/fixtures";
import { report } from "./test/events";
import {
  EMPTY_GATE,
  GATE_RECENT_KEPT,
  LOG_LINES_KEPT,
  LogStore,
  applyTaskStatus,
  eventLogItems,
  formatCost,
  targetMovedText,
  headline,
  type LogItem,
  initialLiveState,
  isRelevant,
  liveReducer,
  progress,
  reuseUnchanged,
  timingSpans,
  type LiveAction,
  type LiveState,
} from "./runStore";

function run(state: LiveState, ...actions: LiveAction[]): LiveState {
  return actions.reduce(liveReducer, state);
}

const ev = (event: Event): LiveAction => ({ kind: "event", event });
const said = (text: string): Entry => ({ kind: "text", tool: null, text, is_error: false });

const started = runStarted();

function loaded(): LiveState {
  const b = board([task("a"), task("b"), task("c", { status: "done" })]);
  return run(initialLiveState(), { kind: "board_loaded", projectId: "p1", board: b });
}

function columnIds(state: LiveState) {
  const groups = groupByStatus(state.board!.tasks);
  return Object.fromEntries(Object.entries(groups).map(([status, tasks]) => [status, tasks.map((t) => t.id)]));
}

describe("liveReducer", () => {
  it("moves a task to its new column on task_status_changed and tracks its worker slot", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started));
    expect(state.phase).toBe("running");
    expect(state.runId).toBe("r1");

    state = run(state, ev({ type: "task_status_changed", run_id: "r1", task_id: "a", status: "in_progress", reason: null, slot: 1 }));
    expect(columnIds(state)).toEqual({ backlog: ["b"], in_progress: ["a"], review: [], done: ["c"] });
    expect(state.slots).toEqual({ a: 1 });

    state = run(
      state,
      ev({ type: "task_status_changed", run_id: "r1", task_id: "a", status: "review", reason: "merge conflict in src/cart.ts", slot: null }),
    );
    expect(columnIds(state)).toEqual({ backlog: ["b"], in_progress: [], review: ["a"], done: ["c"] });
    expect(state.board!.tasks[0]!.review_reason).toBe("merge conflict in src/cart.ts");
    expect(state.slots).toEqual({});
    expect(progress(state.board)).toEqual({ done: 1, total: 3 });
  });

  it("keeps the unchanged tasks' identities, so their cards do not render again", () => {
    const before = loaded().board!;
    const after = applyTaskStatus(before, "b", "done", null);
    expect(after).not.toBe(before);
    expect(after.tasks[0]).toBe(before.tasks[0]);
    expect(after.tasks[2]).toBe(before.tasks[2]);
    expect(after.tasks[1]).toMatchObject({ id: "b", status: "done" });
    expect(applyTaskStatus(after, "b", "done", null)).toBe(after);
    expect(applyTaskStatus(after, "nope", "done", null)).toBe(after);
  });

  it("stores the report and the final status on run_finished", () => {
    const r = report({ status: "cancelled", merge_success_rate: 0.5 });
    const state = run(
      loaded(),
      { kind: "start_requested", projectId: "p1" },
      ev(started),
      ev({ type: "worktree_created", run_id: "r1", task_id: "a", slot: 0, branch: "yokeflow/a", path: "/wt/a", reattached: false }),
      { kind: "cancel_requested", projectId: "p1" },
      ev({ type: "run_finished", run_id: "r1", status: "cancelled", report: r }),
    );
    expect(state.phase).toBe("cancelled");
    expect(state.report).toBe(r);
    expect(state.slots).toEqual({});
    expect(state.cancelling).toBe(false);
    expect(run(state, { kind: "dismiss_report", projectId: "p1" }).report).toBeNull();
  });

  it("ignores the events of another project's run", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" });
    state = run(state, ev({ ...started, run_id: "other", project_id: "p2" }));
    expect(state.phase).toBe("starting");
    const moved = run(state, ev({ type: "task_status_changed", run_id: "other", task_id: "a", status: "done", reason: null, slot: null }));
    expect(moved.board).toBe(state.board);
    const finished = run(state, ev({ type: "run_finished", run_id: "other", status: "finished", report: report() }));
    expect(finished.phase).toBe("starting");
    expect(finished.report).toBeNull();
  });

  it("follows a run found through run_state before its run_started was seen", () => {
    let state = run(loaded(), { kind: "state_loaded", projectId: "p1", active: true, paused: true });
    expect(state.phase).toBe("paused");
    expect(isRelevant(state, { type: "agent_transcript", run_id: "r7", task_id: "a", session_id: "s", entries: [said("x")] })).toBe(true);
    state = run(state, ev({ type: "run_resumed", run_id: "r7" }));
    expect(state.phase).toBe("running");
    expect(state.runId).toBe("r7");
    expect(isRelevant(state, { type: "run_paused", run_id: "r8" })).toBe(false);
  });

  it("turns the run sequential on run_sequential, and forgets the mode of an earlier run", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started));
    expect(state).toMatchObject({ mode: "parallel", workers: 4 });
    state = run(state, ev({ type: "run_sequential", run_id: "other" }));
    expect(state.mode).toBe("parallel");
    state = run(state, ev({ type: "run_sequential", run_id: "r1" }));
    expect(state).toMatchObject({ phase: "running", mode: "sequential", workers: 1 });

    state = run(state, ev({ type: "run_finished", run_id: "r1", status: "finished", report: report() }));
    expect(state.mode).toBe("sequential");
    expect(run(state, { kind: "start_requested", projectId: "p1" })).toMatchObject({ mode: null, workers: null });
    // A run found through run_state says nothing of its mode.
    expect(run(state, { kind: "state_loaded", projectId: "p1", active: true, paused: false })).toMatchObject({
      phase: "running",
      mode: null,
      workers: null,
    });
  });

  it("is idle with no run, and agent output then does not count", () => {
    const state = run(loaded(), { kind: "state_loaded", projectId: "p1", active: false, paused: false });
    expect(state.phase).toBe("idle");
    expect(isRelevant(state, { type: "agent_transcript", run_id: "r1", task_id: "a", session_id: "s", entries: [said("x")] })).toBe(false);
  });

  it("goes back to idle when start_run is refused, and to failed when the run vanished", () => {
    const refused = run(loaded(), { kind: "start_requested", projectId: "p1" }, { kind: "start_failed", projectId: "p1" });
    expect(refused.phase).toBe("idle");
    const vanished = run(loaded(), { kind: "start_requested", projectId: "p1" }, { kind: "run_gone", projectId: "p1", failed: true });
    expect(vanished.phase).toBe("failed");
  });

  it("goes to failed on run_failed of its project, and ignores another project's", () => {
    const starting = run(loaded(), { kind: "start_requested", projectId: "p1" });
    const error = { code: "run_in_progress", message: "a run of this project is already in progress" };
    const other = run(starting, ev({ type: "run_failed", run_id: "x", project_id: "p2", error }));
    expect(other.phase).toBe("starting");
    const failed = run(starting, ev({ type: "run_failed", run_id: "r9", project_id: "p1", error }));
    expect(failed).toMatchObject({ phase: "failed", runId: "r9", report: null, cancelling: false });
  });

  it("starts afresh for another project", () => {
    const state = run(loaded(), { kind: "start_requested", projectId: "p1" }, { kind: "state_loaded", projectId: "p2", active: false, paused: false });
    expect(state.projectId).toBe("p2");
    expect(state.board).toBeNull();
    expect(state.phase).toBe("idle");
  });

  it("applies crash recovery to the board", () => {
    let state = loaded();
    state = run(state, ev({ type: "task_status_changed", run_id: "x", task_id: "a", status: "in_progress", reason: null, slot: 0 }));
    // Not followed: no run is active.
    expect(columnIds(state).in_progress).toEqual([]);
    state = run(
      state,
      ev({ type: "recovered", run_id: "r0", project_id: "p1", tasks_reset: [], tasks_found_merged: ["b"], sessions_interrupted: 0, processes_killed: 0, worktrees_removed: 0 }),
    );
    expect(columnIds(state).done).toEqual(["b", "c"]);
  });
});

describe("worktree lanes", () => {
  const tsc = (task_id: string, status: "in_progress" | "done" | "review" | "backlog", slot: number | null = null): Extract<Event, { type: "task_status_changed" }> => ({
    type: "task_status_changed",
    run_id: "r1",
    task_id,
    status,
    reason: null,
    slot,
  });

  it("makes one lane per worker on run_started and follows branch, task, agent and merge", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started));
    expect(state.lanes.map((lane) => lane.slot)).toEqual([0, 1, 2, 3]);
    expect(state.lanes.every((lane) => lane.taskId === null && lane.merge === "none")).toBe(true);

    state = run(
      state,
      ev(tsc("a", "in_progress", 2)),
      ev({ type: "worktree_created", run_id: "r1", task_id: "a", slot: 2, branch: "yokeflow/a", path: "/wt/a", reattached: false }),
      ev({ type: "agent_started", run_id: "r1", task_id: "a", session_id: "s", pid: 7, log_path: "/l" }),
    );
    expect(state.lanes[2]).toMatchObject({ branch: "yokeflow/a", taskId: "a", busy: true, agent: "running", merge: "none" });
    expect(state.lanes[0]!.taskId).toBeNull();
    expect(state.lanes[2]!.lastCommit).toBeNull();

    // While the agent works: its commits, and a conflict predicted before the merge.
    const sha = "0123456789abcdef0123456789abcdef01234567";
    state = run(
      state,
      ev({ type: "branch_committed", run_id: "r1", task_id: "a", branch: "yokeflow/a", commit: sha, summary: "a: cart" }),
      ev({ type: "conflict_predicted", run_id: "r1", task_id: "a", other: { kind: "target" }, files: ["src/cart.ts"] }),
    );
    expect(state.lanes[2]).toMatchObject({
      lastCommit: { sha, summary: "a: cart" },
      merge: "predicted",
      mergeDetail: "with the target branch in src/cart.ts",
    });
    expect(state.lanes[0]!.lastCommit).toBeNull();

    state = run(
      state,
      ev({ type: "agent_exited", run_id: "r1", task_id: "a", session_id: "s", outcome: "succeeded", exit_code: 0 , cost_usd: null}),
      ev({ type: "merge_started", run_id: "r1", task_id: "a", branch: "yokeflow/a" }),
    );
    expect(state.lanes[2]).toMatchObject({ agent: "succeeded", merge: "testing" });

    state = run(state, ev({ type: "merge_result", run_id: "r1", task_id: "a", result: "conflict", detail: "src/cart.ts" }));
    expect(state.lanes[2]).toMatchObject({ merge: "conflict", mergeDetail: "src/cart.ts" });

    state = run(state, ev(tsc("a", "review")));
    expect(state.lanes[2]).toMatchObject({ taskId: "a", busy: false, merge: "conflict" });

    // The next task in the slot starts with a clean slate.
    state = run(state, ev(tsc("b", "in_progress", 2)));
    expect(state.lanes[2]).toMatchObject({
      taskId: "b",
      busy: true,
      agent: "idle",
      merge: "none",
      mergeDetail: null,
      lastCommit: null,
      branch: "yokeflow/a",
    });
  });

  it.each([
    ["merged", "clean"],
    ["tests_failed", "failed"],
    ["nothing_to_merge", "nothing"],
    ["checkout_blocked", "blocked"],
    ["error", "error"],
  ] as const)("maps merge result %s to %s", (result, merge) => {
    const state = run(
      loaded(),
      { kind: "start_requested", projectId: "p1" },
      ev(started),
      ev(tsc("a", "in_progress", 0)),
      ev({ type: "merge_result", run_id: "r1", task_id: "a", result, detail: "" }),
    );
    expect(state.lanes[0]!.merge).toBe(merge);
  });

  it("leaves the lanes (and the state) alone for other runs and unknown tasks, and grows for a slot past the workers", () => {
    const base = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started));
    expect(run(base, ev({ type: "agent_started", run_id: "r1", task_id: "zzz", session_id: "s", pid: 1, log_path: "" }))).toBe(base);
    expect(run(base, ev({ ...tsc("a", "in_progress", 1), run_id: "other" })).lanes).toBe(base.lanes);
    const grown = run(base, ev(tsc("a", "in_progress", 5)));
    expect(grown.lanes).toHaveLength(6);
    expect(grown.lanes[5]!.taskId).toBe("a");
    expect(grown.lanes[4]!.taskId).toBeNull();
    expect(run(base, ev(tsc("a", "in_progress", 100_000))).lanes).toHaveLength(4);
  });

  it("frees every lane on run_finished and resets them on the next start", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started), ev(tsc("a", "in_progress", 1)));
    state = run(state, ev({ type: "run_finished", run_id: "r1", status: "cancelled", report: report() }));
    expect(state.lanes[1]).toMatchObject({ taskId: "a", busy: false });
    state = run(state, { kind: "start_requested", projectId: "p1" });
    expect(state.lanes).toEqual([]);
  });

  it("records live start and end times relative to run_started", () => {
    const at = (event: Event, time: number): LiveAction => ({ kind: "event", event, at: time });
    const state = run(
      loaded(),
      { kind: "start_requested", projectId: "p1" },
      at(started, 1_000),
      at(tsc("a", "in_progress", 0), 1_500),
      at(tsc("b", "in_progress", 1), 2_000),
      at(tsc("a", "done"), 4_000),
      // Not a start seen here: no span.
      at(tsc("c", "done"), 4_100),
    );
    expect(timingSpans(state.timings)).toEqual([
      { taskId: "a", slot: 0, start: 500, end: 3_000 },
      { taskId: "b", slot: 1, start: 1_000, end: null },
    ]);
    expect(state.timingOpen).toEqual({ b: 1 });
    // Without a time, events leave the timeline alone.
    expect(run(state, ev(tsc("b", "done"))).timings).toBe(state.timings);
  });
});

describe("the merge gate", () => {
  const started = (task_id: string): LiveAction => ev({ type: "merge_started", run_id: "r1", task_id, branch: `yokeflow/${task_id}` });
  const batch = (...task_ids: string[]): LiveAction => ev({ type: "merge_batch", run_id: "r1", task_ids });
  const result = (task_id: string, kind: "merged" | "tests_failed" | "conflict"): LiveAction =>
    ev({ type: "merge_result", run_id: "r1", task_id, result: kind, detail: "" });
  const running = () => run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(runStarted()));

  it("queues the tasks whose work went to the gate, tests them as a batch and keeps their results", () => {
    let state = running();
    expect(state.gate).toBe(EMPTY_GATE);
    state = run(state, started("a"), started("b"), started("c"), started("d"));
    expect(state.gate).toMatchObject({ waiting: ["a", "b", "c", "d"], testing: [], recent: [] });

    state = run(state, batch("a", "b", "c"));
    expect(state.gate).toMatchObject({ waiting: ["d"], testing: ["a", "b", "c"], recent: [] });

    // Each result of the batch counts the whole batch, though the others' results came first.
    state = run(state, result("a", "merged"), result("b", "tests_failed"));
    expect(state.gate.testing).toEqual(["c"]);
    state = run(state, result("c", "merged"));
    expect(state.gate).toMatchObject({
      waiting: ["d"],
      testing: [],
      recent: [
        { taskId: "c", result: "merged", batch: 3 },
        { taskId: "b", result: "tests_failed", batch: 3 },
        { taskId: "a", result: "merged", batch: 3 },
      ],
    });

    // Alone in its batch, or a result outside any batch (a conflict resolved by the review agent): 1.
    state = run(state, batch("d"), result("d", "conflict"), result("d", "merged"));
    expect(state.gate.recent.slice(0, 2)).toEqual([
      { taskId: "d", result: "merged", batch: 1 },
      { taskId: "d", result: "conflict", batch: 1 },
    ]);
    expect(state.gate).toMatchObject({ waiting: [], testing: [] });
  });

  it(`keeps the last ${GATE_RECENT_KEPT} results, newest first`, () => {
    let state = running();
    for (let i = 0; i < 20; i++) state = run(state, started(`t${i}`), batch(`t${i}`), result(`t${i}`, "merged"));
    expect(state.gate.recent.map((landing) => landing.taskId)).toEqual(["t19", "t18", "t17", "t16", "t15", "t14", "t13", "t12"]);
  });

  it("keeps the state when nothing changes, and ignores other runs", () => {
    const state = run(running(), started("a"), batch("b"));
    expect(run(state, started("a"))).toBe(state);
    expect(run(state, batch("b"))).toBe(state);
    expect(run(state, ev({ type: "merge_batch", run_id: "other", task_ids: ["a"] }))).toBe(state);
    expect(run(state, ev({ type: "merge_started", run_id: "other", task_id: "z", branch: "z" }))).toBe(state);
    // Events the gate does not follow leave it alone.
    const moved = run(state, ev({ type: "task_status_changed", run_id: "r1", task_id: "a", status: "in_progress", reason: null, slot: 0 }));
    expect(moved.gate).toBe(state.gate);
  });

  it("empties on the next run's start, and nothing waits once the run finished", () => {
    let state = run(running(), started("a"), started("b"), batch("a"), result("a", "merged"));
    state = run(state, ev({ type: "run_finished", run_id: "r1", status: "cancelled", report: report() }));
    expect(state.gate).toMatchObject({ waiting: [], testing: [], recent: [{ taskId: "a", result: "merged", batch: 1 }] });
    state = run(state, { kind: "start_requested", projectId: "p1" });
    expect(state.gate).toBe(EMPTY_GATE);
    state = run(state, started("x"), ev(runStarted({ run_id: "r2" })));
    expect(state.gate).toBe(EMPTY_GATE);
  });
});

describe("LogStore", () => {
  const item = (text: string): LogItem => ({ kind: "text", tool: null, text, isError: false, sessionId: "s" });

  it(`keeps the last ${LOG_LINES_KEPT} items per task`, () => {
    const logs = new LogStore();
    for (let i = 0; i < LOG_LINES_KEPT + 700; i++) logs.append("a", item(`line ${i}`));
    logs.append("b", item("other"));
    const items = logs.get("a");
    expect(items).toHaveLength(LOG_LINES_KEPT);
    expect(items[0]!.text).toBe("line 700");
    expect(items[LOG_LINES_KEPT - 1]!.text).toBe(`line ${LOG_LINES_KEPT + 699}`);
    expect(logs.get("b")).toEqual([item("other")]);
    expect(logs.version("a")).toBe(LOG_LINES_KEPT + 700);
  });

  it("takes a batch in one go, and 10,000 entries stay bounded", () => {
    const logs = new LogStore();
    let calls = 0;
    logs.subscribe(() => calls++);
    for (let batch = 0; batch < 40; batch++) {
      logs.append("a", ...Array.from({ length: 250 }, (_, i) => item(`entry ${batch * 250 + i}`)));
    }
    expect(calls).toBe(40);
    expect(logs.get("a")).toHaveLength(LOG_LINES_KEPT);
    expect(logs.get("a").at(-1)!.text).toBe("entry 9999");
  });

  it("notifies subscribers and forgets everything on clear", () => {
    const logs = new LogStore(3);
    let calls = 0;
    const stop = logs.subscribe(() => calls++);
    logs.append("a", item("1"));
    logs.append("a", item("2"));
    expect(calls).toBe(2);
    const version = logs.version("a");
    logs.clear();
    expect(logs.get("a")).toEqual([]);
    expect(logs.version("a")).toBeGreaterThan(version);
    stop();
    logs.append("a", item("3"));
    expect(calls).toBe(3);
  });
});

describe("eventLogItems", () => {
  it("turns transcript entries and merge results into log items", () => {
    const entries: Entry[] = [said("hello"), { kind: "tool_call", tool: "Bash", text: "cargo test", is_error: false }];
    expect(eventLogItems({ type: "agent_transcript", run_id: "r1", task_id: "a", session_id: "s1", entries })).toEqual({
      taskId: "a",
      items: [
        { kind: "text", tool: null, text: "hello", isError: false, sessionId: "s1" },
        { kind: "tool_call", tool: "Bash", text: "cargo test", isError: false, sessionId: "s1" },
      ],
    });
    expect(
      eventLogItems({ type: "merge_result", run_id: "r", task_id: "a", result: "tests_failed", detail: "2 failed" }),
    ).toEqual({
      taskId: "a",
      items: [{ kind: "event", tool: null, text: "merge: tests failed — 2 failed", isError: true, sessionId: null }],
    });
    expect(
      eventLogItems({ type: "agent_exited", run_id: "r", task_id: "a", session_id: "s", outcome: "refused", exit_code: 0, cost_usd: 0.0712 })!
        .items[0]!.text,
    ).toBe("agent exited: refused (code 0), $0.07");
    expect(eventLogItems({ type: "run_paused", run_id: "r" })).toBeNull();
  });
});

describe("the agent's latest action", () => {
  it("is the newest tool call or refusal of a transcript batch, per task", () => {
    let state = run(loaded(), { kind: "start_requested", projectId: "p1" }, ev(started));
    expect(state.laneNames).toEqual(["wt-1", "wt-2", "wt-3", "wt-4"]);
    const batch = (task: string, entries: Entry[]) =>
      ev({ type: "agent_transcript", run_id: "r1", task_id: task, session_id: "s", entries });
    state = run(state, batch("a", [{ kind: "tool_call", tool: "Edit", text: "src/api.rs", is_error: false }, said("done editing")]));
    expect(state.activity).toEqual({ a: "Edit: src/api.rs" });
    const same = run(state, batch("a", [said("thinking")]));
    expect(same).toBe(state);
    state = run(state, batch("a", [{ kind: "permission_denied", tool: "Bash", text: "npm install", is_error: true }]));
    expect(state.activity.a).toBe("refused Bash: npm install");
    expect(run(state, { kind: "start_requested", projectId: "p1" }).activity).toEqual({});
  });
});

describe("formatCost and headline", () => {
  it("read like money and like what the agent did", () => {
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(0.004)).toBe("<$0.01");
    expect(formatCost(1.2)).toBe("$1.20");
    expect(headline({ kind: "tool_call", tool: "Bash", text: "cargo test\nmore", is_error: false })).toBe("Bash: cargo test");
    expect(headline({ kind: "tool_result", tool: "Bash", text: "boom", is_error: true })).toBe("error: boom");
  });
});

describe("reuseUnchanged", () => {
  const before = board([task("a", { depends_on: ["b"] }), task("b"), task("c", { status: "done" })]);

  it("keeps the objects of unchanged tasks, epics and project on a reload", () => {
    const reloaded = board([task("a", { depends_on: ["b"] }), task("b", { status: "done" }), task("c", { status: "done" })]);
    const kept = reuseUnchanged(before, reloaded);
    expect(kept.tasks).toEqual(reloaded.tasks);
    expect(kept.tasks[0]).toBe(before.tasks[0]);
    expect(kept.tasks[1]).toBe(reloaded.tasks[1]);
    expect(kept.tasks[2]).toBe(before.tasks[2]);
    expect(kept.epics).toBe(before.epics);
    expect(kept.project).toBe(before.project);
  });

  it("gives back the previous board when nothing changed, and the new one for another project", () => {
    const same = board([task("a", { depends_on: ["b"] }), task("b"), task("c", { status: "done" })]);
    expect(reuseUnchanged(before, same)).toBe(before);
    const other = board(same.tasks, { ...same.project, id: "p2" });
    expect(reuseUnchanged(before, other)).toBe(other);
    expect(reuseUnchanged(null, same)).toBe(same);
  });

  it("sees changes inside arrays and nested objects, and new or removed tasks", () => {
    const deps = reuseUnchanged(before, board([task("a", { depends_on: ["c"] }), task("b"), task("c", { status: "done" })]));
    expect(deps.tasks[0]).not.toBe(before.tasks[0]);
    const files = reuseUnchanged(
      before,
      board([
        task("a", { depends_on: ["b"], predicted_files: [{ path: "x", reason: "declared" }] }),
        task("b"),
        task("c", { status: "done" }),
      ]),
    );
    expect(files.tasks[0]).not.toBe(before.tasks[0]);
    const fewer = reuseUnchanged(before, board([task("a", { depends_on: ["b"] }), task("b")]));
    expect(fewer.tasks.map((t) => t.id)).toEqual(["a", "b"]);
    expect(fewer.tasks[1]).toBe(before.tasks[1]);
  });

  it("is what board_loaded stores", () => {
    const state = run(initialLiveState(), { kind: "board_loaded", projectId: "p1", board: before });
    const again = run(state, { kind: "board_loaded", projectId: "p1", board: board(before.tasks.map((t) => ({ ...t }))) });
    expect(again.board).toBe(before);
  });
});

describe("targetMovedText", () => {
  const moved = (passed: boolean | null): Extract<Event, { type: "target_moved_outside" }> => ({
    type: "target_moved_outside",
    run_id: "r1",
    target: "main",
    from: "a".repeat(40),
    to: "b".repeat(40),
    by: 'reflog: "update-ref" by Agent <a@b>',
    passed,
    log: passed === null ? null : "/repo/.yokeflow/logs/target-bbbbbbbbbbbb-test.log",
  });
  it("says who moved the target where and whether landing goes on", () => {
    expect(targetMovedText(moved(false))).toBe(
      '`main` was moved outside the merge gate to bbbbbbbbbb (reflog: "update-ref" by Agent <a@b>); its tests fail on their own (log: /repo/.yokeflow/logs/target-bbbbbbbbbbbb-test.log): nothing lands on it until it moves again and passes',
    );
    expect(targetMovedText(moved(true))).toContain("landing goes on on top of it");
    expect(targetMovedText(moved(null))).toContain("no test command");
  });
});
