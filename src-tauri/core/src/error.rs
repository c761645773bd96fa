//! The core's error type. Callers branch on its variants; the UI receives `{code, message}` ([`ErrorDto`]) and
//! matches on `code`, never on the message text.

use serde::Serialize;
use ts_rs::TS;

use crate::taskfile::TaskFileIssue;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{}", format_issues(.file, .issues))]
    InvalidTaskFile { file: String, issues: Vec<TaskFileIssue> },
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("`{path}` is not inside a git repository (run `git init` there first, or pass --repo)")]
    NotARepository { path: String },
    #[error("no project is registered for `{path}`; run `yokeflow init` there first")]
    ProjectNotRegistered { path: String },
    #[error("{0}")]
    InvalidInput(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("git error: {0}")]
    Git(#[from] git2::Error),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

fn format_issues(file: &str, issues: &[TaskFileIssue]) -> String {
    let mut out = format!(
        "{file}: {} problem{} found, nothing was imported:",
        issues.len(),
        if issues.len() == 1 { "" } else { "s" }
    );
    for issue in issues {
        out.push_str("\n  - ");
        out.push_str(&issue.to_string());
    }
    out
}

impl CoreError {
    /// A stable, machine-readable code for the UI and for `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::InvalidTaskFile { .. } => "invalid_task_file",
            CoreError::NotFound { .. } => "not_found",
            CoreError::NotARepository { .. } => "not_a_repository",
            CoreError::ProjectNotRegistered { .. } => "project_not_registered",
            CoreError::InvalidInput(_) => "invalid_input",
            CoreError::Database(_) | CoreError::Migration(_) => "database",
            CoreError::Git(_) => "git",
            CoreError::Io { .. } => "io",
        }
    }

    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        CoreError::Io { context: context.into(), source }
    }

    pub fn to_dto(&self) -> ErrorDto {
        ErrorDto { code: self.code().to_string(), message: self.to_string() }
    }
}

/// How an error crosses to the webview and to `--json` output.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
}
