//! What a worker shares with the run (`WorkerCtx`), what it is given (`Started`) and returns (`TaskResult`), and how
//! a task is stopped.

use super::merge_queue::MergeQueue;
use super::step::Finished;
use super::step::Occupancy;
use crate::error::CoreError;
use crate::model::{Epic, Project, Task};
use crate::run::events::{Event, EventSender};
use crate::run::resolve::ExpertiseRouter;
use crate::store::db::Db;
use crate::sys::concurrency::Cancel;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// What every worker of a run shares.
pub(crate) struct WorkerCtx {
    pub db: Db,
    pub project_id: String,
    pub run_id: String,
    pub repo: PathBuf,
    pub target_branch: String,
    pub agent_command: Vec<String>,
    /// The run's own tool rules (the defaults and the test command); a person's are added for each session.
    pub base_tools: Vec<String>,
    pub timeout: Option<Duration>,
    pub kill_grace: Duration,
    pub events: EventSender,
    pub queue: MergeQueue,
    pub epics: Vec<Epic>,
    pub claude_md: Option<String>,
    pub expertise: Option<ExpertiseRouter>,
    /// Route each task to its expert and learn from its diff ([`crate::expertise::learn`]).
    pub learn: bool,
    pub project: Project,
    pub resolve_conflicts: bool,
    /// The run's cancel; each task's stop is a child of it.
    pub cancel: Cancel,
    /// Task id -> the stored plan's batch id, recorded on sessions and worktrees.
    pub batches: HashMap<String, String>,
    /// Running task -> its own stop switch (merge now); the run's `cancel` reaches each (a child token).
    pub stops: std::sync::Mutex<HashMap<String, Arc<TaskStop>>>,
    /// Set once the run warned that the user's checkout of the target did not follow a landing.
    pub checkout_warned: std::sync::atomic::AtomicBool,
    /// The first port of the project's block ([`crate::workspace::ports`]).
    pub port_base: u16,
    /// A task's agent is done and its work goes to the gate: the run loop frees its worker slot.
    pub at_gate: tokio::sync::mpsc::UnboundedSender<String>,
    /// The repository's shared git configuration as the run found it: a change to a key that names a program, found
    /// when an agent's session ends, is undone and sends that task to Review ([`crate::sys::git::ConfigGuard`]).
    pub git_config: Arc<crate::sys::git::ConfigGuard>,
    /// Included or linked paths whose skip the run already announced.
    pub skips_said: std::sync::Mutex<std::collections::HashSet<String>>,
    /// How agents, setup and cleanup are confined; `None`: not confined.
    pub sandbox: Option<crate::workspace::sandbox::SandboxPolicy>,
    /// Finished branches tested in their own worktrees while they wait for the gate ([`super::preflight`]).
    pub preflights: super::preflight_slots::Preflights,
}

/// One task's stop switch: its agent is stopped when `stop` is cancelled (by the run's cancel, its parent, or by
/// merge now); `merge_now` tells the worker to send what the agent left to the gate rather than back to the backlog.
pub(crate) struct TaskStop {
    pub(super) stop: Cancel,
    pub(super) merge_now: std::sync::atomic::AtomicBool,
}

impl TaskStop {
    pub(super) fn new(run: &Cancel) -> TaskStop {
        TaskStop { stop: run.child_token(), merge_now: std::sync::atomic::AtomicBool::new(false) }
    }

    /// Stops the agent and sends its work to the gate.
    pub(crate) fn merge_now(&self) {
        self.merge_now.store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop.cancel();
    }

    pub(super) fn merging_now(&self) -> bool {
        self.merge_now.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// A task the run loop has marked in progress, with its slot and worktree row.
pub(crate) struct Started {
    pub task: Task,
    pub slot: Occupancy,
    pub row_id: String,
    /// The branch of an earlier attempt to continue from.
    pub reuse_branch: Option<String>,
}

/// What a worker reports back: its task's result, and an error that should stop the run (the agent program is
/// missing).
pub(crate) struct TaskResult {
    pub done: Finished,
    pub fatal: Option<CoreError>,
}

pub(super) fn warning(ctx: &WorkerCtx, task_id: &str, message: String) -> Event {
    Event::Warning { run_id: ctx.run_id.clone(), task_id: Some(task_id.to_string()), message }
}
