//! The core's one surface: [`Service`]. Every operation the window's commands and the CLI's subcommands perform goes
//! through one of its methods (the pattern of GitButler's API crate), so a window command is one call plus
//! conversion, a CLI subcommand one call plus printing, and both callers get the same checks, the same errors and the
//! same side effects (a new project's sandbox defaults, a settings change's approvals, the plan rebuilt after an edit).
//!
//! - Projects are named by id; the CLI finds its project by folder first ([`Service::project_at`]).
//! - What concerns runs (start, control, Review actions, moves on the board, feedback, card edits while a run may
//!   go) is the run service's ([`Runs`], [`Service::runs`]): the one registry of this process's runs.
//! - Reads are as the window shows them; where the CLI shows more (a longer transcript) it says so in the call.

use std::path::{Path, PathBuf};

use tokio::sync::broadcast;

use crate::agents::permissions::{self, ToolPermissions};
use crate::agents::sessions::{self, TaskLog};
use crate::error::{CoreResult, TaskFileIssue};
use crate::expertise::bootstrap::{self, InitOptions, InitReport};
use crate::expertise::{self, ExpertiseOverview, Keep};
use crate::gate::diff::{self, TaskDiff};
use crate::model::{Board, Project, ProjectSummary, Task};
use crate::plan::{planner, ExecutionPlan};
use crate::run::runs::Runs;
use crate::store::approvals::{self, ProjectCommand};
use crate::store::db::Db;
use crate::store::locations::{self, TaskPlaces, TestLog};
use crate::store::{project, tasks};
use crate::tasks::cards::{self, CardEdit};
use crate::tasks::demo;
use crate::tasks::import::{self, ImportSummary};
use crate::tasks::register::{self, AddedProject};
use crate::tasks::settings::{self, AgentPreset, ProjectSettings, SettingIssue};
use crate::workspace::worktree::{self, DiskUsage};

/// How many transcript entries of each session a caller reads ([`Service::task_log`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLength {
    /// The window's pane: the newest [`sessions::WINDOW_ENTRIES`].
    Window,
    /// `yokeflow log`: the newest [`sessions::MAX_ENTRIES_SHOWN`].
    Full,
}

/// A tool rule allowed or taken back: whether it changed anything, and the rules after.
#[derive(Debug, Clone)]
pub struct RuleChange {
    pub changed: bool,
    pub rules: ToolPermissions,
}

/// A registered project and whether its agents and tests run confined (`yokeflow init`).
#[derive(Debug, Clone)]
pub struct Registered {
    pub project: Project,
    pub sandbox: bool,
}

/// The core's one surface (module docs). Cheap to clone; every clone is the same service.
#[derive(Clone)]
pub struct Service {
    runs: Runs,
    data_dir: PathBuf,
}

impl Service {
    /// The service over `db`; `data_dir` is where the demo project lives.
    pub fn new(db: Db, data_dir: PathBuf) -> Service {
        Service { runs: Runs::new(db), data_dir }
    }

    pub fn db(&self) -> &Db {
        self.runs.db()
    }

    /// This process's runs: start, control, Review actions, moves, feedback, card edits, the live snapshots.
    pub fn runs(&self) -> &Runs {
        &self.runs
    }

    // --- Projects --------------------------------------------------------------------------------------------

    /// Every project with its task counts.
    pub async fn projects(&self) -> CoreResult<Vec<ProjectSummary>> {
        project::list(self.db()).await
    }

    pub async fn project(&self, project_id: &str) -> CoreResult<Project> {
        project::get(self.db(), project_id).await
    }

    /// The project registered for the repository holding `dir` (`ProjectNotRegistered` when none is).
    pub async fn project_at(&self, dir: &Path) -> CoreResult<Project> {
        project::find_by_repo(self.db(), dir).await
    }

    /// Adds the git repository at `path` as a person does from the window ([`register::add_repository`]).
    pub async fn add_repository(&self, path: &Path) -> CoreResult<AddedProject> {
        register::add_repository(self.db(), path).await
    }

    /// Registers the repository holding `dir` (`yokeflow init`; a new project gets the sandbox's defaults).
    pub async fn register(&self, dir: &Path) -> CoreResult<Registered> {
        let project = register::register(self.db(), dir).await?;
        let sandbox = settings::get(self.db(), &project.id).await?.sandbox;
        Ok(Registered { project, sandbox })
    }

    /// A new project from an app spec ([`bootstrap::init`]); a project new to YokeFlow gets the sandbox's defaults,
    /// whether the window or `yokeflow init --spec` made it.
    pub async fn init_project(&self, dir: &Path, options: &InitOptions) -> CoreResult<InitReport> {
        let new = register::is_new(self.db(), dir).await;
        let report = bootstrap::init(self.db(), dir, options).await?;
        if new {
            let p = project::find_by_repo(self.db(), Path::new(&report.repo_path)).await?;
            settings::adopt_sandbox_defaults(self.db(), &p.id).await?;
        }
        Ok(report)
    }

    /// The bundled demo project, made on first use.
    pub async fn demo(&self) -> CoreResult<Project> {
        demo::ensure_demo(self.db(), &self.data_dir).await
    }

    // --- Tasks -----------------------------------------------------------------------------------------------

    pub async fn board(&self, project_id: &str) -> CoreResult<Board> {
        tasks::board(self.db(), project_id).await
    }

    pub async fn tasks(&self, project_id: &str) -> CoreResult<Vec<Task>> {
        tasks::list(self.db(), project_id).await
    }

    /// Imports a tasks file ([`import::import_file`]); the plan is rebuilt.
    pub async fn import_file(&self, project_id: &str, file: &Path) -> CoreResult<ImportSummary> {
        import::import_file(self.db(), project_id, file).await
    }

    /// What is wrong with a card edit, field by field; changes nothing.
    pub async fn check_card_edit(&self, project_id: &str, edit: &CardEdit) -> CoreResult<Vec<TaskFileIssue>> {
        cards::check(self.db(), project_id, edit).await
    }

    // --- The plan --------------------------------------------------------------------------------------------

    pub async fn plan(&self, project_id: &str) -> CoreResult<Option<ExecutionPlan>> {
        planner::get(self.db(), project_id).await
    }

    pub async fn build_plan(&self, project_id: &str, workers: Option<usize>) -> CoreResult<ExecutionPlan> {
        planner::build(self.db(), project_id, workers).await
    }

    pub async fn edit_plan(&self, project_id: &str, edit: crate::plan::PlanEdit) -> CoreResult<ExecutionPlan> {
        planner::edit(self.db(), project_id, edit).await
    }

    pub async fn simulate(
        &self,
        project_id: &str,
        workers: Option<usize>,
    ) -> CoreResult<crate::plan::SimulationReport> {
        planner::simulate(self.db(), project_id, workers).await
    }

    // --- Settings and approvals ------------------------------------------------------------------------------

    pub async fn settings(&self, project_id: &str) -> CoreResult<ProjectSettings> {
        settings::get(self.db(), project_id).await
    }

    /// What is wrong with the settings, key by key; changes nothing.
    pub fn check_settings(settings: &ProjectSettings) -> Vec<SettingIssue> {
        settings::check(settings)
    }

    /// Stores the settings ([`settings::save`]: checked first, commands approved as set); the settings after.
    pub async fn save_settings(&self, project_id: &str, next: &ProjectSettings) -> CoreResult<ProjectSettings> {
        settings::save(self.db(), project_id, next).await
    }

    /// One setting set from its text (`yokeflow config set KEY VALUE`), stored as [`Service::save_settings`] does.
    pub async fn set_setting(&self, project_id: &str, key: &str, value: &str) -> CoreResult<ProjectSettings> {
        let next = settings::set_from_text(self.settings(project_id).await?, key, value)?;
        self.save_settings(project_id, &next).await
    }

    /// The agent a person named for the project's runs (`yokeflow run --agent`): found on this machine, then saved
    /// (and so approved) for later runs.
    pub async fn save_agent(&self, project_id: &str, argv: &[String]) -> CoreResult<()> {
        crate::agents::command::check_agent(argv)?;
        crate::agents::command::save_agent_command(self.db(), project_id, Some(argv)).await
    }

    /// The test command a person named for the project's runs (`yokeflow run --test-cmd`), saved for later runs.
    pub async fn save_test_command(&self, project_id: &str, argv: &[String]) -> CoreResult<()> {
        settings::set_test_command(self.db(), project_id, Some(argv)).await
    }

    /// The agents YokeFlow knows and whether each is installed.
    pub fn presets() -> Vec<AgentPreset> {
        settings::presets()
    }

    /// The commands of the project's tasks file no one approved yet.
    pub async fn pending_commands(&self, project_id: &str) -> CoreResult<Vec<ProjectCommand>> {
        approvals::pending_of(self.db(), project_id).await
    }

    /// Approves exactly the commands the person was shown (refused if they changed meanwhile).
    pub async fn approve_commands(&self, project_id: &str, shown: &[ProjectCommand]) -> CoreResult<()> {
        approvals::approve_shown_of(self.db(), project_id, shown).await
    }

    // --- Tool rules ------------------------------------------------------------------------------------------

    pub async fn tool_permissions(&self, project_id: &str) -> CoreResult<ToolPermissions> {
        permissions::of_project(self.db(), project_id).await
    }

    /// Allows a tool rule for the project's agents.
    pub async fn allow_tool(&self, project_id: &str, rule: &str) -> CoreResult<RuleChange> {
        let changed = permissions::allow(self.db(), project_id, rule).await?;
        Ok(RuleChange { changed, rules: self.tool_permissions(project_id).await? })
    }

    /// Takes back a tool rule a person allowed (`changed` false: it was not allowed here).
    pub async fn revoke_tool(&self, project_id: &str, rule: &str) -> CoreResult<RuleChange> {
        let changed = permissions::revoke(self.db(), project_id, rule).await?;
        Ok(RuleChange { changed, rules: self.tool_permissions(project_id).await? })
    }

    // --- A task's work ---------------------------------------------------------------------------------------

    /// The task's agent sessions with their transcripts, cost and refusals.
    pub async fn task_log(&self, project_id: &str, task_id: &str, length: LogLength) -> CoreResult<TaskLog> {
        let entries = match length {
            LogLength::Window => sessions::WINDOW_ENTRIES,
            LogLength::Full => sessions::MAX_ENTRIES_SHOWN,
        };
        sessions::task_log_with(self.db(), project_id, task_id, entries).await
    }

    /// What the task changed against its merge base with the target.
    pub async fn task_diff(&self, project_id: &str, task_id: &str) -> CoreResult<TaskDiff> {
        diff::task_diff(self.db(), project_id, task_id).await
    }

    /// The end of the test log of the task's latest attempt.
    pub async fn test_log(&self, project_id: &str, task_id: &str) -> CoreResult<TestLog> {
        locations::test_log(self.db(), project_id, task_id).await
    }

    /// Where the task's work is on disk.
    pub async fn task_places(&self, project_id: &str, task_id: &str) -> CoreResult<TaskPlaces> {
        locations::places(self.db(), project_id, task_id).await
    }

    /// The task's worktree folder, as the database recorded it.
    pub async fn worktree_dir(&self, project_id: &str, task_id: &str) -> CoreResult<PathBuf> {
        locations::worktree_dir(self.db(), project_id, task_id).await
    }

    /// The agent's latest log of the task, as the database recorded it.
    pub async fn latest_log(&self, project_id: &str, task_id: &str) -> CoreResult<PathBuf> {
        locations::latest_log(self.db(), project_id, task_id).await
    }

    /// What the project's worktrees, the gate, the caches and the logs take on disk.
    pub async fn disk_usage(&self, project_id: &str) -> CoreResult<DiskUsage> {
        let p = self.project(project_id).await?;
        worktree::disk_usage_of(Path::new(&p.repo_path)).await
    }

    // --- Expertise -------------------------------------------------------------------------------------------

    /// The Expertise view: domains, skills, routing decisions, open conflicts.
    pub async fn expertise_overview(&self, project_id: &str) -> CoreResult<ExpertiseOverview> {
        expertise::overview(self.db(), &self.project(project_id).await?).await
    }

    /// Resolves a domain's open conflict by keeping one side; what the sync did and the view afterwards.
    pub async fn resolve_expertise_conflict(
        &self,
        project_id: &str,
        domain: &str,
        keep: Keep,
    ) -> CoreResult<(expertise::SyncReport, ExpertiseOverview)> {
        let p = self.project(project_id).await?;
        let report = expertise::resolve_conflict(self.db(), &p, domain, keep).await?;
        Ok((report, expertise::overview(self.db(), &p).await?))
    }

    pub async fn import_expertise(&self, project_id: &str) -> CoreResult<expertise::SyncReport> {
        expertise::import_all(self.db(), &self.project(project_id).await?).await
    }

    pub async fn export_expertise(&self, project_id: &str) -> CoreResult<expertise::SyncReport> {
        expertise::export_all(self.db(), &self.project(project_id).await?).await
    }

    /// A new domain's expertise file, committed ([`expertise::add_committed`]).
    pub async fn add_expertise(&self, project_id: &str, domain: &str) -> CoreResult<expertise::Added> {
        expertise::add_committed(self.db(), &self.project(project_id).await?, domain).await
    }

    pub async fn expertise(&self, project_id: &str) -> CoreResult<Vec<expertise::Expertise>> {
        expertise::list(self.db(), &self.project(project_id).await?).await
    }

    /// Which expertise a task would be routed to, and why.
    pub async fn route(&self, project_id: &str, task_id: &str) -> CoreResult<expertise::RoutingDecision> {
        expertise::route(self.db(), &self.project(project_id).await?, task_id).await
    }

    pub async fn expertise_conflicts(
        &self,
        project_id: &str,
        open_only: bool,
    ) -> CoreResult<Vec<expertise::ExpertiseConflict>> {
        expertise::conflicts(self.db(), &self.project(project_id).await?, open_only).await
    }

    /// Reconciles the project's expertise once, then follows its files until the watcher is dropped.
    pub async fn watch_expertise(
        &self,
        project_id: &str,
        events: broadcast::Sender<expertise::ExpertiseEvent>,
    ) -> CoreResult<expertise::WatchHandle> {
        expertise::Watcher::start(self.db(), &self.project(project_id).await?, events).await
    }
}
