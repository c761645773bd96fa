// The live state of the selected project: its board as the core's events change it, and the run going on it.
// Pure (a reducer and small helpers), so the whole event handling is tested without a window.
import type {
  Board,
  Entry,
  Event,
  MergeKind,
  RunMode,
  RunReport,
  RunStatus,
  SessionOutcome,
  Task,
  TaskStatus,
} from "./bindings";
import { conflictName } from "./board";

/** The agent of a worktree lane: none yet, running, or how it exited (a `sessions.outcome` value). */
export type LaneAgent = "idle" | "running" | SessionOutcome;

/** Where a lane's work stands on its way to the target branch. */
export type LaneMerge =
  | "none"
  | "predicted"
  | "testing"
  | "clean"
  | "failed"
  | "conflict"
  | "nothing"
  | "blocked"
  | "error";

/** A branch's newest commit as a run announced it. */
export type LaneCommit = { sha: string; summary: string };

/** One worker slot (its worktree lane is named by the run: `LiveState.laneNames`) as the run's events left it. */
export type Lane = {
  slot: number;
  /** The branch of the worktree created last in this slot. */
  branch: string | null;
  /** The task the slot works on, or worked on last. */
  taskId: string | null;
  /** Whether `taskId` is still in progress. */
  busy: boolean;
  agent: LaneAgent;
  merge: LaneMerge;
  /** The merge commit, conflicting files or test log of the last merge result (or the predicted conflict). */
  mergeDetail: string | null;
  /** The newest commit of the lane's branch, once one was seen. */
  lastCommit: LaneCommit | null;
};

/**
 * A task's start or end as the window saw it, newest first, as a persistent list: adding one is O(1) and keeps
 * earlier states intact. `at` is milliseconds since the run's `run_started`.
 */
export type TimingMark = { taskId: string; slot: number | null; start: boolean; at: number; prev: TimingMark | null };

/** A task's landing as the merge gate told it: its result, and how many tasks were tested together with it (1: alone). */
export type GateLanding = { taskId: string; result: MergeKind; batch: number };

/** The merge gate of the followed run: what waits for it, what it tests now, and what it landed (or not) lately. */
export type GateState = {
  /** Tasks whose work went to the gate and that it has not taken yet, in arrival order. */
  waiting: readonly string[];
  /** The batch the gate tests now (in landing order), less the tasks whose result came already. */
  testing: readonly string[];
  /** How many tasks the batch of `testing` had when the gate took it. */
  testingBatch: number;
  /** The latest results, newest first (at most `GATE_RECENT_KEPT`). */
  recent: readonly GateLanding[];
};

/** Where the selected project's run stands. `starting` covers the time between Start and the core's `run_started`. */
export type RunPhase = "idle" | "starting" | "running" | "paused" | "finished" | "cancelled" | "failed";

export type LiveState = {
  /** The project this state belongs to; anything for another project resets it. */
  projectId: string | null;
  /** The last board loaded, with every event since applied. */
  board: Board | null;
  phase: RunPhase;
  /** The run followed, once its `run_started` arrived (a run found through `run_state` has none until then). */
  runId: string | null;
  /** `parallel` or `sequential` (after `run_sequential` too); null until the run's `run_started` is seen. */
  mode: RunMode | null;
  workers: number | null;
  /** The report of the last run that finished, until the next one starts. */
  report: RunReport | null;
  /** Worker slot (0-based) of each task in progress. */
  slots: Readonly<Record<string, number>>;
  /** A cancel was asked for and the run has not finished yet. */
  cancelling: boolean;
  /** Project of every run whose `run_started` was seen, so events of another project's run are told apart. */
  runProjects: Readonly<Record<string, string>>;
  /** One lane per worker slot seen or announced (index = slot). Bounded by the worker count. */
  lanes: readonly Lane[];
  /** When this window saw the run's `run_started` (the `at` of that event), null when unknown. */
  runStartedAt: number | null;
  /** Starts and ends of tasks in the followed run, newest first. */
  timings: TimingMark | null;
  /** Tasks whose start is in `timings` without an end yet, with their slot (bounded by the worker count). */
  timingOpen: Readonly<Record<string, number | null>>;
  /** The name of each worker slot's worktree lane, as the run's `run_started` gave them (empty until then). */
  laneNames: readonly string[];
  /** What each task's agent did last (a tool call: "Edit src/api.rs", "Bash: cargo test"), while its run goes. */
  activity: Readonly<Record<string, string>>;
  /** The merge gate as the run's events left it. */
  gate: GateState;
};

export type LiveAction =
  | { kind: "board_loaded"; projectId: string; board: Board }
  | { kind: "state_loaded"; projectId: string; active: boolean; paused: boolean }
  | { kind: "start_requested"; projectId: string }
  | { kind: "start_failed"; projectId: string }
  | { kind: "cancel_requested"; projectId: string }
  | { kind: "cancel_failed"; projectId: string }
  | { kind: "paused"; projectId: string }
  | { kind: "resumed"; projectId: string }
  /**
   * The run is no longer in the app's list though no `run_finished` came: it failed before it started
   * (`failed`), or it ended unseen (a control answered `no_active_run`).
   */
  | { kind: "run_gone"; projectId: string; failed: boolean }
  | { kind: "dismiss_report"; projectId: string }
  /** A core event; `at` (a wall-clock time in ms, e.g. `Date.now()`) feeds the live timeline when given. */
  | { kind: "event"; event: Event; at?: number };

const NO_SLOTS: Readonly<Record<string, number>> = {};
const NO_LANES: readonly Lane[] = [];
const NO_OPEN: Readonly<Record<string, number | null>> = {};
const NO_NAMES: readonly string[] = [];
const NO_ACTIVITY: Readonly<Record<string, string>> = {};
const NO_IDS: readonly string[] = [];
const NO_LANDINGS: readonly GateLanding[] = [];
export const EMPTY_GATE: GateState = { waiting: NO_IDS, testing: NO_IDS, testingBatch: 0, recent: NO_LANDINGS };

/** The merge gate's results kept in `GateState.recent`. */
export const GATE_RECENT_KEPT = 8;

/** The most lanes made from events, so a bogus slot number cannot allocate a huge array. */
export const MAX_LANES = 256;

function emptyLane(slot: number): Lane {
  return { slot, branch: null, taskId: null, busy: false, agent: "idle", merge: "none", mergeDetail: null, lastCommit: null };
}

/** `count` fresh lanes. */
export function freshLanes(count: number): Lane[] {
  const n = Math.max(0, Math.min(MAX_LANES, Math.floor(count)));
  return Array.from({ length: n }, (_, slot) => emptyLane(slot));
}

/** The lanes with slot `slot` changed by `change`, growing the list if needed; the same list when nothing changes. */
function updateLane(lanes: readonly Lane[], slot: number, change: (lane: Lane) => Lane): readonly Lane[] {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_LANES) return lanes;
  const before = lanes[slot] ?? emptyLane(slot);
  const after = change(before);
  if (after === lanes[slot]) return lanes;
  const next = lanes.slice();
  for (let i = next.length; i < slot; i++) next[i] = emptyLane(i);
  next[slot] = after;
  return next;
}

/** The slot whose lane holds `taskId` (busy lanes first), or -1. O(lanes), which is the worker count. */
function laneOf(lanes: readonly Lane[], taskId: string): number {
  let idle = -1;
  for (const lane of lanes) {
    if (lane.taskId !== taskId) continue;
    if (lane.busy) return lane.slot;
    idle = lane.slot;
  }
  return idle;
}

const MERGE_STATE: Record<MergeKind, LaneMerge> = {
  merged: "clean",
  conflict: "conflict",
  tests_failed: "failed",
  nothing_to_merge: "nothing",
  checkout_blocked: "blocked",
  target_failing: "blocked",
  refused: "error",
  error: "error",
};

/** The lanes after one event; the same list when the event does not touch them. */
export function applyLaneEvent(lanes: readonly Lane[], event: Event): readonly Lane[] {
  switch (event.type) {
    case "worktree_created":
      return updateLane(lanes, event.slot, (lane) => ({
        ...lane,
        branch: event.branch,
        taskId: event.task_id,
        busy: true,
        ...(lane.taskId === event.task_id ? {} : { agent: "idle", merge: "none", mergeDetail: null, lastCommit: null }),
      }));
    case "task_status_changed": {
      if (event.status === "in_progress" && event.slot !== null) {
        return updateLane(lanes, event.slot, (lane) =>
          lane.taskId === event.task_id && lane.busy
            ? lane
            : lane.taskId === event.task_id
              ? { ...lane, busy: true }
              : { ...lane, taskId: event.task_id, busy: true, agent: "idle", merge: "none", mergeDetail: null, lastCommit: null },
        );
      }
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0 || event.status === "in_progress") return lanes;
      return updateLane(lanes, slot, (lane) => (lane.busy ? { ...lane, busy: false } : lane));
    }
    case "agent_started":
    case "agent_exited": {
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0) return lanes;
      const agent: LaneAgent = event.type === "agent_started" ? "running" : event.outcome;
      return updateLane(lanes, slot, (lane) => (lane.agent === agent ? lane : { ...lane, agent }));
    }
    case "merge_started": {
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0) return lanes;
      return updateLane(lanes, slot, (lane) => ({ ...lane, merge: "testing", mergeDetail: null }));
    }
    case "merge_result": {
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0) return lanes;
      const merge = MERGE_STATE[event.result] ?? "error";
      return updateLane(lanes, slot, (lane) => ({ ...lane, merge, mergeDetail: event.detail === "" ? null : event.detail }));
    }
    case "branch_committed": {
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0) return lanes;
      return updateLane(lanes, slot, (lane) =>
        lane.lastCommit?.sha === event.commit ? lane : { ...lane, lastCommit: { sha: event.commit, summary: event.summary } },
      );
    }
    case "conflict_predicted": {
      // Only before the merge: what the gate finds afterwards is the real answer.
      const slot = laneOf(lanes, event.task_id);
      if (slot < 0) return lanes;
      const other = conflictName(event.other);
      const detail = `with ${other} in ${event.files.join(", ")}`;
      return updateLane(lanes, slot, (lane) =>
        lane.merge === "none" || lane.merge === "predicted" ? { ...lane, merge: "predicted", mergeDetail: detail } : lane,
      );
    }
    case "run_finished":
      return lanes.some((lane) => lane.busy) ? lanes.map((lane) => (lane.busy ? { ...lane, busy: false } : lane)) : lanes;
    default:
      return lanes;
  }
}

/** `ids` without `id`; the same list when it is not in it. */
function without(ids: readonly string[], id: string): readonly string[] {
  return ids.includes(id) ? ids.filter((other) => other !== id) : ids;
}

/** Whether two lists hold the same ids in the same order. */
function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** The merge gate after one event; the same object when the event does not change it. */
export function applyGateEvent(gate: GateState, event: Event): GateState {
  switch (event.type) {
    case "merge_started":
      return gate.waiting.includes(event.task_id) ? gate : { ...gate, waiting: [...gate.waiting, event.task_id] };
    case "merge_batch": {
      const taken = new Set(event.task_ids);
      const waiting = gate.waiting.some((id) => taken.has(id)) ? gate.waiting.filter((id) => !taken.has(id)) : gate.waiting;
      const testingBatch = event.task_ids.length;
      if (waiting === gate.waiting && gate.testingBatch === testingBatch && sameIds(gate.testing, event.task_ids)) return gate;
      return { ...gate, waiting, testing: testingBatch === 0 ? NO_IDS : event.task_ids, testingBatch };
    }
    case "merge_result": {
      // A task tested in a batch keeps the batch's size, even when others of it got their results first.
      const batch = gate.testing.includes(event.task_id) ? Math.max(1, gate.testingBatch) : 1;
      const landing: GateLanding = { taskId: event.task_id, result: event.result, batch };
      const testing = without(gate.testing, event.task_id);
      return {
        waiting: without(gate.waiting, event.task_id),
        testing,
        testingBatch: testing.length === 0 ? 0 : gate.testingBatch,
        recent: [landing, ...gate.recent.slice(0, GATE_RECENT_KEPT - 1)],
      };
    }
    case "run_finished":
    case "run_failed":
      // Nothing of a run that ended waits for the gate any more; what it landed stays to be read.
      if (gate.waiting.length === 0 && gate.testing.length === 0) return gate;
      return { ...gate, waiting: NO_IDS, testing: NO_IDS, testingBatch: 0 };
    default:
      return gate;
  }
}

/** The timings and open starts with one task's start or end added at wall-clock `at`; the same objects when nothing is added. */
function addTiming(state: LiveState, event: Event, at: number | undefined): Pick<LiveState, "timings" | "timingOpen"> {
  const same = { timings: state.timings, timingOpen: state.timingOpen };
  if (at === undefined || state.runStartedAt === null || event.type !== "task_status_changed") return same;
  const start = event.status === "in_progress";
  // An end only counts for a task seen starting (a task moved from backlog to done by a recovery is no bar).
  const running = state.timingOpen[event.task_id] !== undefined;
  if (start === running) return same;
  const slot = start ? event.slot : (state.timingOpen[event.task_id] ?? null);
  const timingOpen = { ...state.timingOpen };
  if (start) timingOpen[event.task_id] = event.slot;
  else delete timingOpen[event.task_id];
  const timings = { taskId: event.task_id, slot, start, at: Math.max(0, at - state.runStartedAt), prev: state.timings };
  return { timings, timingOpen };
}

/** The timings oldest first, each task's last start paired with its end (`end` null while it runs). */
export function timingSpans(timings: TimingMark | null): { taskId: string; slot: number | null; start: number; end: number | null }[] {
  const marks: TimingMark[] = [];
  for (let mark = timings; mark !== null; mark = mark.prev) marks.push(mark);
  marks.reverse();
  const open = new Map<string, { taskId: string; slot: number | null; start: number; end: number | null }>();
  const spans: { taskId: string; slot: number | null; start: number; end: number | null }[] = [];
  for (const mark of marks) {
    if (mark.start) {
      const span = { taskId: mark.taskId, slot: mark.slot, start: mark.at, end: null };
      open.set(mark.taskId, span);
      spans.push(span);
    } else {
      const span = open.get(mark.taskId);
      if (span !== undefined) {
        span.end = mark.at;
        open.delete(mark.taskId);
      }
    }
  }
  return spans;
}

export function initialLiveState(projectId: string | null = null): LiveState {
  return {
    projectId,
    board: null,
    phase: "idle",
    runId: null,
    mode: null,
    workers: null,
    report: null,
    slots: NO_SLOTS,
    cancelling: false,
    runProjects: {},
    lanes: NO_LANES,
    runStartedAt: null,
    timings: null,
    timingOpen: NO_OPEN,
    laneNames: NO_NAMES,
    activity: NO_ACTIVITY,
    gate: EMPTY_GATE,
  };
}

/**
 * The name of worker slot `slot`: the run's own name for it, else the plan's worktree at that position, else a
 * plain number (a run found after a reload, before its `run_started`, with no plan).
 */
export function laneName(laneNames: readonly string[], slot: number, planNames?: readonly string[]): string {
  return laneNames[slot] ?? planNames?.[slot] ?? `slot ${slot + 1}`;
}

/** An entry in one line: "Edit src/api.rs", "Bash: cargo test", "refused Bash: npm i", the first line of a text. */
export function headline(entry: Entry): string {
  const first = entry.text.split("\n", 1)[0] ?? "";
  switch (entry.kind) {
    case "tool_call":
      return first === "" ? (entry.tool ?? "tool") : `${entry.tool ?? "tool"}: ${first}`;
    case "permission_denied":
      return `refused ${entry.tool ?? "a tool"}: ${first}`;
    case "tool_result":
      return entry.is_error ? `error: ${first}` : first;
    default:
      return first;
  }
}

/** A run is going (or about to): Start is off, Pause/Cancel are on. */
export function isActive(phase: RunPhase): boolean {
  return phase === "starting" || phase === "running" || phase === "paused";
}

/** The state for `projectId`: the current one, or a fresh one that keeps what is known about runs. */
function forProject(state: LiveState, projectId: string): LiveState {
  if (state.projectId === projectId) return state;
  return { ...initialLiveState(projectId), runProjects: state.runProjects };
}

/** Whether an event belongs to the followed run of the state's project. */
export function isRelevant(state: LiveState, event: Event): boolean {
  switch (event.type) {
    case "run_started":
    case "recovered":
    case "run_failed":
      return event.project_id === state.projectId;
    default: {
      if (state.runId !== null) return event.run_id === state.runId;
      const owner = state.runProjects[event.run_id];
      if (owner !== undefined) return owner === state.projectId;
      // A run found through `run_state` (or just started) whose `run_started` was not seen here.
      return isActive(state.phase);
    }
  }
}

/** The board with one task's status (and review reason) changed; the same board when nothing changes. */
export function applyTaskStatus(board: Board, taskId: string, status: TaskStatus, reason: string | null): Board {
  const index = board.tasks.findIndex((task) => task.id === taskId);
  if (index < 0) return board;
  const task = board.tasks[index]!;
  const review_reason = status === "review" ? reason : null;
  if (task.status === status && task.review_reason === review_reason) return board;
  const tasks = board.tasks.slice();
  tasks[index] = { ...task, status, review_reason } satisfies Task;
  return { ...board, tasks };
}

/** Whether two values read from JSON (plain objects, arrays, primitives) are equal. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  if (aKeys.length !== Object.keys(b).length) return false;
  const aRecord = a as Record<string, unknown>;
  const bRecord = b as Record<string, unknown>;
  return aKeys.every((key) => key in bRecord && sameJson(aRecord[key], bRecord[key]));
}

/**
 * A freshly loaded board that keeps the previous board's objects where nothing changed (each task, the epics,
 * the project), so a reload after one move renders only the cards that changed. The previous board itself when
 * nothing changed at all.
 */
export function reuseUnchanged(prev: Board | null, next: Board): Board {
  if (prev === null || prev.project.id !== next.project.id) return next;
  const before = new Map(prev.tasks.map((task) => [task.id, task] as const));
  let sameTasks = prev.tasks.length === next.tasks.length;
  const tasks = next.tasks.map((task, index) => {
    const old = before.get(task.id);
    const kept = old !== undefined && sameJson(old, task) ? old : task;
    if (kept !== prev.tasks[index]) sameTasks = false;
    return kept;
  });
  const project = sameJson(prev.project, next.project) ? prev.project : next.project;
  const epics = sameJson(prev.epics, next.epics) ? prev.epics : next.epics;
  const columns = sameJson(prev.columns, next.columns) ? prev.columns : next.columns;
  if (sameTasks && project === prev.project && epics === prev.epics && columns === prev.columns) return prev;
  return { project, epics, columns, tasks: sameTasks ? prev.tasks : tasks };
}

function withSlot(slots: Readonly<Record<string, number>>, taskId: string, slot: number | null) {
  if (slot === null) {
    if (!(taskId in slots)) return slots;
    const next = { ...slots };
    delete next[taskId];
    return next;
  }
  return slots[taskId] === slot ? slots : { ...slots, [taskId]: slot };
}

function finishedPhase(status: RunStatus): RunPhase {
  return status === "cancelled" || status === "failed" ? status : "finished";
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  if (action.kind === "event") return applyEvent(state, action.event, action.at);
  const current = forProject(state, action.projectId);
  switch (action.kind) {
    case "board_loaded":
      return { ...current, board: reuseUnchanged(current.board, action.board) };
    case "state_loaded":
      // Only a run not known here yet is taken on; what the events said since stays.
      if (action.active && !isActive(current.phase)) {
        return { ...current, phase: action.paused ? "paused" : "running", runId: null, mode: null, workers: null, cancelling: false };
      }
      if (action.active && current.phase !== "starting") {
        return { ...current, phase: action.paused ? "paused" : "running" };
      }
      return current;
    case "start_requested":
      return {
        ...current,
        phase: "starting",
        runId: null,
        mode: null,
        workers: null,
        report: null,
        slots: NO_SLOTS,
        cancelling: false,
        lanes: NO_LANES,
        runStartedAt: null,
        timings: null,
        timingOpen: NO_OPEN,
        laneNames: NO_NAMES,
        activity: NO_ACTIVITY,
        gate: EMPTY_GATE,
      };
    case "start_failed":
      return current.phase === "starting" ? { ...current, phase: "idle" } : current;
    case "cancel_requested":
      return { ...current, cancelling: true };
    case "cancel_failed":
      return { ...current, cancelling: false };
    case "paused":
      return current.phase === "running" ? { ...current, phase: "paused" } : current;
    case "resumed":
      return current.phase === "paused" ? { ...current, phase: "running" } : current;
    case "run_gone":
      return isActive(current.phase)
        ? { ...current, phase: action.failed ? "failed" : "idle", slots: NO_SLOTS, cancelling: false }
        : current;
    case "dismiss_report":
      return current.report === null ? current : { ...current, report: null };
  }
}

function applyEvent(state: LiveState, event: Event, at?: number): LiveState {
  if (event.type === "run_started") {
    const runProjects = { ...state.runProjects, [event.run_id]: event.project_id };
    if (event.project_id !== state.projectId) return { ...state, runProjects };
    return {
      ...state,
      runProjects,
      phase: "running",
      runId: event.run_id,
      mode: event.mode,
      workers: event.workers,
      report: null,
      slots: NO_SLOTS,
      cancelling: false,
      lanes: freshLanes(event.workers),
      runStartedAt: at ?? null,
      timings: null,
      timingOpen: NO_OPEN,
      laneNames: event.lanes,
      activity: NO_ACTIVITY,
      gate: EMPTY_GATE,
    };
  }
  if (!isRelevant(state, event)) return state;
  const lanes = applyLaneEvent(state.lanes, event);
  const gate = applyGateEvent(state.gate, event);
  const next = lanes === state.lanes && gate === state.gate ? state : { ...state, lanes, gate };
  return applyRunEvent(next, event, at);
}

function applyRunEvent(state: LiveState, event: Event, at: number | undefined): LiveState {
  switch (event.type) {
    case "recovered": {
      // Crash recovery put these back in the backlog, or found them merged already.
      let board = state.board;
      if (board !== null) {
        for (const id of event.tasks_reset) board = applyTaskStatus(board, id, "backlog", null);
        for (const id of event.tasks_found_merged) board = applyTaskStatus(board, id, "done", null);
      }
      return board === state.board ? state : { ...state, board };
    }
    case "run_paused":
      return { ...state, phase: "paused", runId: event.run_id };
    case "run_resumed":
      return { ...state, phase: "running", runId: event.run_id };
    case "run_sequential":
      return { ...state, mode: "sequential", workers: 1, runId: event.run_id };
    case "run_finished":
      return {
        ...state,
        phase: finishedPhase(event.status),
        runId: event.run_id,
        report: event.report,
        slots: NO_SLOTS,
        cancelling: false,
      };
    case "run_failed":
      // It could not go on and has no report (e.g. another process runs the project): nothing of it runs.
      return isActive(state.phase) ? { ...state, phase: "failed", runId: event.run_id, slots: NO_SLOTS, cancelling: false } : state;
    case "task_status_changed": {
      const board = state.board === null ? null : applyTaskStatus(state.board, event.task_id, event.status, event.reason);
      const slots = withSlot(state.slots, event.task_id, event.status === "in_progress" ? (event.slot ?? state.slots[event.task_id] ?? null) : null);
      const { timings, timingOpen } = addTiming(state, event, at);
      return board === state.board && slots === state.slots && timings === state.timings
        ? state
        : { ...state, board, slots, timings, timingOpen };
    }
    case "worktree_created": {
      const slots = withSlot(state.slots, event.task_id, event.slot);
      return slots === state.slots ? state : { ...state, slots };
    }
    case "agent_transcript": {
      // The newest tool call (or refusal) of the batch is what the card shows the agent doing.
      for (let i = event.entries.length - 1; i >= 0; i--) {
        const entry = event.entries[i]!;
        if (entry.kind !== "tool_call" && entry.kind !== "permission_denied") continue;
        const line = headline(entry).slice(0, 120);
        return state.activity[event.task_id] === line
          ? state
          : { ...state, activity: { ...state.activity, [event.task_id]: line } };
      }
      return state;
    }
    default:
      return state;
  }
}

/** How many of the board's tasks are done, of how many. */
export function progress(board: Board | null): { done: number; total: number } {
  if (board === null) return { done: 0, total: 0 };
  let done = 0;
  for (const task of board.tasks) if (task.status === "done") done++;
  return { done, total: board.tasks.length };
}

/** The items kept per task in the log pane (older ones are in the stored transcript). */
export const LOG_LINES_KEPT = 1000;

/**
 * One line of a task's live log: a transcript entry of its agent (with the session it belongs to), or a note of
 * what the run did (`kind: "event"`: worktree created, merging, …).
 */
export type LogItem = {
  kind: Entry["kind"] | "event";
  tool: string | null;
  text: string;
  isError: boolean;
  /** The agent session of a transcript entry; null for run notes. */
  sessionId: string | null;
};

/**
 * Each task's latest agent transcript and run notes, outside React state: an item re-renders only the pane
 * showing that task (`useSyncExternalStore`), and the list is bounded per task.
 */
export class LogStore {
  private items = new Map<string, LogItem[]>();
  private versions = new Map<string, number>();
  private listeners = new Set<() => void>();

  constructor(private readonly keep: number = LOG_LINES_KEPT) {}

  append(taskId: string, ...added: LogItem[]): void {
    if (added.length === 0) return;
    let items = this.items.get(taskId);
    if (items === undefined) {
      items = [];
      this.items.set(taskId, items);
    }
    items.push(...added);
    if (items.length > this.keep) items.splice(0, items.length - this.keep);
    this.versions.set(taskId, (this.versions.get(taskId) ?? 0) + 1);
    this.notify();
  }

  /** The task's kept items, oldest first. Read it again after `version` changed. */
  get(taskId: string): readonly LogItem[] {
    return this.items.get(taskId) ?? [];
  }

  /** Bumped on every item of the task. */
  version(taskId: string): number {
    return this.versions.get(taskId) ?? 0;
  }

  clear(): void {
    if (this.items.size === 0) return;
    this.items.clear();
    for (const key of this.versions.keys()) this.versions.set(key, (this.versions.get(key) ?? 0) + 1);
    this.notify();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

/** The log items an event adds to its task's pane: the agent's transcript entries, or one note saying what happened. */
export function eventLogItems(event: Event): { taskId: string; items: readonly LogItem[] } | null {
  if (event.type === "agent_transcript") {
    const items = event.entries.map(
      (entry): LogItem => ({ kind: entry.kind, tool: entry.tool, text: entry.text, isError: entry.is_error, sessionId: event.session_id }),
    );
    return { taskId: event.task_id, items };
  }
  const one = eventLogLine(event);
  if (one === null) return null;
  return { taskId: one.taskId, items: [{ kind: "event", tool: null, text: one.line, isError: one.isError ?? false, sessionId: null }] };
}

/** The one note an event other than the agent's transcript adds to its task's pane. */
function eventLogLine(event: Event): { taskId: string; line: string; isError?: boolean } | null {
  switch (event.type) {
    case "worktree_created":
      return {
        taskId: event.task_id,
        line: `worktree on ${event.branch}${event.reattached ? " (reattached)" : ""}`,
      };
    case "agent_started":
      return { taskId: event.task_id, line: `agent started (pid ${event.pid})` };
    case "agent_exited": {
      const cost = event.cost_usd === null ? "" : `, ${formatCost(event.cost_usd)}`;
      return {
        taskId: event.task_id,
        line: `agent exited: ${event.outcome.replace(/_/g, " ")}${event.exit_code === null ? "" : ` (code ${event.exit_code})`}${cost}`,
        isError: event.outcome !== "succeeded",
      };
    }
    case "merge_started":
      return { taskId: event.task_id, line: `merging ${event.branch}` };
    case "merge_result":
      return {
        taskId: event.task_id,
        line: `merge: ${event.result.replace(/_/g, " ")}${event.detail ? ` — ${event.detail}` : ""}`,
        isError: event.result !== "merged",
      };
    case "warning":
      return event.task_id === null ? null : { taskId: event.task_id, line: `warning: ${event.message}`, isError: true };
    default:
      return null;
  }
}

/** What a person reads when the target branch was moved outside the merge gate. */
export function targetMovedText(event: Extract<Event, { type: "target_moved_outside" }>): string {
  const what =
    event.passed === true
      ? "it passed the tests on its own; landing goes on on top of it"
      : event.passed === false
        ? `its tests fail on their own${event.log === null ? "" : ` (log: ${event.log})`}: nothing lands on it until it moves again and passes`
        : "there is no test command to check it";
  return `\`${event.target}\` was moved outside the merge gate to ${event.to.slice(0, 10)} (${event.by}); ${what}`;
}

/** "$0.07", "$1.20", "<$0.01" (0 is "$0.00"). */
export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd < 0) return "—";
  if (usd > 0 && usd < 0.01) return "<$0.01";
  return `$${usd.toFixed(2)}`;
}
