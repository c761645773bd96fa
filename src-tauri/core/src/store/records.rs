//! The run loop's rows: `runs` (with the pid of the process driving it) and `worktrees`. Each is written before
//! the action it describes, so recovery can always tell what was under way.

use sqlx::Row;

use crate::error::CoreResult;
use crate::model::now_ms;
use crate::model::{RunMode, RunStatus};
use crate::store::db::Db;
use crate::workspace::worktree::WorktreeInfo;

/// Where a `worktrees` row stands (the `worktrees.status` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WorktreeStatus {
    /// Written before the worktree is created.
    Creating,
    /// The agent works in it.
    Active,
    /// Its branch is in the merge gate.
    Merging,
    /// Kept for a person: its task is in Review.
    Review,
    Merged,
    /// Removed with nothing of its own (recovery).
    Removed,
}

impl WorktreeStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            WorktreeStatus::Creating => "creating",
            WorktreeStatus::Active => "active",
            WorktreeStatus::Merging => "merging",
            WorktreeStatus::Review => "review",
            WorktreeStatus::Merged => "merged",
            WorktreeStatus::Removed => "removed",
        }
    }
}

impl WorktreeStatus {
    /// The statuses of a row that still holds a task's work (a later start of the task reattaches it).
    pub(crate) const OPEN: [WorktreeStatus; 4] =
        [WorktreeStatus::Creating, WorktreeStatus::Active, WorktreeStatus::Merging, WorktreeStatus::Review];
}

/// [`WorktreeStatus::OPEN`] as an SQL list.
pub(crate) fn open_worktree() -> String {
    sql(&WorktreeStatus::OPEN)
}

/// Worktree statuses as an SQL list.
pub(crate) fn sql(statuses: &[WorktreeStatus]) -> String {
    crate::store::db::sql_list(&statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

/// Run statuses as an SQL list.
pub(crate) fn run_sql(statuses: &[RunStatus]) -> String {
    crate::store::db::sql_list(&statuses.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

pub(crate) async fn insert_run(db: &Db, run_id: &str, project_id: &str, mode: RunMode) -> CoreResult<()> {
    sqlx::query("INSERT INTO runs (id, project_id, mode, status, started_at, pid) VALUES (?, ?, ?, ?, ?, ?)")
        .bind(run_id)
        .bind(project_id)
        .bind(mode.as_str())
        .bind(RunStatus::Running.as_str())
        .bind(now_ms())
        .bind(i64::from(std::process::id()))
        .execute(db.pool())
        .await?;
    Ok(())
}

pub(crate) async fn set_run_status(db: &Db, run_id: &str, status: RunStatus) -> CoreResult<()> {
    sqlx::query("UPDATE runs SET status = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(run_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

pub(crate) async fn set_run_mode(db: &Db, run_id: &str, mode: RunMode) -> CoreResult<()> {
    sqlx::query("UPDATE runs SET mode = ? WHERE id = ?").bind(mode.as_str()).bind(run_id).execute(db.pool()).await?;
    Ok(())
}

pub(crate) async fn finish_run(db: &Db, run_id: &str, status: RunStatus, report_json: &str) -> CoreResult<()> {
    sqlx::query("UPDATE runs SET status = ?, ended_at = ?, report = ? WHERE id = ?")
        .bind(status.as_str())
        .bind(now_ms())
        .bind(report_json)
        .bind(run_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Marks the run failed and ended unless it already ended (after an error that came before its own record).
pub(crate) async fn close_if_open(db: &Db, run_id: &str) -> CoreResult<()> {
    sqlx::query(&format!(
        "UPDATE runs SET status = ?, ended_at = ? WHERE id = ? AND status IN {}",
        run_sql(&RunStatus::LIVE)
    ))
    .bind(RunStatus::Failed.as_str())
    .bind(now_ms())
    .bind(run_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// A `worktrees` row.
#[derive(Debug, Clone)]
pub(crate) struct WorktreeRow {
    pub id: String,
    /// Empty for rows written before a task was known (never, today; kept total for old databases).
    pub task_id: String,
    pub branch: String,
    pub base_commit: Option<String>,
    /// Its task's work was handed to the merge gate (status `merging`): only then can a crash have left it landed
    /// but not recorded.
    pub merging: bool,
}

fn row_of(r: &sqlx::sqlite::SqliteRow) -> CoreResult<WorktreeRow> {
    Ok(WorktreeRow {
        id: r.try_get("id")?,
        task_id: r.try_get::<Option<String>, _>("task_id")?.unwrap_or_default(),
        branch: r.try_get("branch_name")?,
        base_commit: r.try_get("base_commit")?,
        merging: r.try_get::<String, _>("status")? == "merging",
    })
}

/// The newest open row of a task that names a branch: the work a new start continues from.
pub(crate) async fn open_worktree_of(db: &Db, project_id: &str, task_id: &str) -> CoreResult<Option<WorktreeRow>> {
    let row = sqlx::query(&format!(
        "SELECT id, task_id, branch_name, base_commit, status FROM worktrees \
         WHERE project_id = ? AND task_id = ? AND status IN {} AND branch_name <> '' \
         ORDER BY created_at DESC, rowid DESC LIMIT 1",
        open_worktree()
    ))
    .bind(project_id)
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(row_of).transpose()
}

/// Every open row of the project.
pub(crate) async fn open_worktrees(db: &Db, project_id: &str) -> CoreResult<Vec<WorktreeRow>> {
    let rows = sqlx::query(&format!(
        "SELECT id, task_id, branch_name, base_commit, status FROM worktrees \
         WHERE project_id = ? AND status IN {} ORDER BY created_at, rowid",
        open_worktree()
    ))
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(row_of).collect()
}

/// A new row in state `creating`, written before the worktree is created.
pub(crate) async fn insert_worktree(
    db: &Db,
    project_id: &str,
    task_id: &str,
    batch_id: Option<&str>,
    branch: &str,
    path: &str,
    status: WorktreeStatus,
) -> CoreResult<String> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO worktrees (id, project_id, branch_name, path, task_id, batch_id, status, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(project_id)
    .bind(branch)
    .bind(path)
    .bind(task_id)
    .bind(batch_id)
    .bind(status.as_str())
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(id)
}

/// Records the created (or reattached) worktree: branch, folder, base and git's id; status `active`.
pub(crate) async fn worktree_created(db: &Db, row_id: &str, info: &WorktreeInfo) -> CoreResult<()> {
    sqlx::query(
        "UPDATE worktrees SET branch_name = ?, path = ?, base_commit = ?, status = ?, metadata = ? WHERE id = ?",
    )
    .bind(&info.branch)
    .bind(info.path.display().to_string())
    .bind(&info.base_commit)
    .bind(WorktreeStatus::Active.as_str())
    .bind(serde_json::json!({ "worktree_id": info.id }).to_string())
    .bind(row_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The row's folder: `None` while it has none (its work waits at the gate on its branch alone).
pub(crate) async fn set_worktree_path(db: &Db, row_id: &str, path: Option<&std::path::Path>) -> CoreResult<()> {
    sqlx::query("UPDATE worktrees SET path = ? WHERE id = ?")
        .bind(path.map(|p| p.display().to_string()).unwrap_or_default())
        .bind(row_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The commit that landed the row's branch on the target (a test log of an earlier failure no longer says why
/// the task is where it is).
pub(crate) async fn set_landed_commit(db: &Db, row_id: &str, commit: &str) -> CoreResult<()> {
    sqlx::query("UPDATE worktrees SET landed_commit = ?, test_log = NULL WHERE id = ?")
        .bind(commit)
        .bind(row_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// The test log of the row's branch when the merge gate found its tests failing on the merged tree; `None` once
/// another result of the gate says why the task is where it is.
pub(crate) async fn set_test_log(db: &Db, row_id: &str, log: Option<&str>) -> CoreResult<()> {
    sqlx::query("UPDATE worktrees SET test_log = ? WHERE id = ?").bind(log).bind(row_id).execute(db.pool()).await?;
    Ok(())
}

pub(crate) async fn set_worktree_status(db: &Db, row_id: &str, status: WorktreeStatus) -> CoreResult<()> {
    let merged_at = (status == WorktreeStatus::Merged).then(now_ms);
    sqlx::query("UPDATE worktrees SET status = ?, merged_at = COALESCE(?, merged_at) WHERE id = ?")
        .bind(status.as_str())
        .bind(merged_at)
        .bind(row_id)
        .execute(db.pool())
        .await?;
    Ok(())
}
