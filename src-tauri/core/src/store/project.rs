//! Projects: a git repository registered with YokeFlow, and the queries on the `projects` table.

use std::path::Path;

use git2::Repository;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::error::{CoreError, CoreResult};
use crate::model::{Project, ProjectSummary};
use crate::store::db::Db;
use crate::{model::now_ms, sys::git};

const COLUMNS: &str = "id, name, repo_path, target_branch, tasks_file, agent_command, test_command, \
                       setup_command, cleanup_command, worktree_include, worktree_link, max_worktrees, \
                       reuse_worktrees, is_demo, created_at";

fn from_row(row: &SqliteRow) -> CoreResult<Project> {
    let argv = |col: &str| -> CoreResult<Option<Vec<String>>> {
        let raw: Option<String> = row.try_get(col)?;
        raw.map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| CoreError::InvalidInput(format!("stored {col} is not a JSON list of strings: {e}")))
    };
    Ok(Project {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        repo_path: row.try_get("repo_path")?,
        target_branch: row.try_get("target_branch")?,
        tasks_file: row.try_get("tasks_file")?,
        agent_command: argv("agent_command")?,
        test_command: argv("test_command")?,
        setup_command: argv("setup_command")?,
        cleanup_command: argv("cleanup_command")?,
        worktree_include: argv("worktree_include")?.unwrap_or_default(),
        worktree_link: argv("worktree_link")?.unwrap_or_default(),
        max_worktrees: row.try_get::<i64, _>("max_worktrees")? as u32,
        reuse_worktrees: row.try_get("reuse_worktrees")?,
        is_demo: row.try_get("is_demo")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Registers the repository containing `path` (idempotent: an existing registration is returned as is).
pub async fn init(db: &Db, path: &Path) -> CoreResult<Project> {
    init_with(db, path, false).await
}

pub(crate) async fn init_with(db: &Db, path: &Path, is_demo: bool) -> CoreResult<Project> {
    let workdir = git::discover_workdir(path)?;
    let repo_path = workdir.display().to_string();
    if let Some(existing) = find_by_path(db, &repo_path).await? {
        return Ok(existing);
    }
    let branch = git::current_branch(&Repository::open(&workdir)?)?;
    let name = workdir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| repo_path.clone());
    let id = uuid::Uuid::new_v4().to_string();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO projects (id, name, repo_path, target_branch, is_demo, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&repo_path)
    .bind(&branch)
    .bind(is_demo)
    .bind(now)
    .bind(now)
    .execute(db.pool())
    .await?;
    get(db, &id).await
}

async fn find_by_path(db: &Db, repo_path: &str) -> CoreResult<Option<Project>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM projects WHERE repo_path = ?"))
        .bind(repo_path)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// The project registered for the repository containing `path`.
pub async fn find_by_repo(db: &Db, path: &Path) -> CoreResult<Project> {
    let workdir = git::discover_workdir(path)?;
    find_by_path(db, &workdir.display().to_string())
        .await?
        .ok_or_else(|| CoreError::ProjectNotRegistered { path: workdir.display().to_string() })
}

pub async fn get(db: &Db, id: &str) -> CoreResult<Project> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM projects WHERE id = ?"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound { what: "project", id: id.to_string() })?;
    from_row(&row)
}

/// Every project with its task counts, most recently created first.
pub async fn list(db: &Db) -> CoreResult<Vec<ProjectSummary>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS}, \
           (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS task_count, \
           (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id AND t.status IN {}) AS done_count \
         FROM projects p ORDER BY created_at DESC, name",
        crate::store::db::sql_list(&[crate::model::TaskStatus::Done.as_str()])
    ))
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ProjectSummary {
                project: from_row(row)?,
                task_count: row.try_get::<i64, _>("task_count")? as u32,
                done_count: row.try_get::<i64, _>("done_count")? as u32,
            })
        })
        .collect()
}

/// The demo project, if one was created and its repository still exists.
pub async fn find_demo(db: &Db) -> CoreResult<Option<Project>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM projects WHERE is_demo = 1 ORDER BY created_at"))
        .fetch_all(db.pool())
        .await?;
    for row in &rows {
        let p = from_row(row)?;
        if Path::new(&p.repo_path).join(".git").exists() {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

/// The first port of the project's block ([`crate::workspace::ports::project_base`]): projects in the order they were
/// registered, so two projects running at once give their servers different ports.
pub async fn port_base(db: &Db, project_id: &str) -> CoreResult<u16> {
    let p = get(db, project_id).await?;
    let before: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE created_at < ? OR (created_at = ? AND id < ?)")
            .bind(p.created_at)
            .bind(p.created_at)
            .bind(&p.id)
            .fetch_one(db.pool())
            .await?;
    Ok(crate::workspace::ports::project_base(before.max(0) as u32))
}
