//! The SQLite database: opening it (WAL, busy timeout, foreign keys) and applying the embedded migrations.
//! Queries live with the concept they serve (`project`, `tasks`, `import`, ...), each taking a `&Db`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::{CoreError, CoreResult};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A handle to the database; cheap to clone (it wraps a connection pool).
#[derive(Clone, Debug)]
pub struct Db {
    pool: SqlitePool,
    path: PathBuf,
}

impl Db {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub async fn open(path: &Path) -> CoreResult<Db> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Db { pool, path: path.to_path_buf() })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// An SQL list of status values, `('a', 'b')`, for `IN`: the values come from the status enums' `as_str` (plain
/// words, never user text), so each status is spelled in one place.
pub fn sql_list(values: &[&str]) -> String {
    debug_assert!(values.iter().all(|v| v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')));
    let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    format!("({})", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn opens_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("nested/y.db")).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(db.pool()).await.unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(db.pool()).await.unwrap();
        assert_eq!(fk, 1);
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .fetch_all(db.pool())
                .await
                .unwrap();
        for t in ["epics", "expertise", "projects", "runs", "sessions", "task_dependencies", "tasks", "worktrees"] {
            assert!(tables.iter().any(|x| x == t), "missing table {t}: {tables:?}");
        }
        db.close().await;
        // Re-opening applies no migration twice.
        Db::open(&dir.path().join("nested/y.db")).await.unwrap();
    }
}
