//! Importing a tasks file into a project. The file is validated in full first ([`crate::tasks::taskfile`]); the
//! write is one transaction, so on any error the database is left exactly as it was.
//!
//! Re-importing is an update: tasks keep their status; a task missing from the new file is removed only while
//! it is still in Backlog (started work is never dropped by an import; it is kept and reported).
//!
//! After a successful import the execution plan is rebuilt, keeping pinned tasks in their worktrees
//! ([`crate::plan::planner::rebuild_keeping_pins`]); a planning failure does not undo the import, it is reported in
//! [`ImportSummary::plan_warning`].

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::store::db::Db;
use crate::tasks::taskfile::{self, TaskFile};
use crate::{model::now_ms, plan::planner, store::project};

/// What an import changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct ImportSummary {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    pub removed: Vec<String>,
    /// Tasks absent from the file but kept because work on them has started.
    pub kept: Vec<String>,
    /// Set when the import stood but the execution plan could not be rebuilt from it (the reason).
    pub plan_warning: Option<String>,
}

/// Validates `path` and imports it into the project.
pub async fn import_file(db: &Db, project_id: &str, path: &Path) -> CoreResult<ImportSummary> {
    let file = taskfile::load(path)?;
    let stored_path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    import(db, project_id, &file, Some(&stored_path.display().to_string())).await
}

/// Imports an already validated tasks file.
pub async fn import(db: &Db, project_id: &str, file: &TaskFile, source: Option<&str>) -> CoreResult<ImportSummary> {
    project::get(db, project_id).await?;
    let now = now_ms();
    let mut tx = db.pool().begin().await?;

    let existing: Vec<(String, String)> = sqlx::query_as("SELECT id, status FROM tasks WHERE project_id = ?")
        .bind(project_id)
        .fetch_all(&mut *tx)
        .await?;
    let in_file: HashSet<&str> = file.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut summary = ImportSummary::default();

    // Epics: upsert the file's; drop the others after tasks stop pointing at them.
    for (pos, epic) in file.epics.iter().enumerate() {
        sqlx::query(
            "INSERT INTO epics (project_id, id, title, description, position) VALUES (?, ?, ?, ?, ?) \
             ON CONFLICT (project_id, id) DO UPDATE SET title = excluded.title, \
             description = excluded.description, position = excluded.position",
        )
        .bind(project_id)
        .bind(&epic.id)
        .bind(&epic.title)
        .bind(&epic.description)
        .bind(pos as i64)
        .execute(&mut *tx)
        .await?;
    }

    for (pos, t) in file.tasks.iter().enumerate() {
        let files = serde_json::to_string(&t.files).expect("strings serialize");
        let known = existing.iter().any(|(id, _)| id == &t.id);
        sqlx::query(
            "INSERT INTO tasks (project_id, id, title, description, epic_id, priority, effort_minutes, files, \
                                position, created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (project_id, id) DO UPDATE SET title = excluded.title, \
               description = excluded.description, epic_id = excluded.epic_id, priority = excluded.priority, \
               effort_minutes = excluded.effort_minutes, files = excluded.files, position = excluded.position, \
               updated_at = excluded.updated_at",
        )
        .bind(project_id)
        .bind(&t.id)
        .bind(&t.title)
        .bind(&t.description)
        .bind(&t.epic)
        .bind(t.priority as i64)
        .bind(t.effort_minutes as i64)
        .bind(files)
        .bind(pos as i64)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if known { &mut summary.updated } else { &mut summary.added }.push(t.id.clone());
    }

    for (id, status) in &existing {
        if in_file.contains(id.as_str()) {
            continue;
        }
        if status == "backlog" {
            sqlx::query("DELETE FROM tasks WHERE project_id = ? AND id = ?")
                .bind(project_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            summary.removed.push(id.clone());
        } else {
            summary.kept.push(id.clone());
        }
    }
    let epic_ids: HashSet<&str> = file.epics.iter().map(|e| e.id.as_str()).collect();
    let stale_epics: Vec<(String,)> =
        sqlx::query_as("SELECT id FROM epics WHERE project_id = ?").bind(project_id).fetch_all(&mut *tx).await?;
    for (epic,) in stale_epics.into_iter().filter(|(e,)| !epic_ids.contains(e.as_str())) {
        sqlx::query("UPDATE tasks SET epic_id = NULL WHERE project_id = ? AND epic_id = ?")
            .bind(project_id)
            .bind(&epic)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM epics WHERE project_id = ? AND id = ?")
            .bind(project_id)
            .bind(&epic)
            .execute(&mut *tx)
            .await?;
    }

    // Dependencies of the file's tasks are replaced by the file's.
    for t in &file.tasks {
        sqlx::query("DELETE FROM task_dependencies WHERE project_id = ? AND task_id = ?")
            .bind(project_id)
            .bind(&t.id)
            .execute(&mut *tx)
            .await?;
        for d in &t.depends_on {
            sqlx::query("INSERT INTO task_dependencies (project_id, task_id, depends_on) VALUES (?, ?, ?)")
                .bind(project_id)
                .bind(&t.id)
                .bind(d)
                .execute(&mut *tx)
                .await?;
        }
    }

    let json = |c: &Option<Vec<String>>| c.as_ref().map(|c| serde_json::to_string(c).expect("strings serialize"));
    let w = &file.worktree;
    sqlx::query(
        "UPDATE projects SET name = COALESCE(?, name), tasks_file = COALESCE(?, tasks_file), \
           test_command = COALESCE(?, test_command), agent_command = COALESCE(?, agent_command), \
           setup_command = COALESCE(?, setup_command), cleanup_command = COALESCE(?, cleanup_command), \
           worktree_include = COALESCE(?, worktree_include), worktree_link = COALESCE(?, worktree_link), \
           updated_at = ? WHERE id = ?",
    )
    .bind(&file.project)
    .bind(source)
    .bind(json(&file.test_command))
    .bind(json(&file.agent))
    .bind(json(&w.setup))
    .bind(json(&w.cleanup))
    .bind(json(&w.include))
    .bind(json(&w.link))
    .bind(now)
    .bind(project_id)
    .execute(&mut *tx)
    .await?;

    tx.commit().await.map_err(CoreError::from)?;
    // The plan follows the tasks; once the import is committed it stands even if planning fails.
    summary.plan_warning = planner::rebuild_keeping_pins(db, project_id).await;
    Ok(summary)
}
