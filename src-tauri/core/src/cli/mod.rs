//! The `yokeflow` command line: argument parsing and printing over the core's functions. It holds no logic of
//! its own; every command calls one core function and formats the result (a table, or JSON with `--json`).

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde::Serialize;

use crate::error::{CoreError, CoreResult};
use crate::model::{Task, TaskStatus};
use crate::store::db::Db;
use crate::{store::project, store::tasks, sys::paths, tasks::demo, tasks::import};
use output::{emit, printable, printable_patch};

mod expertise_cmd;
mod init_cmd;
mod output;
mod plan_cmd;
mod run_cmd;
mod task_cmd;

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

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Every setting, or one
    Get { key: Option<String> },
    /// Change one setting (checked first: the program exists, the patterns stay in the repository, …)
    Set {
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermissionsAction {
    /// Show every tool rule the agents get: the defaults, the test command, and the ones allowed here
    List,
    /// Allow a tool rule for this project's agents, e.g. 'Bash(npm install:*)' or WebFetch
    Allow { rule: String },
    /// Take back a rule allowed before
    Revoke { rule: String },
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

/// What `yokeflow move` did.
#[derive(Serialize)]
struct Moved<'a> {
    task: &'a str,
    status: TaskStatus,
    /// Set when the plan could not be rebuilt after the move (the move stands).
    plan_warning: Option<String>,
}

/// What `yokeflow allow` showed (and approved unless `--dry-run`).
#[derive(Serialize)]
struct Allowed<'a> {
    approved: bool,
    commands: &'a [crate::store::approvals::ProjectCommand],
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
    let db = Db::open(&db_path).await?;
    let result = match command {
        Command::Init { repo, spec: Some(spec), template } => {
            let dir = repo_dir(repo.or(cli.repo))?;
            let new = crate::tasks::register::is_new(&db, &dir).await;
            let done = init_cmd::execute(&db, &dir, spec, template, json, out).await;
            if done.is_ok() && new {
                let p = project::find_by_repo(&db, &dir).await?;
                crate::tasks::settings::adopt_sandbox_defaults(&db, &p.id).await?;
            }
            done
        }
        Command::Init { repo, spec: None, .. } => {
            let dir = repo_dir(repo.or(cli.repo))?;
            let p = crate::tasks::register::register(&db, &dir).await?;
            let sandbox = crate::tasks::settings::get(&db, &p.id).await?.sandbox;
            emit(out, json, &p, |o| {
                writeln!(o, "project `{}` registered for {} (target branch {})", p.name, p.repo_path, p.target_branch)?;
                match sandbox {
                    true => writeln!(o, "sandbox: on (agents and tests are confined to their worktree by bubblewrap)"),
                    false => writeln!(
                        o,
                        "sandbox: off (agents and tests are NOT confined; install bubblewrap, then `yokeflow config \
                         set sandbox on`)"
                    ),
                }
            })
        }
        Command::Import { file } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let s = import::import_file(&db, &p.id, &file).await?;
            emit(out, json, &s, |o| {
                writeln!(
                    o,
                    "imported {} into `{}`: {} added, {} updated, {} removed",
                    file.display(),
                    p.name,
                    s.added.len(),
                    s.updated.len(),
                    s.removed.len()
                )?;
                if !s.kept.is_empty() {
                    writeln!(o, "kept (not in the file, but already started): {}", s.kept.join(", "))?;
                }
                if let Some(warning) = &s.plan_warning {
                    writeln!(o, "warning: {warning}")?;
                }
                Ok(())
            })
        }
        Command::Status => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let list = tasks::list(&db, &p.id).await?;
            let disk = crate::workspace::worktree::disk_usage_of(std::path::Path::new(&p.repo_path)).await?;
            emit(out, json, &list, |o| {
                print_status(o, &p.name, &list)?;
                let h = crate::workspace::worktree::human_bytes;
                let slots = match disk.free_slots {
                    0 => String::new(),
                    n => format!(" (and {n} free slot(s) kept with their build outputs)"),
                };
                let caches = match disk.cache_bytes {
                    0 => String::new(),
                    n => format!(", the sandbox's package caches {}", h(n)),
                };
                writeln!(
                    o,
                    "on disk: {} worktree(s){slots} {}, the merge gate {}, logs {}{caches}",
                    disk.worktrees,
                    h(disk.worktree_bytes),
                    h(disk.gate_bytes),
                    h(disk.log_bytes)
                )
            })
        }
        Command::Move { task, to } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            // This process has no run: a move is stored, or refused while a run of another process goes.
            let runs = crate::run::runs::Runs::new(db.clone());
            let (_, plan_warning) = runs.set_task_status(&p.id, &task, to).await?;
            let moved = Moved { task: &task, status: to, plan_warning };
            emit(out, json, &moved, |o| {
                writeln!(o, "moved `{}` to {}", moved.task, to.as_str())?;
                match &moved.plan_warning {
                    Some(w) => writeln!(o, "warning: {w}"),
                    None => Ok(()),
                }
            })
        }
        Command::Allow { dry_run } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let pending = crate::store::approvals::pending(&db, &p).await?;
            if !dry_run {
                crate::store::approvals::approve_shown(&db, &p, &pending).await?;
            }
            let shown = Allowed { approved: !dry_run, commands: &pending };
            emit(out, json, &shown, |o| {
                if pending.is_empty() {
                    return writeln!(o, "nothing to approve: every command of `{}` is approved or built in", p.name);
                }
                for c in &pending {
                    let argv = serde_json::to_string(&c.argv).unwrap_or_default();
                    let verb = if dry_run { "not approved yet" } else { "approved" };
                    writeln!(o, "{verb}: the {} {argv}", c.kind.label())?;
                }
                Ok(())
            })
        }
        Command::Log { task, tests: true } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let log = crate::store::locations::test_log(&db, &p.id, &task).await?;
            emit(out, json, &log, |o| {
                let cut = if log.truncated { format!(", its last {} bytes", log.tail.len()) } else { String::new() };
                writeln!(o, "# {} ({} bytes{cut})", log.path, log.size)?;
                o.write_all(log.tail.as_bytes())
            })
        }
        Command::Log { task, tests: false } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let log = crate::agents::sessions::task_log(&db, &p.id, &task).await?;
            emit(out, json, &log, |o| print_log(o, &log))
        }
        Command::Discard { task, yes } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            if !yes {
                let diff = crate::gate::diff::task_diff(&db, &p.id, &task).await;
                let what = match &diff {
                    Ok(d) => format!("{} file(s) changed, +{} -{}", d.files.len(), d.additions, d.deletions),
                    Err(_) => "no work on disk".to_string(),
                };
                Err(CoreError::InvalidInput(format!(
                    "this would discard the work of `{task}` ({what}); run again with --yes to discard it"
                )))
            } else {
                let runs = crate::run::runs::Runs::new(db.clone());
                let done = runs.discard_work(&p.id, &task).await?;
                emit(out, json, &done, |o| {
                    match (&done.branch, &done.kept_at, &done.commit) {
                    (Some(branch), Some(kept), Some(commit)) => writeln!(
                        o,
                        "discarded the work of `{task}`: {branch} is gone from your branches; its commits stay at {kept} \
                         ({commit}); `git branch <name> {kept}` brings them back. The task is in the Backlog."
                    ),
                    _ => writeln!(o, "`{task}` had no work on disk; it is in the Backlog"),
                }
                })
            }
        }
        Command::Diff { task, stat } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let diff = crate::gate::diff::task_diff(&db, &p.id, &task).await?;
            emit(out, json, &diff, |o| {
                for f in &diff.files {
                    if stat {
                        let name = match &f.old_path {
                            Some(old) => format!("{} → {}", printable(old), printable(&f.path)),
                            None => printable(&f.path).into_owned(),
                        };
                        let counts =
                            if f.binary { "binary".to_string() } else { format!("+{} -{}", f.additions, f.deletions) };
                        writeln!(o, "{name:<60} {counts}")?;
                    } else if let Some(patch) = &f.patch {
                        write!(o, "{}", printable_patch(patch))?;
                    } else {
                        let why = if f.binary { "binary" } else { "too large to show" };
                        writeln!(o, "--- {} ({why}: +{} -{})", printable(&f.path), f.additions, f.deletions)?;
                    }
                }
                if diff.truncated {
                    writeln!(o, "… more files changed than are listed")?;
                }
                writeln!(o, "{} file(s) changed, +{} -{}", diff.files.len(), diff.additions, diff.deletions)
            })
        }
        Command::Feedback { task, text, timeout } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let runs = crate::run::runs::Runs::new(db.clone());
            let rx = runs.subscribe();
            let request = crate::run::runs::RunRequest {
                agent_timeout: timeout.map(|secs| std::time::Duration::from_secs(secs.max(1))),
                ..Default::default()
            };
            let (_, route, started) = runs.feedback(&p.id, &task, &text, request).await?;
            let io = |e| CoreError::io("cannot write output", e);
            match started {
                // A running task (maybe in another process) answers it when its agent stops.
                None => emit(out, json, &route, |o| {
                    writeln!(o, "`{task}` is running: its agent gets the feedback when it stops, before the merge gate")
                }),
                Some(started) => {
                    if !json {
                        writeln!(out, "`{task}` goes back to its agent with your feedback").map_err(io)?;
                    }
                    let report = run_cmd::follow(&db, &p, &runs, rx, started, json, out).await?;
                    let after = tasks::list(&db, &p.id).await?.into_iter().find(|t| t.id == task);
                    emit(out, json, &report, |o| write!(o, "\n{}", report.to_text()))?;
                    match after {
                        Some(t) if t.status == TaskStatus::Done => Ok(()),
                        Some(t) => Err(CoreError::InvalidInput(format!(
                            "`{task}` did not land: it is in {}{}",
                            t.status.label(),
                            t.review_reason.map(|r| format!(" ({r})")).unwrap_or_default()
                        ))),
                        None => Err(CoreError::NotFound { what: "task", id: task }),
                    }
                }
            }
        }
        Command::Task(args) => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            task_cmd::task(&db, &p, args, json, out).await
        }
        Command::Epic(args) => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            task_cmd::epic(&db, &p, args, json, out).await
        }
        Command::Land { tasks: ids } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let runs = crate::run::runs::Runs::new(db.clone());
            let rx = runs.subscribe();
            let started = runs.land(&p.id, &ids, crate::run::runs::RunRequest::default()).await?;
            let report = run_cmd::follow(&db, &p, &runs, rx, started, json, out).await?;
            emit(out, json, &report, |o| write!(o, "\n{}", report.to_text()))?;
            let after = tasks::list(&db, &p.id).await?;
            let unlanded: Vec<String> = after
                .iter()
                .filter(|t| ids.contains(&t.id) && t.status != TaskStatus::Done)
                .map(|t| {
                    let why = t.review_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
                    format!("`{}` is in {}{why}", t.id, t.status.label())
                })
                .collect();
            match unlanded.is_empty() {
                true => Ok(()),
                false => Err(CoreError::InvalidInput(format!("not landed: {}", unlanded.join("; ")))),
            }
        }
        Command::Config { action } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            let current = crate::tasks::settings::get(&db, &p.id).await?;
            let (settings, key) = match action.unwrap_or(ConfigAction::Get { key: None }) {
                ConfigAction::Get { key } => (current, key),
                ConfigAction::Set { key, value } => {
                    let next = crate::tasks::settings::set_from_text(current, &key, &value)?;
                    (crate::tasks::settings::save(&db, &p.id, &next).await?, Some(key))
                }
            };
            match key {
                Some(key) => {
                    let value = crate::tasks::settings::value_of(&settings, &key)?;
                    emit(out, json, &value, |o| writeln!(o, "{key} = {value}"))
                }
                None => emit(out, json, &settings, |o| {
                    for key in crate::tasks::settings::SettingKey::ALL {
                        let value = crate::tasks::settings::value_of(&settings, key.as_str()).unwrap_or_default();
                        writeln!(o, "{key:<20} {}", printable(&value.to_string()))?;
                    }
                    Ok(())
                }),
            }
        }
        Command::Permissions { action } => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            match action.unwrap_or(PermissionsAction::List) {
                PermissionsAction::List => {}
                PermissionsAction::Allow { rule } => {
                    if !crate::agents::permissions::allow(&db, &p.id, &rule).await? && !json {
                        writeln!(out, "`{}` was already allowed", printable(rule.trim()))
                            .map_err(|e| CoreError::io("cannot write output", e))?;
                    }
                }
                PermissionsAction::Revoke { rule } => {
                    if !crate::agents::permissions::revoke(&db, &p.id, &rule).await? {
                        return Err(CoreError::NotFound { what: "allowed tool rule", id: rule });
                    }
                }
            }
            let shown = crate::agents::permissions::of_project(&db, &p.id).await?;
            emit(out, json, &shown, |o| {
                for rule in &shown.effective {
                    let whose = if shown.allowed.contains(rule) { "allowed here" } else { "default" };
                    writeln!(o, "{:<40} {whose}", printable(rule))?;
                }
                Ok(())
            })
        }
        Command::Projects => {
            let list = project::list(&db).await?;
            emit(out, json, &list, |o| {
                for s in &list {
                    writeln!(
                        o,
                        "{:<24} {:>3}/{:<3} done  {}",
                        printable(&s.project.name),
                        s.done_count,
                        s.task_count,
                        printable(&s.project.repo_path)
                    )?;
                }
                if list.is_empty() {
                    writeln!(o, "no projects yet: run `yokeflow init` in a git repository, or `yokeflow demo`")?;
                }
                Ok(())
            })
        }
        Command::Demo => {
            let p = demo::ensure_demo(&db, &paths::data_dir()).await?;
            emit(out, json, &p, |o| writeln!(o, "demo project `{}` at {}", p.name, p.repo_path))
        }
        Command::App => {
            Err(CoreError::InvalidInput("this build of yokeflow has no window; use the desktop build".into()))
        }
        Command::Run(args) => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            run_cmd::execute(&db, &p, args, json, out).await
        }
        Command::Plan(args) => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            plan_cmd::execute(&db, &p, args, json, out).await
        }
        Command::Expertise(args) => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            expertise_cmd::execute(&db, &p, args, json, out).await
        }
        Command::Watch => {
            let p = project::find_by_repo(&db, &repo_dir(cli.repo)?).await?;
            expertise_cmd::watch(&db, &p, json, out).await
        }
    };
    db.close().await;
    result
}

fn print_log(o: &mut dyn Write, log: &crate::agents::sessions::TaskLog) -> std::io::Result<()> {
    use crate::agents::transcript::EntryKind;
    if log.sessions.is_empty() {
        return writeln!(o, "`{}` has no agent session yet", log.task_id);
    }
    for (i, s) in log.sessions.iter().enumerate() {
        let cost = s.cost_usd.map(|c| format!(", ${c:.4}")).unwrap_or_default();
        let tokens = match (s.input_tokens, s.output_tokens) {
            (Some(i), Some(out)) => format!(", {i} tokens in / {out} out"),
            _ => String::new(),
        };
        let outcome =
            serde_json::to_value(s.outcome).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let confined = if s.sandboxed { ", sandboxed" } else { ", not confined" };
        writeln!(
            o,
            "── session {} of {} ({outcome}{cost}{tokens}{confined}) {}",
            i + 1,
            log.sessions.len(),
            s.session_id
        )?;
        if let Some(remark) = &s.remark {
            writeln!(o, "   feedback: {}", printable(remark))?;
        }
        for e in &s.entries {
            let tool = e.tool.as_deref().unwrap_or("");
            let first = printable(e.text.lines().next().unwrap_or_default()).into_owned();
            match e.kind {
                EntryKind::Text => writeln!(o, "{} {first}", if e.is_error { "!" } else { " " })?,
                EntryKind::ToolCall => writeln!(o, "▸ {} {first}", printable(tool))?,
                EntryKind::ToolResult => writeln!(o, "  {} {first}", if e.is_error { "✗" } else { "✓" })?,
                EntryKind::PermissionDenied => writeln!(o, "✗ refused {}: {first}", printable(tool))?,
                EntryKind::Result => writeln!(o, "{} {first}", if e.is_error { "✗ result:" } else { "= result:" })?,
            }
        }
        for rule in &s.suggested_rules {
            writeln!(
                o,
                "   allow it with: yokeflow permissions allow {}",
                printable(&crate::sys::process::shell_word(rule))
            )?;
        }
    }
    if let Some(c) = log.cost_usd {
        writeln!(o, "total cost: ${c:.4}")?;
    }
    Ok(())
}

fn print_status(o: &mut dyn Write, project: &str, list: &[Task]) -> std::io::Result<()> {
    let w_id = list.iter().map(|t| t.id.len()).max().unwrap_or(2).max(2);
    let w_epic = list.iter().map(|t| t.epic.as_deref().unwrap_or("-").len()).max().unwrap_or(4).max(4);
    writeln!(o, "{}", printable(project))?;
    writeln!(o, "{:<w_id$}  {:<11}  {:<w_epic$}  {:<24}  {:>8}  TITLE", "ID", "STATUS", "EPIC", "DEPENDS ON", "COST")?;
    for status in TaskStatus::ALL {
        for t in list.iter().filter(|t| t.status == status) {
            let deps = if t.depends_on.is_empty() { "-".to_string() } else { t.depends_on.join(",") };
            let cost = t.cost_usd.map_or("-".to_string(), |c| format!("${c:.2}"));
            writeln!(
                o,
                "{:<w_id$}  {:<11}  {:<w_epic$}  {:<24}  {:>8}  {}",
                t.id,
                status.as_str(),
                t.epic.as_deref().unwrap_or("-"),
                deps,
                cost,
                printable(&t.title)
            )?;
        }
    }
    let costs: Vec<f64> = list.iter().filter_map(|t| t.cost_usd).collect();
    if !costs.is_empty() {
        writeln!(o, "agent cost so far: ${:.2}", costs.iter().sum::<f64>())?;
    }
    let count = |s: TaskStatus| list.iter().filter(|t| t.status == s).count();
    writeln!(
        o,
        "{} tasks: {} backlog, {} in progress, {} review, {} done",
        list.len(),
        count(TaskStatus::Backlog),
        count(TaskStatus::InProgress),
        count(TaskStatus::Review),
        count(TaskStatus::Done)
    )
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
