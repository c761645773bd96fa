//! Queries on tasks: listing them with their dependencies, the board, and status changes.

use std::collections::HashMap;

use sqlx::Row;

use crate::error::{CoreError, CoreResult};
use crate::model::{Board, BoardColumn, Epic, PredictedFile, Task, TaskStatus};
use crate::store::db::Db;
use crate::{model::now_ms, store::project};

/// The project's tasks in tasks-file order, each with its dependencies.
pub async fn list(db: &Db, project_id: &str) -> CoreResult<Vec<Task>> {
    let mut deps: HashMap<String, Vec<String>> = HashMap::new();
    let dep_rows = sqlx::query(
        "SELECT d.task_id, d.depends_on FROM task_dependencies d \
         JOIN tasks t ON t.project_id = d.project_id AND t.id = d.depends_on \
         WHERE d.project_id = ? ORDER BY t.position",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    for row in dep_rows {
        deps.entry(row.try_get("task_id")?).or_default().push(row.try_get("depends_on")?);
    }
    let rows = sqlx::query(
        "SELECT id, title, description, epic_id, status, priority, effort_minutes, files, predicted_files, \
                review_reason, conflict_warning, \
                (SELECT SUM(s.cost_usd) FROM sessions s WHERE s.project_id = tasks.project_id AND s.task_id = tasks.id) \
                    AS cost_usd, \
                (SELECT SUM(s.ended_at - s.started_at) FROM sessions s \
                    WHERE s.project_id = tasks.project_id AND s.task_id = tasks.id AND s.ended_at IS NOT NULL \
                      AND s.outcome != ?) \
                    AS agent_ms \
         FROM tasks WHERE project_id = ? ORDER BY position, id",
    )
    // An interrupted session's end is when recovery found it (maybe days later), not when its agent stopped.
    .bind(crate::model::SessionOutcome::INTERRUPTED)
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let status: String = row.try_get("status")?;
            let files: String = row.try_get("files")?;
            let predicted: String = row.try_get("predicted_files")?;
            Ok(Task {
                depends_on: deps.remove(&id).unwrap_or_default(),
                title: row.try_get("title")?,
                description: row.try_get("description")?,
                epic: row.try_get("epic_id")?,
                status: TaskStatus::parse(&status)
                    .ok_or_else(|| CoreError::InvalidInput(format!("task `{id}` has unknown status `{status}`")))?,
                priority: row.try_get::<i64, _>("priority")? as i32,
                effort_minutes: row.try_get::<i64, _>("effort_minutes")? as u32,
                files: serde_json::from_str(&files).unwrap_or_default(),
                predicted_files: serde_json::from_str::<Vec<PredictedFile>>(&predicted).unwrap_or_default(),
                review_reason: row.try_get("review_reason")?,
                conflict_warning: row.try_get("conflict_warning")?,
                cost_usd: row.try_get("cost_usd")?,
                agent_ms: row.try_get::<Option<i64>, _>("agent_ms")?.map(|ms| ms.max(0) as u64),
                id,
            })
        })
        .collect()
}

/// One task of the project (`not_found` when it has none of that id).
pub async fn get(db: &Db, project_id: &str, task_id: &str) -> CoreResult<Task> {
    list(db, project_id)
        .await?
        .into_iter()
        .find(|t| t.id == task_id)
        .ok_or_else(|| CoreError::NotFound { what: "task", id: task_id.to_string() })
}

pub async fn epics(db: &Db, project_id: &str) -> CoreResult<Vec<Epic>> {
    let rows = sqlx::query("SELECT id, title, description FROM epics WHERE project_id = ? ORDER BY position, id")
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter()
        .map(|r| Ok(Epic { id: r.try_get("id")?, title: r.try_get("title")?, description: r.try_get("description")? }))
        .collect()
}

/// Everything the board shows for one project.
pub async fn board(db: &Db, project_id: &str) -> CoreResult<Board> {
    Ok(Board {
        project: project::get(db, project_id).await?,
        epics: epics(db, project_id).await?,
        tasks: list(db, project_id).await?,
        columns: BoardColumn::all(),
    })
}

/// Moves a task to another column. `review_reason` is kept only for Review; a conflict warning is cleared.
pub async fn set_status(
    db: &Db,
    project_id: &str,
    task_id: &str,
    status: TaskStatus,
    review_reason: Option<&str>,
) -> CoreResult<()> {
    let reason = if status == TaskStatus::Review { review_reason } else { None };
    let done = sqlx::query(
        "UPDATE tasks SET status = ?, review_reason = ?, conflict_warning = NULL, updated_at = ? \
             WHERE project_id = ? AND id = ?",
    )
    .bind(status.as_str())
    .bind(reason)
    .bind(now_ms())
    .bind(project_id)
    .bind(task_id)
    .execute(db.pool())
    .await?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound { what: "task", id: task_id.to_string() });
    }
    Ok(())
}

/// Sets (or clears, with `None`) the conflict predicted for an in-progress task.
pub async fn set_conflict_warning(db: &Db, project_id: &str, task_id: &str, warning: Option<&str>) -> CoreResult<()> {
    sqlx::query("UPDATE tasks SET conflict_warning = ? WHERE project_id = ? AND id = ?")
        .bind(warning)
        .bind(project_id)
        .bind(task_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
