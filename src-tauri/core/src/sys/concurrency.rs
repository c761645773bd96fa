//! Small helpers every async part of the core shares: running blocking work (git2, files) off the async threads,
//! and cancellation as a token type ([`Cancel`], tokio-util's `CancellationToken`: a run's token, with a child token
//! per task that the run's cancel reaches and that a task's own stop cancels alone).

use crate::error::{CoreError, CoreResult};

pub use tokio_util::sync::CancellationToken as Cancel;

/// Runs a blocking (git2) closure off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> CoreResult<T> + Send + 'static) -> CoreResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CoreError::InvalidInput(format!("a background task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_run_cancel_reaches_every_task_and_a_task_stop_only_its_own() {
        let run = Cancel::new();
        let (a, b) = (run.child_token(), run.child_token());
        a.cancel();
        assert!(a.is_cancelled() && !b.is_cancelled() && !run.is_cancelled());
        run.cancel();
        b.cancelled().await;
        assert!(b.is_cancelled());
    }

    #[tokio::test]
    async fn blocking_work_runs_and_its_error_comes_back() {
        assert_eq!(blocking(|| Ok(2 + 2)).await.unwrap(), 4);
        let err = blocking(|| -> CoreResult<()> { Err(CoreError::InvalidInput("no".into())) }).await.unwrap_err();
        assert_eq!(err.code(), "invalid_input");
    }
}
