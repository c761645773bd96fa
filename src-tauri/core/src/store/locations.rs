//! Where a task's work is on disk, for a person to look at: the folder of its open worktree and its agent's
//! latest log. Only paths the database recorded are returned, and only when they still exist.

use std::path::PathBuf;

use crate::error::{CoreError, CoreResult};
use crate::store::db::Db;
use crate::store::records::open_worktree;

fn missing(what: &'static str, task_id: &str) -> CoreError {
    CoreError::NotFound { what, id: task_id.to_string() }
}

/// The folder of the task's newest open worktree (running, merging or kept for Review).
pub async fn worktree_dir(db: &Db, project_id: &str, task_id: &str) -> CoreResult<PathBuf> {
    let path: Option<String> = sqlx::query_scalar(&format!(
        "SELECT path FROM worktrees WHERE project_id = ? AND task_id = ? AND status IN {} AND path <> '' \
         ORDER BY created_at DESC, rowid DESC LIMIT 1",
        open_worktree()
    ))
    .bind(project_id)
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?;
    path.map(PathBuf::from).filter(|p| p.is_dir()).ok_or_else(|| missing("open worktree of task", task_id))
}

/// The log file of the task's newest agent session.
pub async fn latest_log(db: &Db, project_id: &str, task_id: &str) -> CoreResult<PathBuf> {
    let path: Option<Option<String>> = sqlx::query_scalar(
        "SELECT log_path FROM sessions WHERE project_id = ? AND task_id = ? AND log_path IS NOT NULL \
         ORDER BY started_at DESC, rowid DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?;
    path.flatten().map(PathBuf::from).filter(|p| p.is_file()).ok_or_else(|| missing("agent log of task", task_id))
}
