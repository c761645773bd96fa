//! Tauri commands: each takes its input, calls one core function and converts the result; errors cross as
//! `ErrorDto {code, message}`.

use tauri::{AppHandle, State};
use tauri_plugin_shell::ShellExt;
use yokeflow_core::error::ErrorDto;
use yokeflow_core::model::{Board, Project, ProjectSummary, TaskStatus};
use yokeflow_core::orchestrator::ActiveRunState;
use yokeflow_core::overrides::{self, RunAction, StatusDecision, StatusMove};
use yokeflow_core::plan::ExecutionPlan;
use yokeflow_core::register::{self, AddedProject};
use yokeflow_core::{demo, locations, planner, project, tasks, CoreError};

use crate::app::AppState;
use crate::expertise_sync::Watchers;
use crate::runs::Runs;

fn dto(e: CoreError) -> ErrorDto {
    tracing::warn!(code = e.code(), "{e}");
    e.to_dto()
}

#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectSummary>, ErrorDto> {
    project::list(&state.db).await.map_err(dto)
}

/// The project's board. Opening a project also starts its live expertise sync (once).
#[tauri::command]
pub async fn get_board(
    app: AppHandle,
    state: State<'_, AppState>,
    watchers: State<'_, Watchers>,
    project_id: String,
) -> Result<Board, ErrorDto> {
    let board = tasks::board(&state.db, &project_id).await.map_err(dto)?;
    watchers.ensure(&app, &state.db, &board.project).await;
    Ok(board)
}

#[tauri::command]
pub async fn create_demo_project(state: State<'_, AppState>) -> Result<Project, ErrorDto> {
    demo::ensure_demo(&state.db, &state.data_dir).await.map_err(dto)
}

/// Adds the git repository at `path` as a project: its tasks file (if any) is validated first, then imported and
/// planned; a bad file or a folder that is not a repository registers nothing.
#[tauri::command]
pub async fn add_project(state: State<'_, AppState>, path: String) -> Result<AddedProject, ErrorDto> {
    register::add_repository(&state.db, std::path::Path::new(path.trim())).await.map_err(dto)
}

#[tauri::command]
pub async fn get_plan(state: State<'_, AppState>, project_id: String) -> Result<Option<ExecutionPlan>, ErrorDto> {
    planner::get(&state.db, &project_id).await.map_err(dto)
}

#[tauri::command]
pub async fn build_plan(state: State<'_, AppState>, project_id: String) -> Result<ExecutionPlan, ErrorDto> {
    planner::build(&state.db, &project_id, None).await.map_err(dto)
}

#[tauri::command]
pub async fn start_run(
    app: AppHandle,
    state: State<'_, AppState>,
    runs: State<'_, Runs>,
    project_id: String,
    sequential: Option<bool>,
) -> Result<(), ErrorDto> {
    runs.start(app, state.db.clone(), project_id, sequential.unwrap_or(false)).await
}

#[tauri::command]
pub fn run_state(runs: State<'_, Runs>, project_id: String) -> ActiveRunState {
    runs.state(&project_id)
}

#[tauri::command]
pub fn pause_run(runs: State<'_, Runs>, project_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.pause();
        r.paused = true;
    })
}

#[tauri::command]
pub fn resume_run(runs: State<'_, Runs>, project_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.resume();
        r.paused = false;
    })
}

#[tauri::command]
pub fn cancel_run(runs: State<'_, Runs>, project_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.cancel();
    })
}

/// From now on the run starts one task at a time (what is running finishes).
#[tauri::command]
pub fn force_sequential(runs: State<'_, Runs>, project_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.force_sequential();
    })
}

#[tauri::command]
pub fn retry_task(runs: State<'_, Runs>, project_id: String, task_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.retry_task(&task_id);
    })
}

/// Lands a Review task's branch again through the gate (after a person fixed it), without its agent.
#[tauri::command]
pub fn retry_merge(runs: State<'_, Runs>, project_id: String, task_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.retry_merge(&task_id);
    })
}

/// Stops a running task's agent, commits what it left and sends its branch to the gate now.
#[tauri::command]
pub fn merge_now(runs: State<'_, Runs>, project_id: String, task_id: String) -> Result<(), ErrorDto> {
    runs.with(&project_id, |r| {
        r.handle.merge_now(&task_id);
    })
}

/// A card dropped on another column: stored when no run is going and the plan allows it; during a run, the moves
/// that mean a run command (retry, retry merge, merge now) are sent to it; anything else is refused
/// (`move_refused`, with the reason).
#[tauri::command]
pub async fn set_task_status(
    state: State<'_, AppState>,
    runs: State<'_, Runs>,
    project_id: String,
    task_id: String,
    status: TaskStatus,
) -> Result<StatusMove, ErrorDto> {
    let active = runs.state(&project_id).active;
    let (decision, replan_problem) =
        overrides::set_status(&state.db, &project_id, &task_id, status, active).await.map_err(dto)?;
    if let Some(problem) = replan_problem {
        tracing::warn!(project_id, "{problem}");
    }
    match decision {
        StatusDecision::Unchanged | StatusDecision::Apply => Ok(StatusMove::Applied { status }),
        StatusDecision::Run(action) => runs.with(&project_id, |r| {
            match action {
                RunAction::RetryTask => r.handle.retry_task(&task_id),
                RunAction::RetryMerge => r.handle.retry_merge(&task_id),
                RunAction::MergeNow => r.handle.merge_now(&task_id),
            };
            StatusMove::SentToRun { action }
        }),
    }
}

/// A card dropped on another worktree lane: pins it there in the stored plan (and in the active run, if any).
#[tauri::command]
pub async fn move_task_to_worktree(
    state: State<'_, AppState>,
    runs: State<'_, Runs>,
    project_id: String,
    task_id: String,
    worktree: String,
) -> Result<ExecutionPlan, ErrorDto> {
    let active = runs.state(&project_id).active;
    let (plan, slot) =
        overrides::move_to_worktree(&state.db, &project_id, &task_id, &worktree, active).await.map_err(dto)?;
    // Without a run the pin waits in the plan for the next one.
    let _ = runs.with(&project_id, |r| r.handle.move_task(&task_id, slot));
    Ok(plan)
}

/// Opens the task's worktree folder in the file manager (only a path the database recorded).
#[tauri::command]
pub async fn open_worktree(
    app: AppHandle,
    state: State<'_, AppState>,
    project_id: String,
    task_id: String,
) -> Result<(), ErrorDto> {
    let dir = locations::worktree_dir(&state.db, &project_id, &task_id).await.map_err(dto)?;
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
    let log = locations::latest_log(&state.db, &project_id, &task_id).await.map_err(dto)?;
    open_path(&app, &log)
}

fn open_path(app: &AppHandle, path: &std::path::Path) -> Result<(), ErrorDto> {
    // The shell plugin's `open` (xdg-open on Linux); from Rust no scope applies, and only recorded paths get here.
    #[allow(deprecated)]
    app.shell()
        .open(path.display().to_string(), None)
        .map_err(|e| ErrorDto { code: "open_failed".into(), message: format!("cannot open {}: {e}", path.display()) })
}
