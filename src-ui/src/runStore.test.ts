import { describe, expect, it } from "vitest";
import type { Entry, Event } from "./bindings";
import { board, runSnapshot, task } from "./test/fixtures";
import {
  LOG_LINES_KEPT,
  LogStore,
  eventLogItems,
  formatCost,
  isActive,
  lanesRunIn,
  progress,
  shownPhase,
  slotsByTask,
  targetMovedText,
  type LogItem,
} from "./runStore";

const said = (text: string): Entry => ({ kind: "text", tool: null, text, is_error: false });

describe("shownPhase and isActive", () => {
  it("shows the snapshot's phase, idle with no run, and starting until the snapshot is the run started", () => {
    expect(shownPhase(null, null)).toBe("idle");
    expect(shownPhase(undefined, null)).toBe("idle");
    expect(shownPhase(runSnapshot({ phase: "paused" }), null)).toBe("paused");
    // Asked, not answered yet: a finished run of before does not hide it; a going one is what shows.
    const asked = { runId: null };
    expect(shownPhase(null, asked)).toBe("starting");
    expect(shownPhase(runSnapshot({ phase: "finished" }), asked)).toBe("starting");
    expect(shownPhase(runSnapshot({ phase: "cancelling" }), asked)).toBe("cancelling");
    // Answered: starting until the snapshot is that run, whatever the one before shows.
    const answered = { runId: "r2" };
    expect(shownPhase(runSnapshot({ run_id: "r1", phase: "finished" }), answered)).toBe("starting");
    expect(shownPhase(runSnapshot({ run_id: "r1", phase: "running" }), answered)).toBe("starting");
    expect(shownPhase(runSnapshot({ run_id: "r2", phase: "starting" }), answered)).toBe("starting");
    expect(shownPhase(runSnapshot({ run_id: "r2", phase: "running" }), answered)).toBe("running");
    expect(shownPhase(runSnapshot({ run_id: "r2", phase: "finished" }), answered)).toBe("finished");
  });

  it.each([
    ["idle", false],
    ["starting", true],
    ["running", true],
    ["paused", true],
    ["cancelling", true],
    ["finished", false],
    ["cancelled", false],
    ["failed", false],
  ] as const)("counts %s as active: %s", (phase, active) => {
    expect(isActive(phase)).toBe(active);
  });
});

describe("lanesRunIn", () => {
  it("names the lane of each task's latest start, by the run's names", () => {
    const run = runSnapshot({
      timings: [
        { task_id: "a", slot: 1, start_ms: 0, end_ms: 5 },
        { task_id: "a", slot: 0, start_ms: 6, end_ms: null },
        { task_id: "b", slot: null, start_ms: 0, end_ms: 1 },
      ],
    });
    expect([...lanesRunIn(run)]).toEqual([["a", "wt-1"]]);
    expect(lanesRunIn(null).size).toBe(0);
  });
});

describe("slotsByTask", () => {
  it("gives each task in a worker slot its slot, and nothing without a run", () => {
    expect(slotsByTask(runSnapshot({ workers: 3, slots: [null, "a", "b"] }))).toEqual({ a: 1, b: 2 });
    expect(slotsByTask(runSnapshot({ slots: [null, null] }))).toEqual({});
    expect(slotsByTask(null)).toEqual({});
    expect(slotsByTask(undefined)).toEqual({});
  });
});

describe("progress", () => {
  it("counts the board's done tasks of all", () => {
    const b = board([task("a", { status: "review" }), task("b"), task("c", { status: "done" })]);
    expect(progress(b)).toEqual({ done: 1, total: 3 });
    expect(progress(board([]))).toEqual({ done: 0, total: 0 });
    expect(progress(null)).toEqual({ done: 0, total: 0 });
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
    expect(eventLogItems({ type: "preflight_started", run_id: "r", task_id: "a" })!.items[0]!.text).toBe(
      "pre-flight: testing the branch merged with the target",
    );
    expect(
      eventLogItems({ type: "preflight_ended", run_id: "r", task_id: "a", result: "failed", detail: "/logs/a.log", ms: 1_500 }),
    ).toEqual({
      taskId: "a",
      items: [{ kind: "event", tool: null, text: "pre-flight failed (1.5 s) — /logs/a.log", isError: true, sessionId: null }],
    });
    expect(
      eventLogItems({ type: "preflight_ended", run_id: "r", task_id: "a", result: "skipped", detail: "no test command", ms: 0 })!.items[0],
    ).toMatchObject({ text: "pre-flight skipped — no test command", isError: false });
    expect(eventLogItems({ type: "run_paused", run_id: "r" })).toBeNull();
  });
});

describe("formatCost", () => {
  it("reads like money", () => {
    expect(formatCost(0)).toBe("$0.00");
    expect(formatCost(0.004)).toBe("<$0.01");
    expect(formatCost(1.2)).toBe("$1.20");
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
