//! The merge gate of a live run as its events leave it: what waits, what it tests now, what it landed (or not)
//! lately. Pure: [`GateState::apply`] is a function of the state and one event.

use serde::Serialize;
use ts_rs::TS;

use crate::run::events::{Event, MergeKind, PreflightResult};

/// The gate's results kept in [`GateState::recent`].
pub const RECENT_KEPT: usize = 8;

/// A task's landing as the gate told it: its result, and how many tasks were tested together with it (1: alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct GateLanding {
    pub task_id: String,
    pub result: MergeKind,
    pub batch: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct GateState {
    /// Tasks whose work went to the gate and that it has not taken yet, in arrival order.
    pub waiting: Vec<String>,
    /// Tasks being tested in their own worktrees meanwhile (their pre-flight), in the order they started.
    pub preflight: Vec<String>,
    /// Tasks whose pre-flight failed in this run (newest last).
    pub preflight_failed: Vec<String>,
    /// The batch the gate tests now (in landing order), less the tasks whose result came already.
    pub testing: Vec<String>,
    /// How many tasks the batch of `testing` had when the gate took it.
    pub testing_batch: u32,
    /// The latest results, newest first (at most [`RECENT_KEPT`]).
    pub recent: Vec<GateLanding>,
}

impl GateState {
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::MergeStarted { task_id, .. } if !self.waiting.contains(task_id) => {
                self.waiting.push(task_id.clone());
            }
            Event::PreflightStarted { task_id, .. } if !self.preflight.contains(task_id) => {
                self.preflight.push(task_id.clone());
            }
            Event::PreflightEnded { task_id, result, .. } => {
                self.preflight.retain(|t| t != task_id);
                if *result == PreflightResult::Failed && !self.preflight_failed.contains(task_id) {
                    self.preflight_failed.push(task_id.clone());
                }
            }
            Event::MergeBatch { task_ids, .. } => {
                self.waiting.retain(|t| !task_ids.contains(t));
                self.testing = task_ids.clone();
                self.testing_batch = task_ids.len() as u32;
            }
            Event::MergeResult { task_id, result, .. } => {
                // A task tested in a batch keeps the batch's size, even when others of it got their results first.
                let batch = if self.testing.contains(task_id) { self.testing_batch.max(1) } else { 1 };
                self.waiting.retain(|t| t != task_id);
                self.testing.retain(|t| t != task_id);
                if self.testing.is_empty() {
                    self.testing_batch = 0;
                }
                self.recent.insert(0, GateLanding { task_id: task_id.clone(), result: *result, batch });
                self.recent.truncate(RECENT_KEPT);
            }
            // Nothing of a run that ended waits for the gate any more; what it landed stays to be read.
            Event::RunFinished { .. } | Event::RunFailed { .. } => {
                self.waiting.clear();
                self.preflight.clear();
                self.testing.clear();
                self.testing_batch = 0;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(task: &str) -> Event {
        Event::MergeStarted { run_id: "r".into(), task_id: task.into(), branch: format!("b/{task}") }
    }

    fn result(task: &str, result: MergeKind) -> Event {
        Event::MergeResult { run_id: "r".into(), task_id: task.into(), result, detail: String::new() }
    }

    fn batch(tasks: &[&str]) -> Event {
        Event::MergeBatch { run_id: "r".into(), task_ids: tasks.iter().map(|t| t.to_string()).collect() }
    }

    #[test]
    fn tasks_wait_are_taken_in_a_batch_and_land_with_its_size() {
        let mut gate = GateState::default();
        for e in [started("a"), started("b"), started("c"), started("a")] {
            gate.apply(&e);
        }
        assert_eq!(gate.waiting, ["a", "b", "c"], "a task waits once");
        gate.apply(&batch(&["a", "b"]));
        assert_eq!(
            (gate.waiting.clone(), gate.testing.clone(), gate.testing_batch),
            (vec!["c".to_string()], vec!["a".to_string(), "b".to_string()], 2)
        );
        gate.apply(&result("a", MergeKind::Merged));
        assert_eq!((gate.testing.clone(), gate.testing_batch), (vec!["b".to_string()], 2));
        gate.apply(&result("b", MergeKind::Merged));
        assert_eq!(gate.testing_batch, 0);
        gate.apply(&result("c", MergeKind::TestsFailed));
        let recent: Vec<_> = gate.recent.iter().map(|l| (l.task_id.as_str(), l.result, l.batch)).collect();
        assert_eq!(
            recent,
            [("c", MergeKind::TestsFailed, 1), ("b", MergeKind::Merged, 2), ("a", MergeKind::Merged, 2)],
            "newest first; c was tested alone"
        );
        assert!(gate.waiting.is_empty());
    }

    #[test]
    fn recent_results_are_bounded_and_the_end_of_the_run_empties_the_queue() {
        let mut gate = GateState::default();
        for i in 0..20 {
            gate.apply(&result(&format!("t{i}"), MergeKind::Merged));
        }
        assert_eq!(gate.recent.len(), RECENT_KEPT);
        assert_eq!(gate.recent[0].task_id, "t19");
        gate.apply(&started("x"));
        gate.apply(&batch(&["y"]));
        gate.apply(&Event::RunFailed {
            run_id: "r".into(),
            project_id: "p".into(),
            error: crate::error::ErrorDto { code: "x".into(), message: "y".into() },
        });
        assert!(gate.waiting.is_empty() && gate.testing.is_empty());
        assert_eq!(gate.recent.len(), RECENT_KEPT, "what it landed stays to be read");
    }
}
