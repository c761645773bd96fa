//! The merge queue: one landing at a time. A dedicated thread owns the [`MergeGate`] and serves requests in the
//! order they were queued, so two finished tasks never race to advance the target (no merge cascades), and the
//! gate needs to be neither `Send` nor `Sync`. Landings that wait together are served together: the landings
//! queued while the gate was busy (up to the gate's `max_batch`, in queue order) go to
//! [`MergeGate::land_batch_with`] as one batch ([`Event::MergeBatch`] names it). Conflict resolutions (prepare, then
//! finish after the review agent) go through the same queue, one at a time, in their place.
//!
//! **Pre-flights** ([`crate::gate::merge::preflight`]): a landing may come with its branch's pre-flight. When the
//! gate is free, the waiting landings whose pre-flight failed are answered at once (never tested by the gate), and
//! the others make the batch, their pre-flights passed or still running (the gate does not wait for one to take a
//! batch; a failing batch leaves out who failed theirs before it is bisected). A landing is taken by the gate or
//! withdrawn by its worker, never both ([`Ticket::withdraw`]).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::error::{CoreError, CoreResult};
use crate::gate::merge::preflight::{self, Preflight, PreflightWatch};
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
    preflight: Option<PreflightWatch>,
    /// Set by whoever takes the landing first: the gate (to land it) or its worker ([`Ticket::withdraw`]).
    claimed: Arc<AtomicBool>,
}

/// A landing in the queue: its result, or its withdrawal before the gate took it.
pub(crate) struct Ticket {
    claimed: Arc<AtomicBool>,
    rx: Option<oneshot::Receiver<Landed>>,
}

impl Ticket {
    /// The landing's result ([`Landed`]); a withdrawn ticket has none.
    pub(crate) async fn result(&mut self) -> Landed {
        match self.rx.as_mut() {
            Some(rx) => rx.await.unwrap_or_else(|_| (Err(stopped()), Duration::ZERO, 1)),
            None => (Err(stopped()), Duration::ZERO, 1),
        }
    }

    /// Takes the landing out of the queue if the gate has not taken it yet: true when withdrawn (the gate will never
    /// land it), false when the gate has it (its result will come).
    pub(crate) fn withdraw(&self) -> bool {
        !self.claimed.swap(true, Ordering::SeqCst)
    }
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
                    let mut waiting: VecDeque<Request> = VecDeque::new();
                    loop {
                        if waiting.is_empty() {
                            match rx.recv().await {
                                Some(r) => waiting.push_back(r),
                                None => break,
                            }
                        }
                        while let Ok(r) = rx.try_recv() {
                            waiting.push_back(r);
                        }
                        if let Some(Request { job: Job::Resolve(_), .. }) = waiting.front() {
                            if let Some(Request { branch, job: Job::Resolve(job) }) = waiting.pop_front() {
                                serve(&gate, &branch, job).await;
                            }
                            continue;
                        }
                        // The landings at the front (up to the next other job) make the batch, as the module says.
                        let lands = waiting.iter().take_while(|r| matches!(r.job, Job::Land(_))).count();
                        let front: Vec<Request> = waiting.drain(..lands).collect();
                        let (batch, rest) = pick_batch(front, max_batch);
                        for r in rest.into_iter().rev() {
                            waiting.push_front(r);
                        }
                        if !batch.is_empty() {
                            serve_batch(&gate, batch, &events, &run_id).await;
                        }
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
        self.queue(task_id, branch, message, None).result().await
    }

    /// Queues `branch` for landing with its pre-flight, if it has one; the ticket gives the result (or withdraws it).
    pub(crate) fn queue(
        &self,
        task_id: &str,
        branch: &str,
        message: &str,
        preflight: Option<PreflightWatch>,
    ) -> Ticket {
        let (reply, rx) = oneshot::channel();
        let claimed = Arc::new(AtomicBool::new(false));
        let landing = Landing {
            task_id: task_id.to_string(),
            message: message.to_string(),
            reply,
            preflight,
            claimed: claimed.clone(),
        };
        let sent = self.tx.send(Request { branch: branch.to_string(), job: Job::Land(landing) }).is_ok();
        Ticket { claimed, rx: sent.then_some(rx) }
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

/// Of the landings at the front of the queue (in order), the next batch and the ones that wait for a later one:
/// withdrawn landings are dropped; those whose pre-flight failed are answered now, never landed; the batch is the
/// first `max` of the others, whether their pre-flight passed, still runs or there is none (waiting for pre-flights
/// would shrink the batches: measured in a debug build, a run whose tests all pass took 1.38 × as long with a 1 s test
/// as with none, against 1.22 × this way; a batch that fails leaves out who failed their pre-flight before it is bisected,
/// [`MergeGate::land_batch_with`]). Every landing in the batch is claimed by the gate.
fn pick_batch(front: Vec<Request>, max: usize) -> (Vec<(String, Landing)>, Vec<Request>) {
    let mut take = Vec::new();
    let mut rest = Vec::new();
    for r in front {
        let Request { branch, job: Job::Land(landing) } = r else { unreachable!("only landings are picked") };
        if landing.claimed.load(Ordering::SeqCst) {
            continue;
        }
        if let Some(Preflight::Failed { log_path, merged_tree_commit }) = preflight::now(landing.preflight.as_ref()) {
            if !landing.claimed.swap(true, Ordering::SeqCst) {
                let note = Some(preflight::PREFLIGHT_NOTE.to_string());
                let outcome = LandOutcome::TestsFailed { log_path, merged_tree_commit, note };
                let _ = landing.reply.send((Ok(outcome), Duration::ZERO, 1));
            }
            continue;
        }
        // Claimed now: from here its worker cannot withdraw it; one it withdrew meanwhile is left out.
        if take.len() < max && !landing.claimed.swap(true, Ordering::SeqCst) {
            take.push((branch, landing));
        } else if take.len() >= max {
            rest.push(Request { branch, job: Job::Land(landing) });
        }
    }
    (take, rest)
}

/// Landings that waited together, as one batch.
async fn serve_batch(gate: &MergeGate, batch: Vec<(String, Landing)>, events: &EventSender, run_id: &str) {
    let t0 = Instant::now();
    let mut pairs = Vec::new();
    let mut waiting = Vec::new();
    let mut task_ids = Vec::new();
    let mut preflights = Vec::new();
    for (branch, Landing { task_id, message, reply, preflight, .. }) in batch {
        pairs.push((branch, message));
        task_ids.push(task_id);
        waiting.push(reply);
        preflights.push(preflight);
    }
    emit(events, Event::MergeBatch { run_id: run_id.to_string(), task_ids: task_ids.clone() });
    let size = pairs.len();
    let outcomes = gate.land_batch_with(&pairs, preflights).await;
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::watch;

    fn landing(task: &str, pf: Option<Preflight>) -> (Request, oneshot::Receiver<Landed>, Arc<AtomicBool>) {
        let (reply, rx) = oneshot::channel();
        let claimed = Arc::new(AtomicBool::new(false));
        let preflight = pf.map(|p| watch::channel(p).1);
        let landing =
            Landing { task_id: task.into(), message: String::new(), reply, preflight, claimed: claimed.clone() };
        (Request { branch: format!("b/{task}"), job: Job::Land(landing) }, rx, claimed)
    }

    fn ids(batch: &[(String, Landing)]) -> Vec<&str> {
        batch.iter().map(|(_, l)| l.task_id.as_str()).collect()
    }

    fn rest_ids(rest: &[Request]) -> Vec<String> {
        rest.iter()
            .map(|r| match &r.job {
                Job::Land(l) => l.task_id.clone(),
                Job::Resolve(_) => "resolve".into(),
            })
            .collect()
    }

    #[test]
    fn a_batch_leaves_out_and_answers_at_once_the_landings_whose_preflight_failed() {
        let failed = Preflight::Failed { log_path: "log".into(), merged_tree_commit: "c".into() };
        let (a, _, _) = landing("a", Some(Preflight::Running));
        let (b, _, b_claim) = landing("b", Some(Preflight::Passed));
        let (c, mut c_rx, c_claim) = landing("c", Some(failed));
        let (d, _, _) = landing("d", None);
        let (e, _, _) = landing("e", Some(Preflight::Skipped));
        let (f, _, _) = landing("f", Some(Preflight::Running));
        let (batch, rest) = pick_batch(vec![a, b, c, d, e, f], 3);
        // In queue order, at most 3, whatever their pre-flight says so far (but c's); the others wait, in order.
        assert_eq!(ids(&batch), ["a", "b", "d"]);
        assert_eq!(rest_ids(&rest), ["e", "f"]);
        assert!(b_claim.load(Ordering::SeqCst), "the gate claimed what it took");
        // c is answered now with its pre-flight's log, never tested by the gate.
        assert!(c_claim.load(Ordering::SeqCst));
        match c_rx.try_recv().unwrap() {
            (Ok(LandOutcome::TestsFailed { log_path, note, .. }), _, 1) => {
                assert_eq!(log_path, std::path::PathBuf::from("log"));
                assert_eq!(note.as_deref(), Some(preflight::PREFLIGHT_NOTE));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_gate_takes_landings_whose_preflight_still_runs_rather_than_wait() {
        let (a, _, _) = landing("a", Some(Preflight::Running));
        let (b, _, b_claim) = landing("b", Some(Preflight::Running));
        let (c, _, _) = landing("c", Some(Preflight::Running));
        // b was withdrawn by its worker (its pre-flight failed first): left out, and never claimed twice.
        b_claim.store(true, Ordering::SeqCst);
        let (batch, rest) = pick_batch(vec![a, b, c], 8);
        assert_eq!(ids(&batch), ["a", "c"]);
        assert!(rest.is_empty());
    }

    #[test]
    fn a_landing_is_taken_by_the_gate_or_withdrawn_never_both() {
        let (a, _, claim) = landing("a", Some(Preflight::Running));
        let ticket = Ticket { claimed: claim.clone(), rx: None };
        assert!(ticket.withdraw(), "before the gate took it");
        let (batch, _) = pick_batch(vec![a], 8);
        assert!(batch.is_empty(), "a withdrawn landing is not landed");
        let (b, _, claim) = landing("b", Some(Preflight::Running));
        let (batch, _) = pick_batch(vec![b], 8);
        assert_eq!(ids(&batch), ["b"]);
        assert!(!Ticket { claimed: claim, rx: None }.withdraw(), "the gate has it: its result will come");
    }
}
