//! The `yokeflow` command line: argument parsing and printing over the core's functions. It holds no logic of
//! its own; every command calls one core function and formats the result (a table, or JSON with `--json`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::model::TaskStatus;
use crate::store::db::Db;
use crate::sys::paths;
use output::emit;

mod expertise_cmd;
mod init_cmd;
mod output;
mod plan_cmd;
mod project_cmd;
mod run_cmd;
mod task_cmd;
mod work_cmd;

pub use project_cmd::{ConfigAction, PermissionsAction};

#[derive(Debug, Parser)]
#[command(
    name = "yokeflow",
    version,
    about = "Run AI coding agents in parallel git worktrees and merge their work safely"
)]
pub struct Cli {
    /// The SQLite database file [default: the app-data folder's yokeflow.db]
    #[arg(long, global = true, env = "YOKEFLOW_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The project's git repository [default: the repository of the current directory]
    #[arg(long, global = true, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Register a git repository as a project; with --spec, bootstrap it from an app spec
    Init {
        /// The repository [default: --repo or the current directory]
        repo: Option<PathBuf>,
        /// Bootstrap from this app spec (Markdown): create the folder and repository if needed, copy the
        /// template, generate CLAUDE.md, add an expert per domain, commit init's files
        #[arg(long, value_name = "PATH")]
        spec: Option<PathBuf>,
        /// With --spec: use this template folder instead of the built-in one
        #[arg(long, value_name = "DIR", requires = "spec")]
        template: Option<PathBuf>,
    },
    /// Import a tasks file (yokeflow.yaml or .json) into the project; nothing is written if it has errors
    Import { file: PathBuf },
    /// Show the project's tasks by status
    Status,
    /// Move a task to another column by hand, as a drag on the board does; refused (and nothing written) when it
    /// would break the plan or while a run of the project goes
    Move {
        /// The task's id
        task: String,
        /// The column: backlog, review or done (in_progress is only ever set by a run)
        #[arg(long, value_name = "STATUS", value_parser = parse_status)]
        to: TaskStatus,
    },
    /// Show the commands the project's tasks file asks YokeFlow to run (its agent and test command) and approve
    /// them as they are now; a run refuses a stored command that no one approved (a changed one needs it again)
    Allow {
        /// Only show what would be approved
        #[arg(long)]
        dry_run: bool,
    },
    /// Show a task's agent sessions: what each agent said and did (tool calls, results, refusals), its cost
    Log {
        /// The task's id
        task: String,
        /// Show instead the end of the test log of its latest attempt (when the merge gate's tests failed on it)
        #[arg(long)]
        tests: bool,
    },
    /// Discard a task's work (in Review, or kept from an interrupted run): its worktree and uncommitted changes
    /// go, its branch is kept out of sight under refs/yokeflow/discarded/, and the task goes back to the Backlog
    Discard {
        /// The task's id
        task: String,
        /// Confirm: without it, only says what would be discarded
        #[arg(long)]
        yes: bool,
    },
    /// Show what a task changed against its merge base with the target (its worktree while it runs, its kept
    /// branch in Review, the landed commit once Done)
    Diff {
        /// The task's id
        task: String,
        /// Only the files and their line counts
        #[arg(long)]
        stat: bool,
    },
    /// Send a person's remark back to a task's agent: it continues its own conversation where its CLI can (else a
    /// new session gets the task and the remark), in the task's worktree; the work then goes through the merge
    /// gate. A task in Review or Done runs again in a run of its own (followed here; for a Done task, a follow-up
    /// from the target, which holds its work); a running one answers the remark when its agent stops
    Feedback {
        /// The task's id
        task: String,
        /// What the agent should change
        text: String,
        /// Stop an agent after this many seconds (its task goes to Review)
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
    },
    /// Land tasks waiting in Review through the merge gate without running their agents again: tested on the
    /// merged tree, then landed (e.g. once a checkout of the target that could not follow is committed or stashed)
    Land {
        /// The tasks' ids
        #[arg(required = true)]
        tasks: Vec<String>,
    },
    /// Show or change the project's settings: agent, test_command, setup, cleanup, worktree_include, worktree_link,
    /// max_worktrees, reuse_worktrees, agent_timeout_secs, max_cost_usd (commands and patterns as JSON lists;
    /// `none` clears)
    Config {
        #[command(subcommand)]
        action: Option<ConfigAction>,
    },
    /// The tools the project's agents may use without asking, beyond editing files: list, allow, revoke
    Permissions {
        #[command(subcommand)]
        action: Option<PermissionsAction>,
    },
    /// List the registered projects
    Projects,
    /// Create (or show) the bundled demo project
    Demo,
    /// Open the window (the default when no command is given)
    App,
    /// Add, change or remove a task (the tasks file follows); the plan is rebuilt
    Task(task_cmd::TaskArgs),
    /// Add an epic (the tasks file follows)
    Epic(task_cmd::EpicArgs),
    /// Run the project's tasks with agents in parallel worktrees, merging each through the gate
    Run(run_cmd::RunArgs),
    /// Build, show, edit or simulate the execution plan (batches, worktrees, predicted conflicts)
    Plan(plan_cmd::PlanArgs),
    /// Expertise files: import, export, list, add, route a task, conflicts
    Expertise(expertise_cmd::ExpertiseArgs),
    /// Live two-way sync of the expertise files with the database, until Ctrl-C (no window needed)
    Watch,
}

/// Runs a parsed command line; returns the process exit code. Output goes to `out`, errors to `err`.
pub async fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let json = cli.json;
    match execute(cli, out).await {
        Ok(()) => 0,
        Err(e) => {
            if json {
                let _ = writeln!(err, "{}", serde_json::json!({ "error": e.to_dto() }));
            } else if matches!(e, CoreError::NotARepository { .. }) {
                // The core's message is the window's too; the flag is the command line's own way out.
                let _ = writeln!(err, "error: {e}; or name the repository with --repo PATH");
            } else {
                let _ = writeln!(err, "error: {e}");
            }
            1
        }
    }
}

fn parse_status(text: &str) -> Result<TaskStatus, String> {
    TaskStatus::parse(&text.replace('-', "_"))
        .ok_or_else(|| format!("`{text}` is not a column (backlog, in_progress, review, done)"))
}

fn repo_dir(cli_repo: Option<PathBuf>) -> CoreResult<PathBuf> {
    match cli_repo {
        Some(p) => Ok(p),
        None => std::env::current_dir().map_err(|e| CoreError::io("cannot read the current directory", e)),
    }
}

impl Command {
    /// Whether the command only reads (it may run inside an agent's session); every other one changes what the
    /// person decided (settings, approvals, permissions, tasks, the plan, landings, runs) and is refused there.
    fn only_reads(&self) -> bool {
        match self {
            Command::Status | Command::Log { .. } | Command::Diff { .. } | Command::Projects => true,
            Command::Allow { dry_run } => *dry_run,
            Command::Discard { yes, .. } => !*yes,
            Command::Config { action } => matches!(action, None | Some(ConfigAction::Get { .. })),
            Command::Permissions { action } => matches!(action, None | Some(PermissionsAction::List)),
            Command::Plan(args) => {
                matches!(args.action, plan_cmd::PlanAction::Show | plan_cmd::PlanAction::Simulate { .. })
            }
            Command::Expertise(args) => matches!(
                args.command,
                expertise_cmd::ExpertiseCommand::List | expertise_cmd::ExpertiseCommand::Conflicts { .. }
            ),
            _ => false,
        }
    }

    /// The command's name as typed, for messages.
    fn name(&self) -> String {
        let debug = format!("{self:?}");
        let word = debug.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or("").to_ascii_lowercase();
        match self {
            Command::Config { .. } => "config set".into(),
            Command::Permissions { .. } => "permissions allow|revoke".into(),
            _ => word,
        }
    }
}

async fn execute(cli: Cli, out: &mut dyn Write) -> CoreResult<()> {
    let db_path = cli.db.clone().unwrap_or_else(paths::default_db_path);
    let json = cli.json;
    let command = cli.command.unwrap_or(Command::Status);
    // An agent (or anything it started) may read, never change what the person decided.
    if !command.only_reads() {
        if let Some(session) = crate::sys::process::agent_session() {
            return Err(CoreError::RefusedInAgentSession { command: command.name(), session });
        }
    }
    let api = Service::new(Db::open(&db_path).await?, paths::data_dir());
    let result = match command {
        Command::Init { repo, spec: Some(spec), template } => {
            let dir = repo_dir(repo.or(cli.repo))?;
            init_cmd::execute(&api, &dir, spec, template, json, out).await
        }
        Command::Init { repo, spec: None, .. } => {
            let dir = repo_dir(repo.or(cli.repo))?;
            project_cmd::register(&api, &dir, json, out).await
        }
        Command::Import { file } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            project_cmd::import(&api, &p, &file, json, out).await
        }
        Command::Status => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::status(&api, &p, json, out).await
        }
        Command::Move { task, to } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::move_task(&api, &p, task, to, json, out).await
        }
        Command::Allow { dry_run } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            project_cmd::allow(&api, &p, dry_run, json, out).await
        }
        Command::Log { task, tests } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::log(&api, &p, task, tests, json, out).await
        }
        Command::Discard { task, yes } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::discard(&api, &p, task, yes, json, out).await
        }
        Command::Diff { task, stat } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::diff(&api, &p, task, stat, json, out).await
        }
        Command::Feedback { task, text, timeout } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::feedback(&api, &p, task, text, timeout, json, out).await
        }
        Command::Task(args) => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            task_cmd::task(&api, &p, args, json, out).await
        }
        Command::Epic(args) => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            task_cmd::epic(&api, &p, args, json, out).await
        }
        Command::Land { tasks: ids } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            work_cmd::land(&api, &p, ids, json, out).await
        }
        Command::Config { action } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            project_cmd::config(&api, &p, action, json, out).await
        }
        Command::Permissions { action } => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            project_cmd::permissions(&api, &p, action, json, out).await
        }
        Command::Projects => project_cmd::projects(&api, json, out).await,
        Command::Demo => {
            let p = api.demo().await?;
            emit(out, json, &p, |o| writeln!(o, "demo project `{}` at {}", p.name, p.repo_path))
        }
        Command::App => {
            Err(CoreError::InvalidInput("this build of yokeflow has no window; use the desktop build".into()))
        }
        Command::Run(args) => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            run_cmd::execute(&api, &p, args, json, out).await
        }
        Command::Plan(args) => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            plan_cmd::execute(&api, &p, args, json, out).await
        }
        Command::Expertise(args) => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            expertise_cmd::execute(&api, &p, args, json, out).await
        }
        Command::Watch => {
            let p = api.project_at(&repo_dir(cli.repo)?).await?;
            expertise_cmd::watch(&api, &p, json, out).await
        }
    };
    api.db().close().await;
    result
}

/// Parses `args` (program name first) and runs them; used by the binary and by tests.
pub async fn run_args<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli, out, err).await,
        Err(e) => {
            let _ = write!(err, "{}", e.render());
            if e.use_stderr() {
                2
            } else {
                0
            }
        }
    }
}
