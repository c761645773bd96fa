//! Controlling a run while it goes: pause (no new task starts), resume, cancel (running agents are stopped and
//! their tasks go back to the backlog with their branches kept), force sequential, retry a task from Review,
//! and move a task to a worker slot. Commands travel on an mpsc channel from [`RunHandle`] to the run loop.

use tokio::sync::mpsc;

/// A command for a running [`super::run_resolved`] loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunCommand {
    Pause,
    Resume,
    Cancel,
    /// From now on at most one task runs at a time.
    ForceSequential,
    /// Moves a task from Review back to the backlog of this run; it continues from its branch.
    RetryTask(String),
    /// Lands a Review task's kept branch again through the merge gate, without running its agent (e.g. after a
    /// person fixed the branch): Done when it merges, else it stays in Review with the new reason.
    RetryMerge(String),
    /// Stops an in-progress task's agent gracefully, commits what it left and sends the branch to the gate now.
    MergeNow(String),
    /// Pins a task to a worker slot (0-based): it starts only in that slot.
    MoveTask {
        task_id: String,
        slot: u32,
    },
}

/// The caller's side: cheap to clone, usable from any thread. Commands sent after the run ended are ignored.
#[derive(Debug, Clone)]
pub struct RunHandle {
    tx: mpsc::UnboundedSender<RunCommand>,
}

/// The run loop's side, given to [`super::run_resolved`].
#[derive(Debug)]
pub struct RunControl {
    pub(crate) rx: mpsc::UnboundedReceiver<RunCommand>,
}

/// A connected handle and control.
pub fn control() -> (RunHandle, RunControl) {
    let (tx, rx) = mpsc::unbounded_channel();
    (RunHandle { tx }, RunControl { rx })
}

impl RunHandle {
    /// Sends a command; false when the run is over.
    pub fn send(&self, command: RunCommand) -> bool {
        self.tx.send(command).is_ok()
    }

    pub fn pause(&self) -> bool {
        self.send(RunCommand::Pause)
    }

    pub fn resume(&self) -> bool {
        self.send(RunCommand::Resume)
    }

    pub fn cancel(&self) -> bool {
        self.send(RunCommand::Cancel)
    }

    pub fn force_sequential(&self) -> bool {
        self.send(RunCommand::ForceSequential)
    }

    pub fn retry_task(&self, task_id: &str) -> bool {
        self.send(RunCommand::RetryTask(task_id.to_string()))
    }

    pub fn retry_merge(&self, task_id: &str) -> bool {
        self.send(RunCommand::RetryMerge(task_id.to_string()))
    }

    pub fn merge_now(&self, task_id: &str) -> bool {
        self.send(RunCommand::MergeNow(task_id.to_string()))
    }

    pub fn move_task(&self, task_id: &str, slot: u32) -> bool {
        self.send(RunCommand::MoveTask { task_id: task_id.to_string(), slot })
    }

    /// True once the run loop has ended (its control was dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}
