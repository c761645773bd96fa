//! The recorded agent sessions of a task, with their transcripts: what `yokeflow log`, the task pane and the
//! Review pane show. Rows come from the `sessions` table ([`crate::run::agent`] writes them), entries from each session's
//! transcript file.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use crate::agents::transcript::{self, Denial, Entry};
use crate::agents::AgentKind;
use crate::error::{CoreError, CoreResult};
use crate::store::db::Db;

/// Where a session is: still going, ended one way or another, or cut off by a crash of its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    Running,
    /// Exit 0 and the branch has commits the target does not.
    Succeeded,
    NoChanges,
    Failed,
    TimedOut,
    Cancelled,
    /// The agent's CLI refused it a tool (see `denials`).
    Refused,
    /// Its run was killed or crashed while it went; recovery ended it.
    Interrupted,
}

impl SessionState {
    pub fn parse(s: &str) -> Option<SessionState> {
        Some(match s {
            "running" => SessionState::Running,
            "succeeded" => SessionState::Succeeded,
            "no_changes" => SessionState::NoChanges,
            "failed" => SessionState::Failed,
            "timed_out" => SessionState::TimedOut,
            "cancelled" => SessionState::Cancelled,
            "refused" => SessionState::Refused,
            "interrupted" => SessionState::Interrupted,
            _ => return None,
        })
    }
}

/// One agent session of a task and what it did. The JSON shape is a contract (`yokeflow log --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionLog {
    pub session_id: String,
    /// The agent CLI's own session id (what a follow-up resumes).
    pub agent_session_id: Option<String>,
    pub outcome: SessionState,
    pub agent_kind: Option<AgentKind>,
    #[ts(type = "number")]
    pub started_at: i64,
    #[ts(type = "number | null")]
    pub ended_at: Option<i64>,
    pub exit_code: Option<i32>,
    pub cost_usd: Option<f64>,
    #[ts(type = "number | null")]
    pub input_tokens: Option<i64>,
    #[ts(type = "number | null")]
    pub output_tokens: Option<i64>,
    pub turns: Option<u32>,
    pub denials: Vec<Denial>,
    /// For each refused tool, the rule that would allow it (`Bash(npm install:*)`), without repeats.
    pub suggested_rules: Vec<String>,
    /// The person's follow-up this session answered, if it was one.
    pub remark: Option<String>,
    /// It ran in the sandbox (confined to its worktree); false: not confined.
    pub sandboxed: bool,
    /// The raw output, as printed.
    pub log_path: Option<String>,
    /// The newest entries of the transcript (all of them when there are few; see `entries_total`).
    pub entries: Vec<Entry>,
    /// How many entries the transcript holds in all.
    pub entries_total: u32,
}

/// A task's sessions, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskLog {
    pub task_id: String,
    pub sessions: Vec<SessionLog>,
    /// All sessions' cost together (`None` when no session reported one).
    pub cost_usd: Option<f64>,
}

/// The most entries of one session read back for `yokeflow log` (the newest are kept; the file has them all).
pub const MAX_ENTRIES_SHOWN: usize = 5_000;

/// The most entries of one session the window is sent: it shows the newest few hundred of a session.
pub const WINDOW_ENTRIES: usize = 400;

/// The sessions of a task with their transcripts (the last [`MAX_ENTRIES_SHOWN`] entries of each).
pub async fn task_log(db: &Db, project_id: &str, task_id: &str) -> CoreResult<TaskLog> {
    task_log_with(db, project_id, task_id, MAX_ENTRIES_SHOWN).await
}

/// The sessions of a task with at most the newest `max_entries` entries of each transcript.
pub async fn task_log_with(db: &Db, project_id: &str, task_id: &str, max_entries: usize) -> CoreResult<TaskLog> {
    let known: Option<String> = sqlx::query_scalar("SELECT id FROM tasks WHERE project_id = ? AND id = ?")
        .bind(project_id)
        .bind(task_id)
        .fetch_optional(db.pool())
        .await?;
    if known.is_none() {
        return Err(CoreError::NotFound { what: "task", id: task_id.to_string() });
    }
    let rows = sqlx::query(
        "SELECT id, agent_session_id, outcome, agent_kind, started_at, ended_at, exit_code, cost_usd, input_tokens, \
                output_tokens, turns, denials, remark, sandboxed, log_path, transcript_path \
         FROM sessions WHERE project_id = ? AND task_id = ? ORDER BY started_at, rowid",
    )
    .bind(project_id)
    .bind(task_id)
    .fetch_all(db.pool())
    .await?;
    let mut sessions = Vec::with_capacity(rows.len());
    for r in rows {
        let outcome: String = r.try_get("outcome")?;
        let kind: Option<String> = r.try_get("agent_kind")?;
        let denials: Option<String> = r.try_get("denials")?;
        let transcript_path: Option<String> = r.try_get("transcript_path")?;
        let (entries, total) = match transcript_path {
            Some(path) => {
                let path = std::path::PathBuf::from(path);
                tokio::task::spawn_blocking(move || transcript::read_last(&path, max_entries))
                    .await
                    .map_err(|e| CoreError::InvalidInput(format!("reading a transcript failed: {e}")))??
            }
            None => (Vec::new(), 0),
        };
        let entries_total = total.min(u32::MAX as usize) as u32;
        let denials: Vec<Denial> = denials.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default();
        let mut suggested_rules: Vec<String> = Vec::new();
        for rule in denials.iter().filter_map(crate::agents::permissions::suggested_rule) {
            if !suggested_rules.contains(&rule) {
                suggested_rules.push(rule);
            }
        }
        sessions.push(SessionLog {
            session_id: r.try_get("id")?,
            agent_session_id: r.try_get("agent_session_id")?,
            outcome: SessionState::parse(&outcome)
                .ok_or_else(|| CoreError::InvalidInput(format!("stored session outcome `{outcome}` is unknown")))?,
            agent_kind: kind.as_deref().and_then(AgentKind::parse),
            started_at: r.try_get("started_at")?,
            ended_at: r.try_get("ended_at")?,
            exit_code: r.try_get("exit_code")?,
            cost_usd: r.try_get("cost_usd")?,
            input_tokens: r.try_get("input_tokens")?,
            output_tokens: r.try_get("output_tokens")?,
            turns: r.try_get::<Option<i64>, _>("turns")?.map(|t| t.clamp(0, u32::MAX as i64) as u32),
            denials,
            suggested_rules,
            remark: r.try_get("remark")?,
            sandboxed: r.try_get("sandboxed")?,
            log_path: r.try_get("log_path")?,
            entries,
            entries_total,
        });
    }
    let costs: Vec<f64> = sessions.iter().filter_map(|s| s.cost_usd).collect();
    let cost_usd = (!costs.is_empty()).then(|| costs.iter().sum());
    Ok(TaskLog { task_id: task_id.to_string(), sessions, cost_usd })
}

/// What a run's sessions cost together (`None` when none reported a cost).
pub async fn run_cost(db: &Db, run_id: &str) -> CoreResult<Option<f64>> {
    Ok(sqlx::query_scalar("SELECT SUM(cost_usd) FROM sessions WHERE run_id = ?")
        .bind(run_id)
        .fetch_one(db.pool())
        .await?)
}
