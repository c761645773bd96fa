// What a card shows beyond its task: the worktree the run or the plan gives it (and whether it was pinned there
// by hand), the agent's state, a predicted conflict and the time spent. Gathered once per board from the plan,
// the run's lanes and its timings; each card then gets plain values, so unchanged cards stay memoized.
import type { ConflictFlag, ConflictWith, ExecutionPlan, Lane, LaneAgent, Task, TimingSpan } from "./bindings";
import { conflictName, formatDuration, slotName } from "./board";

/**
 * The tasks the plan predicts a task conflicts with (the first few, `count` in all) and the files they share.
 */
export type PlanConflict = { others: readonly string[]; count: number; files: readonly string[] };

/** How many of the other tasks a card's conflict names; the rest are counted. */
const OTHERS_NAMED = 5;

/** Time a task spent running: the closed spans, plus the open one since `since` (a wall-clock time in ms). */
export type TimeSpent = { spentMs: number; since: number | null };

export type BoardFacts = {
  /** Each planned task's worktree (`wt-2`). */
  worktrees: ReadonlyMap<string, string>;
  /** Tasks pinned to their worktree by hand. */
  pinned: ReadonlySet<string>;
  conflicts: ReadonlyMap<string, PlanConflict>;
  /** The agent of each task a lane is busy with. */
  agents: ReadonlyMap<string, LaneAgent>;
  times: ReadonlyMap<string, TimeSpent>;
  /** The run's names of its worker slots (`run_started.lanes`). */
  laneNames?: readonly string[];
  /** What each running task's agent did last. */
  activity?: Activity;
};

/** What each running task's agent did last, by task (the run snapshot's `activity`). */
export type Activity = { readonly [taskId: string]: string | undefined };

/** The facts one card shows, as props. */
export type CardFacts = {
  worktree: string | undefined;
  /** `worktree` is where the task runs now (else it is the plan's choice). */
  running: boolean;
  pinned: boolean;
  agent: LaneAgent | undefined;
  conflict: PlanConflict | undefined;
  spentMs: number | undefined;
  since: number | null;
  /** What its agent did last ("Bash: cargo test"), while it runs. */
  activity: string | undefined;
};

const NO_WORKTREES: ReadonlyMap<string, string> = new Map();
const NO_PINS: ReadonlySet<string> = new Set();
const NO_CONFLICTS: ReadonlyMap<string, PlanConflict> = new Map();

/** Each planned task's worktree. */
export function plannedWorktrees(plan: ExecutionPlan | null): ReadonlyMap<string, string> {
  if (plan === null) return NO_WORKTREES;
  const byTask = new Map<string, string>();
  for (const assignment of plan.worktree_assignments) {
    for (const id of assignment.task_ids) byTask.set(id, assignment.worktree);
  }
  return byTask;
}

export function pinnedTasks(plan: ExecutionPlan | null): ReadonlySet<string> {
  return plan === null || plan.pinned.length === 0 ? NO_PINS : new Set(plan.pinned);
}

/**
 * Each task's predicted conflicts, from the plan's groups (every member gets the others). Linear in the groups'
 * sizes: a task names its first few others and counts them all, so a file shared by thousands of tasks stays cheap.
 */
export function planConflicts(plan: ExecutionPlan | null): ReadonlyMap<string, PlanConflict> {
  if (plan === null || plan.conflict_groups.length === 0) return NO_CONFLICTS;
  const groupsOf = new Map<string, string[][]>();
  const filesOf = new Map<string, Set<string>>();
  for (const group of plan.conflict_groups) {
    const members = [...new Set(group.tasks)];
    if (members.length < 2) continue;
    for (const id of members) {
      groupsOf.set(id, [...(groupsOf.get(id) ?? []), members]);
      const files = filesOf.get(id) ?? new Set<string>();
      for (const file of group.files) files.add(file);
      filesOf.set(id, files);
    }
  }
  const out = new Map<string, PlanConflict>();
  for (const [id, groups] of groupsOf) {
    const others: string[] = [];
    for (const members of groups) {
      for (const other of members) {
        if (others.length === OTHERS_NAMED) break;
        if (other !== id && !others.includes(other)) others.push(other);
      }
    }
    // One group: its size. Several: the distinct others, counted exactly while that stays small.
    const bound = groups.reduce((sum, members) => sum + members.length - 1, 0);
    let count = bound;
    if (groups.length > 1 && bound <= 1000) {
      const distinct = new Set<string>();
      for (const members of groups) for (const other of members) if (other !== id) distinct.add(other);
      count = distinct.size;
    }
    out.set(id, { others, count, files: [...(filesOf.get(id) ?? [])] });
  }
  return out;
}

/** The agent of the task each busy lane works on. */
export function busyAgents(lanes: readonly Lane[]): ReadonlyMap<string, LaneAgent> {
  const byTask = new Map<string, LaneAgent>();
  for (const lane of lanes) if (lane.busy && lane.task_id !== null) byTask.set(lane.task_id, lane.agent);
  return byTask;
}

/** Each timed task's time, from the run's timings (`runStartedAt` turns their offsets into wall-clock times). */
export function timesSpent(timings: readonly TimingSpan[], runStartedAt: number | null): ReadonlyMap<string, TimeSpent> {
  const byTask = new Map<string, TimeSpent>();
  for (const span of timings) {
    const time = byTask.get(span.task_id) ?? { spentMs: 0, since: null };
    if (span.end_ms !== null) time.spentMs += span.end_ms - span.start_ms;
    else time.since = (runStartedAt ?? 0) + span.start_ms;
    byTask.set(span.task_id, time);
  }
  return byTask;
}

/** The facts of one card; `slot` is its worker slot while it runs. */
export function cardFacts(facts: BoardFacts, task: Task, slot: number | undefined): CardFacts {
  const running = task.status === "in_progress" && slot !== undefined;
  const done = task.status === "done";
  const time = facts.times.get(task.id);
  return {
    worktree: running ? slotName(slot, facts.laneNames) : done ? undefined : facts.worktrees.get(task.id),
    running,
    pinned: !done && facts.pinned.has(task.id),
    agent: task.status === "in_progress" ? facts.agents.get(task.id) : undefined,
    conflict: done ? undefined : facts.conflicts.get(task.id),
    // The run's own timing while it is shown; for finished work (Done, Review) shown after another run, what its
    // agents worked (kept in the core).
    spentMs: time?.spentMs ?? (done || task.status === "review" ? (task.agent_ms ?? undefined) : undefined),
    since: time?.since ?? null,
    activity: task.status === "in_progress" ? facts.activity?.[task.id] : undefined,
  };
}

/** The entries of a task's `conflict_warning` (a JSON list of `ConflictFlag`s); null when it reads otherwise. */
export function parseConflictWarning(text: string): ConflictFlag[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const entries: ConflictFlag[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== "object" || item === null) return null;
    const { other, files } = item as { other?: unknown; files?: unknown };
    const with_ = conflictWith(other);
    if (with_ === null || !Array.isArray(files)) return null;
    entries.push({ other: with_, files: files.filter((file): file is string => typeof file === "string") });
  }
  return entries;
}

function conflictWith(value: unknown): ConflictWith | null {
  if (typeof value !== "object" || value === null) return null;
  const { kind, id } = value as { kind?: unknown; id?: unknown };
  if (kind === "target") return { kind: "target" };
  return kind === "task" && typeof id === "string" ? { kind: "task", id } : null;
}

function othersText(names: readonly string[], count = names.length): string {
  return count === 1 && names.length === 1 ? names[0]! : `${count} tasks`;
}

/** A card's conflict flag: the run's warning when there is one, else the plan's prediction; null for none. */
export function conflictFlag(
  warning: string | null,
  predicted: PlanConflict | undefined,
): { source: "run" | "plan"; label: string; title: string } | null {
  if (warning !== null && warning !== "") {
    const entries = parseConflictWarning(warning);
    if (entries === null || entries.length === 0) return { source: "run", label: "conflict", title: warning };
    return {
      source: "run",
      label: `conflict with ${othersText(entries.map((entry) => conflictName(entry.other)))}`,
      title: entries.map((entry) => `${conflictName(entry.other)}: ${entry.files.join(", ")}`).join("\n"),
    };
  }
  if (predicted === undefined) return null;
  return {
    source: "plan",
    label: `conflicts with ${othersText(predicted.others, predicted.count)}`,
    title: `Predicted conflict with ${predicted.others.join(", ")}${
      predicted.count > predicted.others.length ? ` and ${predicted.count - predicted.others.length} more` : ""
    } on:\n${predicted.files.join("\n")}`,
  };
}

/** What a card says about its agent. */
export function agentLabel(agent: LaneAgent): string {
  return agent.state === "idle" ? "agent starting" : `agent ${agentState(agent).replace(/_/g, " ")}`;
}

/** A lane's agent in one word: `idle`, `running`, or how it exited (a `sessions.outcome` value). */
export function agentState(agent: LaneAgent): string {
  return agent.state === "exited" ? agent.outcome : agent.state;
}

/** A time spent as a card shows it: whole seconds while it ticks (no tenths flickering), else `formatDuration`. */
export function formatSpent(ms: number, ticking: boolean): string {
  return ticking && ms < 60_000 ? `${Math.max(0, Math.floor(ms / 1000))} s` : formatDuration(ms);
}
