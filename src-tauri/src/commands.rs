//! Tauri commands: one core call each, errors as `ErrorDto`.

use tauri::State;
use yokeflow_core::error::ErrorDto;
use yokeflow_core::model::{Board, Project, ProjectSummary};
use yokeflow_core::{demo, project, tasks, CoreError};

use crate::app::AppState;

fn dto(e: CoreError) -> ErrorDto {
    tracing::warn!(code = e.code(), "{e}");
    e.to_dto()
}

#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectSummary>, ErrorDto> {
    project::list(&state.db).await.map_err(dto)
}

#[tauri::command]
pub async fn get_board(state: State<'_, AppState>, project_id: String) -> Result<Board, ErrorDto> {
    tasks::board(&state.db, &project_id).await.map_err(dto)
}

#[tauri::command]
pub async fn create_demo_project(state: State<'_, AppState>) -> Result<Project, ErrorDto> {
    demo::ensure_demo(&state.db, &state.data_dir).await.map_err(dto)
}
