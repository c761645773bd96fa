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
pub mod measured;
pub mod schedule;
pub mod simulate;
pub mod types;

pub mod planner;
pub mod predict;
#[cfg(test)]
mod tests;

use crate::error::PlanError;

pub use assign::worktree_name;
pub use conflicts::predict_conflicts;
pub use edit::{validate_edit, PlanEdit};
pub use graph::TaskGraph;
pub use schedule::{RunState, Scheduler};
pub use simulate::{
    simulate, simulate_barrier, simulate_dynamic, simulate_gated, simulate_sequential, GateModel, GatedTimes,
    SimulationReport,
};
pub use types::{
    Batch, ConflictGroup, ConflictPair, ExecutionPlan, PlanOptions, PlanStats, PlanTask, PlannedBar, Schedule,
    ScheduledTask, WorktreeAssignment,
};

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
        schedule: Vec::new(),
    })
}
