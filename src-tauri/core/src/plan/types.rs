use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The plan engine's view of a task: only what scheduling needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanTask {
    pub id: String,
    pub epic: Option<String>,
    /// Ids of the tasks that must be done (merged) before this one starts.
    pub depends_on: Vec<String>,
    pub effort_minutes: u32,
    /// Higher runs first when everything else is equal.
    pub priority: i32,
    /// Concrete paths or globs the task is expected to touch. A path ending in `/` means everything under it.
    pub predicted_files: Vec<String>,
}

/// Knobs for [`build_plan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanOptions {
    /// How many worktrees (agents) may run at once; 0 is treated as 1.
    #[ts(type = "number")]
    pub max_worktrees: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions { max_worktrees: 4 }
    }
}

/// A group of tasks that may run together once the batches it depends on are finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Batch {
    /// `batch-1`, `batch-2`, … in execution order.
    pub batch_id: String,
    pub task_ids: Vec<String>,
    /// More than one task, so the batch can use several worktrees at once.
    pub can_parallel: bool,
    /// Earlier batches that must finish first: those holding a dependency of one of its tasks or a task
    /// predicted to conflict with one of its tasks.
    pub depends_on: Vec<String>,
}

/// The tasks pre-assigned to one worktree, in the order they would run there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WorktreeAssignment {
    /// `wt-1`, `wt-2`, …
    pub worktree: String,
    pub task_ids: Vec<String>,
    /// Sum of the tasks' effort, in minutes.
    #[ts(type = "number")]
    pub total_effort: u64,
}

/// Two tasks predicted to touch the same files, so they never run at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConflictPair {
    /// The task that comes first in the input.
    pub a: String,
    pub b: String,
    /// The shared paths, or for two overlapping globs both globs.
    pub files: Vec<String>,
}

/// Tasks predicted to touch the same files: no two of them run at the same time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConflictGroup {
    /// The shared paths, or overlapping globs.
    pub files: Vec<String>,
    /// The tasks, in input order (at least two).
    pub tasks: Vec<String>,
}

/// Figures about a plan. All durations are in minutes of estimated effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanStats {
    #[ts(type = "number")]
    pub task_count: usize,
    #[ts(type = "number")]
    pub total_effort: u64,
    /// The longest dependency chain by effort, first task first.
    pub critical_path: Vec<String>,
    #[ts(type = "number")]
    pub critical_path_minutes: u64,
    #[ts(type = "number")]
    pub workers: usize,
    /// `max(critical_path_minutes, ceil(total_effort / workers))`: no schedule can be shorter.
    #[ts(type = "number")]
    pub lower_bound: u64,
    /// Makespan of the dynamic schedule ([`Scheduler`]) with `workers` workers.
    #[ts(type = "number")]
    pub predicted_makespan: u64,
    /// The merge gate's test run as the project's last runs measured it, in minutes (0: not measured yet).
    #[serde(default)]
    #[ts(type = "number")]
    pub gate_minutes: u64,
    /// The makespan with the merge gate ([`simulate_gated`]): every landing tested, what waits tested together,
    /// a dependent started once its dependency landed. `None` until the gate was measured.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub predicted_with_gate: Option<u64>,
}

/// The plan for a project: batches, worktree pre-assignment, predicted conflicts and figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExecutionPlan {
    pub batches: Vec<Batch>,
    pub worktree_assignments: Vec<WorktreeAssignment>,
    pub stats: PlanStats,
    /// The predicted conflicts, as groups of tasks sharing files (a plan stays small however many tasks share a
    /// file; [`ExecutionPlan::conflict_pairs`] expands them).
    #[serde(default)]
    pub conflict_groups: Vec<ConflictGroup>,
    /// Plans stored before groups listed pairs: read, turned into groups by [`ExecutionPlan::upgrade`].
    #[serde(default, rename = "conflicts", skip_serializing)]
    #[ts(skip)]
    pub legacy_conflicts: Vec<ConflictPair>,
    /// Tasks a person moved to a worktree by hand ([`PlanEdit::MoveToWorktree`]): a run starts each of them in
    /// the worker slot of the worktree that holds it. Plans stored before pins existed read as none.
    #[serde(default)]
    pub pinned: Vec<String>,
    /// Each task's planned place, as the run loop would go with the plan's workers and the merge gate as measured
    /// (the timeline's planned bars). Plans stored before it existed, and plans of more than 2000 tasks, have none.
    #[serde(default)]
    pub schedule: Vec<PlannedBar>,
}

impl ExecutionPlan {
    /// Every conflicting pair of tasks, with their shared files; quadratic in a group's size (for small plans
    /// and tests).
    pub fn conflict_pairs(&self) -> Vec<ConflictPair> {
        let mut found: std::collections::BTreeMap<(&str, &str), Vec<String>> = Default::default();
        for g in &self.conflict_groups {
            for (k, a) in g.tasks.iter().enumerate() {
                for b in &g.tasks[k + 1..] {
                    let shared = found.entry((a.as_str(), b.as_str())).or_default();
                    shared.extend(g.files.iter().filter(|f| !shared.contains(f)).cloned().collect::<Vec<_>>());
                }
            }
        }
        found.into_iter().map(|((a, b), files)| ConflictPair { a: a.into(), b: b.into(), files }).collect()
    }

    /// A plan stored before conflict groups existed: its pairs become groups of two.
    pub fn upgrade(mut self) -> ExecutionPlan {
        for pair in std::mem::take(&mut self.legacy_conflicts) {
            self.conflict_groups.push(ConflictGroup { files: pair.files, tasks: vec![pair.a, pair.b] });
        }
        self
    }
}

/// A task's planned place in a run with the merge gate ([`super::simulate::simulate_gated`]), in minutes from the
/// run's start: its agent works on `worker` from `start` to `end`; it has landed at `landed` (after the gate's test
/// run; `end` when the gate's time is not known).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlannedBar {
    pub task_id: String,
    pub worker: u32,
    pub start: f64,
    pub end: f64,
    pub landed: f64,
}

/// A simulated schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Schedule {
    /// When the last task ends, in minutes.
    #[ts(type = "number")]
    pub makespan: u64,
    #[ts(type = "number")]
    pub workers: usize,
    /// Every task, in input order.
    pub tasks: Vec<ScheduledTask>,
}

/// One task's place in a simulated schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScheduledTask {
    pub task_id: String,
    /// The worker (0-based) that runs it.
    #[ts(type = "number")]
    pub worker: usize,
    /// Start, in minutes from the beginning of the run.
    #[ts(type = "number")]
    pub start: u64,
    /// End (start + effort), in minutes.
    #[ts(type = "number")]
    pub end: u64,
}
