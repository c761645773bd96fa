//! A branch's pre-flight as the gate sees it: while a finished branch waits for the gate, the run tests it merged
//! with the target in its own worktree (`run::orchestrator::preflight`) and publishes how that went on a watch
//! channel ([`PreflightWatch`]). The gate never trusts a pre-flight to land anything (it tests every tree it lands
//! itself, in its own worktree): a pre-flight only decides who is left out. The merge queue never batches a branch
//! whose pre-flight failed, and when a batch fails the tests, a member whose own pre-flight failed (waited for, when
//! it still runs) is out with its own log, and the others are tested again together, instead of the batch being
//! split in halves.

use std::path::PathBuf;

use tokio::sync::watch;

/// How a branch's pre-flight stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    /// Waiting for a test slot, or testing.
    Running,
    /// The tests passed on the branch merged with the target.
    Passed,
    /// The tests failed there: the branch is never landed on this result alone's strength, and the gate leaves it out.
    Failed { log_path: PathBuf, merged_tree_commit: String },
    /// Not run (the branch does not merge with the target cleanly, the test could not start, or it was stopped):
    /// the gate judges the branch as it would without a pre-flight.
    Skipped,
}

/// The receiving side of a branch's pre-flight.
pub type PreflightWatch = watch::Receiver<Preflight>;

/// The note a branch left out by its own pre-flight carries ([`super::LandOutcome::TestsFailed`]).
pub const PREFLIGHT_NOTE: &str = "found by its pre-flight: the tests failed on the branch merged with the target, in \
                                  its own worktree, so it was left out of the gate's batch";

/// The pre-flight's state now (`None`: none was started).
pub fn now(watch: Option<&PreflightWatch>) -> Option<Preflight> {
    watch.map(|w| w.borrow().clone())
}

/// Waits until the pre-flight is over and gives how it ended; `None` when there was none. A pre-flight whose sender
/// went away without an end counts as skipped.
pub async fn ended(watch: Option<&PreflightWatch>) -> Option<Preflight> {
    let mut w = watch?.clone();
    let out = match w.wait_for(|s| *s != Preflight::Running).await {
        Ok(s) => s.clone(),
        Err(_) => Preflight::Skipped,
    };
    Some(out)
}
