//! One task from start to finish, on its own tokio task: a worktree from the current target commit (or the
//! task's kept branch, reattached), the agent session, then the merge queue. The worker writes the task's final
//! state (done, review, or backlog when cancelled) before it reports to the run loop.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::step::Finished;
use super::step::Occupancy;
use crate::error::{CoreError, CoreResult};
use crate::gate::merge::LandOutcome;
use crate::model::{Task, TaskStatus};
use crate::run::agent::{self, PromptContext, SessionOutcome, SessionSpec};
use crate::run::events::{emit, Event, MergeKind};
use crate::sys::concurrency::blocking;
use crate::workspace::user_checkout::CheckoutSync;
use crate::workspace::worktree::{WorktreeInfo, Worktrees};
use crate::{expertise, expertise::learn, store::tasks};

use super::task_folder::{open_worktree, prepare_worktree, remove_worktree, review_folder, unpark_worktree};
use super::worker_ctx::{warning, Started, TaskResult, TaskStop, WorkerCtx};
use crate::store::records::{self, WorktreeStatus};

/// The task's experts: the domains it belongs to, and whether they already learned from it.
#[derive(Default)]
pub(super) struct Experts {
    domains: Vec<String>,
    learned: bool,
}

/// What [`drive`] found out on the way, for the task's result (also when it ends early).
#[derive(Default)]
pub(super) struct Progress {
    /// Time spent waiting in the merge queue.
    waited: Duration,
    merge: Option<MergeKind>,
    /// The landing went through after the review agent resolved a conflict.
    resolved: bool,
    experts: Experts,
    /// When its work went to the gate.
    at_gate: Option<Instant>,
}

/// Runs the task; never fails: problems send the task to Review with the reason.
pub(crate) async fn run_task(ctx: Arc<WorkerCtx>, s: Started) -> TaskResult {
    let t0 = Instant::now();
    let mut p = Progress::default();
    let stop = Arc::new(TaskStop::new(&ctx.cancel));
    ctx.stops.lock().unwrap_or_else(|e| e.into_inner()).insert(s.task.id.clone(), stop.clone());
    let outcome = drive(&ctx, &s, &stop, &mut p).await;
    let Progress { waited, merge, resolved, experts, at_gate } = p;
    ctx.stops.lock().unwrap_or_else(|e| e.into_inner()).remove(&s.task.id);
    let (status, reason, fatal) = match outcome {
        Ok((status, reason)) => (status, reason, None),
        Err(e @ (CoreError::AgentNotFound { .. } | CoreError::SandboxUnavailable { .. })) => {
            (TaskStatus::Backlog, None, Some(e))
        }
        Err(e) => (TaskStatus::Review, Some(format!("YokeFlow could not run this task: {e}")), None),
    };
    if status == TaskStatus::Review && !experts.domains.is_empty() {
        // Database only: nothing of a branch that does not land can be committed (see `learn`).
        if let Err(e) = learn::record_review(&ctx.db, &ctx.project, &experts.domains, experts.learned).await {
            emit(&ctx.events, warning(&ctx, &s.task.id, format!("cannot record the review for the experts: {e}")));
        }
    }
    if let Err(e) = finish(&ctx, &s, status, reason.as_deref()).await {
        emit(&ctx.events, warning(&ctx, &s.task.id, format!("cannot record the task's state: {e}")));
    }
    let work_ms = t0.elapsed().saturating_sub(waited).as_millis() as u64;
    let gate_ms = at_gate.map(|t| t.elapsed().as_millis() as u64).unwrap_or(0);
    let done = Finished { task_id: s.task.id.clone(), slot: s.slot, status, reason, work_ms, gate_ms, merge, resolved };
    TaskResult { done, fatal }
}

pub(super) async fn finish(ctx: &WorkerCtx, s: &Started, status: TaskStatus, reason: Option<&str>) -> CoreResult<()> {
    tasks::set_status(&ctx.db, &ctx.project_id, &s.task.id, status, reason).await?;
    if status == TaskStatus::Review {
        records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Review).await?;
    }
    emit(
        &ctx.events,
        Event::TaskStatusChanged {
            run_id: ctx.run_id.clone(),
            task_id: s.task.id.clone(),
            status,
            reason: reason.map(str::to_string),
            slot: None,
        },
    );
    Ok(())
}

/// Worktree, agent, merge. Returns the task's final status and the reason for Review; `p` keeps what it found out.
pub(super) async fn drive(
    ctx: &WorkerCtx,
    s: &Started,
    stop: &TaskStop,
    p: &mut Progress,
) -> CoreResult<(TaskStatus, Option<String>)> {
    let Occupancy::Worker(slot) = s.slot else {
        return Err(CoreError::InvalidInput(format!("`{}` only lands again: it has no worker slot", s.task.id)));
    };
    let (info, reattached, note) = open_worktree(ctx, s).await?;
    if let Some(message) = note {
        emit(&ctx.events, warning(ctx, &s.task.id, message));
    }
    records::worktree_created(&ctx.db, &s.row_id, &info).await?;
    emit(
        &ctx.events,
        Event::WorktreeCreated {
            run_id: ctx.run_id.clone(),
            task_id: s.task.id.clone(),
            slot,
            branch: info.branch.clone(),
            path: info.path.display().to_string(),
            reattached,
        },
    );

    if let Some(ended) = prepare_worktree(ctx, s, &info, slot, stop).await? {
        return Ok(ended);
    }

    let (routed, expert) = if ctx.learn { route(ctx, s, &info, &mut p.experts).await } else { (None, None) };
    let hook = ctx.expertise.as_ref().and_then(|route| route(&s.task));
    let extra_context = match (expert, hook) {
        (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
        (a, b) => a.or(b),
    };
    let prompt_ctx = PromptContext {
        epic: s.task.epic.as_ref().and_then(|e| ctx.epics.iter().find(|x| &x.id == e)).cloned(),
        claude_md: ctx.claude_md.clone(),
        extra_context,
        sandbox: ctx.sandbox.clone(),
    };
    let task_prompt = agent::build_prompt(&s.task, &prompt_ctx);
    let mut session = work(ctx, s, stop, &info, task_prompt.clone()).await?;
    // The agent is done: from now on feedback is refused (`feedback::submit_while_working`). A remark that came in
    // just before the switch is answered first, by the same agent.
    while session.outcome == SessionOutcome::Changed && !stop.stop.is_cancelled() {
        records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Merging).await?;
        if crate::agents::feedback::pending(&ctx.db, &ctx.project_id, &s.task.id).await?.is_empty() {
            break;
        }
        records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Active).await?;
        session = work(ctx, s, stop, &info, task_prompt.clone()).await?;
    }
    let log = session.log_path.display();
    if let Some(change) = config_changed(ctx).await? {
        return Ok((TaskStatus::Review, Some(format!("{change} (log: {log})"))));
    }
    match session.outcome {
        SessionOutcome::Changed => {}
        // Merge now: the agent was stopped on purpose; what it left goes to the gate.
        SessionOutcome::Cancelled if stop.merging_now() && !ctx.cancel.is_cancelled() => {
            if !commit_left(ctx, s, &info).await? {
                return Ok((TaskStatus::Review, Some(format!("merge now: the agent had made no change (log: {log})"))));
            }
        }
        SessionOutcome::NoChange => {
            return Ok((TaskStatus::Review, Some(format!("the agent made no change (log: {log})"))));
        }
        SessionOutcome::Failed if session.sandbox_error.is_some() => {
            let why = session.sandbox_error.as_deref().unwrap_or_default();
            return Ok((
                TaskStatus::Review,
                Some(format!("the sandbox could not start the agent: {why} (log: {log})")),
            ));
        }
        SessionOutcome::Failed => {
            let how = match session.exit_code {
                Some(c) => format!("exited with code {c}"),
                None => "was ended by a signal".to_string(),
            };
            return Ok((TaskStatus::Review, Some(format!("the agent {how} (log: {log})"))));
        }
        SessionOutcome::TimedOut => {
            let secs = ctx.timeout.unwrap_or_default().as_secs_f64();
            return Ok((TaskStatus::Review, Some(format!("the agent timed out after {secs:.1} s (log: {log})"))));
        }
        SessionOutcome::Refused => return Ok((TaskStatus::Review, Some(refusal_reason(&session.facts, &log)))),
        SessionOutcome::Cancelled => return Ok((TaskStatus::Backlog, None)),
    }

    // The work is committed on the branch: the experts learn from it, and their files go with it to the gate.
    if ctx.learn {
        match learn::learn_from_task(&ctx.db, &ctx.project, &s.task, &info, &ctx.target_branch, routed.as_ref()).await {
            Ok(l) => {
                for d in l.domains {
                    if !p.experts.domains.contains(&d) {
                        p.experts.domains.push(d);
                    }
                }
                p.experts.learned = !p.experts.domains.is_empty();
            }
            Err(e) => emit(&ctx.events, warning(ctx, &s.task.id, format!("the experts could not learn: {e}"))),
        }
    }

    records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Merging).await?;
    announce_tip(ctx, &s.task.id, &info.branch).await;
    emit(
        &ctx.events,
        Event::MergeStarted { run_id: ctx.run_id.clone(), task_id: s.task.id.clone(), branch: info.branch.clone() },
    );
    let message = format!("YokeFlow: {} ({})", s.task.title, s.task.id);
    let queued = Instant::now();
    // The agent's part is over: its slot may take the next task while this one waits for the gate (and, meanwhile,
    // is tested in its own folder: its pre-flight). `here` is the task's folder while it has one.
    p.at_gate = Some(queued);
    let ((mut landed, took, mut batch), mut here) = super::preflight::land(ctx, s, &info, &message).await;
    p.waited = queued.elapsed().saturating_sub(took);
    // The target was moved outside the gate to a tree that fails: this work is not to blame. It waits until the
    // target moves again (fixed, or reset by a person), then lands through the gate as usual.
    while let Ok(LandOutcome::TargetFailing { commit, .. }) = &landed {
        if !wait_for_target_to_leave(ctx, commit).await {
            break;
        }
        let (again, took, size) = ctx.queue.land(&s.task.id, &info.branch, &message).await;
        p.waited += took;
        (landed, batch) = (again, size);
    }
    // Another task of the same expert landed first: only the expertise files conflict. Bring the target in with
    // the files exported again from the database (which has both tasks' learning), and land again.
    let mut attempts = 0;
    while let (true, Ok(LandOutcome::Conflict { files })) = (p.experts.learned && attempts < 3, &landed) {
        if !files.iter().all(|f| f.starts_with(".claude/")) {
            break;
        }
        attempts += 1;
        // The merge is made in a folder of the branch: the task's again when it was parked.
        let folder = match &here {
            Some(f) => f.clone(),
            None => {
                let f = unpark_worktree(ctx, s, &info.branch).await?;
                here = Some(f.clone());
                f
            }
        };
        let (db, project, task, domains) = (&ctx.db, &ctx.project, &s.task, &p.experts.domains);
        match learn::merge_target_for_expertise(db, project, task, &folder, &ctx.target_branch, domains).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                emit(&ctx.events, warning(ctx, &s.task.id, format!("cannot merge the expertise files: {e}")));
                break;
            }
        }
        let queued = Instant::now();
        let (again, took, size) = ctx.queue.land(&s.task.id, &info.branch, &message).await;
        p.waited += queued.elapsed().saturating_sub(took);
        (landed, batch) = (again, size);
    }
    let result = |kind: MergeKind, detail: String| Event::MergeResult {
        run_id: ctx.run_id.clone(),
        task_id: s.task.id.clone(),
        result: kind,
        detail,
    };
    if let (true, Ok(LandOutcome::Conflict { files })) = (ctx.resolve_conflicts, &landed) {
        emit(&ctx.events, result(MergeKind::Conflict, files.join(", ")));
        match resolve_conflict(ctx, s, &info, files, &message, &mut p.waited).await? {
            Resolution::Landed(outcome) => {
                p.resolved = true;
                landed = outcome;
            }
            Resolution::Failed(reason) => {
                p.merge = Some(MergeKind::Conflict);
                review_folder(ctx, s, &info.branch, here.is_some()).await;
                return Ok((TaskStatus::Review, Some(reason)));
            }
            Resolution::Cancelled => {
                p.merge = Some(MergeKind::Conflict);
                return Ok((TaskStatus::Backlog, None));
            }
        }
    }
    let had_folder = here.is_some();
    let ended = settle(ctx, s, &info.branch, here, landed, batch, &mut p.merge).await?;
    if ended.0 == TaskStatus::Review {
        review_folder(ctx, s, &info.branch, had_folder).await;
    }
    Ok(ended)
}

/// After an agent's session: a change to the repository's git configuration that would run a program (planted hooks,
/// file-system monitor, filters, ...) is undone, and the reason for Review says what it was.
pub(super) async fn config_changed(ctx: &WorkerCtx) -> CoreResult<Option<String>> {
    let guard = ctx.git_config.clone();
    let change = blocking(move || guard.check()).await?;
    Ok(change.map(|c| {
        format!(
            "the repository's git configuration (.git/config) was changed while this task's agent worked, in keys that \
             make git run a program; YokeFlow undid it: {c}"
        )
    }))
}

/// Waits until the target no longer points at `commit` (hex); false when the run or the task was stopped first.
pub(super) async fn wait_for_target_to_leave(ctx: &WorkerCtx, commit: &str) -> bool {
    loop {
        let (repo, target) = (ctx.repo.clone(), ctx.target_branch.clone());
        let now = crate::sys::concurrency::blocking(move || {
            crate::workspace::worktree::branch_tip(&git2::Repository::open(&repo)?, &target).map(|o| o.to_string())
        })
        .await;
        if now.map_or(true, |now| now != commit) {
            return true;
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => return false,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Records how a landing ended: Done (worktree removed, when there is one), or Review with the reason.
pub(super) async fn settle(
    ctx: &WorkerCtx,
    s: &Started,
    branch: &str,
    info: Option<WorktreeInfo>,
    landed: CoreResult<LandOutcome>,
    batch: usize,
    merge: &mut Option<MergeKind>,
) -> CoreResult<(TaskStatus, Option<String>)> {
    let result = |kind: MergeKind, detail: String| Event::MergeResult {
        run_id: ctx.run_id.clone(),
        task_id: s.task.id.clone(),
        result: kind,
        detail,
    };
    // An earlier failure's test log no longer says why the task is where it is (a failure now records its own).
    records::set_test_log(&ctx.db, &s.row_id, None).await?;
    let landed = match landed {
        Ok(l) => l,
        Err(e) => {
            *merge = Some(MergeKind::Error);
            emit(&ctx.events, result(MergeKind::Error, e.to_string()));
            return Ok((TaskStatus::Review, Some(format!("the merge failed: {e}"))));
        }
    };
    match landed {
        LandOutcome::Merged { commit, checkout, .. } => {
            *merge = Some(MergeKind::Merged);
            if let CheckoutSync::Left { reason } = checkout {
                if !ctx.checkout_warned.swap(true, std::sync::atomic::Ordering::Relaxed) {
                    let message =
                        format!("a checkout of `{}` was not updated with the landed work: {reason}", ctx.target_branch);
                    emit(&ctx.events, Event::Warning { run_id: ctx.run_id.clone(), task_id: None, message });
                }
            }
            // The target has the work: record it before cleaning up.
            tasks::set_status(&ctx.db, &ctx.project_id, &s.task.id, TaskStatus::Done, None).await?;
            records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Merged).await?;
            records::set_landed_commit(&ctx.db, &s.row_id, &commit).await?;
            emit(&ctx.events, result(MergeKind::Merged, commit));
            match info {
                Some(info) => remove_worktree(ctx, &s.task.id, info).await,
                // No folder (it was parked at the gate): the branch, all of it on the target now, goes.
                None => {
                    let (repo, target, b) = (ctx.repo.clone(), ctx.target_branch.clone(), branch.to_string());
                    if let Err(e) = blocking(move || Worktrees::open(&repo)?.delete_branch_if_merged(&b, &target)).await
                    {
                        emit(
                            &ctx.events,
                            warning(ctx, &s.task.id, format!("the merged branch {branch} was kept: {e}")),
                        );
                    }
                }
            }
            Ok((TaskStatus::Done, None))
        }
        LandOutcome::Conflict { files } => {
            *merge = Some(MergeKind::Conflict);
            let list = files.join(", ");
            emit(&ctx.events, result(MergeKind::Conflict, list.clone()));
            Ok((TaskStatus::Review, Some(format!("merge conflict with the target branch in: {list}"))))
        }
        LandOutcome::TestsFailed { log_path, note, .. } => {
            *merge = Some(MergeKind::TestsFailed);
            let log = log_path.display().to_string();
            records::set_test_log(&ctx.db, &s.row_id, Some(&log)).await?;
            emit(&ctx.events, result(MergeKind::TestsFailed, log.clone()));
            let found = match batch {
                1 => String::new(),
                n => format!("; it broke a batch of {n} tested together, found by testing the halves on their own"),
            };
            let why = note.map(|n| format!("; {n}")).unwrap_or_default();
            Ok((TaskStatus::Review, Some(format!("the tests failed on the merged tree (log: {log}){found}{why}"))))
        }
        LandOutcome::CheckoutBlocked { reason, tested, .. } => {
            *merge = Some(MergeKind::CheckoutBlocked);
            emit(&ctx.events, result(MergeKind::CheckoutBlocked, reason.clone()));
            let task = &s.task.id;
            let how = if tested { "tested but not landed" } else { "not landed" };
            let reason = format!("{how}: {reason}; then `yokeflow land {task}`");
            emit(&ctx.events, warning(ctx, task, reason.clone()));
            Ok((TaskStatus::Review, Some(reason)))
        }
        LandOutcome::TargetFailing { commit, log_path } => {
            *merge = Some(MergeKind::TargetFailing);
            let log = log_path.display().to_string();
            emit(&ctx.events, result(MergeKind::TargetFailing, log.clone()));
            let target = &ctx.target_branch;
            Ok((
                TaskStatus::Review,
                Some(format!(
                    "not landed: `{target}` was moved outside the merge gate to {commit}, whose tests fail on their own \
                     (log: {log}); this work was not tested on it. Fix or reset `{target}`, then `yokeflow land {}`",
                    s.task.id
                )),
            ))
        }
        LandOutcome::Refused { reason } => {
            *merge = Some(MergeKind::Refused);
            emit(&ctx.events, result(MergeKind::Refused, reason.clone()));
            Ok((TaskStatus::Review, Some(format!("the merge gate refused the branch: {reason}"))))
        }
        LandOutcome::NothingToMerge => {
            *merge = Some(MergeKind::NothingToMerge);
            emit(&ctx.events, result(MergeKind::NothingToMerge, String::new()));
            Ok((TaskStatus::Review, Some("the agent's branch had nothing to merge into the target".into())))
        }
    }
}

/// Routes the task (the decision is logged) and gives the prompt's expert context; problems are warnings.
pub(super) async fn route(
    ctx: &WorkerCtx,
    s: &Started,
    info: &WorktreeInfo,
    experts: &mut Experts,
) -> (Option<expertise::RoutingDecision>, Option<String>) {
    let decision = match expertise::route_task(&ctx.db, &ctx.project, &s.task, &info.path).await {
        Ok(d) => d,
        Err(e) => {
            emit(&ctx.events, warning(ctx, &s.task.id, format!("the task could not be routed to an expert: {e}")));
            return (None, None);
        }
    };
    match learn::task_domains(&ctx.db, &ctx.project, &s.task, Some(&decision)).await {
        Ok(domains) => experts.domains = domains,
        Err(e) => emit(&ctx.events, warning(ctx, &s.task.id, format!("cannot read the experts: {e}"))),
    }
    let patterns = match &decision.domain {
        Some(d) => expertise::get(&ctx.db, &ctx.project, d).await.ok().flatten().map(|e| e.patterns),
        None => None,
    };
    // Claude Code loads `.claude/` itself: naming the files is enough; other agents get the patterns inline.
    let inline = !crate::agents::adapter(&ctx.agent_command).loads_claude_folder();
    let text = learn::expert_context(&decision, &info.path, &patterns.unwrap_or_default(), inline);
    (Some(decision), text)
}

/// How a conflict resolution by the review agent ended.
pub(super) enum Resolution {
    /// The resolved merge went through the gate (merged, or tests failed...).
    Landed(CoreResult<LandOutcome>),
    /// The agent failed or left markers: Review, with why.
    Failed(String),
    Cancelled,
}

/// The review-agent path: the gate prepares the conflicted merge in a resolution worktree, the same agent
/// command runs there with a resolution prompt, and the gate finishes (tests, compare-and-swap) what it left.
pub(super) async fn resolve_conflict(
    ctx: &WorkerCtx,
    s: &Started,
    info: &WorktreeInfo,
    conflicted: &[String],
    message: &str,
    waited: &mut Duration,
) -> CoreResult<Resolution> {
    let (files, path) = ctx.queue.prepare_resolution(&info.branch).await?;
    if files.is_empty() {
        // The target moved again and the branch now merges cleanly.
        return Ok(Resolution::Landed(ctx.queue.land(&s.task.id, &info.branch, message).await.0));
    }
    let worktree = WorktreeInfo { path: path.clone(), ..info.clone() };
    let spec = session_spec(ctx, s, worktree, agent::build_resolution_prompt(&s.task, &files), false);
    let session = agent::run_session(&ctx.db, &spec, &ctx.events, ctx.cancel.clone()).await?;
    if let Some(change) = config_changed(ctx).await? {
        return Ok(Resolution::Failed(change));
    }
    let list = conflicted.join(", ");
    let log = session.log_path.display();
    match session.outcome {
        SessionOutcome::Cancelled => return Ok(Resolution::Cancelled),
        SessionOutcome::Changed => {}
        other => {
            return Ok(Resolution::Failed(format!(
                "merge conflict with the target branch in: {list}; the review agent did not resolve it ({}, log: \
                 {log}; the conflicted merge is in {})",
                other.as_str(),
                path.display()
            )))
        }
    }
    let queued = Instant::now();
    let (out, took) = ctx.queue.finish_resolution(&info.branch, message).await;
    *waited += queued.elapsed().saturating_sub(took);
    match out {
        Err(CoreError::UnresolvedConflicts { files }) => Ok(Resolution::Failed(format!(
            "merge conflict with the target branch in: {list}; the review agent left conflict markers in {} (log: \
             {log}; the conflicted merge is in {})",
            files.join(", "),
            path.display()
        ))),
        other => Ok(Resolution::Landed(other)),
    }
}

/// The agent session for task `s` in `worktree` (the task's own, or a conflict resolution worktree).
pub(super) fn session_spec(
    ctx: &WorkerCtx,
    s: &Started,
    worktree: WorktreeInfo,
    prompt: String,
    collect: bool,
) -> SessionSpec {
    SessionSpec {
        project_id: ctx.project_id.clone(),
        repo_path: ctx.repo.clone(),
        target_branch: ctx.target_branch.clone(),
        task: s.task.clone(),
        run_id: ctx.run_id.clone(),
        batch_id: ctx.batches.get(&s.task.id).cloned(),
        worktree_id: Some(s.row_id.clone()),
        worktree,
        agent_command: ctx.agent_command.clone(),
        prompt,
        timeout: ctx.timeout,
        kill_grace: ctx.kill_grace,
        collect_changes: collect,
        allowed_tools: ctx.base_tools.clone(),
        resume: None,
        remark: None,
        slot: match s.slot {
            super::step::Occupancy::Worker(slot) => Some(slot),
            super::step::Occupancy::Gate(slot) => Some(slot),
            super::step::Occupancy::Landing => None,
        },
        port_base: ctx.port_base,
        sandbox: ctx.sandbox.clone(),
    }
}

/// The most follow-ups one start of a task answers in a row (remarks sent while its agent worked).
pub(super) const MAX_FOLLOW_UPS: usize = 5;

/// The task's agent at work in `info`: the task's prompt, or, when a person left feedback, the feedback — in the
/// agent's own conversation when its CLI can resume it there, else in a new session with the task's prompt plus
/// the remark. Feedback sent while the agent worked is answered next, in the same way, before the work goes on.
pub(super) async fn work(
    ctx: &WorkerCtx,
    s: &Started,
    stop: &TaskStop,
    info: &WorktreeInfo,
    task_prompt: String,
) -> CoreResult<agent::SessionResult> {
    let mut session: Option<agent::SessionResult> = None;
    for _ in 0..=MAX_FOLLOW_UPS {
        let remarks = crate::agents::feedback::pending(&ctx.db, &ctx.project_id, &s.task.id).await?;
        if remarks.is_empty() && session.is_some() {
            break;
        }
        let mut spec = session_spec(ctx, s, info.clone(), task_prompt.clone(), true);
        // Read for each session: a tool a person allowed (or took back) during the run counts from the next one.
        spec.allowed_tools = crate::agents::permissions::with_person(
            &ctx.base_tools,
            &crate::agents::permissions::list(&ctx.db, &ctx.project_id).await?,
        );
        if !remarks.is_empty() {
            spec.remark = Some(crate::agents::feedback::joined(&remarks));
            let kind = crate::agents::AgentKind::detect(&ctx.agent_command);
            let here = info.path.display().to_string();
            let resumable =
                crate::agents::feedback::last_conversation(&ctx.db, &ctx.project_id, &s.task.id, &here, kind)
                    .await?
                    .filter(|id| crate::agents::resume_argv(kind, &ctx.agent_command, id).is_some());
            match resumable {
                Some(id) => {
                    spec.resume = Some(id);
                    spec.prompt = crate::agents::feedback::resume_prompt(&s.task, &remarks);
                }
                None => spec.prompt = crate::agents::feedback::fresh_prompt(&task_prompt, &remarks),
            }
        }
        let done = agent::run_session(&ctx.db, &spec, &ctx.events, stop.stop.clone()).await?;
        // A cancelled session answered nothing: its remarks wait for the next one.
        if done.outcome != SessionOutcome::Cancelled {
            crate::agents::feedback::taken(&ctx.db, &remarks, &done.session_id).await?;
        }
        let go_on = matches!(done.outcome, SessionOutcome::Changed | SessionOutcome::NoChange);
        session = Some(done);
        if !go_on {
            break;
        }
    }
    session.ok_or_else(|| CoreError::InvalidInput("no agent session ran".into()))
}

/// Why a refused session's task waits in Review: what was refused, and how to allow it.
pub(super) fn refusal_reason(facts: &crate::agents::transcript::SessionFacts, log: &impl std::fmt::Display) -> String {
    let refused: Vec<String> = facts.denials.iter().take(3).map(|d| format!("`{}`", d.describe())).collect();
    let more = facts.denials.len().saturating_sub(3);
    let mut rules: Vec<String> = facts.denials.iter().filter_map(crate::agents::permissions::suggested_rule).collect();
    rules.dedup();
    let how = if rules.is_empty() {
        "Allow what it needs for this project (`yokeflow permissions allow RULE`)".to_string()
    } else {
        let commands: Vec<String> = rules
            .iter()
            .map(|r| format!("`yokeflow permissions allow {}`", crate::sys::process::shell_word(r)))
            .collect();
        format!("Allow it for this project ({})", commands.join(", "))
    };
    format!(
        "the agent was refused {}{}; its work so far is kept on the branch. {how} and retry, or give feedback \
         (log: {log})",
        refused.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() },
    )
}

/// Announces the branch's tip ([`Event::BranchCommitted`]) before it goes to the gate; silent when it cannot be read.
pub(super) async fn announce_tip(ctx: &WorkerCtx, task_id: &str, branch: &str) {
    let (repo, wanted) = (ctx.repo.clone(), branch.to_string());
    let tip = blocking(move || {
        let git = git2::Repository::open(&repo)?;
        let commit = git.find_branch(&wanted, git2::BranchType::Local)?.get().peel_to_commit()?;
        Ok((commit.id().to_string(), commit.summary().unwrap_or_default().to_string()))
    })
    .await;
    if let Ok((commit, summary)) = tip {
        let (run_id, task_id, branch) = (ctx.run_id.clone(), task_id.to_string(), branch.to_string());
        emit(&ctx.events, Event::BranchCommitted { run_id, task_id, branch, commit, summary });
    }
}

/// Merge now: commits what the stopped agent left (message: the task title); true when the branch has commits
/// the target lacks.
pub(super) async fn commit_left(ctx: &WorkerCtx, s: &Started, info: &WorktreeInfo) -> CoreResult<bool> {
    let (repo, info, target, title) = (ctx.repo.clone(), info.clone(), ctx.target_branch.clone(), s.task.title.clone());
    blocking(move || {
        let wts = Worktrees::open(&repo)?;
        wts.commit_all(&info, &title)?;
        Ok(wts.unmerged_commits(&info.branch, &target)? > 0)
    })
    .await
}

/// Retry merge: lands a Review task's kept `branch` through the gate again, without running its agent (a person
/// may have fixed the branch). Done when it merges (its worktree removed), else Review with the new reason.
pub(crate) async fn land_again(ctx: Arc<WorkerCtx>, task: Task, row_id: String, branch: String) -> TaskResult {
    let t0 = Instant::now();
    let s = Started { task, slot: Occupancy::Landing, row_id, reuse_branch: Some(branch.clone()) };
    let mut merge = None;
    let outcome = async {
        let (repo, wanted) = (ctx.repo.clone(), branch.clone());
        let info = blocking(move || {
            let git = git2::Repository::open(&repo)?;
            if git.find_branch(&wanted, git2::BranchType::Local).is_err() {
                return Err(CoreError::NotFound { what: "branch", id: wanted });
            }
            Ok(Worktrees::open(&repo)?.list()?.into_iter().find(|i| i.branch == wanted))
        })
        .await?;
        records::set_worktree_status(&ctx.db, &s.row_id, WorktreeStatus::Merging).await?;
        announce_tip(&ctx, &s.task.id, &branch).await;
        let (run_id, task_id) = (ctx.run_id.clone(), s.task.id.clone());
        emit(&ctx.events, Event::MergeStarted { run_id, task_id, branch: branch.clone() });
        let message = format!("YokeFlow: {} ({})", s.task.title, s.task.id);
        let (landed, _, batch) = ctx.queue.land(&s.task.id, &branch, &message).await;
        settle(&ctx, &s, &branch, info, landed, batch, &mut merge).await
    }
    .await;
    let (status, reason) = match outcome {
        Ok(x) => x,
        Err(e) => (TaskStatus::Review, Some(format!("YokeFlow could not land this task again: {e}"))),
    };
    if let Err(e) = finish(&ctx, &s, status, reason.as_deref()).await {
        emit(&ctx.events, warning(&ctx, &s.task.id, format!("cannot record the task's state: {e}")));
    }
    let work_ms = t0.elapsed().as_millis() as u64;
    let done = Finished {
        task_id: s.task.id.clone(),
        slot: Occupancy::Landing,
        status,
        reason,
        work_ms,
        gate_ms: work_ms,
        merge,
        resolved: false,
    };
    TaskResult { done, fatal: None }
}
