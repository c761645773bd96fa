//! A person's follow-up on a task: "also handle the empty cart", sent back to the task's agent. The remark is
//! stored first (nothing is lost if the app stops); the run that next works on the task hands it to the agent —
//! continuing the same conversation when the agent's CLI can resume it (Claude Code's `--resume`, from the folder
//! it ran in), else in a new session given the task's prompt plus the remark — in the same worktree and branch; the
//! work then goes through the merge gate as usual. A remark on a running task waits until its agent stops.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::model::{Task, TaskStatus};
use crate::store::db::Db;
use crate::store::records::WorktreeStatus;

/// The longest remark accepted (characters).
pub const MAX_REMARK: usize = 20_000;

/// A remark waiting for its session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Remark {
    #[ts(type = "number")]
    pub id: i64,
    pub text: String,
}

/// Checks a remark: some text, not too long, no control characters but newlines and tabs.
pub fn validate(remark: &str) -> CoreResult<String> {
    let text = remark.trim();
    if text.is_empty() {
        return Err(CoreError::InvalidInput("the feedback is empty: say what the agent should change".into()));
    }
    if text.chars().count() > MAX_REMARK {
        return Err(CoreError::InvalidInput(format!("the feedback is longer than {MAX_REMARK} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(CoreError::InvalidInput("the feedback contains control characters".into()));
    }
    Ok(text.to_string())
}

/// Stores a remark for a task that ran: one in Review, In Progress (it waits for the agent to stop) or Done (a
/// follow-up on landed work). A task still in the Backlog has had no agent to answer: edit its description.
pub async fn submit(db: &Db, project_id: &str, task: &Task, remark: &str) -> CoreResult<Remark> {
    let text = validate(remark)?;
    if task.status == TaskStatus::Backlog {
        return Err(CoreError::InvalidInput(format!(
            "task `{}` has not run yet, so there is no agent to give feedback to; edit its description instead",
            task.id
        )));
    }
    let id = sqlx::query("INSERT INTO task_feedback (project_id, task_id, remark, created_at) VALUES (?, ?, ?, ?)")
        .bind(project_id)
        .bind(&task.id)
        .bind(&text)
        .bind(now_ms())
        .execute(db.pool())
        .await?
        .last_insert_rowid();
    Ok(Remark { id, text })
}

/// The task's remarks no session took yet, oldest first.
pub async fn pending(db: &Db, project_id: &str, task_id: &str) -> CoreResult<Vec<Remark>> {
    let rows = sqlx::query(
        "SELECT id, remark FROM task_feedback WHERE project_id = ? AND task_id = ? AND session_id IS NULL ORDER BY id",
    )
    .bind(project_id)
    .bind(task_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| Ok(Remark { id: r.try_get("id")?, text: r.try_get("remark")? })).collect()
}

/// The task's latest agent conversation that can be continued: the agent CLI's session id, the folder it ran in,
/// and the adapter that read it.
pub async fn last_conversation(
    db: &Db,
    project_id: &str,
    task_id: &str,
    cwd: &str,
    kind: crate::agents::AgentKind,
) -> CoreResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT agent_session_id FROM sessions WHERE project_id = ? AND task_id = ? AND agent_session_id IS NOT NULL \
         AND cwd = ? AND agent_kind = ? ORDER BY started_at DESC, rowid DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(task_id)
    .bind(cwd)
    .bind(kind.as_str())
    .fetch_optional(db.pool())
    .await?)
}

/// Stores a remark for a running task only while its agent still works (its worktree row is `active`): once the
/// agent is done the worker switches the row to `merging` and answers any remark that came in before; after that a
/// remark is refused (`None`), so none is stored that no session would take.
pub async fn submit_while_working(
    db: &Db,
    project_id: &str,
    task_id: &str,
    remark: &str,
) -> CoreResult<Option<Remark>> {
    let text = validate(remark)?;
    let done = sqlx::query(&format!(
        "INSERT INTO task_feedback (project_id, task_id, remark, created_at) SELECT ?, ?, ?, ? WHERE EXISTS \
         (SELECT 1 FROM worktrees WHERE project_id = ? AND task_id = ? AND status IN {})",
        crate::store::records::sql(&[WorktreeStatus::Creating, WorktreeStatus::Active])
    ))
    .bind(project_id)
    .bind(task_id)
    .bind(&text)
    .bind(now_ms())
    .bind(project_id)
    .bind(task_id)
    .execute(db.pool())
    .await?;
    Ok((done.rows_affected() > 0).then(|| Remark { id: done.last_insert_rowid(), text }))
}

/// Drops the task's remarks no session took (its work was discarded).
pub async fn withdraw_pending(db: &Db, project_id: &str, task_id: &str) -> CoreResult<()> {
    sqlx::query("DELETE FROM task_feedback WHERE project_id = ? AND task_id = ? AND session_id IS NULL")
        .bind(project_id)
        .bind(task_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Takes back a remark no session took (its delivery was refused).
pub async fn withdraw(db: &Db, id: i64) -> CoreResult<()> {
    sqlx::query("DELETE FROM task_feedback WHERE id = ? AND session_id IS NULL").bind(id).execute(db.pool()).await?;
    Ok(())
}

/// The remarks were handed to `session_id`.
pub async fn taken(db: &Db, remarks: &[Remark], session_id: &str) -> CoreResult<()> {
    for r in remarks {
        sqlx::query("UPDATE task_feedback SET session_id = ?, taken_at = ? WHERE id = ? AND session_id IS NULL")
            .bind(session_id)
            .bind(now_ms())
            .bind(r.id)
            .execute(db.pool())
            .await?;
    }
    Ok(())
}

/// The remarks as one text (several sent before the agent could take them are numbered).
pub fn joined(remarks: &[Remark]) -> String {
    match remarks {
        [one] => one.text.clone(),
        many => many.iter().enumerate().map(|(i, r)| format!("{}. {}", i + 1, r.text)).collect::<Vec<_>>().join("\n\n"),
    }
}

/// What the agent is told when it continues its own conversation.
pub fn resume_prompt(task: &Task, remarks: &[Remark]) -> String {
    format!(
        "Feedback from a person on your work for task {} ({}):\n\n{}\n\nContinue on the same branch in this \
         folder: make the changes asked for, keep the project building, and commit your work.\n",
        task.id,
        task.title,
        joined(remarks)
    )
}

/// What a new session is told: the task's own prompt, then the remark.
pub fn fresh_prompt(task_prompt: &str, remarks: &[Remark]) -> String {
    format!(
        "{task_prompt}\n## Feedback on the earlier attempt\n\nAn agent already worked on this task (its work is in this \
         branch's history). A person reviewed the work and asks:\n\n{}\n",
        joined(remarks)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remarks_are_checked() {
        assert_eq!(validate("  also the empty cart \n").unwrap(), "also the empty cart");
        assert!(validate("   ").is_err());
        assert!(validate("a\u{1b}[2Jb").is_err());
        assert!(validate(&"x".repeat(MAX_REMARK + 1)).is_err());
        assert!(validate("line one\n\tline two").is_ok());
    }

    #[test]
    fn several_remarks_are_numbered() {
        let r = |id, t: &str| Remark { id, text: t.into() };
        assert_eq!(joined(&[r(1, "a")]), "a");
        assert_eq!(joined(&[r(1, "a"), r(2, "b")]), "1. a\n\n2. b");
        let t = Task::for_tests("cart", &[], TaskStatus::Review);
        let p = resume_prompt(&t, &[r(1, "also the empty cart")]);
        assert!(p.contains("task cart (Title cart)") && p.contains("also the empty cart") && p.contains("commit"));
        assert!(fresh_prompt("# Task cart\n", &[r(1, "x")]).starts_with("# Task cart\n\n## Feedback"));
    }
}
