//! The typed state of the runs: one [`RunSnapshot`] per run, folded from its events by a pure function
//! ([`RunSnapshot::apply`]) in one place, for every reader (the window's tray, its notices, the CLI, the webview).
//! It is the whole live view of a run: its phase, its worker lanes and their tasks, the merge gate's queue and
//! latest landings, each task's start and end, what each agent did last, and, once the run ended, its report.

pub mod gate;
pub mod lanes;

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use crate::error::ErrorDto;
use crate::model::{RunMode, RunStatus, TaskStatus};
use crate::run::events::{Event, PreflightResult};
use crate::run::report::RunReport;

pub use gate::{GateLanding, GateState};
pub use lanes::{Lane, LaneAgent, LaneCommit, LaneMerge};

/// The longest line kept of what an agent did last ([`RunSnapshot::activity`]).
pub const ACTIVITY_CHARS: usize = 120;

/// Where a run stands. The first four are a live run's; the last three are a run that ended, kept (with its
/// report) until the project's next run starts.
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
    /// Ended: nothing more could start (everything done, or blocked behind Review).
    Finished,
    Cancelled,
    /// Ended on an error (the snapshot's `error` says which when the run had no report).
    Failed,
}

impl RunPhase {
    /// A run that is going (or about to): its agents may be working.
    pub fn is_live(self) -> bool {
        matches!(self, RunPhase::Starting | RunPhase::Running | RunPhase::Paused | RunPhase::Cancelling)
    }

    fn ended(status: RunStatus) -> RunPhase {
        match status {
            RunStatus::Cancelled => RunPhase::Cancelled,
            RunStatus::Failed | RunStatus::Interrupted => RunPhase::Failed,
            RunStatus::Running | RunStatus::Paused | RunStatus::Finished => RunPhase::Finished,
        }
    }
}

/// One task's time in a worker slot: from its start to its end (`None` while it runs), in milliseconds since the
/// run's `run_started`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TimingSpan {
    pub task_id: String,
    pub slot: Option<u32>,
    #[ts(type = "number")]
    pub start_ms: i64,
    #[ts(type = "number | null")]
    pub end_ms: Option<i64>,
}

/// One run, live or just ended.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RunSnapshot {
    pub run_id: String,
    pub project_id: String,
    /// Bumped by every change, across all runs of this process: of two snapshots of a project, the one with the
    /// higher version is the newer (set by the runs service, not by [`RunSnapshot::apply`]).
    #[ts(type = "number")]
    pub version: u64,
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
    /// Its agents, tests, setup and cleanup run in the sandbox (known once it started); false: not confined.
    pub sandboxed: bool,
    /// The name of each worker slot's worktree lane, as the plan names them (empty until the run started).
    pub lane_names: Vec<String>,
    /// Each worker slot as the events left it, including the task it worked on last.
    pub lanes: Vec<Lane>,
    pub gate: GateState,
    /// When the run started (ms since the Unix epoch), once it did.
    #[ts(type = "number | null")]
    pub started_at_ms: Option<i64>,
    /// Every task's start and end in this run since its `run_started`, oldest first.
    pub timings: Vec<TimingSpan>,
    /// What each task's agent did last (a tool call: "Edit: src/api.rs", "Bash: cargo test"), in one line.
    pub activity: BTreeMap<String, String>,
    /// The report of a run that ended with one.
    pub report: Option<RunReport>,
    /// Why a run failed without a report.
    pub error: Option<ErrorDto>,
}

impl RunSnapshot {
    /// A run accepted but not started yet.
    pub fn starting(run_id: &str, project_id: &str, mode: RunMode, workers: u32) -> RunSnapshot {
        RunSnapshot {
            run_id: run_id.to_string(),
            project_id: project_id.to_string(),
            version: 0,
            phase: RunPhase::Starting,
            mode,
            workers,
            slots: vec![None; workers as usize],
            landing: Vec::new(),
            task_count: 0,
            done_count: 0,
            sandboxed: false,
            lane_names: Vec::new(),
            lanes: lanes::fresh(workers),
            gate: GateState::default(),
            started_at_ms: None,
            timings: Vec::new(),
            activity: BTreeMap::new(),
            report: None,
            error: None,
        }
    }

    /// The tasks running now (in slots or landing).
    pub fn running(&self) -> impl Iterator<Item = &str> {
        self.slots.iter().flatten().chain(&self.landing).map(String::as_str)
    }

    pub fn is_paused(&self) -> bool {
        self.phase == RunPhase::Paused
    }

    /// Whether two snapshots agree on what the live runs' watchers show (phase, mode, workers, who runs where,
    /// progress), whatever the lanes, the gate, the timings or the agents' latest actions say.
    pub fn same_shape(&self, other: &RunSnapshot) -> bool {
        (self.phase, self.mode, self.workers, &self.slots, &self.landing, self.task_count, self.done_count)
            == (
                other.phase,
                other.mode,
                other.workers,
                &other.slots,
                &other.landing,
                other.task_count,
                other.done_count,
            )
    }

    /// The worker slot of a task in progress.
    pub fn slot_of(&self, task_id: &str) -> Option<u32> {
        self.slots.iter().position(|t| t.as_deref() == Some(task_id)).map(|i| i as u32)
    }

    /// Follows one event of this run (events of other runs are ignored), seen at `at_ms` (ms since the Unix
    /// epoch; it only times the tasks). Pure: the state after depends only on the state before, the event and
    /// `at_ms`.
    pub fn apply(&mut self, event: &Event, at_ms: i64) {
        if event.run_id() != self.run_id {
            return;
        }
        lanes::apply(&mut self.lanes, event);
        self.gate.apply(event);
        match event {
            Event::RunStarted { mode, workers, lanes, task_count, done_count, sandboxed, .. } => {
                if self.phase == RunPhase::Starting {
                    self.phase = RunPhase::Running;
                }
                self.mode = *mode;
                self.workers = *workers;
                self.task_count = *task_count;
                self.done_count = *done_count;
                self.sandboxed = *sandboxed;
                self.lane_names = lanes.clone();
                self.started_at_ms = Some(at_ms);
                if self.slots.len() < *workers as usize {
                    self.slots.resize(*workers as usize, None);
                }
                if self.lanes.len() < *workers as usize {
                    self.lanes = lanes::fresh(*workers);
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
                let slot = slot.or_else(|| self.slot_of(task_id));
                self.vacate(task_id);
                self.time(task_id, *status == TaskStatus::InProgress, slot, at_ms);
                match (status, slot) {
                    (TaskStatus::InProgress, Some(slot)) => {
                        let slot = slot as usize;
                        if self.slots.len() <= slot && slot < lanes::MAX_LANES {
                            self.slots.resize(slot + 1, None);
                        }
                        if let Some(s) = self.slots.get_mut(slot) {
                            *s = Some(task_id.clone());
                        }
                    }
                    (TaskStatus::Done, _) => self.done_count += 1,
                    _ => {}
                }
            }
            // A task in no slot that starts merging is a Review task landing again.
            Event::MergeStarted { task_id, .. } if !self.running().any(|t| t == task_id) => {
                self.landing.push(task_id.clone());
            }
            Event::AgentTranscript { task_id, entries, .. } => {
                // The newest tool call (or refusal) of the batch is what the card shows the agent doing.
                let last = entries.iter().rev().find(|e| {
                    matches!(
                        e.kind,
                        crate::agents::transcript::EntryKind::ToolCall
                            | crate::agents::transcript::EntryKind::PermissionDenied
                    )
                });
                if let Some(entry) = last {
                    let line: String = entry.headline().chars().take(ACTIVITY_CHARS).collect();
                    self.activity.insert(task_id.clone(), line);
                }
            }
            // While a finished branch waits for the gate, its card says how its own test there goes.
            Event::PreflightStarted { task_id, .. } => {
                self.activity.insert(task_id.clone(), "Pre-flight: testing its branch merged with the target".into());
            }
            Event::PreflightEnded { task_id, result, ms, .. } => {
                let secs = *ms as f64 / 1000.0;
                let line = match result {
                    PreflightResult::Passed => format!("Pre-flight passed ({secs:.1} s): waiting for the gate"),
                    PreflightResult::Failed => format!("Pre-flight failed ({secs:.1} s)"),
                    PreflightResult::Skipped => "Waiting for the merge gate".to_string(),
                };
                self.activity.insert(task_id.clone(), line);
            }
            Event::RunFinished { status, report, .. } => {
                self.end(RunPhase::ended(*status), at_ms);
                self.report = Some((**report).clone());
            }
            Event::RunFailed { error, .. } => {
                self.end(RunPhase::Failed, at_ms);
                self.error = Some(error.clone());
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

    /// A task's start (or end) at `at_ms`. An end only counts for a task seen starting (a task a recovery moved
    /// from the Backlog to Done is no bar); a start of a task already running is no new one.
    fn time(&mut self, task_id: &str, start: bool, slot: Option<u32>, at_ms: i64) {
        let Some(since) = self.started_at_ms else { return };
        let at = (at_ms - since).max(0);
        let open = self.timings.iter_mut().rev().find(|s| s.task_id == task_id && s.end_ms.is_none());
        match (start, open) {
            (true, None) => {
                self.timings.push(TimingSpan { task_id: task_id.to_string(), slot, start_ms: at, end_ms: None })
            }
            (false, Some(span)) => span.end_ms = Some(at),
            _ => {}
        }
    }

    /// The run ended: nothing of it runs any more; what each task did stays to be read.
    fn end(&mut self, phase: RunPhase, at_ms: i64) {
        self.phase = phase;
        for slot in &mut self.slots {
            *slot = None;
        }
        self.landing.clear();
        if let Some(since) = self.started_at_ms {
            for span in self.timings.iter_mut().filter(|s| s.end_ms.is_none()) {
                span.end_ms = Some((at_ms - since).max(0));
            }
        }
    }
}

/// Every live run of this process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn status(task: &str, status: TaskStatus, slot: Option<u32>) -> Event {
        Event::TaskStatusChanged { run_id: "r".into(), task_id: task.into(), status, reason: None, slot }
    }

    fn started() -> RunSnapshot {
        let mut s = RunSnapshot::starting("r", "p", RunMode::Parallel, 2);
        s.apply(
            &Event::RunStarted {
                run_id: "r".into(),
                project_id: "p".into(),
                mode: RunMode::Parallel,
                workers: 2,
                lanes: vec!["wt-1".into(), "wt-2".into()],
                task_count: 5,
                done_count: 1,
                sandboxed: true,
            },
            0,
        );
        s
    }

    #[test]
    fn a_run_starts_fills_its_slots_and_counts_what_is_done() {
        let mut s = RunSnapshot::starting("r", "p", RunMode::Parallel, 2);
        assert_eq!(s.phase, RunPhase::Starting);
        s = started();
        assert_eq!((s.phase, s.task_count, s.done_count, s.sandboxed), (RunPhase::Running, 5, 1, true));
        s.apply(&status("a", TaskStatus::InProgress, Some(0)), 0);
        s.apply(&status("b", TaskStatus::InProgress, Some(1)), 0);
        assert_eq!(s.slots, [Some("a".to_string()), Some("b".to_string())]);
        s.apply(&status("a", TaskStatus::Done, None), 0);
        s.apply(&status("b", TaskStatus::Review, None), 0);
        assert_eq!(s.slots, [None, None]);
        assert_eq!(s.done_count, 2);
        assert_eq!(s.running().count(), 0);
    }

    #[test]
    fn events_of_another_run_change_nothing() {
        let mut s = started();
        let before = s.clone();
        s.apply(
            &Event::TaskStatusChanged {
                run_id: "other".into(),
                task_id: "a".into(),
                status: TaskStatus::InProgress,
                reason: None,
                slot: Some(0),
            },
            0,
        );
        s.apply(&Event::RunPaused { run_id: "other".into() }, 0);
        assert_eq!(s, before);
    }

    #[test]
    fn pause_resume_sequential_and_cancel() {
        let mut s = started();
        s.apply(&Event::RunPaused { run_id: "r".into() }, 0);
        assert!(s.is_paused());
        s.apply(&Event::RunResumed { run_id: "r".into() }, 0);
        assert_eq!(s.phase, RunPhase::Running);
        s.apply(&Event::RunSequential { run_id: "r".into() }, 0);
        assert_eq!((s.mode, s.workers), (RunMode::Sequential, 1));
        s.phase = RunPhase::Cancelling;
        s.apply(&Event::RunResumed { run_id: "r".into() }, 0);
        assert_eq!(s.phase, RunPhase::Cancelling, "a cancel is not undone by a late resume");
    }

    #[test]
    fn a_retry_merge_lands_outside_the_slots() {
        let mut s = started();
        s.apply(&status("a", TaskStatus::InProgress, Some(0)), 0);
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "a".into(), branch: "b".into() }, 0);
        assert!(s.landing.is_empty(), "a task merging from its slot is not landing again");
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "x".into(), branch: "b".into() }, 0);
        assert_eq!(s.landing, ["x"]);
        assert_eq!(s.running().collect::<Vec<_>>(), ["a", "x"]);
        s.apply(&status("x", TaskStatus::Done, None), 0);
        assert!(s.landing.is_empty());
    }

    #[test]
    fn a_slot_beyond_the_workers_is_taken_not_dropped() {
        let mut s = started();
        s.apply(&status("a", TaskStatus::InProgress, Some(3)), 0);
        assert_eq!(s.slots.len(), 4);
        assert_eq!(s.running().collect::<Vec<_>>(), ["a"]);
    }

    #[test]
    fn counts_across_runs() {
        let mut one = started();
        one.apply(&status("a", TaskStatus::InProgress, Some(0)), 0);
        one.apply(&status("b", TaskStatus::InProgress, Some(1)), 0);
        let mut two = RunSnapshot::starting("r2", "p2", RunMode::Sequential, 1);
        two.apply(
            &Event::TaskStatusChanged {
                run_id: "r2".into(),
                task_id: "c".into(),
                status: TaskStatus::InProgress,
                reason: None,
                slot: Some(0),
            },
            0,
        );
        two.apply(&Event::RunPaused { run_id: "r2".into() }, 0);
        let idle = RunSnapshot::starting("r3", "p3", RunMode::Parallel, 4);
        let all = RunsSnapshot { runs: vec![one, two, idle] };
        assert_eq!(all.running_counts(), (3, 2));
        assert!(all.any_paused());
        assert_eq!(all.of_project("p2").map(|r| r.run_id.as_str()), Some("r2"));
    }

    #[test]
    fn each_task_is_timed_from_the_run_start_in_its_slot() {
        let mut s = RunSnapshot::starting("r", "p", RunMode::Parallel, 2);
        s.apply(&status("early", TaskStatus::InProgress, Some(0)), 500);
        assert!(s.timings.is_empty(), "nothing is timed before the run started");
        s.apply(
            &Event::RunStarted {
                run_id: "r".into(),
                project_id: "p".into(),
                mode: RunMode::Parallel,
                workers: 2,
                lanes: vec!["wt-1".into(), "wt-2".into()],
                task_count: 3,
                done_count: 0,
                sandboxed: false,
            },
            1_000,
        );
        assert_eq!(
            (s.started_at_ms, s.lane_names.clone()),
            (Some(1_000), vec!["wt-1".to_string(), "wt-2".to_string()])
        );
        s.apply(&status("a", TaskStatus::InProgress, Some(1)), 1_200);
        s.apply(&status("a", TaskStatus::InProgress, Some(1)), 1_300);
        s.apply(&status("b", TaskStatus::Done, None), 1_400);
        s.apply(&status("a", TaskStatus::Review, None), 4_200);
        s.apply(&status("a", TaskStatus::InProgress, Some(0)), 5_000);
        let spans: Vec<_> = s.timings.iter().map(|t| (t.task_id.as_str(), t.slot, t.start_ms, t.end_ms)).collect();
        assert_eq!(
            spans,
            [("a", Some(1), 200, Some(3_200)), ("a", Some(0), 4_000, None)],
            "a start of a running task is no new bar; an end of a task never seen starting is none"
        );
        s.apply(
            &Event::RunFailed {
                run_id: "r".into(),
                project_id: "p".into(),
                error: ErrorDto { code: "git".into(), message: "broken".into() },
            },
            6_000,
        );
        assert_eq!(s.timings[1].end_ms, Some(5_000), "the end of the run ends what ran");
        assert_eq!(s.phase, RunPhase::Failed);
        assert!(!s.phase.is_live());
        assert_eq!(s.error.as_ref().map(|e| e.code.as_str()), Some("git"));
        assert_eq!(s.running().count(), 0);
        assert!(s.lanes.iter().all(|l| !l.busy));
    }

    #[test]
    fn the_activity_of_a_task_is_its_agent_s_newest_tool_call() {
        use crate::agents::transcript::{Entry, EntryKind};
        let mut s = started();
        let transcript = |entries: Vec<Entry>| Event::AgentTranscript {
            run_id: "r".into(),
            task_id: "a".into(),
            session_id: "s".into(),
            entries,
        };
        s.apply(&transcript(vec![Entry::text("thinking")]), 0);
        assert!(s.activity.is_empty(), "text is no activity");
        s.apply(
            &transcript(vec![
                Entry::call("Edit", "src/a.rs"),
                Entry::call("Bash", "cargo test\nmore"),
                Entry::text("ok"),
            ]),
            0,
        );
        assert_eq!(s.activity["a"], "Bash: cargo test");
        let refused = Entry {
            kind: EntryKind::PermissionDenied,
            tool: Some("Bash".into()),
            text: "x".repeat(500),
            is_error: true,
        };
        s.apply(&transcript(vec![refused]), 0);
        assert!(s.activity["a"].starts_with("refused Bash: xxx"));
        assert_eq!(s.activity["a"].chars().count(), ACTIVITY_CHARS);
    }

    #[test]
    fn a_task_waiting_for_the_gate_shows_its_preflight_and_the_gate_lists_it() {
        let mut s = started();
        let (run_id, task_id) = ("r".to_string(), "a".to_string());
        s.apply(&Event::MergeStarted { run_id: run_id.clone(), task_id: task_id.clone(), branch: "b".into() }, 0);
        s.apply(&Event::PreflightStarted { run_id: run_id.clone(), task_id: task_id.clone() }, 0);
        assert_eq!(s.activity["a"], "Pre-flight: testing its branch merged with the target");
        assert_eq!((s.gate.waiting.clone(), s.gate.preflight.clone()), (vec![task_id.clone()], vec![task_id.clone()]));
        let ended = |result| Event::PreflightEnded {
            run_id: run_id.clone(),
            task_id: task_id.clone(),
            result,
            detail: "log".into(),
            ms: 1500,
        };
        s.apply(&ended(PreflightResult::Failed), 0);
        assert_eq!(s.activity["a"], "Pre-flight failed (1.5 s)");
        assert!(s.gate.preflight.is_empty());
        assert_eq!(s.gate.preflight_failed, vec![task_id.clone()]);
        s.apply(&ended(PreflightResult::Passed), 0);
        assert_eq!(s.activity["a"], "Pre-flight passed (1.5 s): waiting for the gate");
        s.apply(&ended(PreflightResult::Skipped), 0);
        assert_eq!(s.activity["a"], "Waiting for the merge gate");
        assert_eq!(s.gate.preflight_failed, vec![task_id], "a failure is listed once");
    }

    #[test]
    fn the_shape_is_what_the_live_runs_watchers_show() {
        let mut s = started();
        let before = s.clone();
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "x".into(), branch: "b".into() }, 0);
        assert!(!s.same_shape(&before), "a landing runs");
        let before = s.clone();
        s.apply(
            &Event::AgentTranscript {
                run_id: "r".into(),
                task_id: "x".into(),
                session_id: "s".into(),
                entries: vec![crate::agents::transcript::Entry::call("Bash", "ls")],
            },
            0,
        );
        assert!(s != before && s.same_shape(&before), "a tool call changes the view, not its shape");
        s.apply(&Event::RunPaused { run_id: "r".into() }, 0);
        assert!(!s.same_shape(&before));
    }

    #[test]
    fn lanes_and_gate_follow_the_run() {
        let mut s = started();
        s.apply(&status("a", TaskStatus::InProgress, Some(1)), 0);
        s.apply(&Event::MergeStarted { run_id: "r".into(), task_id: "a".into(), branch: "b".into() }, 0);
        assert_eq!(s.lanes[1].merge, LaneMerge::Testing);
        assert_eq!(s.gate.waiting, ["a"]);
        assert_eq!(s.slot_of("a"), Some(1));
    }
}
