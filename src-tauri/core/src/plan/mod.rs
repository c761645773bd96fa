//! The execution plan engine: tasks form a DAG; the plan groups them into batches, predicts file conflicts,
//! pre-assigns worktrees and simulates schedules. Pure: it takes data and returns a plan; no I/O here.
//!
//! Submodules, one concept each:
//! - [`graph`]: validation (duplicates, unknown dependencies, cycles), topological order, critical path;
//! - [`conflicts`]: which tasks are predicted to touch the same files (paths and globs);
//! - [`batches`]: topological levels split so no batch holds two conflicting tasks;
//! - [`assign`]: worktree pre-assignment along epic boundaries, balanced by effort;
//! - [`schedule`]: the dynamic list scheduler shared by the simulator and the orchestrator;
//! - [`simulate`]: sequential, barrier (batch by batch) and dynamic simulations, and their report;
//! - [`edit`]: validation of manual adjustments to a plan.

pub mod assign;
pub mod batches;
pub mod conflicts;
pub mod edit;
pub mod graph;
pub mod schedule;
pub mod simulate;

pub mod planner;
pub mod predict;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use assign::worktree_name;
pub use conflicts::predict_conflicts;
pub use edit::{validate_edit, PlanEdit};
pub use graph::TaskGraph;
pub use schedule::{RunState, Scheduler};
pub use simulate::{
    simulate, simulate_barrier, simulate_dynamic, simulate_gated, simulate_sequential, GateModel, GatedTimes, Schedule,
    ScheduledTask, SimulationReport,
};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
}

/// Why a plan could not be built or an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The tasks on the cycle, in order: each depends on the next, the last on the first.
    #[error("dependency cycle: {}", cycle_text(.tasks))]
    Cycle { tasks: Vec<String> },
    #[error("task `{task}` depends on `{dependency}`, which does not exist")]
    UnknownDependency { task: String, dependency: String },
    #[error("task id `{id}` is used more than once")]
    DuplicateTask { id: String },
    #[error("the project has no tasks")]
    Empty,
    #[error("{reason}")]
    InvalidEdit { reason: String },
}

fn cycle_text(tasks: &[String]) -> String {
    tasks.iter().chain(tasks.first()).map(String::as_str).collect::<Vec<_>>().join(" -> ")
}

/// Builds the execution plan: validates the graph, predicts conflicts, splits topological levels into
/// conflict-free batches, pre-assigns worktrees and simulates the dynamic schedule for the figures.
pub fn build_plan(tasks: &[PlanTask], opts: &PlanOptions) -> Result<ExecutionPlan, PlanError> {
    let workers = opts.max_worktrees.max(1);
    let graph = TaskGraph::new(tasks)?;
    let conflicts = conflicts::Conflicts::new(tasks);
    let batch_lists = batches::split_levels(&graph, &conflicts);
    let batches = batches::to_batches(&graph, &conflicts, &batch_lists);
    let worktree_assignments = assign::assign_worktrees(&graph, &batch_lists, workers);
    let ids: Vec<&str> = graph.ids().iter().map(String::as_str).collect();
    let conflict_groups = conflicts.to_groups(&ids);

    let mut scheduler = Scheduler::from_parts(graph, conflicts);
    scheduler.tune(workers, schedule::DEFAULT_SEED);
    let dynamic = scheduler.simulate(workers);
    let graph = scheduler.graph();
    let critical = graph.critical_path();
    let stats = PlanStats {
        task_count: graph.len(),
        total_effort: graph.total_effort(),
        critical_path: critical.iter().map(|&i| graph.id(i).to_string()).collect(),
        critical_path_minutes: graph.critical_path_minutes(),
        workers,
        lower_bound: graph.lower_bound(workers),
        predicted_makespan: dynamic.makespan,
        gate_minutes: 0,
        predicted_with_gate: None,
    };
    Ok(ExecutionPlan {
        batches,
        worktree_assignments,
        stats,
        conflict_groups,
        legacy_conflicts: Vec::new(),
        pinned: Vec::new(),
    })
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
