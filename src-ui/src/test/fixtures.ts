import type { Board, Event, ExecutionPlan, GateState, Lane, PlanStats, Project, ProjectSummary, RunSnapshot, Task } from "../bindings";

export function project(overrides: Partial<Project> = {}): Project {
  return {
    id: "p1",
    name: "Demo shop",
    repo_path: "/home/me/src/demo-shop",
    target_branch: "main",
    tasks_file: "tasks.yaml",
    agent_command: null,
    test_command: null,
    setup_command: null,
    cleanup_command: null,
    worktree_include: [],
    worktree_link: [],
    max_worktrees: 3,
    reuse_worktrees: false,
    is_demo: true,
    created_at: 1_700_000_000,
    ...overrides,
  };
}

export function summary(p: Project, task_count = 0, done_count = 0): ProjectSummary {
  return { project: p, task_count, done_count };
}

export function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    title: `Task ${id}`,
    description: "",
    epic: null,
    status: "backlog",
    depends_on: [],
    files: [],
    predicted_files: [],
    effort_minutes: 30,
    priority: 0,
    review_reason: null,
    conflict_warning: null,
    cost_usd: null,
    agent_ms: null,
    ...overrides,
  };
}

export function board(tasks: Task[], p: Project = project()): Board {
  return {
    project: p,
    epics: [
      { id: "checkout", title: "Checkout", description: "" },
      { id: "search", title: "Search", description: "" },
    ],
    tasks,
    columns: [
      { status: "backlog", label: "Backlog" },
      { status: "in_progress", label: "In Progress" },
      { status: "review", label: "Review" },
      { status: "done", label: "Done" },
    ],
  };
}

/** A plan of three tasks on two worktrees (a, c on wt-1; b on wt-2), none pinned; `stats` overrides single figures. */
export function executionPlan(overrides: Partial<ExecutionPlan> = {}, stats: Partial<PlanStats> = {}): ExecutionPlan {
  return {
    batches: [],
    worktree_assignments: [
      { worktree: "wt-1", task_ids: ["a", "c"], total_effort: 60 },
      { worktree: "wt-2", task_ids: ["b"], total_effort: 30 },
    ],
    conflict_groups: [],
    pinned: [],
    schedule: [],
    ...overrides,
    stats: {
      task_count: 3,
      total_effort: 90,
      critical_path: ["a", "c"],
      critical_path_minutes: 60,
      workers: 2,
      lower_bound: 60,
      predicted_makespan: 60,
      gate_minutes: 0,
      predicted_with_gate: null,
      ...stats,
    },
  };
}

export type RunStartedEvent = Extract<Event, { type: "run_started" }>;

/** A `run_started` event of run r1 on project p1 (4 workers, 3 tasks). */
export function runStarted(overrides: Partial<RunStartedEvent> = {}): RunStartedEvent {
  return {
    type: "run_started",
    run_id: "r1",
    project_id: "p1",
    mode: "parallel",
    workers: 4,
    lanes: ["wt-1", "wt-2", "wt-3", "wt-4"],
    task_count: 3,
    done_count: 0,
    sandboxed: true,
    ...overrides,
  };
}

/** A worker lane as the core's run snapshot holds it: empty unless `overrides` fill it. */
export function lane(slot: number, overrides: Partial<Lane> = {}): Lane {
  return {
    slot,
    branch: null,
    task_id: null,
    busy: false,
    agent: { state: "idle" },
    merge: "none",
    merge_detail: null,
    last_commit: null,
    ...overrides,
  };
}

/** `count` empty lanes. */
export function lanes(count: number): Lane[] {
  return Array.from({ length: count }, (_, slot) => lane(slot));
}

export const EMPTY_GATE: GateState = { waiting: [], preflight: [], preflight_failed: [], testing: [], testing_batch: 0, recent: [] };

let nextVersion = 1;

/**
 * A run as the core sends it (`yokeflow://run`): run `r1` of project `p1`, running with 2 workers, unless
 * `overrides` say otherwise. Each one made gets a higher version than the last, as the core's do.
 */
export function runSnapshot(overrides: Partial<RunSnapshot> = {}): RunSnapshot {
  const workers = overrides.workers ?? 2;
  return {
    run_id: "r1",
    project_id: "p1",
    version: nextVersion++,
    phase: "running",
    mode: "parallel",
    workers,
    slots: Array.from({ length: workers }, () => null),
    landing: [],
    task_count: 3,
    done_count: 0,
    sandboxed: true,
    lane_names: Array.from({ length: workers }, (_, i) => `wt-${i + 1}`),
    lanes: lanes(workers),
    gate: EMPTY_GATE,
    started_at_ms: 1_000,
    timings: [],
    activity: {},
    report: null,
    error: null,
    ...overrides,
  };
}
