//! The typed state of the live runs: one [`RunSnapshot`] per run, folded from its events by a pure function
//! ([`RunSnapshot::apply`]) in one place, for every reader (the window's tray, its notices, the CLI, the webview).

use serde::Serialize;
use ts_rs::TS;

use crate::model::{RunMode, TaskStatus};
use crate::run::events::Event;

/// Where a live run stands. A run that ended is no longer live: its end is its `run_finished` (or `run_failed`)
/// event and its stored report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunPhase {
    /// Accepted: recovering what an earlier process left and planning; no task has started yet.
    Starting,
    Running,
    /// No new task starts; running ones go on.
    Paused,
    /// Cancel was asked for: agents are being stopped.
    Cancelling,
}

/// One live run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct RunSnapshot {
    pub run_id: String,
    pub project_id: String,
    pub phase: RunPhase,
    pub mode: RunMode,
    /// Agents at once (1 once the run went sequential).
    pub workers: u32,
    /// The task in each worker slot (0-based; a slot is a worktree lane), `None` when the slot is free.
    pub slots: Vec<Option<String>>,
    /// Tasks whose kept branch lands again (retry merge): running, but in no worker slot.
    pub landing: Vec<String>,
    pub task_count: u32,
    pub done_count: u32,
}

impl RunSnapshot {
    /// A run accepted but not started yet.
    pub fn starting(run_id: &str, project_id: &str, mode: RunMode, workers: u32) -> RunSnapshot {
        RunSnapshot {
            run_id: run_id.to_string(),
            project_id: project_id.to_string(),
            phase: RunPhase::Starting,
            mode,
            workers,
            slots: vec![None; workers as usize],
            landing: Vec::new(),
            task_count: 0,
            done_count: 0,
        }
    }

    /// The tasks running now (in slots or landing).
    pub fn running(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().flatten().chain(&self.landing).map(String::as_str)
    }

    pub fn is_paused(&self) -> bool {
        self.phase == RunPhase::Paused
    }

    /// Follows one event of this run (events of other runs are ignored). Pure: the state after depends only on
    /// the state before and the event.
    pub fn apply(&mut self, event: &Event) {
        if event.run_id() != self.run_id {
            return;
        }
        match event {
            Event::RunStarted { mode, workers, task_count, done_count, .. } => {
                if self.phase == RunPhase::Starting {
                    self.phase = RunPhase::Running;
                }
                self.mode = *mode;
                self.workers = *workers;
                self.task_count = *task_count;
                self.done_count = *done_count;
                if self.slots.len() < *workers as usize {
                    self.slots.resize(*workers as usize, None);
                }
            }
            Event::RunPaused { .. } if self.phase != RunPhase::Cancelling => self.phase = RunPhase::Paused,
            Event::RunResumed { .. } if self.phase != RunPhase::Cancelling => self.phase = RunPhase::Running,
            Event::RunSequential { .. } => {
                // Tasks already running in other slots finish there; no new one starts beside them.
                self.mode = RunMode::Sequential;
                self.workers = 1;
            }
            Event::TaskStatusChanged { task_id, status, slot, .. } => {
                self.vacate(task_id);
                match (status, slot) {
                    (TaskStatus::InProgress, Some(slot)) => {
                        let slot = *slot as usize;
                        if self.slots.len() <= slot {
                            self.slots.resize(slot + 1, None);
                        }
                        self.slots[slot] = Some(task_id.clone());
                    }
                    (TaskStatus::Done, _) => self.done_count += 1,
                    _ => {}
                }
            }
            // A task in no slot that starts merging is a Review task landing again.
            Event::MergeStarted { task_id, .. } if !self.running().any(|t| t == task_id) => {
                self.landing.push(task_id.clone());
            }
            _ => {}
        }
    }

    fn vacate(&mut self, task_id: &str) {
        for slot in &mut self.slots {
            if slot.as_deref() == Some(task_id) {
                *slot = None;
            }
        }
        self.landing.retain(|t| t != task_id);
    }
}

/// Every live run of this process.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct RunsSnapshot {
    pub runs: Vec<RunSnapshot>,
}

impl RunsSnapshot {
    pub fn of_project(&self, project_id: &str) -> Option<&RunSnapshot> {
        self.runs.iter().find(|r| r.project_id == project_id)
    }

    /// (tasks running, projects with some running).
    pub fn running_counts(&self) -> (usize, usize) {
        let per: Vec<usize> = self.runs.iter().map(|r| r.running().count()).filter(|n| *n > 0).collect();
        (per.iter().sum(), per.len())
    }

    pub fn any_paused(&self) -> bool {
        self.runs.iter().any(RunSnapshot::is_paused)
    }
}

/// Whether a project has a run going in this process, and whether it is paused: what a window that (re)loads
/// asks before it follows the events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ActiveRunState {
    pub active: bool,
    pub paused: bool,
}

impl ActiveRunState {
    /// What a project's live run (if any) looks like to a window that (re)loads.
    pub fn of(run: Option<&RunSnapshot>) -> ActiveRunState {
        ActiveRunState { active: run.is_some(), paused: run.is_some_and(RunSnapshot::is_paused) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(task: &str, status: TaskStatus, slot: Option<u32>) -> Event {
        Event::TaskStatusChanged { run_id: "r".into(), task_id: task.into(), status, reason: None, slot }
    }

    fn started() -> RunSnapshot {
        let mut s = RunSnapshot::starting("r", "p", RunMode::Parallel, 2);
        s.apply(&Event::RunStarted {
            run_id: "r".into(),
            project_id: "p".into(),
            mode: RunMode::Parallel,
            workers: 2,
            lanes: vec!["wt-1".into(), "wt-2".into()],
            task_count: 5,
            done_count: 1,
        });
        s
    }

    #[test]
    fn a_run_starts_fills_its_slots_and_counts_what_is_done() {
        let mut s = RunSnapshot::starting("r", "p", RunMode::Parallel, 2);
        assert_eq!(s.phase, RunPhase::Starting);
        s = started();
        assert_eq!((s.phase, s.task_count, s.done_count), (RunPhase::Running, 5, 1));
        s.apply(&status("a", TaskStatus::InProgress, Some(0)));
        s.apply(&status("b", TaskStatus::InProgress, Some(1)));
        assert_eq!(s.slots, [Some("a".to_string()), Some("b".to_string())]);
        s.apply(&status("a", TaskStatus::Done, None));
        s.apply(&status("b", TaskStatus::Review, None));
        assert_eq!(s.slots, [None, None]);
        assert_eq!(s.done_count, 2);
        assert_eq!(s.running().count(), 0);
    }

    #[test]
    fn events_of_another_run_change_nothing() {
        let mut s = started();
        let before = s.clone();
        s.apply(&Event::TaskStatusChanged {
            run_id: "other".into(),
            task_id: "a".into(),
            status: TaskStatus::InProgress,
            reason: None,
            slot: Some(0),
        });
        s.apply(&Event::RunPaused { run_id: "other".into() });
        assert_eq!(s, before);
    }

    #[test]
    fn pause_resume_sequential_and_cancel() {
        let mut s = started();
        s.apply(&Event::RunPaused { run_id: "r".into() });
        assert!(s.is_paused());
        s.apply(&Event::RunResumed { run_id: "r".into() });
        assert_eq!(s.phase, RunPhase::Running);
        s.apply(&Event::RunSequential { run_id: "r".into() });
        assert_eq!((s.mode, s.workers), (RunMode::Sequential, 1));
        s.phase = RunPhase::Cancelling;
        s.apply(&Event::RunResumed { run_id: "r".into() });
        assert_eq!(s.phase, RunPhase::Cancelling, "a cancel is not undone by a late resume");
    }

    #[test]
    fn a_retry_merge_lands_outside_the_slots() {
        let mut s = started();
        s.apply(&status("a", TaskStatus::InProgress, Some(0)));
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "a".into(), branch: "b".into() });
        assert!(s.landing.is_empty(), "a task merging from its slot is not landing again");
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "x".into(), branch: "b".into() });
        assert_eq!(s.landing, ["x"]);
        assert_eq!(s.running().collect::<Vec<_>>(), ["a", "x"]);
        s.apply(&status("x", TaskStatus::Done, None));
        assert!(s.landing.is_empty());
    }

    #[test]
    fn a_slot_beyond_the_workers_is_taken_not_dropped() {
        let mut s = started();
        s.apply(&status("a", TaskStatus::InProgress, Some(3)));
        assert_eq!(s.slots.len(), 4);
        assert_eq!(s.running().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn counts_across_runs() {
        let mut one = started();
        one.apply(&status("a", TaskStatus::InProgress, Some(0)));
        one.apply(&status("b", TaskStatus::InProgress, Some(1)));
        let mut two = RunSnapshot::starting("r2", "p2", RunMode::Sequential, 1);
        two.apply(&Event::TaskStatusChanged {
            run_id: "r2".into(),
            task_id: "c".into(),
            status: TaskStatus::InProgress,
            reason: None,
            slot: Some(0),
        });
        two.apply(&Event::RunPaused { run_id: "r2".into() });
        let idle = RunSnapshot::starting("r3", "p3", RunMode::Parallel, 4);
        let all = RunsSnapshot { runs: vec![one, two, idle] };
        assert_eq!(all.running_counts(), (3, 2));
        assert!(all.any_paused());
        assert_eq!(all.of_project("p2").map(|r| r.run_id.as_str()), Some("r2"));
    }
}
