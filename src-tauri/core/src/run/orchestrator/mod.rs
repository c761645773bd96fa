//! The run loop: starts ready tasks in worktrees as the plan's dynamic scheduler allows, watches their agents,
//! sends finished work through the merge gate, and writes every state change before acting on it.
//!
//! - [`control`]: pause, resume, cancel, force sequential, retry, move ([`RunHandle`]);
//! - [`worker`]: one task from worktree to merge;
//! - [`merge_queue`]: one landing at a time;
//! - [`recover`]: crash recovery before every run;
//! - [`records`]: the `runs` and `worktrees` rows;
//! - the [`RunReport`] is the `report` module's (the events carry it too).

pub mod control;
mod early_warning;
mod merge_queue;
mod preflight;
mod preflight_slots;
pub mod recover;
mod step;
mod task_folder;
mod worker;
mod worker_ctx;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::error::{CoreError, CoreResult};
use crate::gate::merge::GateConfig;
use crate::model::{RunMode, RunStatus, TaskStatus};
use crate::plan::schedule::DEFAULT_SEED;
use crate::plan::{PlanTask, RunState, Scheduler};
use crate::run::agent;
use crate::run::events::{emit, Event, EventSender};
use crate::store::db::Db;
use crate::sys::concurrency::blocking;
use crate::workspace::worktree::Worktrees;
use crate::{store::project, store::tasks};

pub use crate::run::report::{ReviewItem, RunReport, TaskTiming};
use crate::store::records::{self, WorktreeStatus};
pub use control::{control, RunCommand, RunControl, RunHandle};
pub use recover::{recover, RecoveryReport};

pub use crate::run::resolve::ExpertiseRouter;
use crate::run::resolve::{resolve, ResolvedRun, RunRequest, RunTuning};
use step::{Decision, LoopState, Occupancy};
use worker_ctx::{Started, TaskResult, WorkerCtx};

/// How to run, for a caller that starts the run loop itself (tests, benchmarks): a [`RunRequest`] and a
/// [`RunTuning`] in one, resolved as every run is ([`RunOptions::resolve`]): `None` fields fall back to the
/// project's settings, then to the defaults, except the agent timeout, which stands as given. The window and the
/// CLI go through [`crate::run::runs::Runs`].
#[derive(Clone)]
pub struct RunOptions {
    /// The run's id; `None`: a new one. A caller that must name the run before it starts (to route its events)
    /// chooses it.
    pub run_id: Option<String>,
    /// Agents at once; default: the project's `max_worktrees` (4 unless changed).
    pub max_worktrees: Option<u32>,
    /// One task at a time.
    pub sequential: bool,
    /// The agent's argv template; default: the project's, else (the demo without `claude`) the scripted stand-in,
    /// else [`crate::agents::claude::DEFAULT_ARGV`].
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
    /// diff, committed on the branch as `expertise: <title>` so it lands through the gate ([`crate::expertise::learn`]).
    pub learn: bool,
    /// On a merge conflict, run the agent again in the gate's resolution worktree (the review-agent path)
    /// before sending the task to Review.
    pub resolve_conflicts: bool,
    /// The most the run's agents may cost, in USD, as they report it: once spent, no new task starts (those
    /// running finish) and the run says why. `None`: the project's budget, if it has one.
    pub max_cost_usd: Option<f64>,
    /// Only these tasks run; the others wait as if parked. `None`: every task that can.
    pub only_tasks: Option<Vec<String>>,
    /// Review tasks whose kept branches go through the gate again as the run starts, without their agents (as if
    /// dropped on Done; `yokeflow land`).
    pub land: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        let tuning = RunTuning::default();
        RunOptions {
            run_id: None,
            max_worktrees: None,
            sequential: false,
            agent_command: None,
            agent_timeout: Some(crate::run::resolve::DEFAULT_AGENT_TIMEOUT),
            test_command: None,
            test_timeout: tuning.test_timeout,
            kill_grace: tuning.kill_grace,
            expertise: tuning.expertise,
            learn: tuning.learn,
            resolve_conflicts: tuning.resolve_conflicts,
            max_cost_usd: None,
            only_tasks: None,
            land: Vec::new(),
        }
    }
}

impl RunOptions {
    /// What a direct caller (a test, a benchmark) asks, resolved as every run is ([`resolve`]); its agent
    /// timeout stands as given (`None`: no limit), and its run id, if it chose one, is kept.
    pub async fn resolve(self, db: &Db, project_id: &str) -> CoreResult<(String, ResolvedRun)> {
        let request = RunRequest {
            sequential: self.sequential,
            max_worktrees: self.max_worktrees,
            agent: self.agent_command,
            agent_timeout: self.agent_timeout,
            test_command: self.test_command,
            max_cost_usd: self.max_cost_usd,
            only_tasks: self.only_tasks,
            land: self.land,
        };
        let tuning = RunTuning {
            test_timeout: self.test_timeout,
            kill_grace: self.kill_grace,
            expertise: self.expertise,
            learn: self.learn,
            resolve_conflicts: self.resolve_conflicts,
        };
        let mut resolved = resolve(db, project_id, &request, tuning).await?;
        resolved.agent_timeout = self.agent_timeout;
        Ok((self.run_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string()), resolved))
    }
}

impl std::fmt::Debug for RunOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunOptions")
            .field("run_id", &self.run_id)
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
            .field("max_cost_usd", &self.max_cost_usd)
            .field("only_tasks", &self.only_tasks)
            .field("land", &self.land)
            .finish()
    }
}

/// Runs the project's tasks until every task that can run has run (see [`run_controlled`]).
pub async fn run(db: &Db, project_id: &str, opts: RunOptions, events: EventSender) -> CoreResult<RunReport> {
    let (_handle, ctl) = control();
    run_controlled(db, project_id, opts, events, ctl).await
}

/// Runs the project's tasks as `opts` asks ([`RunOptions::resolve`], then [`run_resolved`]).
pub async fn run_controlled(
    db: &Db,
    project_id: &str,
    opts: RunOptions,
    events: EventSender,
    ctl: RunControl,
) -> CoreResult<RunReport> {
    let (run_id, resolved) = opts.resolve(db, project_id).await?;
    run_resolved(db, run_id, resolved, events, ctl).await
}

/// Runs a resolved run's tasks, obeying the commands sent through the [`RunHandle`] paired with `ctl`. Every
/// option was decided by [`resolve`]; nothing here reads the project's settings again.
///
/// Recovery first ([`recover`]); then tasks start as their dependencies are merged and a worker is free,
/// never beside a task predicted to conflict, longest remaining critical path first. The run ends when nothing
/// is running and nothing more can start (everything done, or blocked behind tasks in Review), or when it is
/// cancelled. The report is stored on the `runs` row.
pub async fn run_resolved(
    db: &Db,
    run_id: String,
    resolved: ResolvedRun,
    events: EventSender,
    mut ctl: RunControl,
) -> CoreResult<RunReport> {
    let ResolvedRun {
        project,
        agent_command,
        scripted_demo: _,
        test_command,
        workers,
        mode,
        agent_timeout,
        max_cost_usd,
        only_tasks,
        land,
        sandbox,
        preflight,
        parallel_tests,
        batch_size,
        tuning,
    } = resolved;
    let project_id = project.id.as_str();
    check_target(&project).await?;
    // Held until the run has ended: no other run of the project can start meanwhile, here or elsewhere.
    let claim = recover::claim(db, project_id).await?;
    let recovered = recover::recover_claimed(db, project_id, &claim).await?;
    emit(
        &events,
        Event::Recovered {
            run_id: run_id.clone(),
            project_id: project_id.to_string(),
            tasks_reset: recovered.tasks_reset.clone(),
            tasks_found_merged: recovered.tasks_found_merged.clone(),
            sessions_interrupted: recovered.sessions_interrupted,
            processes_killed: recovered.processes_killed,
            worktrees_removed: recovered.worktrees_removed,
        },
    );
    records::insert_run(db, &run_id, project_id, mode).await?;
    // From here on the run has a row: whatever fails, the row is closed (never left `running`).
    let run = async {
        let repo = PathBuf::from(&project.repo_path);
        // Free slot folders this run will not use (fewer workers, or worktrees no longer reused) go: one per worker
        // is kept (a task at the merge gate frees its slot's folder, `Worktrees::park`).
        let keep = if project.reuse_worktrees { workers } else { 0 };
        let repo2 = repo.clone();
        if let Err(e) = blocking(move || Worktrees::open(&repo2)?.drop_free_slots(keep)).await {
            let message = format!("the free worktree slots could not be removed: {e}");
            emit(&events, Event::Warning { run_id: run_id.clone(), task_id: None, message });
        }
        let port_base = project::port_base(db, project_id).await?;
        let gate = GateConfig {
            target_branch: project.target_branch.clone(),
            test_command: test_command.clone(),
            test_timeout: tuning.test_timeout,
            include: project.worktree_include.clone(),
            link: project.worktree_link.clone(),
            setup: project.setup_command.clone(),
            port_base,
            max_batch: batch_size,
            sandbox: sandbox.clone(),
        };
        let queue = match merge_queue::MergeQueue::start(repo.clone(), gate, events.clone(), run_id.clone()) {
            Ok(q) => q,
            Err(e) => {
                records::finish_run(db, &run_id, RunStatus::Failed, "null").await?;
                return Err(e);
            }
        };
        let all = tasks::list(db, project_id).await?;
        let cancel = crate::sys::concurrency::Cancel::new();
        let (at_gate, gate_rx) = mpsc::unbounded_channel();
        let gate_model =
            crate::plan::measured::measured_gate(db, project_id, &all, batch_size).await.unwrap_or_default();
        let stored_plan = crate::plan::planner::get(db, project_id).await.ok().flatten();
        let pins = stored_plan.as_ref().map(crate::run::overrides::pinned_slots).unwrap_or_default();
        let ctx = Arc::new(WorkerCtx {
            db: db.clone(),
            project_id: project_id.to_string(),
            run_id: run_id.clone(),
            repo: repo.clone(),
            target_branch: project.target_branch.clone(),
            agent_command,
            base_tools: crate::agents::permissions::effective(test_command.as_deref(), &[]),
            timeout: agent_timeout,
            kill_grace: tuning.kill_grace,
            events: events.clone(),
            queue,
            epics: tasks::epics(db, project_id).await?,
            claude_md: agent::read_claude_md(&repo),
            expertise: tuning.expertise.clone(),
            learn: tuning.learn,
            project: project.clone(),
            resolve_conflicts: tuning.resolve_conflicts,
            cancel: cancel.clone(),
            batches: plan_batches(stored_plan.as_ref()),
            stops: Default::default(),
            checkout_warned: Default::default(),
            port_base,
            at_gate,
            git_config: Arc::new(crate::sys::git::ConfigGuard::new(&repo)?),
            skips_said: Default::default(),
            sandbox,
            preflights: preflight_slots::Preflights::new(
                test_command,
                preflight,
                parallel_tests,
                workers,
                tuning.test_timeout,
            ),
        });
        let (results_tx, results_rx) = mpsc::unbounded_channel();
        let mut lp = RunLoop {
            db,
            ctx,
            run_id: run_id.clone(),
            project_id: project_id.to_string(),
            events: events.clone(),
            // Tasks pinned to a worktree on the board start in that worktree's slot (when the run has that many).
            st: LoopState { budget: max_cost_usd, ..LoopState::new(all, workers, &pins) }.only(only_tasks.as_deref()),
            scheduler: None,
            results_tx,
            results_rx,
            gate_rx,
            gate_model,
            cancel,
            started: Instant::now(),
            fatal: None,
            decided: decided(db, project_id).await?,
        };
        lp.rebuild()?;
        let predicted = lp.predicted_gain();
        emit(
            &events,
            Event::RunStarted {
                run_id: run_id.clone(),
                project_id: project_id.to_string(),
                mode,
                workers,
                lanes: (0..workers as usize).map(crate::plan::worktree_name).collect(),
                task_count: lp.st.tasks.len() as u32,
                done_count: lp.st.done.len() as u32,
                sandboxed: lp.ctx.sandbox.is_some(),
            },
        );
        for (task_id, slot) in pins.into_iter().filter(|&(_, slot)| slot >= workers) {
            let message = format!(
                "`{task_id}` is pinned to {}, but this run has {workers} worker(s): it runs wherever a slot is free",
                crate::plan::worktree_name(slot as usize)
            );
            emit(&events, Event::Warning { run_id: run_id.clone(), task_id: Some(task_id), message });
        }
        let mut outcome = Ok(());
        for task_id in &land {
            if outcome.is_ok() {
                outcome = lp.on_command(RunCommand::RetryMerge(task_id.clone())).await;
            }
        }
        if outcome.is_ok() {
            outcome = lp.drive(&mut ctl).await;
        }
        if outcome.is_err() || lp.fatal.is_some() {
            lp.stop_all().await;
        }
        let status = match (&outcome, &lp.fatal, lp.st.cancelled) {
            (Err(_), _, _) | (_, Some(_), _) => RunStatus::Failed,
            (_, _, true) => RunStatus::Cancelled,
            _ => RunStatus::Finished,
        };
        // Tidy up after the run: a merged worktree whose removal failed does not outlive it.
        if let Err(e) = recover::reconcile_worktrees(db, project_id, &repo, &project.target_branch).await {
            emit(&events, Event::Warning { run_id: run_id.clone(), task_id: None, message: format!("cleanup: {e}") });
        }
        let report = lp.report(status, predicted).await?;
        let json = serde_json::to_string(&report).unwrap_or_else(|_| "null".into());
        records::finish_run(db, &run_id, status, &json).await?;
        emit(&events, Event::RunFinished { run_id: run_id.clone(), status, report: Box::new(report.clone()) });
        outcome?;
        if let Some(e) = lp.fatal.take() {
            return Err(e);
        }
        Ok(report)
    }
    .await;
    if run.is_err() {
        records::close_if_open(db, &run_id).await.ok();
    }
    run
}

/// Refuses, before anything starts, a target branch with no commit (an empty repository): tasks branch from it.
async fn check_target(project: &crate::model::Project) -> CoreResult<()> {
    let (repo, target) = (project.repo_path.clone(), project.target_branch.clone());
    let exists = crate::sys::concurrency::blocking(move || {
        Ok(git2::Repository::open(&repo)?.refname_to_id(&format!("refs/heads/{target}")).is_ok())
    })
    .await?;
    if exists {
        return Ok(());
    }
    Err(CoreError::InvalidInput(format!(
        "the target branch `{}` has no commit yet, so there is nothing to branch the tasks from: commit something \
         to it first (e.g. `git commit --allow-empty -m init`)",
        project.target_branch
    )))
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
    /// Everything the decisions need, changed only through its pure methods ([`step`]).
    st: LoopState,
    scheduler: Option<Scheduler>,
    results_tx: mpsc::UnboundedSender<TaskResult>,
    results_rx: mpsc::UnboundedReceiver<TaskResult>,
    /// Tasks whose agent is done and whose work went to the gate ([`WorkerCtx::at_gate`]).
    gate_rx: mpsc::UnboundedReceiver<String>,
    /// The gate as the project's last runs measured it, for the prediction.
    gate_model: Option<crate::plan::GateModel>,
    /// The run's cancel (every task's stop is a child of it).
    cancel: crate::sys::concurrency::Cancel,
    started: Instant,
    fatal: Option<CoreError>,
    /// The project's settings and allowed tool rules as the run started, for [`RunReport::settings_changed`].
    decided: std::collections::BTreeMap<String, String>,
}

impl RunLoop<'_> {
    fn rebuild(&mut self) -> CoreResult<()> {
        let plan = self.st.schedulable();
        self.scheduler = if plan.is_empty() {
            None
        } else {
            let mut s =
                Scheduler::new(&plan).map_err(|e| CoreError::InvalidInput(format!("cannot plan the run: {e}")))?;
            s.tune(self.st.workers as usize, DEFAULT_SEED);
            Some(s)
        };
        Ok(())
    }

    /// The simulator's efficiency gain for the tasks still to do: with the merge gate as the project's last runs
    /// measured it when they did ([`crate::run::report::gate_model`]), else without it.
    fn predicted_gain(&self) -> f64 {
        let done = &self.st.done;
        let plan: Vec<PlanTask> = self
            .st
            .schedulable()
            .into_iter()
            .filter(|t| !done.contains(&t.id))
            .map(|mut t| {
                t.depends_on.retain(|d| !done.contains(d));
                t
            })
            .collect();
        // The gated simulation asks the scheduler at every event: kept for plans of ordinary size.
        if let Some(gate) = self.gate_model.filter(|_| plan.len() <= 2000) {
            if let Ok(t) = crate::plan::simulate_gated(&plan, self.st.workers as usize, gate) {
                return if t.sequential > 0.0 { 1.0 - t.makespan / t.sequential } else { 0.0 };
            }
        }
        match crate::plan::simulate(&plan, self.st.workers as usize) {
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
            self.start_ready().await?;
            if self.st.is_over(control_open) {
                return Ok(());
            }
            tokio::select! {
                Some(result) = self.results_rx.recv() => self.on_result(result).await?,
                Some(task_id) = self.gate_rx.recv() => self.st.at_gate(&task_id),
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
        if self.st.cancelled || self.st.running.is_empty() {
            return;
        }
        let running: Vec<String> = self.st.running.keys().cloned().collect();
        let (repo, target) = (&self.ctx.repo, &self.ctx.target_branch);
        let checked =
            warning.check(self.db, &self.project_id, &self.run_id, repo, target, &running, &self.events).await;
        if let Err(e) = checked {
            self.warn(None, format!("the conflict early warning failed: {e}"));
        }
    }

    fn warn(&self, task_id: Option<String>, message: String) {
        emit(&self.events, Event::Warning { run_id: self.run_id.clone(), task_id, message });
    }

    async fn start_ready(&mut self) -> CoreResult<()> {
        let capacity = self.st.capacity();
        let Some(scheduler) = &self.scheduler else { return Ok(()) };
        if capacity == 0 {
            return Ok(());
        }
        let state = RunState {
            done: self.st.done.clone(),
            running: self.st.running.keys().cloned().collect(),
            free_workers: capacity,
        };
        let ready = scheduler.next_ready(&state);
        for (task_id, slot) in self.st.starts(&ready) {
            self.start_task(&task_id, slot).await?;
        }
        Ok(())
    }

    async fn start_task(&mut self, task_id: &str, slot: u32) -> CoreResult<()> {
        let Some(task) = self.st.tasks.iter().find(|t| t.id == task_id).cloned() else { return Ok(()) };
        // State first: the task is in progress and its worktree row exists before anything is created.
        tasks::set_status(self.db, &self.project_id, task_id, TaskStatus::InProgress, None).await?;
        let reuse = records::open_worktree_of(self.db, &self.project_id, task_id).await?;
        let row_id = match &reuse {
            Some(row) => {
                // Worked on again: whatever an earlier attempt's row said (`merging`), nothing is at the gate now.
                records::set_worktree_status(self.db, &row.id, WorktreeStatus::Active).await?;
                row.id.clone()
            }
            None => {
                let batch = self.ctx.batches.get(task_id).map(String::as_str);
                records::insert_worktree(self.db, &self.project_id, task_id, batch, "", "", WorktreeStatus::Creating)
                    .await?
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
        self.st.started(task_id, slot, self.started.elapsed().as_millis() as u64);
        let start = Started { task, slot: Occupancy::Worker(slot), row_id, reuse_branch: reuse.map(|r| r.branch) };
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        let (id, events, run_id) = (task_id.to_string(), self.events.clone(), self.run_id.clone());
        tokio::spawn(async move {
            let result = match tokio::spawn(worker::run_task(ctx, start)).await {
                Ok(r) => r,
                Err(e) => {
                    let reason = format!("YokeFlow's worker for this task stopped: {e}");
                    emit(&events, Event::Warning { run_id, task_id: Some(id.clone()), message: reason.clone() });
                    let done = step::Finished {
                        task_id: id,
                        slot: Occupancy::Worker(slot),
                        status: TaskStatus::Review,
                        reason: Some(reason),
                        work_ms: 0,
                        gate_ms: 0,
                        merge: None,
                        resolved: false,
                    };
                    TaskResult { done, fatal: None }
                }
            };
            let _ = tx.send(result);
        });
        Ok(())
    }

    async fn on_result(&mut self, r: TaskResult) -> CoreResult<()> {
        let settled = self.st.settle(&r.done, r.fatal.is_some(), self.started.elapsed().as_millis() as u64);
        if self.st.budget.is_some() {
            let spent = crate::agents::sessions::run_cost(self.db, &self.run_id).await?.unwrap_or(0.0);
            if self.st.spend(spent) {
                let budget = self.st.budget.unwrap_or_default();
                self.warn(
                    None,
                    format!(
                        "the run's budget of ${budget:.2} is spent (${spent:.2} so far): no new task starts; the \
                         running ones finish"
                    ),
                );
            }
        }
        if settled.rebuild {
            self.rebuild()?;
        }
        if let Some(e) = r.fatal {
            if self.fatal.is_none() {
                self.fatal = Some(e);
            }
        }
        if settled.stop {
            self.cancel.cancel();
        }
        if settled.retry {
            self.on_command(RunCommand::RetryTask(r.done.task_id)).await?;
        }
        Ok(())
    }

    async fn on_command(&mut self, cmd: RunCommand) -> CoreResult<()> {
        let run_id = self.run_id.clone();
        match self.st.command(cmd) {
            Decision::Nothing => {}
            Decision::Paused => {
                records::set_run_status(self.db, &run_id, RunStatus::Paused).await?;
                emit(&self.events, Event::RunPaused { run_id });
            }
            Decision::Resumed => {
                records::set_run_status(self.db, &run_id, RunStatus::Running).await?;
                emit(&self.events, Event::RunResumed { run_id });
            }
            Decision::Cancel => {
                self.cancel.cancel();
            }
            Decision::Sequential => {
                records::set_run_mode(self.db, &run_id, RunMode::Sequential).await?;
                emit(&self.events, Event::RunSequential { run_id });
            }
            Decision::RetryNow(task_id) => {
                tasks::set_status(self.db, &self.project_id, &task_id, TaskStatus::Backlog, None).await?;
                self.rebuild()?;
                let status = TaskStatus::Backlog;
                emit(&self.events, Event::TaskStatusChanged { run_id, task_id, status, reason: None, slot: None });
            }
            Decision::RetryMerge(task_id) => self.retry_merge(task_id).await?,
            Decision::MergeNow(task_id) => {
                let stop = self.ctx.stops.lock().unwrap_or_else(|e| e.into_inner()).get(&task_id).cloned();
                match stop {
                    Some(stop) => stop.merge_now(),
                    None => self.warn(
                        Some(task_id.clone()),
                        format!("task `{task_id}` cannot be merged now: its agent is not running"),
                    ),
                }
            }
            Decision::Refuse { task_id, message } => self.warn(Some(task_id), message),
        }
        Ok(())
    }

    /// Retry merge: a Review task's kept branch goes through the gate again, without its agent; while it lands
    /// it counts as running (outside the worker slots), so the run waits for it.
    async fn retry_merge(&mut self, task_id: String) -> CoreResult<()> {
        let row = records::open_worktree_of(self.db, &self.project_id, &task_id).await?;
        let (Some(row), Some(task)) = (row, self.st.tasks.iter().find(|t| t.id == task_id).cloned()) else {
            let message = format!("task `{task_id}` cannot be merged again: it is not in Review with a kept branch");
            self.warn(Some(task_id), message);
            return Ok(());
        };
        self.st.landing(&task_id);
        let (ctx, tx) = (self.ctx.clone(), self.results_tx.clone());
        tokio::spawn(async move {
            let _ = tx.send(worker::land_again(ctx, task, row.id, row.branch).await);
        });
        Ok(())
    }

    /// Cancels every running agent and waits for their workers.
    async fn stop_all(&mut self) {
        self.st.cancelled = true;
        self.cancel.cancel();
        while !self.st.running.is_empty() {
            match self.results_rx.recv().await {
                Some(r) => {
                    let _ = self.on_result(r).await;
                }
                None => break,
            }
        }
    }

    async fn report(&self, status: RunStatus, predicted: f64) -> CoreResult<RunReport> {
        let now = tasks::list(self.db, &self.project_id).await?;
        let count = |s: TaskStatus| now.iter().filter(|t| t.status == s).count() as u32;
        let st = &self.st;
        let mut report = RunReport {
            run_id: self.run_id.clone(),
            project_id: self.project_id.clone(),
            mode: st.mode,
            workers: st.slots.len() as u32,
            status,
            tasks_total: now.len() as u32,
            tasks_done: count(TaskStatus::Done),
            tasks_review: count(TaskStatus::Review),
            tasks_remaining: count(TaskStatus::Backlog) + count(TaskStatus::InProgress),
            tasks_run: st.timings.iter().map(|t| t.task_id.as_str()).collect::<HashSet<_>>().len() as u32,
            wall_ms: self.started.elapsed().as_millis() as u64,
            task_time_ms: 0,
            efficiency_gain: 0.0,
            sequential_ms: 0,
            efficiency_basis: Default::default(),
            predicted_efficiency_gain: predicted,
            gate_ms: 0,
            gate_tests_ms: self.ctx.queue.test_times(),
            preflight_tests_ms: self.ctx.preflights.times(),
            preflights_failed: self.ctx.preflights.failed(),
            target_moves_outside: self.ctx.queue.target_moves(),
            settings_changed: setting_changes(&self.decided, &decided(self.db, &self.project_id).await?),
            merge_attempts: st.merges.attempts,
            auto_merged: st.merges.auto_merged,
            sent_to_review: st.merges.sent_to_review,
            resolved_by_agent: st.merges.resolved_by_agent,
            merge_success_rate: 0.0,
            cost_usd: crate::agents::sessions::run_cost(self.db, &self.run_id).await?,
            budget_usd: st.budget,
            // Only when the budget kept something from starting (not when the last task spent it).
            stopped_by_budget: st.budget_spent() && count(TaskStatus::Backlog) > 0,
            expertise_reuse: crate::expertise::reuse_stats(self.db, &self.ctx.project).await.unwrap_or_default(),
            review: now
                .iter()
                .filter(|t| t.status == TaskStatus::Review)
                .map(|t| ReviewItem { task_id: t.id.clone(), reason: t.review_reason.clone().unwrap_or_default() })
                .collect(),
            // A task run twice (retried) counts once per attempt.
            tasks: st.timings.clone(),
        };
        // Against the same tasks' times alone, when the project's sequential runs measured every one of them.
        if st.mode != crate::model::RunMode::Sequential {
            let alone =
                crate::run::report::sequential_times(&crate::run::report::recent(self.db, &self.project_id, 20).await?);
            let ran: HashSet<&str> = report.tasks.iter().map(|t| t.task_id.as_str()).collect();
            if !ran.is_empty() && ran.iter().all(|t| alone.contains_key(*t)) {
                report.sequential_ms = ran.iter().map(|t| alone[*t]).sum();
                report.efficiency_basis = crate::run::report::EfficiencyBasis::SequentialRuns;
            }
        }
        report.finish();
        Ok(report)
    }
}

/// What a person decided for the project, key by key (each setting, and the allowed tool rules), as JSON text.
async fn decided(db: &Db, project_id: &str) -> CoreResult<std::collections::BTreeMap<String, String>> {
    let settings = serde_json::to_value(crate::tasks::settings::get(db, project_id).await?).unwrap_or_default();
    let mut out: std::collections::BTreeMap<String, String> = match settings {
        serde_json::Value::Object(map) => map.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
        _ => Default::default(),
    };
    let rules = crate::agents::permissions::list(db, project_id).await?;
    out.insert("permissions".into(), serde_json::to_string(&rules).unwrap_or_default());
    Ok(out)
}

/// The keys whose value differs between `before` and `after`.
fn setting_changes(
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) -> Vec<crate::run::report::SettingChange> {
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| crate::run::report::SettingChange {
            key: k.clone(),
            from: before.get(k).cloned().unwrap_or_default(),
            to: after.get(k).cloned().unwrap_or_default(),
        })
        .collect()
}

/// Task id -> batch id in the project's stored plan (empty when there is none). The dynamic scheduler does not
/// wait for batches; the ids are recorded so that sessions and worktrees can be compared with the plan.
fn plan_batches(plan: Option<&crate::plan::ExecutionPlan>) -> HashMap<String, String> {
    plan.iter()
        .flat_map(|p| &p.batches)
        .flat_map(|b| b.task_ids.iter().map(|t| (t.clone(), b.batch_id.clone())))
        .collect()
}
