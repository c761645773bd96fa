//! The run loop's decisions as pure functions over its state ([`LoopState`]): which ready tasks start in which
//! slot, what a finished task changes, what a control command means, when the run is over. No I/O here: the loop
//! in `mod.rs` writes the database, emits the events and spawns the workers that these decisions call for, and the
//! decisions are tested with data alone.

use std::collections::{HashMap, HashSet};

use super::control::RunCommand;
use crate::model::{RunMode, Task, TaskStatus};
use crate::plan::PlanTask;
use crate::run::events::MergeKind;
use crate::run::report::TaskTiming;

/// What the loop knows of its run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LoopState {
    pub tasks: Vec<Task>,
    pub done: HashSet<String>,
    /// Tasks that may not start in this run: in Review, or sent back by a failure.
    pub parked: HashSet<String>,
    /// Retries asked for while the task was still running: applied when its result arrives (the Review event can
    /// reach a listener before the loop has taken in the result).
    pub pending_retries: HashSet<String>,
    pub running: HashMap<String, Occupancy>,
    /// The task in each worker slot.
    pub slots: Vec<Option<String>>,
    /// How many may run at once now (1 once sequential; the slots stay).
    pub workers: u32,
    /// Tasks pinned to a worker slot (the board's worktree moves).
    pub pins: HashMap<String, u32>,
    pub paused: bool,
    pub cancelled: bool,
    pub mode: RunMode,
    pub timings: Vec<TaskTiming>,
    pub merges: MergeCounts,
    /// The most the run's agent sessions may cost (USD); once spent, no task starts.
    pub budget: Option<f64>,
    /// What the run's agent sessions cost so far (USD), as they reported it.
    pub spent: f64,
}

/// The merge figures of the report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct MergeCounts {
    pub attempts: u32,
    pub auto_merged: u32,
    pub sent_to_review: u32,
    pub resolved_by_agent: u32,
}

/// What a worker reports of its task, as far as the decisions need it (the error that ends a run, if any, travels
/// beside it: [`super::worker::TaskResult`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finished {
    pub task_id: String,
    pub slot: Occupancy,
    pub status: TaskStatus,
    pub reason: Option<String>,
    /// Wall time of the task without its wait in the merge queue.
    pub work_ms: u64,
    /// From its agent being done to the end of its landing (0: it never reached the gate).
    pub gate_ms: u64,
    pub merge: Option<MergeKind>,
    /// The merge went through after the review agent resolved a conflict.
    pub resolved: bool,
}

/// What taking in a result calls for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Settled {
    /// The schedulable set changed: rebuild the scheduler.
    pub rebuild: bool,
    /// A retry was asked for while the task ran: apply it now.
    pub retry: bool,
    /// The run must stop (a fatal error): cancel every agent.
    pub stop: bool,
}

/// What a command means, for the loop to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Nothing to do (e.g. pause while paused).
    Nothing,
    /// Record and announce the pause (the state already says paused).
    Paused,
    Resumed,
    /// Stop every agent (the state already says cancelled).
    Cancel,
    /// Record and announce one task at a time.
    Sequential,
    /// Put the parked task back in the backlog now and rebuild the scheduler.
    RetryNow(String),
    /// Land the Review task's kept branch again (if the database still has one).
    RetryMerge(String),
    /// Tell the running task's agent to stop and send its work to the gate.
    MergeNow(String),
    /// Refused, with the reason (a warning for the task).
    Refuse {
        task_id: String,
        message: String,
    },
}

impl LoopState {
    /// A run's state before anything started: `all` is every task of the project, `pins` the plan's (those beyond
    /// `workers` are dropped: they run wherever a slot is free).
    pub fn new(all: Vec<Task>, workers: u32, pins: &[(String, u32)]) -> LoopState {
        LoopState {
            done: all.iter().filter(|t| t.status == TaskStatus::Done).map(|t| t.id.clone()).collect(),
            parked: all.iter().filter(|t| t.status == TaskStatus::Review).map(|t| t.id.clone()).collect(),
            tasks: all,
            pending_retries: HashSet::new(),
            running: HashMap::new(),
            slots: vec![None; workers as usize],
            workers,
            pins: pins.iter().filter(|&&(_, slot)| slot < workers).cloned().collect(),
            paused: false,
            cancelled: false,
            mode: RunMode::for_workers(workers),
            timings: Vec::new(),
            merges: MergeCounts::default(),
            budget: None,
            spent: 0.0,
        }
    }

    /// Only `only` (when given) may start in this run: every other task not done waits as if parked.
    pub fn only(mut self, only: Option<&[String]>) -> LoopState {
        if let Some(only) = only {
            for t in &self.tasks {
                if !only.contains(&t.id) && !self.done.contains(&t.id) {
                    self.parked.insert(t.id.clone());
                }
            }
        }
        self
    }

    /// The run's budget is spent: nothing more starts (what runs finishes).
    pub fn budget_spent(&self) -> bool {
        self.budget.is_some_and(|b| self.spent >= b)
    }

    /// The run's cost so far is `spent`. True when this is what spent the budget (it was not spent before).
    pub fn spend(&mut self, spent: f64) -> bool {
        let before = self.budget_spent();
        self.spent = spent.max(self.spent);
        !before && self.budget_spent()
    }

    /// The tasks that can still run in this run: not parked and not behind a parked task.
    pub fn schedulable(&self) -> Vec<PlanTask> {
        let mut blocked: HashSet<&str> = self.parked.iter().map(String::as_str).collect();
        loop {
            let before = blocked.len();
            for t in &self.tasks {
                if !blocked.contains(t.id.as_str()) && t.depends_on.iter().any(|d| blocked.contains(d.as_str())) {
                    blocked.insert(&t.id);
                }
            }
            if blocked.len() == before {
                break;
            }
        }
        self.tasks
            .iter()
            .filter(|t| !blocked.contains(t.id.as_str()))
            .map(|t| PlanTask {
                id: t.id.clone(),
                epic: t.epic.clone(),
                depends_on: t.depends_on.clone(),
                effort_minutes: t.effort_minutes.max(1),
                priority: t.priority,
                // The plan engine's prediction (declared files, named paths, co-change) when there is one.
                predicted_files: if t.predicted_files.is_empty() {
                    t.files.clone()
                } else {
                    t.predicted_files.iter().map(|p| p.path.clone()).collect()
                },
            })
            .collect()
    }

    /// How many more tasks may start: the workers less everything running (a landing again too: the run does one
    /// thing per worker; a task whose agent is done and whose work is at the gate does not count), or 0 while
    /// paused or cancelled.
    pub fn capacity(&self) -> usize {
        if self.paused || self.cancelled || self.budget_spent() {
            return 0;
        }
        let busy = self.running.values().filter(|o| !matches!(o, Occupancy::Gate(_))).count();
        (self.workers as usize).saturating_sub(busy)
    }

    /// Task `task_id`'s agent is done and its work went to the merge gate: its slot is free for the next task (the
    /// task still runs until its landing ends). Nothing for a task not working in a slot (e.g. already settled).
    /// One task at a time (sequential) keeps the slot until the landing: the next task starts from a target that
    /// has the work.
    pub fn at_gate(&mut self, task_id: &str) {
        let Some(&Occupancy::Worker(slot)) = self.running.get(task_id) else { return };
        if self.mode == RunMode::Sequential {
            return;
        }
        self.running.insert(task_id.to_string(), Occupancy::Gate(slot));
        if let Some(s) = self.slots.get_mut(slot as usize).filter(|s| s.as_deref() == Some(task_id)) {
            *s = None;
        }
    }

    /// Which of the scheduler's `ready` tasks (best first) start now, in which slot: a pinned task only in its
    /// own slot (it waits while that one is busy), the others in the lowest free slot; at most the free capacity.
    pub fn starts(&self, ready: &[String]) -> Vec<(String, u32)> {
        let mut free: Vec<bool> = self.slots.iter().map(Option::is_none).collect();
        let mut out = Vec::new();
        for task_id in ready {
            if out.len() >= self.capacity() {
                break;
            }
            let slot = match self.pins.get(task_id) {
                Some(&s) if free.get(s as usize) == Some(&true) => s,
                Some(_) => continue,
                None => match free.iter().position(|f| *f) {
                    Some(s) => s as u32,
                    None => break,
                },
            };
            free[slot as usize] = false;
            out.push((task_id.clone(), slot));
        }
        out
    }

    /// A task was started in `slot` at `at_ms` (from the run's start).
    pub fn started(&mut self, task_id: &str, slot: u32, at_ms: u64) {
        self.running.insert(task_id.to_string(), Occupancy::Worker(slot));
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = Some(task_id.to_string());
        }
        self.timings.push(TaskTiming {
            task_id: task_id.to_string(),
            slot,
            started_ms: at_ms,
            ended_ms: at_ms,
            work_ms: 0,
            gate_ms: 0,
            outcome: TaskStatus::InProgress,
            reason: None,
        });
    }

    /// Takes in a worker's result at `now_ms`; `fatal` when the worker hit an error that ends the run.
    pub fn settle(&mut self, r: &Finished, fatal: bool, now_ms: u64) -> Settled {
        self.running.remove(&r.task_id);
        // A landing again (retry merge) holds no slot and is not an attempt of its own in the timings.
        if let Occupancy::Worker(slot) = r.slot {
            // Freed already when its work went to the gate (and maybe taken by the next task since).
            if let Some(s) = self.slots.get_mut(slot as usize).filter(|s| s.as_deref() == Some(r.task_id.as_str())) {
                *s = None;
            }
            if let Some(t) = self.timings.iter_mut().rev().find(|t| t.task_id == r.task_id) {
                t.ended_ms = now_ms;
                t.work_ms = r.work_ms;
                t.gate_ms = r.gate_ms;
                t.outcome = r.status;
                t.reason = r.reason.clone();
            }
        }
        match r.merge {
            Some(MergeKind::Merged) => {
                self.merges.attempts += 1;
                self.merges.auto_merged += 1;
                self.merges.resolved_by_agent += u32::from(r.resolved);
            }
            Some(_) => {
                self.merges.attempts += 1;
                self.merges.sent_to_review += 1;
            }
            None => {}
        }
        if let Some(task) = self.tasks.iter_mut().find(|t| t.id == r.task_id) {
            task.status = r.status;
        }
        let mut settled = Settled::default();
        match r.status {
            TaskStatus::Done => {
                // Landed again from Review: its dependents may start now.
                settled.rebuild = self.parked.remove(&r.task_id);
                self.done.insert(r.task_id.clone());
            }
            _ if self.cancelled && !fatal => {}
            _ => {
                // Review, or back to the backlog after a failure: not again in this run.
                self.parked.insert(r.task_id.clone());
                settled.rebuild = true;
            }
        }
        settled.retry = self.pending_retries.remove(&r.task_id);
        if fatal {
            self.cancelled = true;
            settled.stop = true;
        }
        settled
    }

    /// What `cmd` means now; the state changes it makes are applied here.
    pub fn command(&mut self, cmd: RunCommand) -> Decision {
        match cmd {
            RunCommand::Pause if !self.paused => {
                self.paused = true;
                Decision::Paused
            }
            RunCommand::Resume if self.paused => {
                self.paused = false;
                Decision::Resumed
            }
            RunCommand::Pause | RunCommand::Resume => Decision::Nothing,
            RunCommand::Cancel => {
                self.cancelled = true;
                Decision::Cancel
            }
            RunCommand::ForceSequential if self.workers != 1 => {
                self.workers = 1;
                self.mode = RunMode::Sequential;
                Decision::Sequential
            }
            RunCommand::ForceSequential => Decision::Nothing,
            RunCommand::RetryTask(task_id) => {
                if self.running.contains_key(&task_id) {
                    self.pending_retries.insert(task_id);
                    Decision::Nothing
                } else if self.parked.remove(&task_id) {
                    if let Some(t) = self.tasks.iter_mut().find(|t| t.id == task_id) {
                        t.status = TaskStatus::Backlog;
                    }
                    Decision::RetryNow(task_id)
                } else {
                    let message = format!("task `{task_id}` cannot be retried: it is not in Review");
                    Decision::Refuse { task_id, message }
                }
            }
            RunCommand::RetryMerge(task_id) => {
                let in_review = self.parked.contains(&task_id)
                    && !self.running.contains_key(&task_id)
                    && self.tasks.iter().any(|t| t.id == task_id && t.status == TaskStatus::Review);
                if in_review {
                    Decision::RetryMerge(task_id)
                } else {
                    let message =
                        format!("task `{task_id}` cannot be merged again: it is not in Review with a kept branch");
                    Decision::Refuse { task_id, message }
                }
            }
            RunCommand::MergeNow(task_id) => match self.running.get(&task_id) {
                Some(Occupancy::Worker(_)) => Decision::MergeNow(task_id),
                _ => {
                    let message = format!("task `{task_id}` cannot be merged now: its agent is not running");
                    Decision::Refuse { task_id, message }
                }
            },
            RunCommand::MoveTask { task_id, slot } => {
                if (slot as usize) < self.slots.len() && self.tasks.iter().any(|t| t.id == task_id) {
                    self.pins.insert(task_id, slot);
                    Decision::Nothing
                } else {
                    let message = format!("cannot move `{task_id}` to slot {slot}: no such task or slot");
                    Decision::Refuse { task_id, message }
                }
            }
        }
    }

    /// A task of the run lands its kept branch again, outside the worker slots.
    pub fn landing(&mut self, task_id: &str) {
        self.running.insert(task_id.to_string(), Occupancy::Landing);
    }

    /// The run is over: nothing runs, and nothing more will start (cancelled, or not paused, or no one can resume
    /// it any more because its control is gone).
    pub fn is_over(&self, control_open: bool) -> bool {
        self.running.is_empty() && (self.cancelled || !self.paused || !control_open)
    }
}

/// What a task of the run holds while it runs: a worker slot (0-based; its worktree), none while its kept branch
/// only lands again (retry merge), or nothing of the workers' once its agent is done and its work waits for or
/// goes through the merge gate (`Gate`, with the slot it worked in, which may already run the next task).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occupancy {
    Worker(u32),
    Landing,
    Gate(u32),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str, deps: &[&str], status: TaskStatus) -> Task {
        Task::for_tests(id, deps, status)
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn state(workers: u32) -> LoopState {
        let all = vec![
            task("a", &[], TaskStatus::Backlog),
            task("b", &["a"], TaskStatus::Backlog),
            task("c", &[], TaskStatus::Backlog),
            task("d", &[], TaskStatus::Backlog),
            task("r", &[], TaskStatus::Review),
            task("after-r", &["r"], TaskStatus::Backlog),
            task("x", &[], TaskStatus::Done),
        ];
        LoopState::new(all, workers, &[])
    }

    fn finished(task: &str, slot: Occupancy, status: TaskStatus, merge: Option<MergeKind>) -> Finished {
        Finished { task_id: task.into(), slot, status, reason: None, work_ms: 100, gate_ms: 0, merge, resolved: false }
    }

    #[test]
    fn a_new_state_knows_done_and_review_tasks_and_drops_pins_beyond_its_workers() {
        let s = LoopState::new(state(2).tasks, 2, &[("a".into(), 1), ("c".into(), 3)]);
        assert_eq!(s.done, HashSet::from(["x".to_string()]));
        assert_eq!(s.parked, HashSet::from(["r".to_string()]));
        assert_eq!(s.pins, HashMap::from([("a".to_string(), 1)]));
        assert_eq!((s.mode, s.slots.len()), (RunMode::Parallel, 2));
        assert_eq!(LoopState::new(vec![], 1, &[]).mode, RunMode::Sequential);
    }

    #[test]
    fn a_run_of_some_tasks_parks_the_others() {
        let s = state(2).only(Some(&ids(&["c"])));
        let plan: Vec<String> = s.schedulable().into_iter().map(|t| t.id).collect();
        assert_eq!(plan, ids(&["c", "x"]), "only c (and what is done) is schedulable");
        assert_eq!(state(2).only(None), state(2));
    }

    #[test]
    fn a_spent_budget_starts_nothing_more_and_says_so_once() {
        let mut s = state(2);
        s.budget = Some(1.0);
        assert!(!s.spend(0.4), "under the budget");
        assert_eq!(s.starts(&ids(&["a", "c"])).len(), 2);
        s.started("a", 0, 0);
        assert!(s.spend(1.2), "this result spent it");
        assert!(s.budget_spent());
        assert!(s.starts(&ids(&["c"])).is_empty(), "nothing starts once spent");
        assert!(!s.spend(1.5), "said once");
        assert!(!s.is_over(true), "what runs finishes");
        s.settle(&finished("a", Occupancy::Worker(0), TaskStatus::Done, Some(MergeKind::Merged)), false, 5);
        assert!(s.is_over(true), "then the run ends");
        let mut free = state(2);
        assert!(!free.spend(100.0) && !free.budget_spent(), "no budget, no limit");
    }

    #[test]
    fn tasks_behind_a_parked_task_are_not_schedulable() {
        let s = state(2);
        let plan: Vec<String> = s.schedulable().into_iter().map(|t| t.id).collect();
        assert_eq!(plan, ids(&["a", "b", "c", "d", "x"]));
    }

    #[test]
    fn starts_fill_free_slots_up_to_capacity_and_honour_pins() {
        let mut s = state(3);
        assert_eq!(s.starts(&ids(&["a", "c", "d", "b"])), [("a".into(), 0), ("c".into(), 1), ("d".into(), 2)]);
        s.pins.insert("c".into(), 2);
        assert_eq!(
            s.starts(&ids(&["a", "c", "d"])),
            [("a".into(), 0), ("c".into(), 2), ("d".into(), 1)],
            "a pinned task takes its own slot; the others the lowest free one"
        );
        s.started("d", 2, 0);
        assert_eq!(s.starts(&ids(&["c", "a"])), [("a".into(), 0)], "c waits for its busy slot");
        s.paused = true;
        assert!(s.starts(&ids(&["a"])).is_empty(), "nothing starts while paused");
        s.paused = false;
        s.workers = 1;
        assert!(s.starts(&ids(&["a"])).is_empty(), "sequential: one at a time, d is running");
    }

    #[test]
    fn a_landing_counts_against_the_workers_but_holds_no_slot() {
        let mut s = state(2);
        s.landing("r");
        assert_eq!(s.capacity(), 1);
        assert_eq!(s.starts(&ids(&["a", "c"])), [("a".into(), 0)]);
        assert!(s.slots.iter().all(Option::is_none));
        assert!(!s.is_over(true), "the run waits for the landing");
    }

    #[test]
    fn a_task_at_the_gate_frees_its_slot_for_the_next_task_and_its_landing_does_not_free_the_new_ones() {
        let mut s = state(2);
        s.started("a", 0, 0);
        s.started("d", 1, 0);
        assert_eq!(s.capacity(), 0);
        s.at_gate("a");
        assert_eq!((s.capacity(), s.running.get("a")), (1, Some(&Occupancy::Gate(0))));
        assert_eq!(s.starts(&ids(&["c"])), [("c".into(), 0)], "the next task takes the slot");
        s.started("c", 0, 5);
        assert!(!s.is_over(true), "a waits for its landing");
        // a lands: its result names the slot it worked in, which c now holds.
        s.settle(&finished("a", Occupancy::Worker(0), TaskStatus::Done, Some(MergeKind::Merged)), false, 9);
        assert_eq!(s.slots, vec![Some("c".to_string()), Some("d".to_string())], "c keeps its slot");
        assert_eq!(s.capacity(), 0);
        assert!(s.done.contains("a"));
        let a = s.timings.iter().find(|t| t.task_id == "a").unwrap();
        assert_eq!((a.ended_ms, a.outcome), (9, TaskStatus::Done));
        // Only a task working in a slot goes to the gate; twice, or after its result, changes nothing.
        s.at_gate("a");
        s.landing("r");
        s.at_gate("r");
        assert_eq!(s.running.get("r"), Some(&Occupancy::Landing));
        s.at_gate("c");
        s.at_gate("c");
        assert_eq!((s.running.get("c"), s.slots[0].as_deref()), (Some(&Occupancy::Gate(0)), None));
        assert_eq!(s.capacity(), 0, "d and the landing again count");
        let refused = s.command(RunCommand::MergeNow("c".into()));
        assert!(matches!(refused, Decision::Refuse { .. }), "its agent is done: nothing to stop");
        // One task at a time: the slot stays taken until the landing, so the next task starts on the landed work.
        let mut one = state(1);
        one.started("a", 0, 0);
        one.at_gate("a");
        assert_eq!((one.capacity(), one.running.get("a")), (0, Some(&Occupancy::Worker(0))));
    }

    #[test]
    fn settling_accounts_merges_timings_and_parks_failures() {
        let mut s = state(2);
        s.started("a", 0, 10);
        s.started("c", 1, 20);
        let got = s.settle(&finished("a", Occupancy::Worker(0), TaskStatus::Done, Some(MergeKind::Merged)), false, 500);
        assert_eq!(got, Settled::default());
        assert!(s.done.contains("a") && s.slots[0].is_none());
        assert_eq!((s.timings[0].ended_ms, s.timings[0].work_ms, s.timings[0].outcome), (500, 100, TaskStatus::Done));

        let got =
            s.settle(&finished("c", Occupancy::Worker(1), TaskStatus::Review, Some(MergeKind::Conflict)), false, 600);
        assert!(got.rebuild, "a parked task changes what can run");
        assert!(s.parked.contains("c"));
        assert_eq!(s.merges, MergeCounts { attempts: 2, auto_merged: 1, sent_to_review: 1, resolved_by_agent: 0 });
        assert_eq!(s.tasks.iter().find(|t| t.id == "c").unwrap().status, TaskStatus::Review);
        assert!(s.is_over(true));
    }

    #[test]
    fn a_task_landed_again_from_review_frees_its_dependents_without_a_new_timing() {
        let mut s = state(2);
        s.landing("r");
        let got = s.settle(&finished("r", Occupancy::Landing, TaskStatus::Done, Some(MergeKind::Merged)), false, 900);
        assert!(got.rebuild);
        assert!(s.timings.is_empty());
        assert!(s.schedulable().iter().any(|t| t.id == "after-r"));
    }

    #[test]
    fn a_cancelled_task_goes_back_without_parking_and_a_fatal_one_stops_the_run() {
        let mut s = state(2);
        s.started("a", 0, 0);
        s.started("c", 1, 0);
        assert_eq!(s.command(RunCommand::Cancel), Decision::Cancel);
        assert_eq!(
            s.settle(&finished("a", Occupancy::Worker(0), TaskStatus::Backlog, None), false, 1),
            Settled::default()
        );
        assert!(!s.parked.contains("a"));
        let got = s.settle(&finished("c", Occupancy::Worker(1), TaskStatus::Backlog, None), true, 2);
        assert!(got.stop && got.rebuild && s.parked.contains("c"));
    }

    #[test]
    fn a_retry_while_running_waits_for_the_result() {
        let mut s = state(2);
        s.started("a", 0, 0);
        assert_eq!(s.command(RunCommand::RetryTask("a".into())), Decision::Nothing);
        let got = s.settle(&finished("a", Occupancy::Worker(0), TaskStatus::Review, None), false, 5);
        assert!(got.retry);
        assert_eq!(s.command(RunCommand::RetryTask("a".into())), Decision::RetryNow("a".into()));
        assert!(!s.parked.contains("a"));
        assert_eq!(s.tasks.iter().find(|t| t.id == "a").unwrap().status, TaskStatus::Backlog);
    }

    #[test]
    fn commands_are_refused_with_their_reason_when_they_cannot_apply() {
        let mut s = state(2);
        let refused = |d: Decision| matches!(d, Decision::Refuse { .. });
        assert!(refused(s.command(RunCommand::RetryTask("a".into()))), "not in Review");
        assert!(refused(s.command(RunCommand::RetryMerge("a".into()))), "not in Review");
        assert_eq!(s.command(RunCommand::RetryMerge("r".into())), Decision::RetryMerge("r".into()));
        assert!(refused(s.command(RunCommand::MergeNow("a".into()))), "not running");
        s.landing("r");
        assert!(refused(s.command(RunCommand::MergeNow("r".into()))), "a landing has no agent");
        s.started("a", 0, 0);
        assert_eq!(s.command(RunCommand::MergeNow("a".into())), Decision::MergeNow("a".into()));
        assert!(refused(s.command(RunCommand::MoveTask { task_id: "c".into(), slot: 5 })));
        assert!(refused(s.command(RunCommand::MoveTask { task_id: "nope".into(), slot: 0 })));
        assert_eq!(s.command(RunCommand::MoveTask { task_id: "c".into(), slot: 1 }), Decision::Nothing);
        assert_eq!(s.pins.get("c"), Some(&1));
    }

    #[test]
    fn pause_resume_and_sequential_change_state_once() {
        let mut s = state(3);
        assert_eq!(s.command(RunCommand::Pause), Decision::Paused);
        assert_eq!(s.command(RunCommand::Pause), Decision::Nothing);
        assert!(!s.is_over(true), "a paused run waits for its control");
        assert!(s.is_over(false), "unless no one can resume it");
        assert_eq!(s.command(RunCommand::Resume), Decision::Resumed);
        assert_eq!(s.command(RunCommand::Resume), Decision::Nothing);
        assert_eq!(s.command(RunCommand::ForceSequential), Decision::Sequential);
        assert_eq!((s.workers, s.mode), (1, RunMode::Sequential));
        assert_eq!(s.command(RunCommand::ForceSequential), Decision::Nothing);
    }
}
