//! The run loop: starts ready tasks in worktrees as the plan's dynamic scheduler allows, watches their agents,
//! sends finished work through the merge gate, and writes every state change before acting on it.
//!
//! - [`control`]: pause, resume, cancel, force sequential, retry, move ([`RunHandle`]);
//! - [`worker`]: one task from worktree to merge;
//! - [`merge_queue`]: one landing at a time;
//! - [`recover`]: crash recovery before every run;
//! - [`records`]: the `runs` and `worktrees` rows;
//! - [`report`]: the [`RunReport`].

pub mod control;
mod early_warning;
mod merge_queue;
mod records;
pub mod recover;
pub mod report;
mod worker;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use crate::agent::{self, default_agent_command};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::events::{emit, Event, EventSender, MergeKind};
use crate::merge::GateConfig;
use crate::model::{Task, TaskStatus};
use crate::plan::schedule::DEFAULT_SEED;
use crate::plan::{PlanTask, RunState, Scheduler};
use crate::{project, tasks};

pub use control::{control, ActiveRunState, RunCommand, RunControl, RunHandle};
pub(crate) use records::{open_worktree_of, OPEN_WORKTREE};
pub use recover::{live_run, recover, RecoveryReport};
pub use report::{ReviewItem, RunReport, TaskTiming};

use worker::{Started, TaskResult, WorkerCtx};

/// The hook through which routed expertise reaches a task's prompt (the `## Routed expertise` section).
pub type ExpertiseRouter = Arc<dyn Fn(&Task) -> Option<String> + Send + Sync>;

/// How to run. `None` fields fall back to the project's settings, then to the defaults.
#[derive(Clone)]
pub struct RunOptions {
    /// Agents at once; default: the project's `max_worktrees` (4 unless changed).
    pub max_worktrees: Option<u32>,
    /// One task at a time.
    pub sequential: bool,
    /// The agent's argv template; default: the project's, else [`agent::DEFAULT_AGENT`].
    pub agent_command: Option<Vec<String>>,
    /// Per agent session; `None`: no limit.
    pub agent_timeout: Option<Duration>,
    /// The test command run on each merged tree; default: the project's.
    pub test_command: Option<Vec<String>>,
    pub test_timeout: Duration,
    /// Between SIGTERM and SIGKILL when an agent is stopped.
    pub kill_grace: Duration,
    /// Extra routed expertise for each task's prompt (added after the expert context of [`RunOptions::learn`]).
    pub expertise: Option<ExpertiseRouter>,
    /// The experts at work (on by default): each task is routed with the expertise router (the decision is
    /// logged), its prompt names the expert's files, and after the agent the domains learn from the branch's
    /// diff, committed on the branch as `expertise: <title>` so it lands through the gate ([`crate::learn`]).
    pub learn: bool,
    /// On a merge conflict, run the agent again in the gate's resolution worktree (the review-agent path)
    /// before sending the task to Review.
    pub resolve_conflicts: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_worktrees: None,
            sequential: false,
            agent_command: None,
            agent_timeout: Some(Duration::from_secs(30 * 60)),
            test_command: None,
            test_timeout: Duration::from_secs(10 * 60),
            kill_grace: Duration::from_secs(3),
            expertise: None,
            learn: true,
            resolve_conflicts: true,
        }
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("max_worktrees", &self.max_worktrees)
            .field("sequential", &self.sequential)
            .field("agent_command", &self.agent_command)
            .field("agent_timeout", &self.agent_timeout)
            .field("test_command", &self.test_command)
            .field("test_timeout", &self.test_timeout)
            .field("kill_grace", &self.kill_grace)
            .field("expertise", &self.expertise.is_some())
            .field("learn", &self.learn)
            .field("resolve_conflicts", &self.resolve_conflicts)
            .finish()
    }
}

/// Runs the project's tasks until every task that can run has run (see [`run_controlled`]).
pub async fn run(db: &Db, project_id: &str, opts: RunOptions, events: EventSender) -> CoreResult<RunReport> {
    let (_handle, ctl) = control();
    run_controlled(db, project_id, opts, events, ctl).await
}

/// Runs the project's tasks, obeying the commands sent through the [`RunHandle`] paired with `ctl`.
///
/// Recovery first ([`recover`]); then tasks start as their dependencies are merged and a worker is free,
/// never beside a task predicted to conflict, longest remaining critical path first. The run ends when nothing
/// is running and nothing more can start (everything done, or blocked behind tasks in Review), or when it is
/// cancelled. The report is stored on the `runs` row.
pub async fn run_controlled(
    db: &Db,
    project_id: &str,
    opts: RunOptions,
    events: EventSender,
    mut ctl: RunControl,
) -> CoreResult<RunReport> {
    let project = project::get(db, project_id).await?;
    let agent_command =
        opts.agent_command.clone().or_else(|| project.agent_command.clone()).unwrap_or_else(default_agent_command);
    agent::check_agent(&agent_command)?;
    let recovered = recover(db, project_id).await?;
    emit(
        &events,
        Event::Recovered {
            project_id: project_id.to_string(),
            tasks_reset: recovered.tasks_reset.clone(),
            tasks_found_merged: recovered.tasks_found_merged.clone(),
            sessions_interrupted: recovered.sessions_interrupted,
            processes_killed: recovered.processes_killed,
            worktrees_removed: recovered.worktrees_removed,
        },
    );
    let workers = if opts.sequential { 1 } else { opts.max_worktrees.unwrap_or(project.max_worktrees).max(1) };
    let mode = if workers == 1 { "sequential" } else { "parallel" };
    let run_id = uuid::Uuid::new_v4().to_string();
    let _live = recover::LiveRun::new(&run_id);
    records::insert_run(db, &run_id, project_id, mode).await?;

    let repo = PathBuf::from(&project.repo_path);
    let gate = GateConfig {
        target_branch: project.target_branch.clone(),
        test_command: opts.test_command.clone().or_else(|| project.test_command.clone()),
        test_timeout: opts.test_timeout,
    };
    let queue = match merge_queue::MergeQueue::start(repo.clone(), gate) {
        Ok(q) => q,
        Err(e) => {
            records::finish_run(db, &run_id, "failed", "null").await?;
            return Err(e);
        }
    };
    let all = tasks::list(db, project_id).await?;
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let stored_plan = crate::planner::get(db, project_id).await.ok().flatten();
    let pins = stored_plan.as_ref().map(crate::overrides::pinned_slots).unwrap_or_default();
    let ctx = Arc::new(WorkerCtx {
        db: db.clone(),
        project_id: project_id.to_string(),
        run_id: run_id.clone(),
        repo: repo.clone(),
        target_branch: project.target_branch.clone(),
        agent_command,
        timeout: opts.agent_timeout,
        kill_grace: opts.kill_grace,
        events: events.clone(),
        queue,
        epics: tasks::epics(db, project_id).await?,
        claude_md: agent::read_claude_md(&repo),
        expertise: opts.expertise.clone(),
        learn: opts.learn,
        project: project.clone(),
        resolve_conflicts: opts.resolve_conflicts,
        cancel: cancel_rx,
        batches: plan_batches(stored_plan.as_ref()),
        stops: Default::default(),
        checkout_warned: Default::default(),
    });
    let (results_tx, results_rx) = mpsc::unbounded_channel();
    let mut lp = RunLoop {
        db,
        ctx,
        run_id: run_id.clone(),
        project_id: project_id.to_string(),
        events: events.clone(),
        done: all.iter().filter(|t| t.status == TaskStatus::Done).map(|t| t.id.clone()).collect(),
        parked: all.iter().filter(|t| t.status == TaskStatus::Review).map(|t| t.id.clone()).collect(),
        tasks: all,
        pending_retries: HashSet::new(),
        running: HashMap::new(),
        slots: vec![None; workers as usize],
        workers,
        // Tasks pinned to a worktree on the board start in that worktree's slot (when the run has that many).
        pins: pins.iter().filter(|&&(_, slot)| slot < workers).cloned().collect(),
        paused: false,
        cancelled: false,
        scheduler: None,
        results_tx,
        results_rx,
        cancel_tx,
        started: Instant::now(),
        timings: Vec::new(),
        merge_attempts: 0,
        auto_merged: 0,
        sent_to_review: 0,
        resolved_by_agent: 0,
        fatal: None,
        mode: mode.to_string(),
    };
    lp.rebuild()?;
    let predicted = lp.predicted_gain();
    emit(
        &events,
        Event::RunStarted {
            run_id: run_id.clone(),
            project_id: project_id.to_string(),
            mode: mode.to_string(),
            workers,
            task_count: lp.tasks.len() as u32,
            done_count: lp.done.len() as u32,
        },
    );
    for (task_id, slot) in pins.into_iter().filter(|&(_, slot)| slot >= workers) {
        let message = format!(
            "`{task_id}` is pinned to wt-{}, but this run has {workers} worker(s): it runs wherever a slot is free",
            slot + 1
        );
        emit(&events, Event::Warning { run_id: run_id.clone(), task_id: Some(task_id), message });
    }
    let outcome = lp.drive(&mut ctl).await;
    if outcome.is_err() || lp.fatal.is_some() {
        lp.stop_all().await;
    }
    let status = match (&outcome, &lp.fatal, lp.cancelled) {
        (Err(_), _, _) | (_, Some(_), _) => "failed",
        (_, _, true) => "cancelled",
        _ => "finished",
    };
    // Tidy up after the run: a merged worktree whose removal failed does not outlive it.
    if let Err(e) = recover::reconcile_worktrees(db, project_id, &repo, &project.target_branch).await {
        emit(&events, Event::Warning { run_id: run_id.clone(), task_id: None, message: format!("cleanup: {e}") });
    }
    let report = lp.report(status, predicted).await?;
    let json = serde_json::to_string(&report).unwrap_or_else(|_| "null".into());
    records::finish_run(db, &run_id, status, &json).await?;
    emit(&events, Event::RunFinished { run_id, status: status.to_string(), report: Box::new(report.clone()) });
    outcome?;
    if let Some(e) = lp.fatal.take() {
        return Err(e);
    }
    Ok(report)
}

/// Moves a task from Review back to the backlog outside a run (inside one, use [`RunHandle::retry_task`]).
pub async fn retry_task(db: &Db, project_id: &str, task_id: &str) -> CoreResult<()> {
    tasks::set_status(db, project_id, task_id, TaskStatus::Backlog, None).await
}

struct RunLoop<'a> {
    db: &'a Db,
    ctx: Arc<WorkerCtx>,
    run_id: String,
    project_id: String,
    events: EventSender,
    tasks: Vec<Task>,
    done: HashSet<String>,
    /// Tasks that may not start in this run: in Review, or sent back by a failure.
    parked: HashSet<String>,
    /// Retries asked for while the task was still running: applied when its result arrives (the Review event
    /// can reach a listener before the loop has taken in the result).
    pending_retries: HashSet<String>,
    /// Running task -> slot.
    running: HashMap<String, u32>,
    slots: Vec<Option<String>>,
    workers: u32,
    pins: HashMap<String, u32>,
    paused: bool,
    cancelled: bool,
    scheduler: Option<Scheduler>,
    results_tx: mpsc::UnboundedSender<TaskResult>,
    results_rx: mpsc::UnboundedReceiver<TaskResult>,
    cancel_tx: watch::Sender<bool>,
    started: Instant,
    timings: Vec<TaskTiming>,
    merge_attempts: u32,
    auto_merged: u32,
    sent_to_review: u32,
    resolved_by_agent: u32,
    fatal: Option<CoreError>,
    mode: String,
}

impl RunLoop<'_> {
    /// The tasks that can still run in this run: not parked and not behind a parked task.
    fn schedulable(&self) -> Vec<PlanTask> {
        let mut blocked: HashSet<&str> = self.parked.iter().map(String::as_str).collect();
        loop {
            let before = blocked.len();
            for t in &self.tasks {
                if !blocked.contains(t.id.as_str()) && t.depends_on.iter().any(|d| blocked.contains(d.as_str())) {
                    blocked.insert(&t.id);
                }
            }
            if blocked.len() == before {
                break;
            }
        }
        self.tasks
            .iter()
            .filter(|t| !blocked.contains(t.id.as_str()))
            .map(|t| PlanTask {
                id: t.id.clone(),
                epic: t.epic.clone(),
                depends_on: t.depends_on.clone(),
                effort_minutes: t.effort_minutes.max(1),
                priority: t.priority,
                // The plan engine's prediction (declared files, named paths, co-change) when there is one.
                predicted_files: if t.predicted_files.is_empty() {
                    t.files.clone()
                } else {
                    t.predicted_files.iter().map(|p| p.path.clone()).collect()
                },
            })
            .collect()
    }

    fn rebuild(&mut self) -> CoreResult<()> {
        let plan = self.schedulable();
        self.scheduler = if plan.is_empty() {
            None
        } else {
            let mut s =
                Scheduler::new(&plan).map_err(|e| CoreError::InvalidInput(format!("cannot plan the run: {e}")))?;
            s.tune(self.workers as usize, DEFAULT_SEED);
            Some(s)
        };
        Ok(())
    }

    /// The simulator's efficiency gain for the tasks still to do.
    fn predicted_gain(&self) -> f64 {
        let done = &self.done;
        let plan: Vec<PlanTask> = self
            .schedulable()
            .into_iter()
            .filter(|t| !done.contains(&t.id))
            .map(|mut t| {
                t.depends_on.retain(|d| !done.contains(d));
                t
            })
            .collect();
        match crate::plan::simulate(&plan, self.workers as usize) {
            Ok(sim) if sim.sequential > 0 => 1.0 - sim.dynamic as f64 / sim.sequential as f64,
            _ => 0.0,
        }
    }

    async fn drive(&mut self, ctl: &mut RunControl) -> CoreResult<()> {
        let mut control_open = true;
        let mut warning = early_warning::EarlyWarning::default();
        let mut ticker = tokio::time::interval(early_warning::INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Commands already sent apply before anything else starts (e.g. pause or move before the first task).
            while let Ok(cmd) = ctl.rx.try_recv() {
                self.on_command(cmd).await?;
            }
            if !self.paused && !self.cancelled {
                self.start_ready().await?;
            }
            if self.running.is_empty() && (self.cancelled || !self.paused || !control_open) {
                return Ok(());
            }
            tokio::select! {
                Some(result) = self.results_rx.recv() => {
                    let task_id = result.task_id.clone();
                    self.on_result(result)?;
                    if self.pending_retries.remove(&task_id) {
                        self.on_command(RunCommand::RetryTask(task_id)).await?;
                    }
                }
                cmd = ctl.rx.recv(), if control_open => match cmd {
                    Some(cmd) => self.on_command(cmd).await?,
                    None => control_open = false,
                },
                _ = ticker.tick() => self.early_warning(&mut warning).await,
            }
        }
    }

    /// The early warning's periodic check ([`early_warning`]); a failure is a warning, not the run's end.
    async fn early_warning(&self, warning: &mut early_warning::EarlyWarning) {
        if self.cancelled || self.running.is_empty() {
            return;
        }
        let running: Vec<String> = self.running.keys().cloned().collect();
        let (repo, target) = (&self.ctx.repo, &self.ctx.target_branch);
        let checked =
            warning.check(self.db, &self.project_id, &self.run_id, repo, target, &running, &self.events).await;
        if let Err(e) = checked {
            let message = format!("the conflict early warning failed: {e}");
            emit(&self.events, Event::Warning { run_id: self.run_id.clone(), task_id: None, message });
        }
    }

    async fn start_ready(&mut self) -> CoreResult<()> {
        let capacity = (self.workers as usize).saturating_sub(self.running.len());
        let Some(scheduler) = &self.scheduler else { return Ok(()) };
        if capacity == 0 {
            return Ok(());
        }
        let state = RunState {
            done: self.done.clone(),
            running: self.running.keys().cloned().collect(),
            free_workers: capacity,
        };
        for task_id in scheduler.next_ready(&state) {
            let free = |s: u32| self.slots.get(s as usize).is_some_and(|x| x.is_none());
            let slot = match self.pins.get(&task_id) {
                Some(&s) if free(s) => s,
                Some(_) => continue,
                None => match (0..self.slots.len() as u32).find(|&s| free(s)) {
                    Some(s) => s,
                    None => break,
                },
            };
            self.start_task(&task_id, slot).await?;
        }
        Ok(())
    }

    async fn start_task(&mut self, task_id: &str, slot: u32) -> CoreResult<()> {
        let Some(task) = self.tasks.iter().find(|t| t.id == task_id).cloned() else { return Ok(()) };
        // State first: the task is in progress and its worktree row exists before anything is created.
        tasks::set_status(self.db, &self.project_id, task_id, TaskStatus::InProgress, None).await?;
        let reuse = records::open_worktree_of(self.db, &self.project_id, task_id).await?;
        let row_id = match &reuse {
            Some(row) => row.id.clone(),
            None => {
                let batch = self.ctx.batches.get(task_id).map(String::as_str);
                records::insert_worktree(self.db, &self.project_id, task_id, batch, "", "", "creating").await?
            }
        };
        emit(
            &self.events,
            Event::TaskStatusChanged {
                run_id: self.run_id.clone(),
                task_id: task_id.to_string(),
                status: TaskStatus::InProgress,
                reason: None,
                slot: Some(slot),
            },
        );
        self.running.insert(task_id.to_string(), slot);
        self.slots[slot as usize] = Some(task_id.to_string());
        let started_ms = self.started.elapsed().as_millis() as u64;
        self.timings.push(TaskTiming {
            task_id: task_id.to_string(),
            slot,
            started_ms,
            ended_ms: started_ms,
            work_ms: 0,
            outcome: "in_progress".into(),
            reason: None,
        });
        let start = Started { task, slot, row_id, reuse_branch: reuse.map(|r| r.branch) };
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        let (id, events, run_id) = (task_id.to_string(), self.events.clone(), self.run_id.clone());
        tokio::spawn(async move {
            let result = match tokio::spawn(worker::run_task(ctx, start)).await {
                Ok(r) => r,
                Err(e) => {
                    let reason = format!("YokeFlow's worker for this task stopped: {e}");
                    emit(&events, Event::Warning { run_id, task_id: Some(id.clone()), message: reason.clone() });
                    TaskResult {
                        task_id: id,
                        slot,
                        status: TaskStatus::Review,
                        reason: Some(reason),
                        work_ms: 0,
                        merge: None,
                        resolved: false,
                        fatal: None,
                    }
                }
            };
            let _ = tx.send(result);
        });
        Ok(())
    }

    fn on_result(&mut self, r: TaskResult) -> CoreResult<()> {
        self.running.remove(&r.task_id);
        if let Some(s) = self.slots.get_mut(r.slot as usize) {
            *s = None;
        }
        let now = self.started.elapsed().as_millis() as u64;
        // A landing again (retry merge) is not an attempt of its own in the timings.
        let attempt = self.timings.iter_mut().rev().find(|t| t.task_id == r.task_id);
        if let Some(t) = attempt.filter(|_| r.slot != worker::LANDING_SLOT) {
            t.ended_ms = now;
            t.work_ms = r.work_ms;
            t.outcome = r.status.as_str().to_string();
            t.reason = r.reason.clone();
        }
        match r.merge {
            Some(MergeKind::Merged) => {
                self.merge_attempts += 1;
                self.auto_merged += 1;
                self.resolved_by_agent += u32::from(r.resolved);
            }
            Some(_) => {
                self.merge_attempts += 1;
                self.sent_to_review += 1;
            }
            None => {}
        }
        if let Some(task) = self.tasks.iter_mut().find(|t| t.id == r.task_id) {
            task.status = r.status;
        }
        match r.status {
            TaskStatus::Done => {
                // Landed again from Review: its dependents may start now.
                if self.parked.remove(&r.task_id) {
                    self.rebuild()?;
                }
                self.done.insert(r.task_id);
            }
            _ if self.cancelled && r.fatal.is_none() => {}
            _ => {
                // Review, or back to the backlog after a failure: not again in this run.
                self.parked.insert(r.task_id);
                self.rebuild()?;
            }
        }
        if let Some(e) = r.fatal {
            if self.fatal.is_none() {
                self.fatal = Some(e);
            }
            self.cancelled = true;
            let _ = self.cancel_tx.send(true);
        }
        Ok(())
    }

    async fn on_command(&mut self, cmd: RunCommand) -> CoreResult<()> {
        let run_id = self.run_id.clone();
        match cmd {
            RunCommand::Pause if !self.paused => {
                self.paused = true;
                records::set_run_status(self.db, &run_id, "paused").await?;
                emit(&self.events, Event::RunPaused { run_id });
            }
            RunCommand::Resume if self.paused => {
                self.paused = false;
                records::set_run_status(self.db, &run_id, "running").await?;
                emit(&self.events, Event::RunResumed { run_id });
            }
            RunCommand::Cancel => {
                self.cancelled = true;
                let _ = self.cancel_tx.send(true);
            }
            RunCommand::ForceSequential if self.workers != 1 => {
                self.workers = 1;
                self.mode = "sequential".into();
                records::set_run_mode(self.db, &run_id, "sequential").await?;
                emit(&self.events, Event::RunSequential { run_id });
            }
            RunCommand::RetryTask(task_id) => {
                if self.running.contains_key(&task_id) {
                    self.pending_retries.insert(task_id);
                } else if self.parked.contains(&task_id) {
                    tasks::set_status(self.db, &self.project_id, &task_id, TaskStatus::Backlog, None).await?;
                    if let Some(t) = self.tasks.iter_mut().find(|t| t.id == task_id) {
                        t.status = TaskStatus::Backlog;
                    }
                    self.parked.remove(&task_id);
                    self.rebuild()?;
                    emit(
                        &self.events,
                        Event::TaskStatusChanged {
                            run_id,
                            task_id,
                            status: TaskStatus::Backlog,
                            reason: None,
                            slot: None,
                        },
                    );
                } else {
                    let message = format!("task `{task_id}` cannot be retried: it is not in Review");
                    emit(&self.events, Event::Warning { run_id, task_id: Some(task_id), message });
                }
            }
            RunCommand::RetryMerge(task_id) => self.retry_merge(task_id).await?,
            RunCommand::MergeNow(task_id) => {
                let stop = self.ctx.stops.lock().unwrap_or_else(|e| e.into_inner()).get(&task_id).cloned();
                match stop {
                    Some(stop) if self.running.get(&task_id) != Some(&worker::LANDING_SLOT) => stop.merge_now(),
                    _ => {
                        let message = format!("task `{task_id}` cannot be merged now: its agent is not running");
                        emit(&self.events, Event::Warning { run_id, task_id: Some(task_id), message });
                    }
                }
            }
            RunCommand::MoveTask { task_id, slot } => {
                if (slot as usize) < self.slots.len() && self.tasks.iter().any(|t| t.id == task_id) {
                    self.pins.insert(task_id, slot);
                } else {
                    let message = format!("cannot move `{task_id}` to slot {slot}: no such task or slot");
                    emit(&self.events, Event::Warning { run_id, task_id: Some(task_id), message });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Retry merge: a Review task's kept branch goes through the gate again, without its agent; while it lands
    /// it counts as running (outside the worker slots), so the run waits for it.
    async fn retry_merge(&mut self, task_id: String) -> CoreResult<()> {
        let in_review = self.parked.contains(&task_id)
            && !self.running.contains_key(&task_id)
            && self.tasks.iter().any(|t| t.id == task_id && t.status == TaskStatus::Review);
        let row = if in_review { records::open_worktree_of(self.db, &self.project_id, &task_id).await? } else { None };
        let (Some(row), Some(task)) = (row, self.tasks.iter().find(|t| t.id == task_id).cloned()) else {
            let message = format!("task `{task_id}` cannot be merged again: it is not in Review with a kept branch");
            emit(&self.events, Event::Warning { run_id: self.run_id.clone(), task_id: Some(task_id), message });
            return Ok(());
        };
        self.running.insert(task_id.clone(), worker::LANDING_SLOT);
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(worker::land_again(ctx, task, row.id, row.branch).await);
        });
        Ok(())
    }

    /// Cancels every running agent and waits for their workers.
    async fn stop_all(&mut self) {
        self.cancelled = true;
        let _ = self.cancel_tx.send(true);
        while !self.running.is_empty() {
            match self.results_rx.recv().await {
                Some(r) => {
                    let _ = self.on_result(r);
                }
                None => break,
            }
        }
    }

    async fn report(&self, status: &str, predicted: f64) -> CoreResult<RunReport> {
        let now = tasks::list(self.db, &self.project_id).await?;
        let count = |s: TaskStatus| now.iter().filter(|t| t.status == s).count() as u32;
        let mut ran: Vec<TaskTiming> = Vec::new();
        for t in &self.timings {
            // A task run twice (retried) counts once per attempt.
            ran.push(t.clone());
        }
        let mut report = RunReport {
            run_id: self.run_id.clone(),
            project_id: self.project_id.clone(),
            mode: self.mode.clone(),
            workers: self.slots.len() as u32,
            status: status.to_string(),
            tasks_total: now.len() as u32,
            tasks_done: count(TaskStatus::Done),
            tasks_review: count(TaskStatus::Review),
            tasks_remaining: count(TaskStatus::Backlog) + count(TaskStatus::InProgress),
            tasks_run: self.timings.iter().map(|t| t.task_id.as_str()).collect::<HashSet<_>>().len() as u32,
            wall_ms: self.started.elapsed().as_millis() as u64,
            task_time_ms: 0,
            efficiency_gain: 0.0,
            predicted_efficiency_gain: predicted,
            merge_attempts: self.merge_attempts,
            auto_merged: self.auto_merged,
            sent_to_review: self.sent_to_review,
            resolved_by_agent: self.resolved_by_agent,
            merge_success_rate: 0.0,
            expertise_reuse: crate::expertise::reuse_stats(self.db, &self.ctx.project).await.unwrap_or_default(),
            review: now
                .iter()
                .filter(|t| t.status == TaskStatus::Review)
                .map(|t| ReviewItem { task_id: t.id.clone(), reason: t.review_reason.clone().unwrap_or_default() })
                .collect(),
            tasks: ran,
        };
        report.finish();
        Ok(report)
    }
}

/// Task id -> batch id in the project's stored plan (empty when there is none). The dynamic scheduler does not
/// wait for batches; the ids are recorded so that sessions and worktrees can be compared with the plan.
fn plan_batches(plan: Option<&crate::plan::ExecutionPlan>) -> HashMap<String, String> {
    plan.iter()
        .flat_map(|p| &p.batches)
        .flat_map(|b| b.task_ids.iter().map(|t| (t.clone(), b.batch_id.clone())))
        .collect()
}
