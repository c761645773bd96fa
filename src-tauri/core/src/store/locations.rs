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

/// How much of a test log's end is read for a person ([`TestLog::tail`]): why the tests failed is at the end.
pub const TEST_LOG_TAIL_BYTES: u64 = 64 * 1024;

/// The end of the test log of the task's latest attempt, when the merge gate found its tests failing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TestLog {
    pub path: String,
    /// The log's last lines (at most [`TEST_LOG_TAIL_BYTES`], from the start of a line), as text.
    pub tail: String,
    /// The log is longer than `tail`: its beginning is only in the file.
    pub truncated: bool,
    #[ts(type = "number")]
    pub size: u64,
}

/// The test log of the task's newest attempt (its newest worktree row), if the gate's tests failed on it.
pub async fn test_log(db: &Db, project_id: &str, task_id: &str) -> CoreResult<TestLog> {
    read_tail(&test_log_path(db, project_id, task_id).await?, TEST_LOG_TAIL_BYTES)
}

/// Where [`test_log`] reads from.
async fn test_log_path(db: &Db, project_id: &str, task_id: &str) -> CoreResult<PathBuf> {
    let path: Option<Option<String>> = sqlx::query_scalar(
        "SELECT test_log FROM worktrees WHERE project_id = ? AND task_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
    )
    .bind(project_id)
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?;
    path.flatten().map(PathBuf::from).filter(|p| p.is_file()).ok_or_else(|| missing("test log of task", task_id))
}

/// The last `max` bytes of a file, cut at a line start when the file is longer.
fn read_tail(path: &std::path::Path, max: u64) -> CoreResult<TestLog> {
    use std::io::{Read, Seek, SeekFrom};
    let io = |e| CoreError::io(format!("cannot read {}", path.display()), e);
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let from = size.saturating_sub(max);
    file.seek(SeekFrom::Start(from)).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes).map_err(io)?;
    let mut tail = String::from_utf8_lossy(&bytes).into_owned();
    if from > 0 {
        // The first line was cut: it starts after the first newline.
        tail = match tail.find('\n') {
            Some(i) => tail[i + 1..].to_string(),
            None => tail,
        };
    }
    Ok(TestLog { path: path.display().to_string(), tail, truncated: from > 0, size })
}

/// Where a task's work is on disk, for a person to open or copy: each path the database recorded that still exists.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TaskPlaces {
    /// The folder of its open worktree.
    pub worktree: Option<String>,
    /// Its agent's latest log.
    pub agent_log: Option<String>,
    /// The test log of its latest attempt, when the gate's tests failed on it.
    pub test_log: Option<String>,
}

pub async fn places(db: &Db, project_id: &str, task_id: &str) -> CoreResult<TaskPlaces> {
    let shown = |p: PathBuf| Some(p.display().to_string());
    Ok(TaskPlaces {
        worktree: worktree_dir(db, project_id, task_id).await.ok().and_then(shown),
        agent_log: latest_log(db, project_id, task_id).await.ok().and_then(shown),
        test_log: test_log_path(db, project_id, task_id).await.ok().and_then(shown),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_log_is_read_from_a_line_start_near_its_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.log");
        let lines: String = (0..100).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, &lines).unwrap();
        let whole = read_tail(&path, 10_000).unwrap();
        assert_eq!((whole.tail.as_str(), whole.truncated, whole.size), (lines.as_str(), false, lines.len() as u64));
        let end = read_tail(&path, 20).unwrap();
        assert!(end.truncated);
        assert_eq!(end.tail, "line 98\nline 99\n", "the cut line is left out");
        std::fs::write(&path, [b'a', 0xff, b'\n', b'b']).unwrap();
        assert_eq!(read_tail(&path, 100).unwrap().tail, "a\u{fffd}\nb", "bytes that are not UTF-8 are replaced");
    }
}
