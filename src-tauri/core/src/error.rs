//! The core's error type. Callers branch on its variants; the UI receives `{code, message}` ([`ErrorDto`]) and
//! matches on `code`, never on the message text.

use std::fmt;

use serde::Serialize;
use ts_rs::TS;

pub type CoreResult<T> = Result<T, CoreError>;

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("{}", format_issues(.file, .issues))]
    InvalidTaskFile { file: String, issues: Vec<TaskFileIssue> },
    #[error("{what} `{id}` not found")]
    NotFound { what: &'static str, id: String },
    #[error("`{path}` is not inside a git repository (run `git init` there first)")]
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
    #[error("branch `{branch}` has {commits} commit(s) not on the target branch; it was kept so no work is lost")]
    UnmergedWork { branch: String, commits: usize },
    #[error("conflict markers are still present in: {}", .files.join(", "))]
    UnresolvedConflicts { files: Vec<String> },
    #[error("the target branch `{target}` kept moving during {attempts} merge attempts; try again")]
    TargetContended { target: String, attempts: u32 },
    #[error(
        "the agent command `{program}` was not found on PATH; install it, or configure another agent with \
         `yokeflow run --agent '[\"aider\",\"--message\",\"{{prompt}}\"]'` (saved on the project) or in the \
         window's settings"
    )]
    AgentNotFound { program: String },
    /// The project's sandbox is on and cannot confine a program here: nothing runs unconfined instead.
    #[error(
        "the sandbox cannot start: {why}. Install bubblewrap (`apt-get install bubblewrap`), or turn the sandbox off \
         for this project (`yokeflow config set sandbox off`; agents and tests then run unconfined)"
    )]
    SandboxUnavailable { why: String },
    #[error(
        "the test command's program `{program}` was not found (nothing was started): install it, or set another \
         test command with `yokeflow run --test-cmd '[\"cargo\",\"test\"]'`"
    )]
    TestCommandNotFound { program: String },
    #[error("{done} of {total} tasks reached Done; the rest are in Review or blocked (see the report above)")]
    RunIncomplete { done: u32, total: u32 },
    #[error("a run of this project is already in progress ({run})")]
    RunInProgress { run: crate::model::LiveRun },
    #[error("no run of this project is in progress")]
    NoActiveRun,
    /// A command that came from the repository's tasks file, which no person has approved (as this exact argv).
    #[error(
        "the project's tasks file asks YokeFlow to run the {} {}, which you have not approved; review it and \
         approve it with `yokeflow allow` (or Approve in the window)",
        .kind.label(),
        serde_json::to_string(.argv).unwrap_or_default()
    )]
    CommandNotApproved { kind: crate::model::CommandKind, argv: Vec<String> },
    /// The plan engine refused: a cycle, an unknown dependency, an empty task list or a refused edit.
    #[error("{0}")]
    Plan(#[from] PlanError),
    /// A manual move on the board (a card to another column or worktree) that would break the plan.
    #[error("{reason}")]
    MoveRefused { reason: String },
    /// A task's worktree does not have the task's own branch checked out (its agent moved HEAD): YokeFlow commits
    /// nothing there, and the task waits in Review.
    #[error(
        "the task's worktree {path} has {found} checked out instead of its own branch `{branch}` (its agent moved \
         it); YokeFlow committed nothing there, and nothing of it goes to the merge gate"
    )]
    NotOnTaskBranch { path: String, branch: String, found: String },
    /// A task's branch was deleted while the task had work on it (by another process): what its worktree held is
    /// kept under `rescued`, and the task waits in Review; the run goes on.
    #[error(
        "the task's branch `{branch}` was deleted by something other than YokeFlow (another agent?); {}",
        match .rescued {
            Some(r) => format!("what its worktree held is kept in `{r}` (`git log -p {r}` shows it)"),
            None => "its worktree held nothing to keep".to_string(),
        }
    )]
    BranchGone { branch: String, rescued: Option<String> },
    /// A command that changes what a person decided, called from inside an agent's session.
    #[error(
        "`yokeflow {command}` changes what the person decided and is refused inside an agent's session (this \
         process runs under YokeFlow's agent session {session}); ask the person to run it"
    )]
    RefusedInAgentSession { command: String, session: String },
    /// There is nothing to plan (no tasks, or every task is done); the message says which.
    #[error("{0}")]
    NothingToPlan(String),
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
            CoreError::UnmergedWork { .. } => "unmerged_work",
            CoreError::UnresolvedConflicts { .. } => "unresolved_conflicts",
            CoreError::TargetContended { .. } => "target_contended",
            CoreError::AgentNotFound { .. } => "agent_not_found",
            CoreError::SandboxUnavailable { .. } => "sandbox_unavailable",
            CoreError::TestCommandNotFound { .. } => "test_command_not_found",
            CoreError::RunIncomplete { .. } => "run_incomplete",
            CoreError::RunInProgress { .. } => "run_in_progress",
            CoreError::NoActiveRun => "no_active_run",
            CoreError::CommandNotApproved { .. } => "command_not_approved",
            CoreError::MoveRefused { .. } => "move_refused",
            CoreError::Plan(e) => match e {
                PlanError::Cycle { .. } => "plan_cycle",
                PlanError::UnknownDependency { .. } => "plan_unknown_dependency",
                PlanError::DuplicateTask { .. } => "plan_duplicate_task",
                PlanError::Empty => "plan_empty",
                PlanError::InvalidEdit { .. } => "plan_invalid_edit",
            },
            CoreError::NothingToPlan(_) => "plan_empty",
            CoreError::NotOnTaskBranch { .. } => "not_on_task_branch",
            CoreError::BranchGone { .. } => "branch_gone",
            CoreError::RefusedInAgentSession { .. } => "refused_in_agent_session",
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ErrorDto {
    pub code: String,
    pub message: String,
}

/// One problem found in a tasks file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct TaskFileIssue {
    /// The task's id when known.
    pub task: Option<String>,
    /// Where it sits, e.g. `tasks[3]` or `epics[0]`; `None` for the whole file.
    pub location: Option<String>,
    /// The field at fault, e.g. `depends_on`.
    pub field: Option<String>,
    /// Line number (1-based) for syntax errors.
    pub line: Option<u32>,
    pub message: String,
}

impl fmt::Display for TaskFileIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        match (&self.task, &self.location) {
            (Some(task), Some(loc)) => write!(f, "task `{task}` ({loc})")?,
            (None, Some(loc)) => write!(f, "{loc}")?,
            (Some(task), None) => write!(f, "task `{task}`")?,
            (None, None) => {}
        }
        if let Some(field) = &self.field {
            let sep = if self.task.is_some() || self.location.is_some() { ", " } else { "" };
            write!(f, "{sep}field `{field}`")?;
        }
        if self.task.is_some() || self.location.is_some() || self.field.is_some() {
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Why a plan could not be built or an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The tasks on the cycle, in order: each depends on the next, the last on the first.
    #[error("dependency cycle: {}", cycle_text(.tasks))]
    Cycle { tasks: Vec<String> },
    #[error("task `{task}` depends on `{dependency}`, which does not exist")]
    UnknownDependency { task: String, dependency: String },
    #[error("task id `{id}` is used more than once")]
    DuplicateTask { id: String },
    #[error("the project has no tasks")]
    Empty,
    #[error("{reason}")]
    InvalidEdit { reason: String },
}

fn cycle_text(tasks: &[String]) -> String {
    tasks.iter().chain(tasks.first()).map(String::as_str).collect::<Vec<_>>().join(" -> ")
}
