//! The worker slots of a live run as its events leave them: which task each worktree lane holds, how its agent
//! stands and where its work is on the way to the target branch. Pure: [`apply`] is a function of the lanes and
//! one event.

use serde::Serialize;
use ts_rs::TS;

use crate::model::{SessionOutcome, TaskStatus};
use crate::run::events::{Event, MergeKind};

/// The most lanes made from events, so a bogus slot number cannot allocate a huge list.
pub const MAX_LANES: usize = 256;

/// The agent of a lane: none yet, running, or how it exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum LaneAgent {
    Idle,
    Running,
    Exited { outcome: SessionOutcome },
}

/// Where a lane's work stands on its way to the target branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LaneMerge {
    None,
    /// A conflict is predicted (the detail says with what, in which files); the gate has not tried yet.
    Predicted,
    Testing,
    Clean,
    Failed,
    Conflict,
    Nothing,
    Blocked,
    Error,
}

impl From<MergeKind> for LaneMerge {
    fn from(kind: MergeKind) -> LaneMerge {
        match kind {
            MergeKind::Merged => LaneMerge::Clean,
            MergeKind::Conflict => LaneMerge::Conflict,
            MergeKind::TestsFailed => LaneMerge::Failed,
            MergeKind::NothingToMerge => LaneMerge::Nothing,
            MergeKind::CheckoutBlocked | MergeKind::TargetFailing => LaneMerge::Blocked,
            MergeKind::Refused | MergeKind::Error => LaneMerge::Error,
        }
    }
}

/// A branch's newest commit as the run announced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct LaneCommit {
    pub sha: String,
    pub summary: String,
}

/// One worker slot (its worktree lane is named by `RunSnapshot::lane_names[slot]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Lane {
    pub slot: u32,
    /// The branch of the worktree created last in this slot.
    pub branch: Option<String>,
    /// The task the slot works on, or worked on last.
    pub task_id: Option<String>,
    /// Whether `task_id` is still in progress here.
    pub busy: bool,
    pub agent: LaneAgent,
    pub merge: LaneMerge,
    /// The merge commit, conflicting files or test log of the last merge result (or the predicted conflict).
    pub merge_detail: Option<String>,
    /// The newest commit of the lane's branch, once one was seen.
    pub last_commit: Option<LaneCommit>,
}

impl Lane {
    pub fn empty(slot: u32) -> Lane {
        Lane {
            slot,
            branch: None,
            task_id: None,
            busy: false,
            agent: LaneAgent::Idle,
            merge: LaneMerge::None,
            merge_detail: None,
            last_commit: None,
        }
    }

    /// The lane taken by another task: what it showed of the one before goes.
    fn take(&mut self, task_id: &str) {
        let (slot, branch) = (self.slot, self.branch.take());
        *self = Lane { branch, task_id: Some(task_id.to_string()), busy: true, ..Lane::empty(slot) };
    }
}

/// `count` fresh lanes (at most [`MAX_LANES`]).
pub fn fresh(count: u32) -> Vec<Lane> {
    (0..(count as usize).min(MAX_LANES) as u32).map(Lane::empty).collect()
}

/// The lane of `slot`, the list grown to reach it; `None` past [`MAX_LANES`].
fn at(lanes: &mut Vec<Lane>, slot: u32) -> Option<&mut Lane> {
    let index = slot as usize;
    if index >= MAX_LANES {
        return None;
    }
    while lanes.len() <= index {
        lanes.push(Lane::empty(lanes.len() as u32));
    }
    lanes.get_mut(index)
}

/// The lane holding `task_id`: the one where it is busy, else the last one it was in.
fn of_task<'a>(lanes: &'a mut [Lane], task_id: &str) -> Option<&'a mut Lane> {
    let mut found = None;
    for (i, lane) in lanes.iter().enumerate() {
        if lane.task_id.as_deref() != Some(task_id) {
            continue;
        }
        found = Some(i);
        if lane.busy {
            break;
        }
    }
    found.map(move |i| &mut lanes[i])
}

/// The lanes after one event of their run.
pub fn apply(lanes: &mut Vec<Lane>, event: &Event) {
    match event {
        Event::WorktreeCreated { slot, branch, task_id, .. } => {
            if let Some(lane) = at(lanes, *slot) {
                if lane.task_id.as_deref() != Some(task_id) {
                    lane.take(task_id);
                }
                lane.branch = Some(branch.clone());
                lane.busy = true;
            }
        }
        Event::TaskStatusChanged { task_id, status: TaskStatus::InProgress, slot: Some(slot), .. } => {
            if let Some(lane) = at(lanes, *slot) {
                if lane.task_id.as_deref() == Some(task_id) {
                    lane.busy = true;
                } else {
                    lane.take(task_id);
                }
            }
        }
        Event::TaskStatusChanged { task_id, status, .. } if *status != TaskStatus::InProgress => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.busy = false;
            }
        }
        Event::AgentStarted { task_id, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.agent = LaneAgent::Running;
            }
        }
        Event::AgentExited { task_id, outcome, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.agent = LaneAgent::Exited { outcome: *outcome };
            }
        }
        Event::MergeStarted { task_id, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.merge = LaneMerge::Testing;
                lane.merge_detail = None;
            }
        }
        Event::MergeResult { task_id, result, detail, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.merge = LaneMerge::from(*result);
                lane.merge_detail = (!detail.is_empty()).then(|| detail.clone());
            }
        }
        Event::BranchCommitted { task_id, commit, summary, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                lane.last_commit = Some(LaneCommit { sha: commit.clone(), summary: summary.clone() });
            }
        }
        // Only before the merge: what the gate finds afterwards is the real answer.
        Event::ConflictPredicted { task_id, other, files, .. } => {
            if let Some(lane) = of_task(lanes, task_id) {
                if matches!(lane.merge, LaneMerge::None | LaneMerge::Predicted) {
                    lane.merge = LaneMerge::Predicted;
                    lane.merge_detail = Some(format!("with {other} in {}", files.join(", ")));
                }
            }
        }
        Event::RunFinished { .. } | Event::RunFailed { .. } => {
            for lane in lanes.iter_mut() {
                lane.busy = false;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConflictWith;

    fn ev_status(task: &str, status: TaskStatus, slot: Option<u32>) -> Event {
        Event::TaskStatusChanged { run_id: "r".into(), task_id: task.into(), status, reason: None, slot }
    }

    fn created(task: &str, slot: u32) -> Event {
        Event::WorktreeCreated {
            run_id: "r".into(),
            task_id: task.into(),
            slot,
            branch: format!("yokeflow/{task}"),
            path: format!("/w/{task}"),
            reattached: false,
        }
    }

    fn merge_result(task: &str, result: MergeKind, detail: &str) -> Event {
        Event::MergeResult { run_id: "r".into(), task_id: task.into(), result, detail: detail.into() }
    }

    #[test]
    fn a_lane_follows_its_task_from_worktree_to_landing() {
        let mut lanes = fresh(2);
        for event in [
            created("a", 1),
            ev_status("a", TaskStatus::InProgress, Some(1)),
            Event::AgentStarted {
                run_id: "r".into(),
                task_id: "a".into(),
                session_id: "s".into(),
                pid: 7,
                log_path: "l".into(),
            },
            Event::BranchCommitted {
                run_id: "r".into(),
                task_id: "a".into(),
                branch: "yokeflow/a".into(),
                commit: "abc".into(),
                summary: "add a".into(),
            },
        ] {
            apply(&mut lanes, &event);
        }
        let lane = &lanes[1];
        assert_eq!((lane.task_id.as_deref(), lane.busy, lane.agent), (Some("a"), true, LaneAgent::Running));
        assert_eq!(lane.branch.as_deref(), Some("yokeflow/a"));
        assert_eq!(lane.last_commit.as_ref().map(|c| c.summary.as_str()), Some("add a"));
        assert_eq!(lanes[0], Lane::empty(0), "the other lane is untouched");

        apply(
            &mut lanes,
            &Event::AgentExited {
                run_id: "r".into(),
                task_id: "a".into(),
                session_id: "s".into(),
                outcome: SessionOutcome::Changed,
                exit_code: Some(0),
                cost_usd: None,
            },
        );
        apply(&mut lanes, &Event::MergeStarted { run_id: "r".into(), task_id: "a".into(), branch: "b".into() });
        assert_eq!(lanes[1].merge, LaneMerge::Testing);
        apply(&mut lanes, &merge_result("a", MergeKind::TestsFailed, "/logs/a-test.log"));
        apply(&mut lanes, &ev_status("a", TaskStatus::Review, None));
        let lane = &lanes[1];
        assert_eq!(lane.agent, LaneAgent::Exited { outcome: SessionOutcome::Changed });
        assert_eq!((lane.merge, lane.merge_detail.as_deref()), (LaneMerge::Failed, Some("/logs/a-test.log")));
        assert!(!lane.busy, "Review frees the lane; it still shows what it did last");
        assert_eq!(lane.task_id.as_deref(), Some("a"));
    }

    #[test]
    fn the_next_task_in_a_lane_starts_clean() {
        let mut lanes = fresh(1);
        apply(&mut lanes, &created("a", 0));
        apply(&mut lanes, &merge_result("a", MergeKind::Merged, "abc"));
        apply(&mut lanes, &ev_status("a", TaskStatus::Done, None));
        apply(&mut lanes, &ev_status("b", TaskStatus::InProgress, Some(0)));
        let lane = &lanes[0];
        assert_eq!(
            (lane.task_id.as_deref(), lane.busy, lane.merge, lane.agent),
            (Some("b"), true, LaneMerge::None, LaneAgent::Idle)
        );
        assert_eq!(lane.merge_detail, None);
    }

    #[test]
    fn a_predicted_conflict_shows_until_the_gate_answers() {
        let mut lanes = fresh(1);
        apply(&mut lanes, &created("a", 0));
        let predicted = |other: ConflictWith| Event::ConflictPredicted {
            run_id: "r".into(),
            task_id: "a".into(),
            other,
            files: vec!["x.rs".into(), "y.rs".into()],
        };
        apply(&mut lanes, &predicted(ConflictWith::Task { id: "target".into() }));
        assert_eq!(lanes[0].merge, LaneMerge::Predicted);
        assert_eq!(
            lanes[0].merge_detail.as_deref(),
            Some("with target in x.rs, y.rs"),
            "a task called target is a task"
        );
        apply(&mut lanes, &predicted(ConflictWith::Target));
        assert_eq!(lanes[0].merge_detail.as_deref(), Some("with the target branch in x.rs, y.rs"));
        apply(&mut lanes, &merge_result("a", MergeKind::Merged, ""));
        apply(&mut lanes, &predicted(ConflictWith::Target));
        assert_eq!((lanes[0].merge, lanes[0].merge_detail.as_deref()), (LaneMerge::Clean, None));
    }

    #[test]
    fn a_bogus_slot_allocates_nothing_and_events_of_unknown_tasks_change_nothing() {
        let mut lanes = fresh(2);
        apply(&mut lanes, &ev_status("a", TaskStatus::InProgress, Some(u32::MAX)));
        apply(&mut lanes, &created("b", 10_000));
        assert_eq!(lanes.len(), 2);
        let before = lanes.clone();
        apply(&mut lanes, &merge_result("nobody", MergeKind::Merged, "x"));
        apply(&mut lanes, &ev_status("nobody", TaskStatus::Done, None));
        assert_eq!(lanes, before);
        apply(&mut lanes, &ev_status("c", TaskStatus::InProgress, Some(4)));
        assert_eq!(lanes.len(), 5, "a slot past the workers grows the list");
        assert_eq!(lanes[4].task_id.as_deref(), Some("c"));
    }

    #[test]
    fn the_end_of_the_run_frees_every_lane() {
        let mut lanes = fresh(2);
        apply(&mut lanes, &ev_status("a", TaskStatus::InProgress, Some(0)));
        apply(&mut lanes, &ev_status("b", TaskStatus::InProgress, Some(1)));
        apply(
            &mut lanes,
            &Event::RunFailed {
                run_id: "r".into(),
                project_id: "p".into(),
                error: crate::error::ErrorDto { code: "x".into(), message: "y".into() },
            },
        );
        assert!(lanes.iter().all(|l| !l.busy));
    }
}
