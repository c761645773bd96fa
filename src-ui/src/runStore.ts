// The live state of the selected project: its board as the core's events change it, and the run going on it.
// Pure (a reducer and small helpers), so the whole event handling is tested without a window.
import type { Board, Event, RunReport, Task, TaskStatus } from "./bindings";

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
  /** `parallel` or `sequential`. */
  mode: string | null;
  workers: number | null;
  /** The report of the last run that finished, until the next one starts. */
  report: RunReport | null;
  /** Worker slot (0-based) of each task in progress. */
  slots: Readonly<Record<string, number>>;
  /** A cancel was asked for and the run has not finished yet. */
  cancelling: boolean;
  /** Project of every run whose `run_started` was seen, so events of another project's run are told apart. */
  runProjects: Readonly<Record<string, string>>;
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
  | { kind: "event"; event: Event };

const NO_SLOTS: Readonly<Record<string, number>> = {};

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
  };
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
      return event.project_id === state.projectId;
    case "agent_output":
      // The one event without a run id: it counts while a run of this project is going.
      return isActive(state.phase);
    default: {
      if (state.runId !== null) return event.run_id === state.runId;
      const owner = state.runProjects[event.run_id];
      if (owner !== undefined) return owner === state.projectId;
      // A run found through `run_state` (or just started) whose `run_started` was not seen here.
      return isActive(state.phase) && event.run_id !== "";
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

function withSlot(slots: Readonly<Record<string, number>>, taskId: string, slot: number | null) {
  if (slot === null) {
    if (!(taskId in slots)) return slots;
    const next = { ...slots };
    delete next[taskId];
    return next;
  }
  return slots[taskId] === slot ? slots : { ...slots, [taskId]: slot };
}

function finishedPhase(status: string): RunPhase {
  return status === "cancelled" || status === "failed" ? status : "finished";
}

export function liveReducer(state: LiveState, action: LiveAction): LiveState {
  if (action.kind === "event") return applyEvent(state, action.event);
  const current = forProject(state, action.projectId);
  switch (action.kind) {
    case "board_loaded":
      return { ...current, board: action.board };
    case "state_loaded":
      // Only a run not known here yet is taken on; what the events said since stays.
      if (action.active && !isActive(current.phase)) {
        return { ...current, phase: action.paused ? "paused" : "running", runId: null, cancelling: false };
      }
      if (action.active && current.phase !== "starting") {
        return { ...current, phase: action.paused ? "paused" : "running" };
      }
      return current;
    case "start_requested":
      return { ...current, phase: "starting", runId: null, report: null, slots: NO_SLOTS, cancelling: false };
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

function applyEvent(state: LiveState, event: Event): LiveState {
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
    };
  }
  if (!isRelevant(state, event)) return state;
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
    case "task_status_changed": {
      const board = state.board === null ? null : applyTaskStatus(state.board, event.task_id, event.status, event.reason);
      const slots = withSlot(state.slots, event.task_id, event.status === "in_progress" ? (event.slot ?? state.slots[event.task_id] ?? null) : null);
      return board === state.board && slots === state.slots ? state : { ...state, board, slots };
    }
    case "worktree_created": {
      const slots = withSlot(state.slots, event.task_id, event.slot);
      return slots === state.slots ? state : { ...state, slots };
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

/** The lines kept per task in the log pane. */
export const LOG_LINES_KEPT = 500;

/**
 * Each task's latest agent output, outside React state: a line re-renders only the pane showing that task
 * (through `useSyncExternalStore` on `version`), never the board.
 */
export class LogStore {
  private lines = new Map<string, string[]>();
  private versions = new Map<string, number>();
  private listeners = new Set<() => void>();

  constructor(private readonly keep: number = LOG_LINES_KEPT) {}

  append(taskId: string, line: string): void {
    let lines = this.lines.get(taskId);
    if (lines === undefined) {
      lines = [];
      this.lines.set(taskId, lines);
    }
    lines.push(line);
    if (lines.length > this.keep) lines.splice(0, lines.length - this.keep);
    this.versions.set(taskId, (this.versions.get(taskId) ?? 0) + 1);
    this.notify();
  }

  /** The task's kept lines, oldest first. Read it again after `version` changed. */
  get(taskId: string): readonly string[] {
    return this.lines.get(taskId) ?? [];
  }

  /** Bumped on every line of the task. */
  version(taskId: string): number {
    return this.versions.get(taskId) ?? 0;
  }

  clear(): void {
    if (this.lines.size === 0) return;
    this.lines.clear();
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

/** The log line an event adds to its task's pane, besides the agent's own output. */
export function eventLogLine(event: Event): { taskId: string; line: string } | null {
  switch (event.type) {
    case "agent_output":
      return { taskId: event.task_id, line: event.line };
    case "worktree_created":
      return {
        taskId: event.task_id,
        line: `▸ worktree wt-${event.slot + 1} on ${event.branch}${event.reattached ? " (reattached)" : ""}`,
      };
    case "agent_started":
      return { taskId: event.task_id, line: `▸ agent started (pid ${event.pid})` };
    case "agent_exited":
      return {
        taskId: event.task_id,
        line: `▸ agent exited: ${event.outcome}${event.exit_code === null ? "" : ` (code ${event.exit_code})`}`,
      };
    case "merge_started":
      return { taskId: event.task_id, line: `▸ merging ${event.branch}` };
    case "merge_result":
      return { taskId: event.task_id, line: `▸ merge: ${event.result.replace(/_/g, " ")}${event.detail ? ` — ${event.detail}` : ""}` };
    case "warning":
      return event.task_id === null ? null : { taskId: event.task_id, line: `▸ warning: ${event.message}` };
    default:
      return null;
  }
}
