//! Tauri commands: each takes its input, makes one call of the core's surface (`yokeflow_core::api::Service`, its
//! `runs()` for runs) and converts the result; errors cross as `ErrorDto {code, message}`.

use tauri::{AppHandle, State};
use tauri_plugin_shell::ShellExt;
use yokeflow_core::agents::permissions::ToolPermissions;
use yokeflow_core::agents::sessions::TaskLog;
use yokeflow_core::api::{LogLength, Service};
use yokeflow_core::error::ErrorDto;
use yokeflow_core::error::TaskFileIssue;
use yokeflow_core::expertise::bootstrap::{InitOptions, InitReport, Template};
// Named as the window's bindings name it (the generated command bindings read the names here).
use yokeflow_core::error::CoreError;
use yokeflow_core::expertise::Keep as ExpertiseKeep;
use yokeflow_core::gate::diff::TaskDiff;
use yokeflow_core::model::{Board, Project, ProjectSummary, TaskStatus};
use yokeflow_core::plan::ExecutionPlan;
use yokeflow_core::run::draft::{Accepted, DraftPreview, DraftRequest};
use yokeflow_core::run::overrides::{Discarded, DropTarget, StatusMove};
use yokeflow_core::run::runs::RunSnapshot;
use yokeflow_core::run::runs::{ActionRoute, FeedbackRoute, RunRequest, RunStarted};
use yokeflow_core::store::approvals::ProjectCommand;
use yokeflow_core::store::locations;
use yokeflow_core::tasks::cards::{CardEdit, CardResult};
use yokeflow_core::tasks::register::AddedProject;
use yokeflow_core::tasks::settings::{AgentPreset, ProjectSettings, SettingIssue};
use yokeflow_core::workspace::worktree::DiskUsage;

use crate::app::AppState;
use crate::expertise_sync::Watchers;
use crate::tasks_sync::TasksWatchers;

fn dto(e: CoreError) -> ErrorDto {
    tracing::warn!(code = e.code(), "{e}");
    e.to_dto()
}

#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectSummary>, ErrorDto> {
    state.api.projects().await.map_err(dto)
}

/// The project's board. Opening a project also starts its live expertise sync and follows its tasks file (once).
#[tauri::command]
pub async fn get_board(
    app: AppHandle,
    state: State<'_, AppState>,
    watchers: State<'_, Watchers>,
    tasks_watchers: State<'_, TasksWatchers>,
    project_id: String,
) -> Result<Board, ErrorDto> {
    let board = state.api.board(&project_id).await.map_err(dto)?;
    watchers.ensure(&app, state.api.db(), &board.project).await;
    tasks_watchers.ensure(&app, state.api.db(), &board.project);
    Ok(board)
}

/// What is wrong with a card edit, field by field (empty: it would be accepted); changes nothing.
#[tauri::command]
pub async fn check_card_edit(
    state: State<'_, AppState>,
    project_id: String,
    edit: CardEdit,
) -> Result<Vec<TaskFileIssue>, ErrorDto> {
    state.api.check_card_edit(&project_id, &edit).await.map_err(dto)
}

/// A new project from an app spec (`init --spec`): the folder (created with a repository if needed), the template,
/// CLAUDE.md and an expert per domain the spec touches, committed; registered. Its tasks are drafted next.
#[tauri::command]
pub async fn init_project(state: State<'_, AppState>, path: String, spec: String) -> Result<InitReport, ErrorDto> {
    let opts = InitOptions { spec: std::path::PathBuf::from(spec.trim()), template: Template::Builtin };
    state.api.init_project(std::path::Path::new(path.trim()), &opts).await.map_err(dto)
}

/// Session 0: the project's tasks drafted by its agent from an app spec (a file path) and/or a short goal, for one
/// epic if given; a preview, nothing of the project changes. Takes as long as the agent works.
#[tauri::command]
pub async fn draft_tasks(
    state: State<'_, AppState>,
    project_id: String,
    spec: Option<String>,
    goal: Option<String>,
    epic: Option<String>,
) -> Result<DraftPreview, ErrorDto> {
    let request = DraftRequest {
        spec: spec.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).map(std::path::PathBuf::from),
        goal: goal.filter(|g| !g.trim().is_empty()),
        epic: epic.filter(|e| !e.trim().is_empty()),
        ..Default::default()
    };
    state.api.runs().draft_tasks(&project_id, request).await.map_err(dto)
}

/// Makes a draft the project's tasks (written to its tasks file, imported, planned).
#[tauri::command]
pub async fn accept_draft(
    state: State<'_, AppState>,
    project_id: String,
    draft_id: String,
) -> Result<Accepted, ErrorDto> {
    state.api.runs().accept_draft(&project_id, &draft_id).await.map_err(dto)
}

/// Drops a draft; nothing changes.
#[tauri::command]
pub async fn discard_draft(state: State<'_, AppState>, project_id: String, draft_id: String) -> Result<(), ErrorDto> {
    state.api.runs().discard_draft(&project_id, &draft_id).await.map_err(dto)
}

/// What the project's worktrees, the gate and the logs use on disk.
#[tauri::command]
pub async fn disk_usage(state: State<'_, AppState>, project_id: String) -> Result<DiskUsage, ErrorDto> {
    state.api.disk_usage(&project_id).await.map_err(dto)
}

/// The project's expertise for the Expertise view: domains, skills, routing decisions, open conflicts.
#[tauri::command]
pub async fn expertise_overview(
    state: State<'_, AppState>,
    project_id: String,
) -> Result<yokeflow_core::expertise::ExpertiseOverview, ErrorDto> {
    state.api.expertise_overview(&project_id).await.map_err(dto)
}

/// Resolves a domain's open conflict by keeping one side (the database's or the file's; for a deleted file, keeping
/// the file forgets the domain); returns the view's data afterwards.
#[tauri::command]
pub async fn resolve_expertise_conflict(
    state: State<'_, AppState>,
    project_id: String,
    domain: String,
    keep: ExpertiseKeep,
) -> Result<yokeflow_core::expertise::ExpertiseOverview, ErrorDto> {
    state.api.resolve_expertise_conflict(&project_id, &domain, keep).await.map(|(_, after)| after).map_err(dto)
}

/// The project's settings.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>, project_id: String) -> Result<ProjectSettings, ErrorDto> {
    state.api.settings(&project_id).await.map_err(dto)
}

/// What is wrong with the settings, key by key (empty: they can be saved); changes nothing.
#[tauri::command]
pub fn check_settings(settings: ProjectSettings) -> Vec<SettingIssue> {
    Service::check_settings(&settings)
}

/// Stores the settings (checked first; commands approved as set; the tasks file follows); the settings after.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    project_id: String,
    settings: ProjectSettings,
) -> Result<ProjectSettings, ErrorDto> {
    state.api.save_settings(&project_id, &settings).await.map_err(dto)
}

/// The agents YokeFlow knows (Claude Code, Codex CLI, Aider) and whether each is installed.
#[tauri::command]
pub fn agent_presets() -> Vec<AgentPreset> {
    Service::presets()
}

/// Adds, changes or removes a task, or adds an epic; the tasks file follows and the plan is rebuilt.
#[tauri::command]
pub async fn edit_tasks(
    state: State<'_, AppState>,
    project_id: String,
    edit: CardEdit,
) -> Result<CardResult, ErrorDto> {
    state.api.runs().edit_tasks(&project_id, &edit).await.map_err(dto)
}

#[tauri::command]
pub async fn create_demo_project(state: State<'_, AppState>) -> Result<Project, ErrorDto> {
    state.api.demo().await.map_err(dto)
}

/// Adds the git repository at `path` as a project: its tasks file (if any) is validated first, then imported and
/// planned; a bad file or a folder that is not a repository registers nothing.
#[tauri::command]
pub async fn add_project(state: State<'_, AppState>, path: String) -> Result<AddedProject, ErrorDto> {
    state.api.add_repository(std::path::Path::new(path.trim())).await.map_err(dto)
}

#[tauri::command]
pub async fn get_plan(state: State<'_, AppState>, project_id: String) -> Result<Option<ExecutionPlan>, ErrorDto> {
    state.api.plan(&project_id).await.map_err(dto)
}

#[tauri::command]
pub async fn build_plan(state: State<'_, AppState>, project_id: String) -> Result<ExecutionPlan, ErrorDto> {
    state.api.build_plan(&project_id, None).await.map_err(dto)
}

#[tauri::command]
pub async fn start_run(
    state: State<'_, AppState>,
    project_id: String,
    sequential: Option<bool>,
    max_cost_usd: Option<f64>,
) -> Result<RunStarted, ErrorDto> {
    let request = RunRequest { sequential: sequential.unwrap_or(false), max_cost_usd, ..Default::default() };
    state.api.runs().start(&project_id, request).await.map(|started| started.summary()).map_err(dto)
}

/// The commands the project's tasks file asks to run (agent, test command) that no one approved yet.
#[tauri::command]
pub async fn pending_commands(state: State<'_, AppState>, project_id: String) -> Result<Vec<ProjectCommand>, ErrorDto> {
    state.api.pending_commands(&project_id).await.map_err(dto)
}

/// Approves exactly the commands the person was shown (refused if the project's commands changed meanwhile).
#[tauri::command]
pub async fn approve_commands(
    state: State<'_, AppState>,
    project_id: String,
    commands: Vec<ProjectCommand>,
) -> Result<(), ErrorDto> {
    state.api.approve_commands(&project_id, &commands).await.map_err(dto)
}

/// The project's run as the window shows it: the live one, else the last one that ended (`null`: none yet).
#[tauri::command]
pub fn run_view(state: State<'_, AppState>, project_id: String) -> Option<RunSnapshot> {
    state.api.runs().view(&project_id)
}

#[tauri::command]
pub fn pause_run(state: State<'_, AppState>, project_id: String) -> Result<(), ErrorDto> {
    state.api.runs().pause(&project_id).map_err(dto)
}

#[tauri::command]
pub fn resume_run(state: State<'_, AppState>, project_id: String) -> Result<(), ErrorDto> {
    state.api.runs().resume(&project_id).map_err(dto)
}

#[tauri::command]
pub fn cancel_run(state: State<'_, AppState>, project_id: String) -> Result<(), ErrorDto> {
    state.api.runs().cancel(&project_id).map_err(dto)
}

/// From now on the run starts one task at a time (what is running finishes).
#[tauri::command]
pub fn force_sequential(state: State<'_, AppState>, project_id: String) -> Result<(), ErrorDto> {
    state.api.runs().force_sequential(&project_id).map_err(dto)
}

#[tauri::command]
pub async fn retry_task(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<ActionRoute, ErrorDto> {
    state.api.runs().retry_task(&project_id, &task_id).await.map_err(dto)
}

/// Lands a Review task's branch again through the gate (after a person fixed it), without its agent.
#[tauri::command]
pub async fn retry_merge(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<ActionRoute, ErrorDto> {
    state.api.runs().retry_merge(&project_id, &task_id).await.map_err(dto)
}

/// Stops a running task's agent, commits what it left and sends its branch to the gate now.
#[tauri::command]
pub fn merge_now(state: State<'_, AppState>, project_id: String, task_id: String) -> Result<(), ErrorDto> {
    state.api.runs().merge_now(&project_id, &task_id).map_err(dto)
}

/// A card dropped on another column: stored when no run is going and the plan allows it; during a run, the moves
/// that mean a run command (retry, retry merge, merge now) are sent to it; anything else is refused
/// (`move_refused`, with the reason).
#[tauri::command]
pub async fn set_task_status(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
    status: TaskStatus,
) -> Result<StatusMove, ErrorDto> {
    let (moved, replan_problem) = state.api.runs().set_task_status(&project_id, &task_id, status).await.map_err(dto)?;
    if let Some(problem) = replan_problem {
        tracing::warn!(project_id, "{problem}");
    }
    Ok(moved)
}

/// The columns a card being dragged could be dropped on, each with the reason a drop there would be refused.
#[tauri::command]
pub async fn task_drop_targets(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<Vec<DropTarget>, ErrorDto> {
    state.api.runs().drop_targets(&project_id, &task_id).await.map_err(dto)
}

/// A card dropped on another worktree lane: pins it there in the stored plan (and in the active run, if any).
#[tauri::command]
pub async fn move_task_to_worktree(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
    worktree: String,
) -> Result<ExecutionPlan, ErrorDto> {
    state.api.runs().move_task_to_worktree(&project_id, &task_id, &worktree).await.map_err(dto)
}

/// Opens the task's worktree folder in the file manager (only a path the database recorded).
#[tauri::command]
pub async fn open_worktree(
    app: AppHandle,
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<(), ErrorDto> {
    let dir = state.api.worktree_dir(&project_id, &task_id).await.map_err(dto)?;
    open_path(&app, &dir)
}

/// Opens the agent's latest log of the task in the default viewer.
#[tauri::command]
pub async fn open_task_log(
    app: AppHandle,
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<(), ErrorDto> {
    let log = state.api.latest_log(&project_id, &task_id).await.map_err(dto)?;
    open_path(&app, &log)
}

/// The end of the test log of the task's latest attempt (`not_found` when the gate's tests did not fail on it).
#[tauri::command]
pub async fn task_test_log(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<locations::TestLog, ErrorDto> {
    state.api.test_log(&project_id, &task_id).await.map_err(dto)
}

/// Where the task's work is on disk (worktree, agent log, test log), for a person to copy when opening fails.
#[tauri::command]
pub async fn task_places(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<locations::TaskPlaces, ErrorDto> {
    state.api.task_places(&project_id, &task_id).await.map_err(dto)
}

/// The task's agent sessions with their transcripts, cost and refusals.
#[tauri::command]
pub async fn task_log(state: State<'_, AppState>, project_id: String, task_id: String) -> Result<TaskLog, ErrorDto> {
    state.api.task_log(&project_id, &task_id, LogLength::Window).await.map_err(dto)
}

/// Discards a task's work after a person confirmed it; the task goes back to the Backlog.
#[tauri::command]
pub async fn discard_work(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<Discarded, ErrorDto> {
    state.api.runs().discard_work(&project_id, &task_id).await.map_err(dto)
}

/// What the task changed against its merge base with the target.
#[tauri::command]
pub async fn task_diff(state: State<'_, AppState>, project_id: String, task_id: String) -> Result<TaskDiff, ErrorDto> {
    state.api.task_diff(&project_id, &task_id).await.map_err(dto)
}

/// Sends a person's remark to the task's agent ([`yokeflow_core::run::runs::Runs::feedback`]).
#[tauri::command]
pub async fn send_feedback(
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
    remark: String,
) -> Result<FeedbackRoute, ErrorDto> {
    let (_, route, _) =
        state.api.runs().feedback(&project_id, &task_id, &remark, RunRequest::default()).await.map_err(dto)?;
    Ok(route)
}

/// The tools the project's agents may use without asking.
#[tauri::command]
pub async fn tool_permissions(state: State<'_, AppState>, project_id: String) -> Result<ToolPermissions, ErrorDto> {
    state.api.tool_permissions(&project_id).await.map_err(dto)
}

/// Allows a tool rule (`Bash(npm install:*)`) for the project's agents; the rules after.
#[tauri::command]
pub async fn allow_tool(
    state: State<'_, AppState>,
    project_id: String,
    rule: String,
) -> Result<ToolPermissions, ErrorDto> {
    state.api.allow_tool(&project_id, &rule).await.map(|change| change.rules).map_err(dto)
}

/// Takes back a tool rule a person allowed; the rules after.
#[tauri::command]
pub async fn revoke_tool(
    state: State<'_, AppState>,
    project_id: String,
    rule: String,
) -> Result<ToolPermissions, ErrorDto> {
    state.api.revoke_tool(&project_id, &rule).await.map(|change| change.rules).map_err(dto)
}

fn open_path(app: &AppHandle, path: &std::path::Path) -> Result<(), ErrorDto> {
    // The shell plugin's `open` (xdg-open on Linux); from Rust no scope applies, and only recorded paths get here.
    #[allow(deprecated)]
    app.shell().open(path.display().to_string(), None).map_err(|e| ErrorDto {
        code: "open_failed".into(),
        message: format!(
            "cannot open {}: {e} (no program to open it with? copy its path from the task's pane, under On disk)",
            path.display()
        ),
    })
}
