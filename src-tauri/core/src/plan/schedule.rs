//! The dynamic list scheduler, shared by the simulator and the orchestrator: a task starts as soon as all its
//! dependencies are done (merged) and a worker is free, never while a task predicted to conflict with it is
//! running. Ready tasks are taken in the scheduler's dispatch order: longest remaining critical path first,
//! then higher priority, then id. [`Scheduler::tune`] may refine that order with a few seeded perturbations,
//! kept only when they shorten the simulated makespan (greedy list scheduling can be beaten where conflicts
//! bind); the orchestrator then follows the same refined order.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashSet};

use serde::{Deserialize, Serialize};

use super::conflicts::Conflicts;
use super::graph::TaskGraph;
use super::types::PlanTask;
use super::{types::Schedule, types::ScheduledTask};
use crate::error::PlanError;

/// The seed [`super::build_plan`] and [`super::simulate_dynamic`] tune with, so plans are reproducible.
pub const DEFAULT_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Work units (tasks + dependency edges + conflict edges) the tuning pass may spend, summed over its runs.
const TUNING_BUDGET: usize = 400_000;
const MAX_TUNING_ROUNDS: usize = 256;

/// What is going on right now, as the orchestrator sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// Tasks done (merged): their dependents may start.
    pub done: HashSet<String>,
    /// Tasks currently running: tasks conflicting with them must wait.
    pub running: HashSet<String>,
    /// Workers (worktrees) free to take a task now.
    pub free_workers: usize,
}

/// One task's slot in a simulation, by input position.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    start: u64,
    end: u64,
    worker: usize,
}

/// The task graph and predicted conflicts, plus the order in which ready tasks are dispatched.
#[derive(Debug, Clone)]
pub struct Scheduler {
    graph: TaskGraph,
    conflicts: Conflicts,
    /// Tasks in dispatch order.
    order: Vec<usize>,
    /// `pos[t]`: where task `t` stands in `order`.
    pos: Vec<u32>,
}

impl Scheduler {
    /// Validates the tasks, predicts conflicts and orders tasks by remaining critical path (untuned).
    pub fn new(tasks: &[PlanTask]) -> Result<Scheduler, PlanError> {
        let graph = TaskGraph::new(tasks)?;
        let conflicts = Conflicts::new(tasks);
        Ok(Scheduler::from_parts(graph, conflicts))
    }

    pub(crate) fn from_parts(graph: TaskGraph, conflicts: Conflicts) -> Scheduler {
        let mut order: Vec<usize> = (0..graph.len()).collect();
        super::batches::urgency_order(&graph, &mut order);
        let pos = positions(&order);
        Scheduler { graph, conflicts, order, pos }
    }

    /// The validated task graph.
    pub fn graph(&self) -> &TaskGraph {
        &self.graph
    }

    /// Whether two tasks (by id) are predicted to conflict.
    pub fn conflicts(&self, a: &str, b: &str) -> bool {
        match (self.graph.position(a), self.graph.position(b)) {
            (Some(a), Some(b)) => self.conflicts.between(a, b),
            _ => false,
        }
    }

    /// Task ids in dispatch order: among ready tasks, earlier ones start first.
    pub fn dispatch_order(&self) -> Vec<&str> {
        self.order.iter().map(|&t| self.graph.id(t)).collect()
    }

    /// The tasks to start now, in dispatch order: not done or running, all dependencies done, no predicted
    /// conflict with a running task or with another task picked here; at most `state.free_workers` of them.
    /// Ids in `state` that the scheduler does not know are ignored.
    pub fn next_ready(&self, state: &RunState) -> Vec<String> {
        let mut picked = Vec::new();
        if state.free_workers == 0 {
            return picked;
        }
        let mut busy = self.conflicts.idle();
        for t in state.running.iter().filter_map(|id| self.graph.position(id)) {
            self.conflicts.occupy(t, &mut busy, true);
        }
        for &t in &self.order {
            let id = self.graph.id(t);
            if self.conflicts.blocked(t, &busy) || state.done.contains(id) || state.running.contains(id) {
                continue;
            }
            if self.graph.deps[t].iter().all(|&d| state.done.contains(self.graph.id(d))) {
                picked.push(id.to_string());
                self.conflicts.occupy(t, &mut busy, true);
                if picked.len() == state.free_workers {
                    break;
                }
            }
        }
        picked
    }

    /// Simulates the dynamic schedule with `workers` workers (0 is treated as 1) and efforts as durations.
    pub fn simulate(&self, workers: usize) -> Schedule {
        let mut slots = Vec::new();
        let makespan = self.run(workers, &self.order, &self.pos, &mut slots);
        self.to_schedule(workers, makespan, &slots)
    }

    /// Simulates a list schedule with another dispatch order: higher `priorities[i]` (by input position)
    /// first, ties in the scheduler's own order. Same rules as [`Scheduler::simulate`]; used to compare
    /// against randomized list schedules.
    pub fn simulate_with_priorities(&self, workers: usize, priorities: &[u64]) -> Schedule {
        let mut order = self.order.clone();
        order.sort_by_key(|&t| Reverse(priorities.get(t).copied().unwrap_or(0)));
        let pos = positions(&order);
        let mut slots = Vec::new();
        let makespan = self.run(workers, &order, &pos, &mut slots);
        self.to_schedule(workers, makespan, &slots)
    }

    /// Improvement pass: tries seeded perturbations of the dispatch order (within a work budget that shrinks
    /// as the graph grows, stopping within 0.5% of the lower bound) and keeps any that shortens the simulated
    /// makespan. Deterministic for a given seed.
    /// Returns the makespan of the resulting order.
    pub fn tune(&mut self, workers: usize, seed: u64) -> u64 {
        let n = self.graph.len();
        let lower = self.graph.lower_bound(workers);
        let mut slots = Vec::new();
        let mut best = self.run(workers, &self.order, &self.pos, &mut slots);
        let work = n + self.graph.deps.iter().map(Vec::len).sum::<usize>() + self.conflicts.size();
        let rounds = (TUNING_BUDGET / work.max(1)).min(MAX_TUNING_ROUNDS);
        let mut rng = XorShift::new(seed);
        // Keys: the current best order expressed as scores (higher first).
        let mut keys: Vec<f64> = self.graph.rank.iter().map(|&r| r as f64 + 1.0).collect();
        let mut cand_keys = vec![0f64; n];
        let mut cand_order: Vec<usize> = Vec::with_capacity(n);
        for round in 0..rounds {
            // Within 0.5% of the lower bound there is nothing worth finding.
            if best * 200 <= lower * 201 {
                break;
            }
            // Mostly perturb the best order found so far; every fifth round explores a random order.
            if round % 5 == 4 {
                cand_keys.iter_mut().for_each(|c| *c = rng.unit());
            } else {
                let spread = [0.05, 0.15, 0.3, 0.6][round % 5];
                for (c, &k) in cand_keys.iter_mut().zip(&keys) {
                    *c = k * (1.0 + spread * (2.0 * rng.unit() - 1.0));
                }
            }
            cand_order.clear();
            cand_order.extend(self.order.iter().copied());
            cand_order.sort_by(|&a, &b| cand_keys[b].total_cmp(&cand_keys[a]));
            let cand_pos = positions(&cand_order);
            let makespan = self.run(workers, &cand_order, &cand_pos, &mut slots);
            if makespan < best {
                best = makespan;
                std::mem::swap(&mut keys, &mut cand_keys);
                self.order.clone_from(&cand_order);
                self.pos = cand_pos;
            }
        }
        best
    }

    fn to_schedule(&self, workers: usize, makespan: u64, slots: &[Slot]) -> Schedule {
        Schedule {
            makespan,
            workers: workers.max(1),
            tasks: slots
                .iter()
                .enumerate()
                .map(|(t, s)| ScheduledTask {
                    task_id: self.graph.id(t).to_string(),
                    worker: s.worker,
                    start: s.start,
                    end: s.end,
                })
                .collect(),
        }
    }

    /// Event-driven list scheduling with the given dispatch order; fills `slots` by input position and
    /// returns the makespan.
    ///
    /// Ready tasks blocked by a running conflict group wait in that group's queue instead of being scanned at
    /// every event: when a group frees up, only the first task of its queue (in dispatch order) comes back, since
    /// once it starts it blocks the rest again. That keeps the schedule exactly the plain list schedule while
    /// thousands of tasks sharing one file cost a few operations per event, not a scan of all of them.
    fn run(&self, workers: usize, order: &[usize], pos: &[u32], slots: &mut Vec<Slot>) -> u64 {
        let g = &self.graph;
        let c = &self.conflicts;
        let n = g.len();
        slots.clear();
        slots.resize(n, Slot::default());
        let mut missing: Vec<u32> = g.deps.iter().map(|d| d.len() as u32).collect();
        let mut busy = c.idle();
        let mut waiting: Vec<BTreeSet<u32>> = vec![BTreeSet::new(); c.groups.len()];
        let mut ready: BTreeSet<u32> = (0..n).filter(|&t| missing[t] == 0).map(|t| pos[t]).collect();
        let mut free: BinaryHeap<Reverse<usize>> = (0..workers.max(1)).map(Reverse).collect();
        let mut events: BinaryHeap<Reverse<(u64, u32)>> = BinaryHeap::new();
        let mut now = 0u64;
        // The first waiter of each free group among `groups` comes back to `ready`.
        let promote = |groups: &[u32], busy: &[u32], waiting: &mut [BTreeSet<u32>], ready: &mut BTreeSet<u32>| {
            for &k in groups {
                if busy[k as usize] == 0 {
                    if let Some(p) = waiting[k as usize].pop_first() {
                        ready.insert(p);
                    }
                }
            }
        };
        loop {
            let mut cursor = 0u32;
            while !free.is_empty() {
                let Some(&p) = ready.range(cursor..).next() else { break };
                cursor = p + 1;
                let t = order[p as usize];
                ready.remove(&p);
                if let Some(&k) = c.of[t].iter().find(|&&k| busy[k as usize] > 0) {
                    // Blocked: it waits for group `k`; its free groups' next waiters take its place.
                    waiting[k as usize].insert(p);
                    promote(&c.of[t], &busy, &mut waiting, &mut ready);
                    continue;
                }
                let Some(Reverse(worker)) = free.pop() else { unreachable!("a worker is free") };
                c.occupy(t, &mut busy, true);
                let end = now + g.effort[t];
                slots[t] = Slot { start: now, end, worker };
                events.push(Reverse((end, p)));
            }
            let Some(&Reverse((end, _))) = events.peek() else {
                break;
            };
            now = end;
            while let Some(&Reverse((end, p))) = events.peek() {
                if end != now {
                    break;
                }
                events.pop();
                let t = order[p as usize];
                free.push(Reverse(slots[t].worker));
                c.occupy(t, &mut busy, false);
                promote(&c.of[t], &busy, &mut waiting, &mut ready);
                for &s in &g.succs[t] {
                    missing[s] -= 1;
                    if missing[s] == 0 {
                        ready.insert(pos[s]);
                    }
                }
            }
        }
        debug_assert!(ready.is_empty() && waiting.iter().all(BTreeSet::is_empty), "every task is scheduled");
        now
    }
}

fn positions(order: &[usize]) -> Vec<u32> {
    let mut pos = vec![0u32; order.len()];
    for (p, &t) in order.iter().enumerate() {
        pos[t] = p as u32;
    }
    pos
}

/// A tiny deterministic RNG (xorshift64*), enough for perturbing priorities.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
