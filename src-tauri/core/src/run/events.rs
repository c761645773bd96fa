//! The one event stream (tokio broadcast) on which the core announces every state change; the desktop layer and
//! the CLI both consume it. Events are informative: the database is the record, written before each event is
//! sent, so a consumer that lags (and misses events) can always re-read the board.

use serde::Serialize;
use tokio::sync::broadcast;
use ts_rs::TS;

use crate::agents::transcript::Entry;
use crate::error::ErrorDto;
use crate::model::{ConflictWith, RunMode, RunStatus, SessionOutcome, TaskStatus};
use crate::run::report::RunReport;

/// How many events a slow consumer may fall behind before it misses some.
pub const CHANNEL_CAPACITY: usize = 4096;

/// Where the stream goes. Sending never fails: with no receiver the event is dropped.
pub type EventSender = broadcast::Sender<Event>;
pub type EventReceiver = broadcast::Receiver<Event>;

/// A new event stream and a first receiver.
pub fn channel() -> (EventSender, EventReceiver) {
    broadcast::channel(CHANNEL_CAPACITY)
}

/// Sends `event`, ignoring the "no receiver" case.
pub fn emit(events: &EventSender, event: Event) {
    let _ = events.send(event);
}

/// How a merge attempt ended, in an [`Event::MergeResult`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MergeKind {
    Merged,
    Conflict,
    TestsFailed,
    NothingToMerge,
    /// Tested, but not landed: a work tree that has the target checked out could not follow.
    CheckoutBlocked,
    /// Not landed: the target was moved outside the gate and its tree fails the tests.
    TargetFailing,
    /// Never landed: the branch carries something it must not (YokeFlow's own folder).
    Refused,
    Error,
}

/// How a task's pre-flight ended, in an [`Event::PreflightEnded`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PreflightResult {
    Passed,
    /// The task goes to Review with the pre-flight's log, unless the gate had taken it already (then it is left out
    /// if that batch fails, and lands if the gate's own test passes).
    Failed,
    /// Not tested (the branch does not merge with the target cleanly, the folder could not hold the merged tree, or
    /// the gate decided first): the gate judges it alone.
    Skipped,
}

/// Everything the core announces while it runs a project.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Crash recovery before a run: what was found left over from a previous process.
    Recovered {
        run_id: String,
        project_id: String,
        tasks_reset: Vec<String>,
        tasks_found_merged: Vec<String>,
        sessions_interrupted: u32,
        processes_killed: u32,
        worktrees_removed: u32,
    },
    RunStarted {
        run_id: String,
        project_id: String,
        mode: RunMode,
        workers: u32,
        /// The name of each worker slot's worktree lane (`lanes[slot]`), as the plan names them.
        lanes: Vec<String>,
        task_count: u32,
        done_count: u32,
        /// Its agents, tests, setup and cleanup run in the sandbox; false: they are not confined.
        sandboxed: bool,
    },
    RunPaused {
        run_id: String,
    },
    RunResumed {
        run_id: String,
    },
    /// The run now starts one task at a time.
    RunSequential {
        run_id: String,
    },
    RunFinished {
        run_id: String,
        /// `finished`, `cancelled` or `failed`.
        status: RunStatus,
        report: Box<RunReport>,
    },
    /// The run could not go on and has no report: it failed before it started (a run of the project is already
    /// going, recovery or the merge gate could not start) or while it ended. Nothing of it is running any more.
    RunFailed {
        run_id: String,
        project_id: String,
        error: ErrorDto,
    },
    TaskStatusChanged {
        run_id: String,
        task_id: String,
        status: TaskStatus,
        reason: Option<String>,
        /// The worker slot (0-based) when the task is in progress.
        slot: Option<u32>,
    },
    WorktreeCreated {
        run_id: String,
        task_id: String,
        slot: u32,
        branch: String,
        path: String,
        /// True when an earlier attempt's branch was reattached.
        reattached: bool,
    },
    WorktreeRemoved {
        run_id: String,
        task_id: String,
        branch: String,
    },
    AgentStarted {
        run_id: String,
        task_id: String,
        session_id: String,
        pid: u32,
        log_path: String,
    },
    /// What the agent said and did since the last such event, as transcript entries in order (the entries of the
    /// lines that were waiting go out together, so a chatty agent sends few events). The raw output is in the log.
    AgentTranscript {
        run_id: String,
        task_id: String,
        session_id: String,
        entries: Vec<Entry>,
    },
    AgentExited {
        run_id: String,
        task_id: String,
        session_id: String,
        outcome: SessionOutcome,
        exit_code: Option<i32>,
        /// What the session cost, when the agent reports it.
        cost_usd: Option<f64>,
    },
    MergeStarted {
        run_id: String,
        task_id: String,
        branch: String,
    },
    MergeResult {
        run_id: String,
        task_id: String,
        result: MergeKind,
        /// The merge commit, the conflicting files or the test log, depending on `result`.
        detail: String,
    },
    /// The task's branch, merged with the target, is being tested in its own worktree while it waits for the gate
    /// (its pre-flight; [`crate::gate::merge::preflight`]).
    PreflightStarted {
        run_id: String,
        task_id: String,
    },
    /// The task's pre-flight ended: `detail` is the test log for a result, the reason for a skip; `ms` the test's time.
    PreflightEnded {
        run_id: String,
        task_id: String,
        result: PreflightResult,
        detail: String,
        #[ts(type = "number")]
        ms: u64,
    },
    /// The merge gate took these waiting tasks (in landing order) to test together: merged one onto the other and
    /// tested once ([`crate::gate::merge::MergeGate::land_batch`]). Each one's [`Event::MergeResult`] follows.
    MergeBatch {
        run_id: String,
        task_ids: Vec<String>,
    },
    /// The task's branch has a new tip: seen while its agent works (checked every ~2 s) and just before it is
    /// merged. `commit` is the full id, `summary` the first line of its message.
    BranchCommitted {
        run_id: String,
        task_id: String,
        branch: String,
        commit: String,
        summary: String,
    },
    /// While agents work: merging the task's branch onto `other` (the target branch or another active task's) is
    /// predicted to conflict in `files`. Sent once per new pair and file set.
    ConflictPredicted {
        run_id: String,
        task_id: String,
        other: ConflictWith,
        files: Vec<String>,
    },
    /// The target branch was found moved by something other than the merge gate (an agent, a person, another
    /// tool): `by` says who from the reflog; `passed` is the result of the tests run on it alone (`None`: no test
    /// command). Nothing lands on a target that failed until it moves again and passes.
    TargetMovedOutside {
        run_id: String,
        target: String,
        from: String,
        to: String,
        by: String,
        passed: Option<bool>,
        /// The test log of the target alone, when it was tested.
        log: Option<String>,
    },
    /// Something went wrong that did not stop the run (the task went to Review).
    Warning {
        run_id: String,
        task_id: Option<String>,
        message: String,
    },
}

impl Event {
    /// The run the event belongs to.
    pub fn run_id(&self) -> &str {
        match self {
            Event::Recovered { run_id, .. }
            | Event::RunStarted { run_id, .. }
            | Event::RunPaused { run_id }
            | Event::RunResumed { run_id }
            | Event::RunSequential { run_id }
            | Event::RunFinished { run_id, .. }
            | Event::RunFailed { run_id, .. }
            | Event::TaskStatusChanged { run_id, .. }
            | Event::WorktreeCreated { run_id, .. }
            | Event::WorktreeRemoved { run_id, .. }
            | Event::AgentStarted { run_id, .. }
            | Event::AgentTranscript { run_id, .. }
            | Event::AgentExited { run_id, .. }
            | Event::MergeStarted { run_id, .. }
            | Event::MergeResult { run_id, .. }
            | Event::MergeBatch { run_id, .. }
            | Event::PreflightStarted { run_id, .. }
            | Event::PreflightEnded { run_id, .. }
            | Event::BranchCommitted { run_id, .. }
            | Event::ConflictPredicted { run_id, .. }
            | Event::TargetMovedOutside { run_id, .. }
            | Event::Warning { run_id, .. } => run_id,
        }
    }
}
