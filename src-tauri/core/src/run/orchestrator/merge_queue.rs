//! The merge queue: one landing at a time. A dedicated thread owns the [`MergeGate`] and serves requests in the
//! order they were queued, so two finished tasks never race to advance the target (no merge cascades), and the
//! gate needs to be neither `Send` nor `Sync`. Landings that wait together are served together: every landing
//! queued while the gate was busy (up to the gate's `max_batch`, in queue order) goes to
//! [`MergeGate::land_batch`] as one batch ([`Event::MergeBatch`] names it). Conflict resolutions (prepare, then
//! finish after the review agent) go through the same queue, one at a time, in their place.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::error::{CoreError, CoreResult};
use crate::gate::merge::{GateConfig, LandOutcome, MergeGate, TargetMove};
use crate::run::events::{emit, Event, EventSender};

/// A landing's result: the outcome, how long the landing itself took (without the wait in the queue), and how many
/// landings were tested with it in its batch (1: alone).
pub(crate) type Landed = (CoreResult<LandOutcome>, Duration, usize);

enum Job {
    /// Served in batches ([`serve_batch`]).
    Land(Landing),
    /// Served one at a time, in its place ([`serve`]).
    Resolve(Resolve),
}

struct Landing {
    task_id: String,
    message: String,
    reply: oneshot::Sender<Landed>,
}

enum Resolve {
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
    /// The gate's test run durations ([`MergeGate::test_times`]).
    test_times: std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
    /// The moves of the target the gate did not make ([`MergeGate::target_moves`]).
    moves: std::sync::Arc<std::sync::Mutex<Vec<crate::gate::merge::TargetMove>>>,
    /// [`MergeGate::trusted_target`].
    trusted: std::sync::Arc<std::sync::Mutex<git2::Oid>>,
}

fn stopped() -> CoreError {
    CoreError::InvalidInput("the merge queue has stopped".into())
}

impl MergeQueue {
    /// Opens the gate on its own thread; fails if the gate cannot be opened. Batches are announced on `events`
    /// for `run_id`.
    pub(crate) fn start(repo: PathBuf, cfg: GateConfig, events: EventSender, run_id: String) -> CoreResult<MergeQueue> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
        type Shared = (
            std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
            std::sync::Arc<std::sync::Mutex<Vec<TargetMove>>>,
            std::sync::Arc<std::sync::Mutex<git2::Oid>>,
        );
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<CoreResult<Shared>>();
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
                            let _ = ready_tx.send(Ok((g.test_times(), g.target_moves(), g.trusted_target())));
                            g
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let max_batch = gate.config().max_batch.max(1);
                    let mut held: Option<Request> = None;
                    loop {
                        let req = match held.take() {
                            Some(r) => r,
                            None => match rx.recv().await {
                                Some(r) => r,
                                None => break,
                            },
                        };
                        let first = match req.job {
                            Job::Land(landing) => (req.branch, landing),
                            Job::Resolve(job) => {
                                serve(&gate, &req.branch, job).await;
                                continue;
                            }
                        };
                        // Every landing that waits behind this one joins it, in order, up to the batch size; any
                        // other job waits for its turn after them.
                        let mut batch = vec![first];
                        while batch.len() < max_batch {
                            match rx.try_recv() {
                                Ok(Request { branch, job: Job::Land(landing) }) => batch.push((branch, landing)),
                                Ok(next) => {
                                    held = Some(next);
                                    break;
                                }
                                Err(_) => break,
                            }
                        }
                        serve_batch(&gate, batch, &events, &run_id).await;
                    }
                });
            })
            .map_err(|e| CoreError::io("cannot start the merge queue", e))?;
        let (test_times, moves, trusted) =
            ready_rx.recv().map_err(|_| CoreError::InvalidInput("the merge queue stopped at start".into()))??;
        Ok(MergeQueue { tx, test_times, moves, trusted })
    }

    /// How long each of the gate's test runs took so far (ms).
    pub(crate) fn test_times(&self) -> Vec<u64> {
        self.test_times.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The commit new work starts from: the target as the gate last tested it ([`MergeGate::trusted_target`]).
    pub(crate) fn trusted_target(&self) -> git2::Oid {
        *self.trusted.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The moves of the target the gate did not make, so far.
    pub(crate) fn target_moves(&self) -> Vec<TargetMove> {
        self.moves.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Queues `branch` (task `task_id`'s) for landing and waits for its turn and result ([`Landed`]).
    pub(crate) async fn land(&self, task_id: &str, branch: &str, message: &str) -> Landed {
        let (reply, rx) = oneshot::channel();
        let job = Job::Land(Landing { task_id: task_id.to_string(), message: message.to_string(), reply });
        if self.tx.send(Request { branch: branch.to_string(), job }).is_err() {
            return (Err(stopped()), Duration::ZERO, 1);
        }
        rx.await.unwrap_or_else(|_| (Err(stopped()), Duration::ZERO, 1))
    }

    /// [`MergeGate::prepare_resolution`]: the conflicted files and the resolution worktree.
    pub(crate) async fn prepare_resolution(&self, branch: &str) -> CoreResult<(Vec<String>, PathBuf)> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request { branch: branch.to_string(), job: Job::Resolve(Resolve::Prepare { reply }) })
            .map_err(|_| stopped())?;
        rx.await.unwrap_or_else(|_| Err(stopped()))
    }

    /// [`MergeGate::finish_resolution`].
    pub(crate) async fn finish_resolution(&self, branch: &str, message: &str) -> (CoreResult<LandOutcome>, Duration) {
        let (reply, rx) = oneshot::channel();
        let job = Job::Resolve(Resolve::Finish { message: message.to_string(), reply });
        if self.tx.send(Request { branch: branch.to_string(), job }).is_err() {
            return (Err(stopped()), Duration::ZERO);
        }
        rx.await.unwrap_or_else(|_| (Err(stopped()), Duration::ZERO))
    }
}

/// Landings that waited together, as one batch.
async fn serve_batch(gate: &MergeGate, batch: Vec<(String, Landing)>, events: &EventSender, run_id: &str) {
    let t0 = Instant::now();
    let mut pairs = Vec::new();
    let mut waiting = Vec::new();
    let mut task_ids = Vec::new();
    for (branch, Landing { task_id, message, reply }) in batch {
        pairs.push((branch, message));
        task_ids.push(task_id);
        waiting.push(reply);
    }
    emit(events, Event::MergeBatch { run_id: run_id.to_string(), task_ids: task_ids.clone() });
    let size = pairs.len();
    let outcomes = gate.land_batch(&pairs).await;
    announce_moves(gate, events, run_id);
    for (reply, out) in waiting.into_iter().zip(outcomes) {
        let _ = reply.send((out, t0.elapsed(), size));
    }
}

/// Announces each move of the target the gate found (and tested) since the last call ([`Event::TargetMovedOutside`]).
fn announce_moves(gate: &MergeGate, events: &EventSender, run_id: &str) {
    let moves = gate.target_moves();
    let mut moves = moves.lock().unwrap_or_else(|e| e.into_inner());
    let tested = gate.config().test_command.is_some();
    for m in moves.iter_mut().filter(|m| !m.announced && (m.passed.is_some() || !tested)) {
        m.announced = true;
        let log = m.passed.map(|_| gate.log_path(&crate::gate::merge::target_label(&m.to)).display().to_string());
        emit(
            events,
            Event::TargetMovedOutside {
                run_id: run_id.to_string(),
                target: gate.config().target_branch.clone(),
                from: m.from.clone(),
                to: m.to.clone(),
                by: m.by.clone(),
                passed: m.passed,
                log,
            },
        );
    }
}

/// One conflict-resolution job of the queue. The gate takes the worktree lock itself, only while it adds or drops a
/// worktree.
async fn serve(gate: &MergeGate, branch: &str, job: Resolve) {
    let t0 = Instant::now();
    match job {
        Resolve::Prepare { reply } => {
            let out = gate.prepare_resolution(branch);
            let _ = reply.send(out.map(|files| (files, gate.resolution_path(branch))));
        }
        Resolve::Finish { message, reply } => {
            let out = gate.finish_resolution(branch, &message).await;
            let _ = reply.send((out, t0.elapsed()));
        }
    }
}
