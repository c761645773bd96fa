//! The merge queue: one landing at a time. A dedicated thread owns the [`MergeGate`] and serves requests in the
//! order they were queued, so two finished tasks never race to advance the target (no merge cascades), and the
//! gate needs to be neither `Send` nor `Sync`. Conflict resolutions (prepare, then finish after the review
//! agent) go through the same queue.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::error::{CoreError, CoreResult};
use crate::merge::{GateConfig, LandOutcome, MergeGate};

enum Job {
    Land { message: String, reply: oneshot::Sender<(CoreResult<LandOutcome>, Duration)> },
    Prepare { reply: oneshot::Sender<CoreResult<(Vec<String>, PathBuf)>> },
    Finish { message: String, reply: oneshot::Sender<(CoreResult<LandOutcome>, Duration)> },
}

struct Request {
    branch: String,
    job: Job,
}

/// A handle to the merge queue; the thread ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct MergeQueue {
    tx: mpsc::UnboundedSender<Request>,
}

fn stopped() -> CoreError {
    CoreError::InvalidInput("the merge queue has stopped".into())
}

impl MergeQueue {
    /// Opens the gate on its own thread; fails if the gate cannot be opened.
    pub(crate) fn start(repo: PathBuf, cfg: GateConfig) -> CoreResult<MergeQueue> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<CoreResult<()>>();
        std::thread::Builder::new()
            .name("yokeflow-merge-queue".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(CoreError::io("cannot start the merge queue", e)));
                        return;
                    }
                };
                rt.block_on(async move {
                    let gate = match MergeGate::open(&repo, cfg) {
                        Ok(g) => {
                            let _ = ready_tx.send(Ok(()));
                            g
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    while let Some(req) = rx.recv().await {
                        serve(&gate, req).await;
                    }
                });
            })
            .map_err(|e| CoreError::io("cannot start the merge queue", e))?;
        ready_rx.recv().map_err(|_| CoreError::InvalidInput("the merge queue stopped at start".into()))??;
        Ok(MergeQueue { tx })
    }

    /// Queues `branch` for landing and waits for its turn and result. The duration is the landing itself,
    /// without the wait in the queue.
    pub(crate) async fn land(&self, branch: &str, message: &str) -> (CoreResult<LandOutcome>, Duration) {
        let (reply, rx) = oneshot::channel();
        let job = Job::Land { message: message.to_string(), reply };
        if self.tx.send(Request { branch: branch.to_string(), job }).is_err() {
            return (Err(stopped()), Duration::ZERO);
        }
        rx.await.unwrap_or_else(|_| (Err(stopped()), Duration::ZERO))
    }

    /// [`MergeGate::prepare_resolution`]: the conflicted files and the resolution worktree.
    pub(crate) async fn prepare_resolution(&self, branch: &str) -> CoreResult<(Vec<String>, PathBuf)> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request { branch: branch.to_string(), job: Job::Prepare { reply } }).map_err(|_| stopped())?;
        rx.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// [`MergeGate::finish_resolution`].
    pub(crate) async fn finish_resolution(&self, branch: &str, message: &str) -> (CoreResult<LandOutcome>, Duration) {
        let (reply, rx) = oneshot::channel();
        let job = Job::Finish { message: message.to_string(), reply };
        if self.tx.send(Request { branch: branch.to_string(), job }).is_err() {
            return (Err(stopped()), Duration::ZERO);
        }
        rx.await.unwrap_or_else(|_| (Err(stopped()), Duration::ZERO))
    }
}

/// One job of the queue. The gate takes the worktree lock itself, only while it adds or drops a worktree.
async fn serve(gate: &MergeGate, req: Request) {
    let t0 = Instant::now();
    match req.job {
        Job::Land { message, reply } => {
            let out = gate.land(&req.branch, &message).await;
            let _ = reply.send((out, t0.elapsed()));
        }
        Job::Prepare { reply } => {
            let out = gate.prepare_resolution(&req.branch);
            let _ = reply.send(out.map(|files| (files, gate.resolution_path(&req.branch))));
        }
        Job::Finish { message, reply } => {
            let out = gate.finish_resolution(&req.branch, &message).await;
            let _ = reply.send((out, t0.elapsed()));
        }
    }
}
