//! The one owner of this process's runs: [`Runs`], part of the core's surface ([`crate::api::Service::runs`]). The
//! CLI and the window hold the same service and call the same methods; nothing else keeps a registry of runs or
//! decides which agent a run uses.
//!
//! - [`Runs::start`] resolves every option once ([`Runs::resolve`]: agent, test command, workers; a command stored
//!   from the repository's tasks file must be approved, see [`crate::store::approvals`]) and starts the orchestrator in the
//!   background; a second run of the same project in this process (or a live one in another
//!   process) is refused.
//! - Control (pause, resume, cancel, sequential, retry, retry merge, merge now) and the board's manual moves go
//!   through it, so a move during a run becomes that run's command in one place.
//! - It folds every run's events into its [`RunSnapshot`] (the pure [`RunSnapshot::apply`]): the whole live view of
//!   the run, versioned, sent on a broadcast stream at every change ([`Runs::subscribe_views`]) and read by
//!   [`Runs::view`]; a run that ended keeps its last snapshot (with its report) until the project's next run. The
//!   live runs together are a [`RunsSnapshot`] on a watch channel (the tray). Every run's events, with their
//!   project, go out on one broadcast stream ([`RunEvent`]). A run's events are all published before its result is
//!   handed back, and it is no longer live before its last event (`run_finished` or `run_failed`) is, so a start
//!   right after that event is accepted.

pub mod snapshot;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, oneshot, watch};

use crate::error::{CoreError, CoreResult};
use crate::model::{RunMode, TaskStatus};
use crate::plan::ExecutionPlan;
use crate::run::events::{self, Event};
use crate::run::orchestrator::{self, RunHandle, RunReport};
use crate::run::overrides::{self, StatusDecision, StatusMove};
use crate::run::resolve::RunTuning;
pub use crate::run::resolve::{ResolvedRun, RunRequest};
use crate::store::db::Db;

pub use snapshot::{RunPhase, RunSnapshot, RunsSnapshot};

/// Where a person's feedback went ([`Runs::feedback`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FeedbackRoute {
    /// The task's agent is at work: the remark is answered when it stops, before the gate.
    Queued,
    /// This process's run of the project takes the task again, with the remark.
    SentToRun,
    /// A run of its own started for the task.
    Started { run_id: String },
}

/// Where a Review action went ([`Runs::retry_task`], [`Runs::retry_merge`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionRoute {
    /// This process's run of the project took it.
    SentToRun,
    /// No run of the project was going: a run of its own started for the task.
    Started { run: RunStarted },
}

/// One event of a run, with the project it belongs to.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct RunEvent {
    pub project_id: String,
    pub event: Event,
}

/// A run that was accepted: its id, and its result once it has ended (after all its events were published).
pub struct StartedRun {
    pub run_id: String,
    pub project_id: String,
    pub resolved: ResolvedRun,
    pub result: oneshot::Receiver<CoreResult<RunReport>>,
}

/// What a run that was accepted will do, as the window learns it (`start_run`'s answer).
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct RunStarted {
    pub run_id: String,
    pub project_id: String,
    pub mode: RunMode,
    pub workers: u32,
    /// The agent's argv template.
    pub agent: Vec<String>,
    /// The demo runs YokeFlow's scripted stand-in agent (not an AI): no agent is configured and `claude` is not
    /// installed.
    pub stand_in: bool,
    pub test_command: Option<Vec<String>>,
}

impl StartedRun {
    /// What the run will do, for the window.
    pub fn summary(&self) -> RunStarted {
        let r = &self.resolved;
        RunStarted {
            run_id: self.run_id.clone(),
            project_id: self.project_id.clone(),
            mode: r.mode,
            workers: r.workers,
            agent: r.agent_command.clone(),
            stand_in: r.scripted_demo,
            test_command: r.test_command.clone(),
        }
    }
}

/// How many run events a slow subscriber may fall behind before it misses some (it can re-read the snapshot and
/// the database).
const EVENT_CAPACITY: usize = 8192;

/// The runs of this process. Cheap to clone; every clone is the same service.
#[derive(Clone)]
pub struct Runs {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// Live runs by project: the lock protects the registry and the snapshot together, so they never disagree.
    live: Mutex<HashMap<String, Live>>,
    snapshot: watch::Sender<RunsSnapshot>,
    /// The last snapshot of each project's run that ended, until its next run starts. Locked after `live`.
    ended: Mutex<HashMap<String, RunSnapshot>>,
    /// Every snapshot that changed, live or ended.
    views: broadcast::Sender<RunSnapshot>,
    /// The last version given to a snapshot.
    version: AtomicU64,
    events: broadcast::Sender<RunEvent>,
}

struct Live {
    handle: RunHandle,
    snapshot: RunSnapshot,
}

impl Runs {
    pub fn new(db: Db) -> Runs {
        Runs {
            inner: Arc::new(Inner {
                db,
                live: Mutex::new(HashMap::new()),
                snapshot: watch::channel(RunsSnapshot::default()).0,
                ended: Mutex::new(HashMap::new()),
                views: broadcast::channel(EVENT_CAPACITY).0,
                version: AtomicU64::new(0),
                events: broadcast::channel(EVENT_CAPACITY).0,
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Every run's events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<RunEvent> {
        self.inner.events.subscribe()
    }

    /// The live runs, now and as they change.
    pub fn watch(&self) -> watch::Receiver<RunsSnapshot> {
        self.inner.snapshot.subscribe()
    }

    /// The project's live run in this process, if any.
    pub fn snapshot(&self, project_id: &str) -> Option<RunSnapshot> {
        self.inner.snapshot.borrow().of_project(project_id).cloned()
    }

    /// The project's run as the window shows it: the live one, else the last one that ended in this process.
    pub fn view(&self, project_id: &str) -> Option<RunSnapshot> {
        let live = self.inner.lock();
        match live.get(project_id) {
            Some(l) => Some(l.snapshot.clone()),
            None => self.inner.ended().get(project_id).cloned(),
        }
    }

    /// Every run's snapshot from now on, each time it changes.
    pub fn subscribe_views(&self) -> broadcast::Receiver<RunSnapshot> {
        self.inner.views.subscribe()
    }

    /// Decides everything a run of the project with `request` will use ([`crate::run::resolve::resolve`], with
    /// the tuning every run of a person has).
    pub async fn resolve(&self, project_id: &str, request: &RunRequest) -> CoreResult<ResolvedRun> {
        crate::run::resolve::resolve(self.db(), project_id, request, RunTuning::default()).await
    }

    /// Starts a run of the project in the background. What can be known up front is an error here (no such
    /// project, an agent that is not installed, a run of the project already going in this process); everything
    /// after goes out as events, ending with `run_finished`, or `run_failed` when the run could not go on (for
    /// example a live run of another process).
    pub async fn start(&self, project_id: &str, request: RunRequest) -> CoreResult<StartedRun> {
        let resolved = self.resolve(project_id, &request).await?;
        let run_id = uuid::Uuid::new_v4().to_string();
        let (handle, ctl) = orchestrator::control();
        {
            let mut live = self.inner.lock();
            if let Some(other) = live.get(project_id) {
                let run_id = Some(other.snapshot.run_id.clone());
                let run = crate::model::LiveRun { run_id, pid: i64::from(std::process::id()) };
                return Err(CoreError::RunInProgress { run });
            }
            let mut snapshot = RunSnapshot::starting(&run_id, project_id, resolved.mode, resolved.workers);
            self.inner.ended().remove(project_id);
            self.inner.changed(&mut snapshot);
            live.insert(project_id.to_string(), Live { handle, snapshot });
            self.inner.publish(&live);
        }
        let (tx, mut rx) = events::channel();
        let (result_tx, result) = oneshot::channel();
        let (inner, run) = (self.inner.clone(), resolved.clone());
        let started_for = project_id.to_string();
        let (project_id, id) = (project_id.to_string(), run_id.clone());
        tokio::spawn(async move {
            let db = inner.db.clone();
            let run = orchestrator::run_resolved(&db, id.clone(), run, tx, ctl);
            tokio::pin!(run);
            let mut ended = false;
            let outcome = loop {
                tokio::select! {
                    outcome = &mut run => break outcome,
                    ev = rx.recv() => match ev {
                        Ok(ev) => ended |= inner.forward(&project_id, &id, ev),
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => {}
                    },
                }
            };
            while let Ok(ev) = rx.try_recv() {
                ended |= inner.forward(&project_id, &id, ev);
            }
            if !ended {
                // No `run_finished`: the run failed before it started, or while it ended.
                let error = match &outcome {
                    Err(e) => e.to_dto(),
                    Ok(_) => CoreError::InvalidInput("the run ended without a report".into()).to_dto(),
                };
                let event = Event::RunFailed { run_id: id.clone(), project_id: project_id.clone(), error };
                inner.forward(&project_id, &id, event);
            }
            if let Err(e) = &outcome {
                tracing::warn!(code = e.code(), "run {id} of {project_id} failed: {e}");
            }
            let _ = result_tx.send(outcome);
        });
        Ok(StartedRun { run_id, project_id: started_for, resolved, result })
    }

    /// The project's live run's handle.
    fn handle(&self, project_id: &str) -> Option<RunHandle> {
        self.inner.lock().get(project_id).map(|l| l.handle.clone())
    }

    /// Sends a command to the project's live run; `no_active_run` when there is none (or it just ended).
    fn command(&self, project_id: &str, send: impl FnOnce(&RunHandle) -> bool) -> CoreResult<()> {
        match self.handle(project_id) {
            Some(h) if send(&h) => Ok(()),
            _ => Err(CoreError::NoActiveRun),
        }
    }

    pub fn pause(&self, project_id: &str) -> CoreResult<()> {
        self.command(project_id, RunHandle::pause)
    }

    pub fn resume(&self, project_id: &str) -> CoreResult<()> {
        self.command(project_id, RunHandle::resume)
    }

    /// Stops the agents; their tasks go back to the backlog with their branches kept.
    pub fn cancel(&self, project_id: &str) -> CoreResult<()> {
        self.command(project_id, RunHandle::cancel)?;
        let mut live = self.inner.lock();
        if let Some(l) = live.get_mut(project_id) {
            l.snapshot.phase = RunPhase::Cancelling;
            self.inner.changed(&mut l.snapshot);
            self.inner.publish(&live);
        }
        Ok(())
    }

    /// From now on one task at a time (what is running finishes).
    pub fn force_sequential(&self, project_id: &str) -> CoreResult<()> {
        self.command(project_id, RunHandle::force_sequential)
    }

    /// A Review task's agent works on it again: this process's run of the project takes it, else a run of its own
    /// (the task back in the Backlog first, as a move by hand would put it, its kept branch continued). Nothing
    /// changes when that run cannot start (the task stays in Review) or the move back is refused (`move_refused`).
    pub async fn retry_task(&self, project_id: &str, task_id: &str) -> CoreResult<ActionRoute> {
        if self.handle(project_id).is_some() {
            self.command(project_id, |h| h.retry_task(task_id))?;
            return Ok(ActionRoute::SentToRun);
        }
        let task = self.review_task(project_id, task_id, "retried").await?;
        self.set_task_status(project_id, task_id, TaskStatus::Backlog).await?;
        let request = RunRequest { only_tasks: Some(vec![task_id.to_string()]), ..RunRequest::default() };
        match self.start(project_id, request).await {
            Ok(started) => Ok(ActionRoute::Started { run: started.summary() }),
            Err(e) => {
                let (db, reason) = (self.db(), task.review_reason.as_deref());
                crate::store::tasks::set_status(db, project_id, task_id, task.status, reason).await?;
                Err(e)
            }
        }
    }

    /// Lands a Review task's kept branch again through the gate, without its agent: in this process's run of the
    /// project, else in a run of its own ([`Runs::land`]).
    pub async fn retry_merge(&self, project_id: &str, task_id: &str) -> CoreResult<ActionRoute> {
        if self.handle(project_id).is_some() {
            self.command(project_id, |h| h.retry_merge(task_id))?;
            return Ok(ActionRoute::SentToRun);
        }
        let started = self.land(project_id, &[task_id.to_string()], RunRequest::default()).await?;
        Ok(ActionRoute::Started { run: started.summary() })
    }

    /// The task, when it is in Review; else `invalid_input` saying it cannot be `what`.
    async fn review_task(&self, project_id: &str, task_id: &str, what: &str) -> CoreResult<crate::model::Task> {
        let task = crate::store::tasks::get(self.db(), project_id, task_id).await?;
        if task.status != TaskStatus::Review {
            return Err(CoreError::InvalidInput(format!(
                "`{task_id}` cannot be {what}: it is in {}, not in Review",
                task.status.label()
            )));
        }
        Ok(task)
    }

    /// Stops a running task's agent, commits what it left and sends its branch to the gate now.
    pub fn merge_now(&self, project_id: &str, task_id: &str) -> CoreResult<()> {
        self.command(project_id, |h| h.merge_now(task_id))
    }

    /// Cancels every live run of this process (quitting): their agents stop, their tasks go back with their
    /// branches kept, and their rows are closed.
    pub fn cancel_all(&self) {
        let projects: Vec<String> = self.inner.lock().keys().cloned().collect();
        for project_id in projects {
            let _ = self.cancel(&project_id);
        }
    }

    /// Resolves once no run of this process is live any more.
    pub async fn wait_idle(&self) {
        let mut watch = self.watch();
        let _ = watch.wait_for(|s| s.runs.is_empty()).await;
    }

    /// Pauses (or resumes) every live run of this process.
    pub fn pause_all(&self, paused: bool) {
        for l in self.inner.lock().values() {
            if paused {
                l.handle.pause();
            } else {
                l.handle.resume();
            }
        }
    }

    /// A card moved to another column ([`overrides::set_status`]): stored when no run of the project is going, sent
    /// to this process's run when the move stands for one of its commands, refused otherwise (`move_refused`).
    /// Also returns why the plan could not be rebuilt after the move, if it could not.
    pub async fn set_task_status(
        &self,
        project_id: &str,
        task_id: &str,
        to: TaskStatus,
    ) -> CoreResult<(StatusMove, Option<String>)> {
        let run = self.handle(project_id);
        if run.is_none() {
            let task = crate::store::tasks::get(self.db(), project_id, task_id).await?;
            if self.lands_on_drop(project_id, &task, to).await? {
                let started = self.land(project_id, &[task_id.to_string()], RunRequest::default()).await?;
                let (action, run_id) = (overrides::RunAction::RetryMerge, started.run_id.clone());
                return Ok((StatusMove::Started { action, run_id }, None));
            }
        }
        let (decision, replanned) = overrides::set_status(self.db(), project_id, task_id, to, run.is_some()).await?;
        let moved = match decision {
            StatusDecision::Unchanged | StatusDecision::Apply => StatusMove::Applied { status: to },
            StatusDecision::Run(action) => {
                let sent = run.is_some_and(|h| match action {
                    overrides::RunAction::RetryTask => h.retry_task(task_id),
                    overrides::RunAction::RetryMerge => h.retry_merge(task_id),
                    overrides::RunAction::MergeNow => h.merge_now(task_id),
                });
                if !sent {
                    return Err(CoreError::NoActiveRun);
                }
                StatusMove::SentToRun { action }
            }
        };
        Ok((moved, replanned))
    }

    /// Each other column `task_id` could be dropped on, with the reason a drop there would be refused: checked as
    /// [`Self::set_task_status`] checks a move, storing nothing, so the board lights up only the columns that would
    /// take the card.
    pub async fn drop_targets(&self, project_id: &str, task_id: &str) -> CoreResult<Vec<overrides::DropTarget>> {
        let run_active = self.handle(project_id).is_some();
        let task = crate::store::tasks::get(self.db(), project_id, task_id).await?;
        let mut targets = Vec::new();
        for to in [TaskStatus::Backlog, TaskStatus::InProgress, TaskStatus::Review, TaskStatus::Done] {
            if to == task.status {
                continue;
            }
            let refusal = if !run_active && self.lands_on_drop(project_id, &task, to).await? {
                None
            } else {
                match overrides::check_status(self.db(), project_id, task_id, to, run_active).await {
                    Ok(_) => None,
                    Err(CoreError::MoveRefused { reason }) => Some(reason),
                    Err(e) => return Err(e),
                }
            };
            targets.push(overrides::DropTarget { status: to, refusal });
        }
        Ok(targets)
    }

    /// With no run of the project going here, a Review task with a kept branch dropped on Done lands that branch
    /// through the gate in a run of its own.
    async fn lands_on_drop(&self, project_id: &str, task: &crate::model::Task, to: TaskStatus) -> CoreResult<bool> {
        Ok(to == TaskStatus::Done
            && task.status == TaskStatus::Review
            && crate::store::records::open_worktree_of(self.db(), project_id, &task.id).await?.is_some())
    }

    /// A person's follow-up on a task's work ([`crate::agents::feedback`]). The remark is stored, then: a running task
    /// answers it when its agent stops; a task in Review is taken again by this process's run of the project if one
    /// goes, else by a run of its own (`request`'s options, only that task), which is returned; a Done task's
    /// follow-up starts from the target, which holds its work, in a run of its own, and lands through the gate (the
    /// tasks built on it stay Done). Refused, storing nothing, for a task that never ran, for a Done task while a
    /// run of the project goes here, or when the move back is refused (`move_refused`: a run of another process, a
    /// dependent of a Review task already started).
    pub async fn feedback(
        &self,
        project_id: &str,
        task_id: &str,
        remark: &str,
        request: RunRequest,
    ) -> CoreResult<(crate::agents::feedback::Remark, FeedbackRoute, Option<StartedRun>)> {
        let task = crate::store::tasks::get(self.db(), project_id, task_id).await?;
        if task.status == TaskStatus::InProgress {
            return match crate::agents::feedback::submit_while_working(self.db(), project_id, task_id, remark).await? {
                Some(stored) => Ok((stored, FeedbackRoute::Queued, None)),
                None => Err(CoreError::MoveRefused {
                    reason: format!(
                        "`{task_id}`'s agent has finished and its work is on its way to the merge gate: send your \
                         feedback once it has landed or is in Review"
                    ),
                }),
            };
        }
        let done = task.status == TaskStatus::Done;
        if done && self.handle(project_id).is_some() {
            return Err(CoreError::MoveRefused {
                reason: format!(
                    "a run of this project is going: a follow-up on `{task_id}`'s landed work starts once it has \
                     finished (or is cancelled)"
                ),
            });
        }
        let stored = crate::agents::feedback::submit(self.db(), project_id, &task, remark).await?;
        // Stored first: the run that takes the task again must find the remark. A Done task's work is on the target:
        // the follow-up starts from there, whatever was built on it since.
        let moved = if done {
            overrides::reopen_for_follow_up(self.db(), project_id, task_id)
                .await
                .map(|_| StatusMove::Applied { status: TaskStatus::Backlog })
        } else {
            self.set_task_status(project_id, task_id, TaskStatus::Backlog).await.map(|(moved, _)| moved)
        };
        let moved = match moved {
            Ok(moved) => moved,
            Err(e) => {
                crate::agents::feedback::withdraw(self.db(), stored.id).await?;
                return Err(e);
            }
        };
        if let StatusMove::SentToRun { .. } = moved {
            return Ok((stored, FeedbackRoute::SentToRun, None));
        }
        let request = RunRequest { only_tasks: Some(vec![task_id.to_string()]), ..request };
        match self.start(project_id, request).await {
            Ok(started) => Ok((stored, FeedbackRoute::Started { run_id: started.run_id.clone() }, Some(started))),
            Err(e) => {
                // Nothing ran: the task goes back where it was and the remark is taken back.
                crate::agents::feedback::withdraw(self.db(), stored.id).await?;
                crate::store::tasks::set_status(
                    self.db(),
                    project_id,
                    task_id,
                    task.status,
                    task.review_reason.as_deref(),
                )
                .await?;
                if done {
                    // Reopening it rebuilt the plan without it: the plan follows it back to Done.
                    crate::plan::planner::rebuild_keeping_pins(self.db(), project_id).await;
                }
                Err(e)
            }
        }
    }

    /// Lands Review tasks' kept branches through the merge gate, without their agents, in a run of their own
    /// (nothing else starts): what a person does once the reason a tested branch could not land is gone (a
    /// checkout of the target that could not follow). Refused, starting nothing, for a task that is not in Review
    /// with a kept branch; a run of the project in this process takes the tasks instead (drop them on Done).
    pub async fn land(&self, project_id: &str, task_ids: &[String], request: RunRequest) -> CoreResult<StartedRun> {
        if task_ids.is_empty() {
            return Err(CoreError::InvalidInput("name the task(s) to land".into()));
        }
        let all = crate::store::tasks::list(self.db(), project_id).await?;
        for id in task_ids {
            let task =
                all.iter().find(|t| &t.id == id).ok_or_else(|| CoreError::NotFound { what: "task", id: id.clone() })?;
            let kept = crate::store::records::open_worktree_of(self.db(), project_id, id).await?.is_some();
            if task.status != TaskStatus::Review || !kept {
                return Err(CoreError::InvalidInput(format!(
                    "`{id}` cannot be landed: it is in {} {}; only a task in Review with a kept branch can",
                    task.status.label(),
                    if kept { "with a kept branch" } else { "without a kept branch" }
                )));
            }
        }
        let request = RunRequest { only_tasks: Some(Vec::new()), land: task_ids.to_vec(), ..request };
        self.start(project_id, request).await
    }

    /// A person adds, changes or removes a task or adds an epic ([`crate::tasks::cards::apply`]); refused while a run of
    /// the project goes (here or in another process).
    pub async fn edit_tasks(
        &self,
        project_id: &str,
        edit: &crate::tasks::cards::CardEdit,
    ) -> CoreResult<crate::tasks::cards::CardResult> {
        let run_active = self.handle(project_id).is_some();
        crate::tasks::cards::apply(self.db(), project_id, edit, run_active).await
    }

    /// Session 0: the project's tasks drafted by its agent ([`crate::run::draft::draft`]); nothing changes yet.
    pub async fn draft_tasks(
        &self,
        project_id: &str,
        request: crate::run::draft::DraftRequest,
    ) -> CoreResult<crate::run::draft::DraftPreview> {
        let (tx, _) = events::channel();
        crate::run::draft::draft(self.db(), project_id, request, tx).await
    }

    /// Makes a draft the project's tasks ([`crate::run::draft::accept`]); refused while a run of the project goes.
    pub async fn accept_draft(&self, project_id: &str, draft_id: &str) -> CoreResult<crate::run::draft::Accepted> {
        let run_active = self.handle(project_id).is_some();
        crate::run::draft::accept(self.db(), project_id, draft_id, run_active).await
    }

    /// Drops a draft ([`crate::run::draft::discard`]).
    pub async fn discard_draft(&self, project_id: &str, draft_id: &str) -> CoreResult<()> {
        crate::run::draft::discard(self.db(), project_id, draft_id).await
    }

    /// A person discards a task's work ([`overrides::discard_work`]); refused while a run of the project goes.
    pub async fn discard_work(&self, project_id: &str, task_id: &str) -> CoreResult<overrides::Discarded> {
        let run_active = self.handle(project_id).is_some();
        overrides::discard_work(self.db(), project_id, task_id, run_active).await
    }

    /// A task pinned to a worktree of the stored plan ([`overrides::move_to_worktree`]); this process's live run of
    /// the project honours the pin at once.
    pub async fn move_task_to_worktree(
        &self,
        project_id: &str,
        task_id: &str,
        worktree: &str,
    ) -> CoreResult<ExecutionPlan> {
        let run = self.handle(project_id);
        let (plan, slot) = overrides::move_to_worktree(self.db(), project_id, task_id, worktree, run.is_some()).await?;
        if let Some(h) = run {
            h.move_task(task_id, slot);
        }
        Ok(plan)
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, live: &HashMap<String, Live>) {
        let mut runs: Vec<RunSnapshot> = live.values().map(|l| l.snapshot.clone()).collect();
        runs.sort_by(|a, b| a.project_id.cmp(&b.project_id));
        self.snapshot.send_replace(RunsSnapshot { runs });
    }

    fn ended(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunSnapshot>> {
        self.ended.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A snapshot changed: it gets the next version and goes to the views' subscribers.
    fn changed(&self, snapshot: &mut RunSnapshot) {
        snapshot.version = self.version.fetch_add(1, Ordering::Relaxed) + 1;
        let _ = self.views.send(snapshot.clone());
    }

    /// Folds one event of run `run_id` into its snapshot and publishes both; at the run's last event the run is
    /// no longer live (its snapshot is kept as the project's ended run) before the event goes out. Returns true
    /// for that last event.
    fn forward(&self, project_id: &str, run_id: &str, event: Event) -> bool {
        let last = matches!(event, Event::RunFinished { .. } | Event::RunFailed { .. });
        {
            let mut live = self.lock();
            if let Some(l) = live.get_mut(project_id).filter(|l| l.snapshot.run_id == run_id) {
                // Most events (agent output above all) change nothing the snapshot holds: send only changes, so
                // the window is not woken per output line; the live runs' watchers (the tray) only when what they
                // show changed (not per tool call).
                let before = l.snapshot.clone();
                l.snapshot.apply(&event, crate::model::now_ms());
                let changed = l.snapshot != before;
                let reshaped = !l.snapshot.same_shape(&before);
                if last {
                    if let Some(mut l) = live.remove(project_id) {
                        self.changed(&mut l.snapshot);
                        self.ended().insert(project_id.to_string(), l.snapshot);
                    }
                    self.publish(&live);
                } else if changed {
                    self.changed(&mut l.snapshot);
                    if reshaped {
                        self.publish(&live);
                    }
                }
            }
        }
        let _ = self.events.send(RunEvent { project_id: project_id.to_string(), event });
        last
    }
}
