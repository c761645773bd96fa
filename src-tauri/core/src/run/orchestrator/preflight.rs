//! A finished branch's pre-flight (issue 30): when a task's agent is done, its branch goes to the merge queue at
//! once and, while it waits there, is tested merged with the target (as the gate last tested it) in the task's own
//! worktree, where its build outputs and setup already are, in parallel with the other tasks' agents and
//! pre-flights. The worker slot is free meanwhile (the next task gets another folder); the pre-flight has a port
//! range of its own, after the worker slots'. How many test runs go at once is the project's `parallel_tests`: the
//! gate always has one, the pre-flights share the rest (at least one). A pre-flight slot is held as long as the
//! task's folder is kept for it; a branch that finds every slot busy skips its pre-flight (its folder is parked at
//! once), so folders on disk stay within the workers and the slots.
//!
//! A pre-flight decides only who is left out ([`crate::gate::merge::preflight`]): the gate tests every tree it lands
//! itself, so a pre-flight an agent could fool (its folder, its caches) never puts anything on the target. A branch
//! whose pre-flight fails before the gate took it is withdrawn from the queue and goes to Review with that log at
//! once; one the gate took meanwhile is left out of its batch if that batch fails; one that passed waits without its
//! folder (parked, as before).

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::{watch, SemaphorePermit};

use super::merge_queue::Landed;
use super::task_folder::park_worktree;
use super::worker_ctx::{warning, Started, WorkerCtx};
use crate::gate::merge::preflight::{Preflight, PREFLIGHT_NOTE};
use crate::gate::merge::{preflight_mark, run_tests, LandOutcome, TestRun, Verdict, GATE_TESTS_ENV};
use crate::run::events::{emit, Event, PreflightResult};
use crate::sys::concurrency::{blocking, Cancel};
use crate::workspace::worktree::{slug, state_dir, PreflightTree, WorktreeInfo, Worktrees};

/// Sends task `s`'s branch (in folder `info`) to the gate, with its pre-flight meanwhile when the run has them
/// (module docs), and frees its worker slot for the next task. Returns the landing's result and the task's folder
/// if it still has one.
pub(super) async fn land(
    ctx: &WorkerCtx,
    s: &Started,
    info: &WorktreeInfo,
    message: &str,
) -> (Landed, Option<WorktreeInfo>) {
    let free_slot = || {
        let _ = ctx.at_gate.send(s.task.id.clone());
    };
    // A pre-flight slot now, or none: one waiting for a slot would hold its folder meanwhile (folders on disk stay
    // within the workers and the pre-flight slots); the gate judges the branch alone instead.
    let pf = &ctx.preflights;
    let permit = if pf.enabled() { pf.slots.try_acquire().ok() } else { None };
    let Some(permit) = permit else {
        if pf.enabled() {
            let detail = "every pre-flight slot was busy: the gate tests it".to_string();
            let (run_id, task_id) = (ctx.run_id.clone(), s.task.id.clone());
            emit(
                &ctx.events,
                Event::PreflightEnded { run_id, task_id, result: PreflightResult::Skipped, detail, ms: 0 },
            );
        }
        // The gate tests in its own worktree: the task's folder goes first (a slot's is freed for the next task).
        let here = (!park_worktree(ctx, s, info).await).then(|| info.clone());
        free_slot();
        return (ctx.queue.land(&s.task.id, &info.branch, message).await, here);
    };
    // The folder stays for the pre-flight, its slot held as long as the folder is.
    free_slot();
    let mut permit: Option<SemaphorePermit<'_>> = Some(permit);
    let (tx, rx) = watch::channel(Preflight::Running);
    let stop = ctx.cancel.child_token();
    let mut ticket = ctx.queue.queue(&s.task.id, &info.branch, message, Some(rx.clone()));
    let test = run(ctx, s, info, &stop, &tx);
    tokio::pin!(test);
    let (mut tested, mut here) = (false, Some(info.clone()));
    let landed = loop {
        tokio::select! {
            landed = ticket.result() => break landed,
            _ = &mut test, if !tested => {
                tested = true;
                let state = rx.borrow().clone();
                match state {
                    // Out of the queue before the gate took it: to Review now, with the pre-flight's log (its
                    // folder kept, build outputs and all, for the person to look into).
                    Preflight::Failed { log_path, merged_tree_commit } if ticket.withdraw() => {
                        let note = Some(PREFLIGHT_NOTE.to_string());
                        let outcome = LandOutcome::TestsFailed { log_path, merged_tree_commit, note };
                        break (Ok(outcome), Duration::ZERO, 1);
                    }
                    // The gate has it already: its own test decides; the folder stays until then.
                    Preflight::Failed { .. } => {}
                    _ => {
                        if park_worktree(ctx, s, info).await {
                            here = None;
                            permit = None;
                        }
                    }
                }
            }
        }
    };
    if !tested {
        // The gate decided first: the pre-flight has nothing left to say.
        stop.cancel();
        test.await;
    }
    drop(permit);
    (landed, here)
}

/// Task `s`'s pre-flight in its folder `info`, its end published on `tx`; the folder is back on its branch after.
async fn run(ctx: &WorkerCtx, s: &Started, info: &WorktreeInfo, stop: &Cancel, tx: &watch::Sender<Preflight>) {
    let task_id = &s.task.id;
    let end = |result: PreflightResult, detail: String, ms: u64| {
        let event = Event::PreflightEnded { run_id: ctx.run_id.clone(), task_id: task_id.clone(), result, detail, ms };
        emit(&ctx.events, event);
    };
    let skip = |why: String| {
        end(PreflightResult::Skipped, why, 0);
        tx.send_replace(Preflight::Skipped);
    };
    let pf = &ctx.preflights;
    let Some(argv) = pf.test_command.clone() else { return skip("no test command".into()) };
    // Before the folder changes: nothing below may leave it holding the merged tree.
    let logs = match state_dir(&ctx.repo, "logs", true) {
        Ok(dir) => dir,
        Err(e) => return skip(format!("no log folder: {e}")),
    };
    let onto = ctx.queue.trusted_target();
    // With a setup command the folder's dependencies were installed from its branch's lockfiles.
    let lockfiles = if ctx.project.setup_command.is_some() { crate::workspace::prepare::LOCKFILES } else { &[] };
    let (repo, folder) = (ctx.repo.clone(), info.clone());
    let tree = blocking(move || Worktrees::open(&repo)?.preflight_checkout(&folder, onto, lockfiles)).await;
    let (commit, merged) = match tree {
        Ok(PreflightTree::AsIs { commit }) => (commit, false),
        Ok(PreflightTree::Merged { commit }) => (commit, true),
        Ok(PreflightTree::Conflict) => return skip("the branch does not merge with the target cleanly".into()),
        Ok(PreflightTree::LockfileChanged { file }) => {
            return skip(format!("the target changed {file}: the gate installs it and tests the branch"))
        }
        Err(e) => return skip(format!("the worktree could not hold the merged tree: {e}")),
    };
    let log_path = logs.join(format!("preflight-{}-test.log", slug(task_id)));
    let (range, mark) = (pf.take_range(), preflight_mark(&ctx.repo, task_id));
    emit(&ctx.events, Event::PreflightStarted { run_id: ctx.run_id.clone(), task_id: task_id.clone() });
    let header = format!("{} merged with `{}` ({commit}), in its own worktree", info.branch, ctx.target_branch);
    let test = TestRun {
        argv: &argv,
        dir: &info.path,
        repo: &ctx.repo,
        log_path: &log_path,
        port_base: ctx.port_base,
        ports: range,
        mark: &mark,
        who: "pre-flight",
        sandbox: ctx.sandbox.as_ref(),
    };
    let t0 = Instant::now();
    let passed = tokio::select! {
        r = run_tests(test, &header, pf.timeout) => Some(r),
        _ = stop.cancelled() => None,
    };
    let ms = t0.elapsed().as_millis() as u64;
    if passed.is_none() {
        // Stopped mid-test: whatever it started outside its group goes too (before the folder is put back: it may
        // hold the folder's index).
        let _ = blocking(move || Ok(crate::sys::process::kill_marked(GATE_TESTS_ENV, &mark))).await;
    }
    if merged {
        let (repo, folder) = (ctx.repo.clone(), info.clone());
        if let Err(e) = blocking(move || Worktrees::open(&repo)?.end_preflight(&folder)).await {
            // Its result stands for nothing then: the folder does not hold the branch; the gate judges it.
            pf.give_back(range);
            let why = format!("the worktree could not be put back on its branch after its pre-flight: {e}");
            emit(&ctx.events, warning(ctx, task_id, why.clone()));
            return skip(why);
        }
    }
    pf.give_back(range);
    let log = log_path.display().to_string();
    match passed {
        Some(Ok(Verdict::Passed)) => {
            pf.times.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
            end(PreflightResult::Passed, log, ms);
            tx.send_replace(Preflight::Passed);
        }
        Some(Ok(Verdict::Failed)) => {
            pf.times.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
            pf.failed.fetch_add(1, Ordering::Relaxed);
            end(PreflightResult::Failed, log, ms);
            tx.send_replace(Preflight::Failed { log_path, merged_tree_commit: commit });
        }
        // Not the branch's fault as far as anyone knows: the gate judges it.
        Some(Ok(Verdict::TimedOut)) => skip(format!("the test timed out after {:?} (log {log})", pf.timeout)),
        Some(Ok(Verdict::NotStarted)) => skip(format!("the test could not start (log {log})")),
        Some(Err(e)) => skip(format!("the test could not run: {e}")),
        None => skip(stopped(ctx)),
    }
}

/// Why a pre-flight was stopped before its end.
fn stopped(ctx: &WorkerCtx) -> String {
    match ctx.cancel.is_cancelled() {
        true => "the run was stopped".into(),
        false => "the gate decided first".into(),
    }
}
