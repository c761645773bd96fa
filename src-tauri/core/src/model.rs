//! The domain types shared by the core, the CLI and (through generated TypeScript) the window.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a task stands. The four kanban columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Backlog,
    InProgress,
    Review,
    Done,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 4] =
        [TaskStatus::Backlog, TaskStatus::InProgress, TaskStatus::Review, TaskStatus::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Backlog => "backlog",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Review => "review",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The column heading shown to people.
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Backlog => "Backlog",
            TaskStatus::InProgress => "In Progress",
            TaskStatus::Review => "Review",
            TaskStatus::Done => "Done",
        }
    }
}

/// How a run starts its tasks. Stored in `runs.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    /// Several agents at once, each in its own worktree.
    Parallel,
    /// One task at a time.
    Sequential,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Parallel => "parallel",
            RunMode::Sequential => "sequential",
        }
    }

    /// The mode of a run with `workers` agents at once.
    pub fn for_workers(workers: u32) -> RunMode {
        if workers <= 1 {
            RunMode::Sequential
        } else {
            RunMode::Parallel
        }
    }
}

/// Where a run stands. Stored in `runs.status`; the last three end a run, `interrupted` is what recovery writes
/// for a run whose process died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Paused,
    /// Ended because nothing more could start (everything done, or blocked behind Review).
    Finished,
    Failed,
    Cancelled,
    Interrupted,
}

impl RunStatus {
    /// A run that is going (its process may have died: recovery decides).
    pub const LIVE: [RunStatus; 2] = [RunStatus::Running, RunStatus::Paused];

    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Paused => "paused",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// How an agent session ended (the `sessions.outcome` values other than `running` and `interrupted`, which only the
/// database holds: a session still going, and one whose process died with its run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
pub enum SessionOutcome {
    /// Exit 0 and the branch has commits that the target does not.
    #[serde(rename = "succeeded")]
    Changed,
    /// Exit 0 but no change at all, even after committing what was left in the worktree.
    #[serde(rename = "no_changes")]
    NoChange,
    /// A non-zero exit (or a signal).
    #[serde(rename = "failed")]
    Failed,
    #[serde(rename = "timed_out")]
    TimedOut,
    #[serde(rename = "cancelled")]
    Cancelled,
    /// The agent's CLI refused it a tool it asked for (see the session's denials): its work is unfinished.
    #[serde(rename = "refused")]
    Refused,
}

impl SessionOutcome {
    /// The `sessions.outcome` of a session still going.
    pub const RUNNING: &'static str = "running";
    /// The `sessions.outcome` of a session whose process died with its run (recovery).
    pub const INTERRUPTED: &'static str = "interrupted";

    /// The `sessions.outcome` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionOutcome::Changed => "succeeded",
            SessionOutcome::NoChange => "no_changes",
            SessionOutcome::Failed => "failed",
            SessionOutcome::TimedOut => "timed_out",
            SessionOutcome::Cancelled => "cancelled",
            SessionOutcome::Refused => "refused",
        }
    }
}

#[cfg(test)]
impl Task {
    /// A task for unit tests: titled `Title <id>`, 10 minutes of effort, nothing else set.
    pub(crate) fn for_tests(id: &str, deps: &[&str], status: TaskStatus) -> Task {
        Task {
            id: id.into(),
            title: format!("Title {id}"),
            description: String::new(),
            epic: None,
            status,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            files: vec![],
            predicted_files: vec![],
            effort_minutes: 10,
            priority: 0,
            review_reason: None,
            conflict_warning: None,
            cost_usd: None,
            agent_ms: None,
        }
    }
}

/// A registered git repository.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub repo_path: String,
    pub target_branch: String,
    pub tasks_file: Option<String>,
    /// The agent's argv template; `None` means the default agent.
    pub agent_command: Option<Vec<String>>,
    /// The project's test command; `None` means nothing is tested before a merge.
    pub test_command: Option<Vec<String>>,
    /// Run in each new task worktree before its agent (and in the gate's worktree when it or a lockfile changed).
    pub setup_command: Option<Vec<String>>,
    /// Run in a worktree before it is removed.
    pub cleanup_command: Option<Vec<String>>,
    /// Ignored (or untracked) files of the main checkout copied into each worktree (patterns, `/`-separated).
    pub worktree_include: Vec<String>,
    /// Like `worktree_include`, but linked: the worktree's own folders holding the checkout's files (clones, else
    /// hard links), cheap for large dependency folders ([`crate::workspace::prepare`]).
    pub worktree_link: Vec<String>,
    pub max_worktrees: u32,
    /// Each worker slot keeps one worktree and resets it between tasks (ignored build outputs survive).
    pub reuse_worktrees: bool,
    pub is_demo: bool,
    #[ts(type = "number")]
    pub created_at: i64,
}

/// A project with its task counts, for lists.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct ProjectSummary {
    pub project: Project,
    pub task_count: u32,
    pub done_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Epic {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// A file the plan engine expects a task to touch, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PredictedFile {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub description: String,
    pub epic: Option<String>,
    pub status: TaskStatus,
    pub depends_on: Vec<String>,
    /// Paths or globs declared in the tasks file.
    pub files: Vec<String>,
    pub predicted_files: Vec<PredictedFile>,
    pub effort_minutes: u32,
    pub priority: i32,
    pub review_reason: Option<String>,
    /// A conflict predicted while the task is in progress (JSON list of `{other, files}`; `other` is a task id or
    /// `target`); cleared when the task lands or leaves in-progress.
    pub conflict_warning: Option<String>,
    /// What the task's agent sessions cost so far, in US dollars, when the agent reports cost.
    pub cost_usd: Option<f64>,
    /// How long the task's agents worked, over its ended sessions (ms; interrupted ones left out): kept after its
    /// run, unlike the live view.
    #[ts(type = "number | null")]
    pub agent_ms: Option<u64>,
}

/// Everything the board needs about one project, in one call.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
pub struct Board {
    pub project: Project,
    pub epics: Vec<Epic>,
    pub tasks: Vec<Task>,
    /// The board's columns, in order, with their headings (the window draws these, it keeps no copy).
    pub columns: Vec<BoardColumn>,
}

/// One kanban column: the status it holds and its heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BoardColumn {
    pub status: TaskStatus,
    pub label: String,
}

impl BoardColumn {
    /// Every column, in the order of `TaskStatus::ALL`.
    pub fn all() -> Vec<BoardColumn> {
        TaskStatus::ALL.iter().map(|&status| BoardColumn { status, label: status.label().to_string() }).collect()
    }
}

/// Milliseconds since the Unix epoch: the unit of every timestamp in the database.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// Which of a project's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CommandKind {
    /// The agent's argv template.
    Agent,
    /// The test command run on every merged tree.
    Test,
    /// The setup command run in each new worktree.
    Setup,
    /// The cleanup command run before a worktree is removed.
    Cleanup,
}

impl CommandKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommandKind::Agent => "agent",
            CommandKind::Test => "test",
            CommandKind::Setup => "setup",
            CommandKind::Cleanup => "cleanup",
        }
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            CommandKind::Agent => "agent command",
            CommandKind::Test => "test command",
            CommandKind::Setup => "setup command",
            CommandKind::Cleanup => "cleanup command",
        }
    }
}

/// What a task's work is predicted to conflict with: the target branch, or another running task's branch (a task may
/// be called `target`: the two never mix).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConflictWith {
    Target,
    Task { id: String },
}

impl std::fmt::Display for ConflictWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConflictWith::Target => f.write_str("the target branch"),
            ConflictWith::Task { id } => f.write_str(id),
        }
    }
}

/// One entry of a running task's conflict flag (`tasks.conflict_warning`, a JSON list of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConflictFlag {
    pub other: ConflictWith,
    pub files: Vec<String>,
}

/// A run of the project going right now, in this process or another: whoever holds the project's run claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveRun {
    /// The run's id; `None` while its holder has not written the run's row yet (the run is starting).
    pub run_id: Option<String>,
    /// The process that holds the claim.
    pub pid: i64,
}

impl std::fmt::Display for LiveRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.run_id {
            Some(id) => write!(f, "run {id}, process {}", self.pid),
            None => write!(f, "a run starting, process {}", self.pid),
        }
    }
}
