// What the window makes of a run beyond the core's snapshot (`RunSnapshot`, held in one query entry): the agents'
// output and the run's notes per task as they stream (`LogStore`, fed by `eventLogItems`), and small readings of
// the snapshot for the views. The run's state itself is folded once, in the core (`run::runs::snapshot`).
import type { Board, Entry, Event, RunPhase, RunSnapshot } from "./bindings";
import { formatDuration, slotName } from "./board";

/** Where the selected project's run stands, as the window shows it: its snapshot's phase, or `idle` with none. */
export type ShownPhase = RunPhase | "idle";

/**
 * The phase a project's run shows: `starting` from the click on Start until the run's snapshot is the run started
 * (`starting.runId`, null while the core has not answered), so the run before it never shows in between.
 */
export function shownPhase(run: RunSnapshot | null | undefined, starting: { runId: string | null } | null): ShownPhase {
  if (starting !== null && (run == null || (starting.runId === null ? !isActive(run.phase) : run.run_id !== starting.runId))) {
    return "starting";
  }
  return run?.phase ?? "idle";
}

/** A run is going (or about to): Start is off, Pause/Cancel are on. */
export function isActive(phase: ShownPhase): boolean {
  return phase === "starting" || phase === "running" || phase === "paused" || phase === "cancelling";
}

/** The worker slot of each task in progress in the run (a task's index in `slots`). */
export function slotsByTask(run: RunSnapshot | null | undefined): Readonly<Record<string, number>> {
  const slots: Record<string, number> = {};
  run?.slots.forEach((taskId, slot) => {
    if (taskId !== null) slots[taskId] = slot;
  });
  return slots;
}

/** The lane each task of the run ran in last (its latest start's slot), by task; from the run's own names. */
export function lanesRunIn(run: RunSnapshot | null | undefined): ReadonlyMap<string, string> {
  const lanes = new Map<string, string>();
  for (const span of run?.timings ?? []) if (span.slot !== null) lanes.set(span.task_id, slotName(span.slot, run!.lane_names));
  return lanes;
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
    case "preflight_started":
      return { taskId: event.task_id, line: "pre-flight: testing the branch merged with the target" };
    case "preflight_ended":
      return {
        taskId: event.task_id,
        line: `pre-flight ${event.result}${event.result === "skipped" ? "" : ` (${formatDuration(event.ms)})`}${event.detail ? ` — ${event.detail}` : ""}`,
        isError: event.result === "failed",
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
