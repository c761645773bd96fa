//! Schedule simulations in virtual minutes (each task takes its effort): sequential (one after another),
//! barrier (the plan's batches, each batch waiting for the whole previous one) and dynamic (the
//! [`Scheduler`]), and the [`SimulationReport`] comparing them. [`simulate_gated`] adds the merge gate: every
//! landing is tested, branches that wait together are tested together, and a dependent starts only once its
//! dependency landed.

use super::types::{PlannedBar, Schedule, ScheduledTask};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::conflicts::Conflicts;
use super::graph::TaskGraph;
use super::schedule::{RunState, Scheduler, DEFAULT_SEED};
use super::{batches, types::PlanTask};
use crate::error::PlanError;

/// The three simulations side by side. Key names are part of the CLI's JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SimulationReport {
    /// Minutes with one worker: the sum of efforts.
    #[ts(type = "number")]
    pub sequential: u64,
    /// Minutes batch by batch.
    #[ts(type = "number")]
    pub barrier: u64,
    /// Minutes with the dynamic scheduler.
    #[ts(type = "number")]
    pub dynamic: u64,
    /// `max(critical_path_minutes, ceil(total effort / workers))`.
    #[ts(type = "number")]
    pub lower_bound: u64,
    pub critical_path: Vec<String>,
    #[ts(type = "number")]
    pub critical_path_minutes: u64,
    #[ts(type = "number")]
    pub workers: usize,
}

/// Minutes to run every task one after another: the sum of efforts.
pub fn simulate_sequential(tasks: &[PlanTask]) -> u64 {
    tasks.iter().map(|t| u64::from(t.effort_minutes)).sum()
}

/// The plan's batches run one after another; within a batch at most `workers` tasks run at once, longest
/// first onto the earliest free worker.
pub fn simulate_barrier(tasks: &[PlanTask], workers: usize) -> Result<Schedule, PlanError> {
    let graph = TaskGraph::new(tasks)?;
    let conflicts = Conflicts::new(tasks);
    Ok(barrier(&graph, &batches::split_levels(&graph, &conflicts), workers))
}

/// The dynamic schedule: the tuned [`Scheduler`] with `workers` workers.
pub fn simulate_dynamic(tasks: &[PlanTask], workers: usize) -> Result<Schedule, PlanError> {
    let mut scheduler = Scheduler::new(tasks)?;
    scheduler.tune(workers, DEFAULT_SEED);
    Ok(scheduler.simulate(workers))
}

/// Sequential, barrier and dynamic makespans with the lower bound and the critical path.
pub fn simulate(tasks: &[PlanTask], workers: usize) -> Result<SimulationReport, PlanError> {
    let workers = workers.max(1);
    let graph = TaskGraph::new(tasks)?;
    let conflicts = Conflicts::new(tasks);
    let barrier = barrier(&graph, &batches::split_levels(&graph, &conflicts), workers).makespan;
    let mut scheduler = Scheduler::from_parts(graph, conflicts);
    let dynamic = scheduler.tune(workers, DEFAULT_SEED);
    let graph = scheduler.graph();
    Ok(SimulationReport {
        sequential: graph.total_effort(),
        barrier,
        dynamic,
        lower_bound: graph.lower_bound(workers),
        critical_path: graph.critical_path().into_iter().map(|i| graph.id(i).to_string()).collect(),
        critical_path_minutes: graph.critical_path_minutes(),
        workers,
    })
}

pub(crate) fn barrier(graph: &TaskGraph, lists: &[Vec<usize>], workers: usize) -> Schedule {
    let workers = workers.max(1);
    let mut out: Vec<ScheduledTask> =
        graph.ids().iter().map(|id| ScheduledTask { task_id: id.clone(), worker: 0, start: 0, end: 0 }).collect();
    let mut start = 0u64;
    for list in lists {
        let mut batch = list.clone();
        batch.sort_by_key(|&t| (std::cmp::Reverse(graph.effort[t]), t));
        let mut free_at = vec![start; workers];
        for t in batch {
            let w = (0..workers).min_by_key(|&w| (free_at[w], w)).unwrap_or(0);
            let end = free_at[w] + graph.effort[t];
            let slot = &mut out[t];
            (slot.worker, slot.start, slot.end) = (w, free_at[w], end);
            free_at[w] = end;
        }
        start = free_at.into_iter().max().unwrap_or(start);
    }
    Schedule { makespan: start, workers, tasks: out }
}

/// The merge gate as the simulator sees it ([`crate::gate::merge::MergeGate::land_batch`]): one test run at a time, each
/// taking `test_minutes`, for every branch that waits when it starts (at most `max_batch`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateModel {
    pub test_minutes: f64,
    pub max_batch: usize,
}

/// What [`simulate_gated`] found, in minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct GatedTimes {
    /// When the last task has landed, with `workers` agents and the gate.
    pub makespan: f64,
    /// One agent, each task tested on its own after it: the sum of efforts and test runs.
    pub sequential: f64,
    /// Each task's planned place, in the order they start (the timeline's planned bars).
    pub bars: Vec<PlannedBar>,
}

/// The run as the orchestrator drives it ([`Scheduler::next_ready`] at every event), with the merge gate: an agent's
/// slot takes the next task as soon as its work goes to the gate (with one worker, only once it landed, as a
/// sequential run does); the gate tests what waits together; a task counts as done (its dependents may start, and
/// tasks conflicting with it may run) once it landed. No test failures are modelled.
pub fn simulate_gated(tasks: &[PlanTask], workers: usize, gate: GateModel) -> Result<GatedTimes, PlanError> {
    use std::collections::{HashMap, HashSet, VecDeque};
    let workers = workers.max(1);
    let mut scheduler = Scheduler::new(tasks)?;
    scheduler.tune(workers, DEFAULT_SEED);
    let effort: HashMap<&str, f64> = tasks.iter().map(|t| (t.id.as_str(), f64::from(t.effort_minutes))).collect();
    let test = gate.test_minutes.max(0.0);
    let mut state = RunState { done: HashSet::new(), running: HashSet::new(), free_workers: workers };
    let mut agents: Vec<(f64, String)> = Vec::new();
    let mut waiting: VecDeque<String> = VecDeque::new();
    let mut testing: Option<(f64, Vec<String>)> = None;
    let mut now = 0.0f64;
    // Which worker each task holds (a worker is free again when its agent is done; with one, once it landed).
    let mut idle: Vec<usize> = (0..workers).rev().collect();
    let mut holding: HashMap<String, usize> = HashMap::new();
    let mut bars: Vec<PlannedBar> = Vec::new();
    let mut bar_of: HashMap<String, usize> = HashMap::new();
    loop {
        if state.free_workers > 0 {
            for id in scheduler.next_ready(&state) {
                state.free_workers -= 1;
                let end = now + effort.get(id.as_str()).copied().unwrap_or(0.0);
                let worker = idle.pop().unwrap_or(0);
                holding.insert(id.clone(), worker);
                bar_of.insert(id.clone(), bars.len());
                bars.push(PlannedBar { task_id: id.clone(), worker: worker as u32, start: now, end, landed: end });
                agents.push((end, id.clone()));
                state.running.insert(id);
            }
        }
        if testing.is_none() && !waiting.is_empty() {
            let n = waiting.len().min(gate.max_batch.max(1));
            testing = Some((now + test, waiting.drain(..n).collect()));
        }
        let next_agent = agents.iter().map(|(end, _)| *end).fold(f64::INFINITY, f64::min);
        let next = next_agent.min(testing.as_ref().map_or(f64::INFINITY, |(end, _)| *end));
        if !next.is_finite() {
            break;
        }
        now = next;
        let (ended, going): (Vec<_>, Vec<_>) = agents.drain(..).partition(|(end, _)| *end <= now);
        agents = going;
        for (_, id) in ended {
            if workers > 1 {
                state.free_workers += 1;
                idle.extend(holding.remove(&id));
            }
            waiting.push_back(id);
        }
        if let Some((end, batch)) = testing.take() {
            if end <= now {
                for id in batch {
                    if let Some(&b) = bar_of.get(&id) {
                        bars[b].landed = now;
                    }
                    state.running.remove(&id);
                    state.done.insert(id.clone());
                    if workers == 1 {
                        state.free_workers += 1;
                        idle.extend(holding.remove(&id));
                    }
                }
            } else {
                testing = Some((end, batch));
            }
        }
    }
    let sequential = tasks.iter().map(|t| f64::from(t.effort_minutes) + test).sum();
    Ok(GatedTimes { makespan: now, sequential, bars })
}
