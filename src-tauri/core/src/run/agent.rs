//! The agent runner: an argv template (never a shell) spawned in a worktree, its output streamed to a log file
//! and to events, with a timeout and cancel that kill its whole process group.
//!
//! A session is written to the `sessions` table before the agent is spawned (outcome `running`), its pid right
//! after, and its outcome when it ends, so a crash at any moment leaves a record that
//! [`crate::run::orchestrator::recover`] can act on. Each agent gets its own process group (`process_group(0)`) and
//! the environment variable `YOKEFLOW_SESSION=<session id>`, by which recovery recognises orphans.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::mpsc;

use crate::agents::transcript::{SessionFacts, TranscriptFile};
use crate::agents::{AgentKind, Parser, Stream};
use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::model::{Epic, Task};
use crate::run::events::{emit, Event, EventSender};
use crate::store::db::Db;
use crate::sys::concurrency::{blocking, Cancel};
use crate::sys::process::{kill_group, terminate_group};
use crate::sys::process::{Direct, Launcher};
use crate::sys::sandbox::{Bind, Bubblewrap, Confinement};
use crate::workspace::sandbox::{BroughtBack, PrivateGit, SandboxPolicy, StateGuard};
use crate::workspace::worktree::{WorktreeInfo, Worktrees};

pub use crate::model::SessionOutcome;

/// How much of the project's CLAUDE.md goes into the prompt.
pub const CLAUDE_MD_LIMIT: usize = 8 * 1024;

/// The environment variable naming the session in every agent process (used to find orphans).
pub use crate::sys::process::SESSION_ENV;

/// What goes into an agent's prompt besides the task itself.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    /// The task's epic, if any.
    pub epic: Option<Epic>,
    /// The project's CLAUDE.md (already cut to [`CLAUDE_MD_LIMIT`]), if present.
    pub claude_md: Option<String>,
    /// Routed expertise for this task: the hook the expertise router fills. `None` leaves the section out.
    pub extra_context: Option<String>,
    /// The sandbox the agent runs in, which the prompt describes; `None`: not confined (the prompt says nothing).
    pub sandbox: Option<SandboxPolicy>,
}

/// Reads `<repo>/CLAUDE.md`, cut to [`CLAUDE_MD_LIMIT`] bytes on a character boundary. Only a regular file of the
/// repository is read, and never more than the limit: a link (to `/dev/zero`, or out of the repository), a device
/// or a fifo gives `None`.
pub fn read_claude_md(repo: &Path) -> Option<String> {
    use std::io::Read;
    let path = repo.join("CLAUDE.md");
    if !std::fs::symlink_metadata(&path).ok()?.file_type().is_file() {
        return None;
    }
    let mut bytes = Vec::with_capacity(CLAUDE_MD_LIMIT + 4);
    std::fs::File::open(&path).ok()?.take(CLAUDE_MD_LIMIT as u64 + 4).read_to_end(&mut bytes).ok()?;
    if bytes.len() <= CLAUDE_MD_LIMIT {
        return Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    // Cut on a character boundary: a character split by the limit is left out whole.
    let cut = &bytes[..CLAUDE_MD_LIMIT];
    let end = match std::str::from_utf8(cut) {
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => cut.len(),
    };
    let text = String::from_utf8_lossy(&cut[..end]);
    Some(format!("{text}\n[... CLAUDE.md cut at {} KB ...]\n", CLAUDE_MD_LIMIT / 1024))
}

/// The prompt for one task. Its `Files:` section lists one path per `- ` line (the scripted agent reads it).
pub fn build_prompt(task: &Task, ctx: &PromptContext) -> String {
    let mut p = format!("# Task {}: {}\n\n", task.id, task.title);
    if !task.description.trim().is_empty() {
        p.push_str(task.description.trim());
        p.push_str("\n\n");
    }
    if let Some(epic) = &ctx.epic {
        p.push_str(&format!("Epic: {} ({})\n", epic.title, epic.id));
        if !epic.description.trim().is_empty() {
            p.push_str(epic.description.trim());
            p.push('\n');
        }
        p.push('\n');
    }
    if !task.files.is_empty() {
        p.push_str("Files:\n");
        for f in &task.files {
            p.push_str(&format!("- {f}\n"));
        }
        p.push('\n');
    }
    if let Some(md) = ctx.claude_md.as_deref().filter(|s| !s.trim().is_empty()) {
        p.push_str("## Project instructions (CLAUDE.md)\n\n");
        p.push_str(md.trim_end());
        p.push_str("\n\n");
    }
    if let Some(extra) = ctx.extra_context.as_deref().filter(|s| !s.trim().is_empty()) {
        p.push_str("## Routed expertise\n\n");
        p.push_str(extra.trim_end());
        p.push_str("\n\n");
    }
    p.push_str(
        "## How to work\n\nYou are in a git worktree of the project, on a branch of your own; other agents work on \
         other tasks at the same time. Change only what this task needs, keep the project building, and commit \
         your work (YokeFlow commits anything you leave uncommitted, then merges it after the project's tests).\n",
    );
    if let Some(sandbox) = &ctx.sandbox {
        p.push_str(
            "\nYou run in a sandbox: you may run any command you need (install packages, run builds and tests, \
             start servers on your ports), without asking. You can write only in this folder and /tmp",
        );
        if !sandbox.caches.is_empty() {
            p.push_str(" (and the package caches)");
        }
        p.push_str("; the rest of the machine is read-only, and files outside the repository may be hidden. ");
        p.push_str(if sandbox.no_network { "There is no network.\n" } else { "The network is available.\n" });
    }
    p
}

/// The prompt for resolving a merge conflict: the task, the conflicted files (`Files:`), and what to do.
pub fn build_resolution_prompt(task: &Task, files: &[String]) -> String {
    let mut p = format!("# Resolve merge conflicts for task {}: {}\n\n", task.id, task.title);
    p.push_str(
        "This task's branch conflicts with the target branch, which moved while the task ran. The folder you are \
         in holds the merge in progress: the files below contain conflict markers (<<<<<<<, =======, >>>>>>>). \
         Edit each file so it keeps the intent of both sides, and remove every marker. Do not commit: YokeFlow \
         commits the merge, tests it and lands it.\n\n",
    );
    if !task.description.trim().is_empty() {
        p.push_str("The task was:\n");
        p.push_str(task.description.trim());
        p.push_str("\n\n");
    }
    p.push_str("Files:\n");
    for f in files {
        p.push_str(&format!("- {f}\n"));
    }
    p
}

/// How the agent process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentExit {
    /// It exited by itself; `code` is `None` when a signal ended it.
    Exited { code: Option<i32> },
    /// It ran past its timeout and its process group was killed.
    TimedOut,
    /// The run was cancelled and its process group was killed.
    Cancelled,
}

/// Everything needed to run one agent session on one task.
#[derive(Debug, Clone)]
pub struct SessionSpec {
    pub project_id: String,
    pub repo_path: PathBuf,
    pub target_branch: String,
    pub task: Task,
    /// The run the session belongs to.
    pub run_id: String,
    pub batch_id: Option<String>,
    /// The `worktrees` row.
    pub worktree_id: Option<String>,
    pub worktree: WorktreeInfo,
    /// The argv template (see [`crate::agents::command::render_argv`]).
    pub agent_command: Vec<String>,
    pub prompt: String,
    pub timeout: Option<Duration>,
    /// Between SIGTERM and SIGKILL when the agent is stopped.
    pub kill_grace: Duration,
    /// After exit 0, commit what the agent left and check that the branch moved ([`SessionOutcome::NoChange`]
    /// otherwise). False for a conflict resolution, where the merge gate commits.
    pub collect_changes: bool,
    /// The tool rules the agent may use (`{allowed_tools}`).
    pub allowed_tools: Vec<String>,
    /// Continue this conversation of the agent's CLI (its own session id) instead of starting one: for a
    /// follow-up, where the CLI can ([`crate::agents::resume_argv`]); the prompt is then the follow-up alone.
    pub resume: Option<String>,
    /// The person's remark this session answers, recorded with it.
    pub remark: Option<String>,
    /// The worker slot it runs in (`YOKEFLOW_SLOT`, and its ports: [`crate::workspace::ports`]); `None` outside a run's slots.
    pub slot: Option<u32>,
    /// The first port of the project's block ([`crate::workspace::ports::project_base`]).
    pub port_base: u16,
    /// Run inside the sandbox, confined as this says ([`crate::workspace::sandbox`]); `None`: not confined.
    pub sandbox: Option<SandboxPolicy>,
}

/// A finished session.
#[derive(Debug, Clone)]
pub struct SessionResult {
    pub session_id: String,
    pub outcome: SessionOutcome,
    /// What the transcript told: the agent's own session id, cost, tokens, the tools it was refused.
    pub facts: SessionFacts,
    pub exit: AgentExit,
    pub exit_code: Option<i32>,
    pub log_path: PathBuf,
    pub started_at: i64,
    pub ended_at: i64,
    /// Why the sandbox could not start the agent (bubblewrap's own message), when that is how it failed.
    pub sandbox_error: Option<String>,
}

/// Runs one session: records it, spawns the agent in the worktree, streams its output, waits (timeout, cancel),
/// then commits what it left uncommitted and records the outcome. A missing program gives
/// [`CoreError::AgentNotFound`] (the session is recorded as failed).
pub async fn run_session(
    db: &Db,
    spec: &SessionSpec,
    events: &EventSender,
    cancel: Cancel,
) -> CoreResult<SessionResult> {
    let session_id = uuid::Uuid::new_v4().to_string();
    let logs = crate::workspace::worktree::state_dir(&spec.repo_path, "logs", true)?;
    let log_path = logs.join(format!("{}-{}.log", spec.task.id, session_id));
    let prompt_file = logs.join(format!("{}-{}.prompt.md", spec.task.id, session_id));
    let transcript_path = logs.join(format!("{}-{}.transcript.jsonl", spec.task.id, session_id));
    std::fs::write(&prompt_file, &spec.prompt)
        .map_err(|e| CoreError::io(format!("cannot write {}", prompt_file.display()), e))?;
    let argv = crate::agents::command::render_argv(
        &spec.agent_command,
        &crate::agents::command::ArgvVars {
            prompt: &spec.prompt,
            task_id: &spec.task.id,
            worktree: &spec.worktree.path,
            prompt_file: &prompt_file,
            allowed_tools: &spec.allowed_tools,
        },
    )?;
    let kind = AgentKind::detect(&spec.agent_command);
    let cli = crate::agents::adapter(&spec.agent_command);
    let argv = if spec.sandbox.is_some() { cli.sandboxed_argv(argv) } else { argv };
    let argv = match &spec.resume {
        Some(id) => crate::agents::resume_argv(kind, &argv, id)
            .ok_or_else(|| CoreError::InvalidInput(format!("the agent `{}` cannot resume a conversation", argv[0])))?,
        None => argv,
    };
    let started_at = now_ms();
    sqlx::query(
        "INSERT INTO sessions (id, project_id, task_id, run_id, batch_id, worktree_id, started_at, outcome, log_path, \
         agent_kind, transcript_path, remark, cwd, sandboxed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session_id)
    .bind(&spec.project_id)
    .bind(&spec.task.id)
    .bind((!spec.run_id.is_empty()).then_some(&spec.run_id))
    .bind(&spec.batch_id)
    .bind(&spec.worktree_id)
    .bind(started_at)
    .bind(crate::model::SessionOutcome::RUNNING)
    .bind(log_path.display().to_string())
    .bind(kind.as_str())
    .bind(transcript_path.display().to_string())
    .bind(&spec.remark)
    .bind(spec.worktree.path.display().to_string())
    .bind(spec.sandbox.is_some())
    .execute(db.pool())
    .await?;

    let files = SessionFiles { log: &log_path, prompt: &prompt_file, transcript: &transcript_path };
    let confined = match &spec.sandbox {
        Some(policy) => match confine(spec, policy, cli, &argv, &prompt_file).await {
            Ok(c) => Some(c),
            Err(e) => {
                finish_row(db, &session_id, "failed", None, &SessionFacts::default()).await?;
                return Err(e);
            }
        },
        None => None,
    };
    let sandboxed = confined.is_some();
    let (private, guard, confinement) = match confined {
        Some((private, guard, c)) => (private, Some(guard), Some(c)),
        None => (None, None, None),
    };
    let spawned = spawn_and_wait(db, spec, &argv, &session_id, files, kind, confinement, events, cancel).await;
    // What its CLI runs on its next start is as it was; the agent's commits come out of its sandbox whatever its end
    // (as they would stay on its branch without one).
    if let Some(guard) = guard {
        let put_back = blocking(move || Ok(guard.restore())).await.unwrap_or_default();
        if let Ok(mut log) = std::fs::OpenOptions::new().append(true).open(&log_path) {
            for line in &put_back {
                let _ = writeln!(log, "# the agent changed what its CLI runs on its next start: {line}");
            }
        }
    }
    if let Some(private) = private {
        bring_back(private, &log_path, &spec.task.id).await;
    }
    let (exit, facts) = match spawned {
        Ok(done) => done,
        Err(e) => {
            finish_row(db, &session_id, "failed", None, &SessionFacts::default()).await?;
            return Err(e);
        }
    };
    let mut outcome = match exit {
        AgentExit::Exited { code: Some(0) } => SessionOutcome::Changed,
        AgentExit::Exited { .. } => SessionOutcome::Failed,
        AgentExit::TimedOut => SessionOutcome::TimedOut,
        AgentExit::Cancelled => SessionOutcome::Cancelled,
    };
    if outcome == SessionOutcome::Changed && spec.collect_changes && !collect_changes(spec).await? {
        outcome = SessionOutcome::NoChange;
    }
    // A refused tool means the agent could not do what it set out to: whatever it left is kept on its branch
    // (committed above), and the task waits for a person rather than going to the gate half done.
    if matches!(outcome, SessionOutcome::Changed | SessionOutcome::NoChange) && !facts.denials.is_empty() {
        outcome = SessionOutcome::Refused;
    }
    let exit_code = match exit {
        AgentExit::Exited { code } => code,
        _ => None,
    };
    finish_row(db, &session_id, outcome.as_str(), exit_code, &facts).await?;
    let ended_at = now_ms();
    emit(
        events,
        Event::AgentExited {
            run_id: spec.run_id.clone(),
            task_id: spec.task.id.clone(),
            session_id: session_id.clone(),
            outcome,
            exit_code,
            cost_usd: facts.cost_usd,
        },
    );
    let sandbox_error = match (sandboxed, exit_code) {
        (true, Some(1)) => sandbox_error(&log_path),
        _ => None,
    };
    Ok(SessionResult { session_id, outcome, facts, exit, exit_code, log_path, started_at, ended_at, sandbox_error })
}

/// Bubblewrap's own complaint in a session's log (`bwrap: Can't find source path …`), which it prints and exits 1
/// with before the agent starts: looked for in the log's first 64 KiB.
fn sandbox_error(log_path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = Vec::new();
    std::fs::File::open(log_path).ok()?.take(64 * 1024).read_to_end(&mut head).ok()?;
    let text = String::from_utf8_lossy(&head);
    let line = text.lines().find_map(|l| l.strip_prefix("[stderr] bwrap: "))?;
    Some(line.trim().chars().take(500).collect())
}

/// Commits whatever the agent left in the worktree (message: the task title), then tells whether the branch
/// has commits the target does not.
async fn collect_changes(spec: &SessionSpec) -> CoreResult<bool> {
    let repo = spec.repo_path.clone();
    let info = spec.worktree.clone();
    let target = spec.target_branch.clone();
    let message = format!("{} ({})", spec.task.title, spec.task.id);
    blocking(move || {
        let wts = Worktrees::open(&repo)?;
        wts.commit_all(&info, &message)?;
        Ok(wts.unmerged_commits(&info.branch, &target)? > 0)
    })
    .await
}

async fn finish_row(
    db: &Db,
    session_id: &str,
    outcome: &str,
    exit_code: Option<i32>,
    facts: &SessionFacts,
) -> CoreResult<()> {
    let denials = (!facts.denials.is_empty()).then(|| serde_json::to_string(&facts.denials).unwrap_or_default());
    sqlx::query(
        "UPDATE sessions SET outcome = ?, exit_code = ?, ended_at = ?, agent_session_id = ?, cost_usd = ?, \
         input_tokens = ?, output_tokens = ?, turns = ?, denials = ?, last_text = ? WHERE id = ?",
    )
    .bind(outcome)
    .bind(exit_code)
    .bind(now_ms())
    .bind(&facts.agent_session_id)
    .bind(facts.cost_usd.filter(|c| c.is_finite() && *c >= 0.0))
    .bind(facts.input_tokens.map(|n| n.min(i64::MAX as u64) as i64))
    .bind(facts.output_tokens.map(|n| n.min(i64::MAX as u64) as i64))
    .bind(facts.turns)
    .bind(denials)
    .bind(&facts.last_text)
    .bind(session_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The files of one session, beside each other in `.yokeflow/logs/`.
#[derive(Clone, Copy)]
struct SessionFiles<'a> {
    /// Everything the agent printed, as printed.
    log: &'a Path,
    prompt: &'a Path,
    /// The normalized transcript (JSONL of [`Entry`]).
    transcript: &'a Path,
}

/// The sandbox of a session (`spec.sandbox` is its policy): the worktree, the prompt file, the files its command
/// line names (readable, also in `/tmp`), the CLI's state and, for a task's own session (one that commits), its own
/// git folder ([`PrivateGit`]).
async fn confine(
    spec: &SessionSpec,
    policy: &SandboxPolicy,
    cli: &'static dyn crate::agents::AgentCli,
    argv: &[String],
    prompt_file: &Path,
) -> CoreResult<(Option<PrivateGit>, StateGuard, Confinement)> {
    let (spec, policy, prompt_file) = (spec.clone(), policy.clone(), prompt_file.to_path_buf());
    // What the person's command names by its full path (the program, a script, a config) is there to be read.
    let named: Vec<PathBuf> = argv
        .iter()
        .filter(|a| a.starts_with('/') && a.len() < 4096 && !a.contains('\n'))
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect();
    let home = dirs::home_dir().unwrap_or_default();
    let (state, locked) = (cli.state(&home, argv), cli.locked_state(&home, argv));
    let guard = StateGuard::take(&locked, &state);
    blocking(move || {
        let private = match spec.collect_changes {
            true => Some(PrivateGit::prepare(&spec.repo_path, &spec.worktree, &spec.target_branch)?),
            false => None,
        };
        // Before the hidden folders: what the command names or the CLI keeps never shows a hidden one again.
        let mut early: Vec<Bind> = named.into_iter().map(|p| Bind::read(p).optional()).collect();
        early.extend(state.into_iter().map(|p| Bind::write(p).optional()));
        early.extend(locked.into_iter().map(|p| Bind::read(p).optional()));
        let mut extra = vec![Bind::read(prompt_file)];
        extra.extend(private.as_ref().map(PrivateGit::bind));
        let (repo, wt) = (&spec.repo_path, &spec.worktree.path);
        let c = crate::workspace::sandbox::confinement(&policy, repo, wt, early, extra)?;
        Ok((private, guard, c))
    })
    .await
}

/// [`PrivateGit::bring_back`], what it did written at the end of the session's log.
async fn bring_back(private: PrivateGit, log_path: &Path, task_id: &str) {
    let done = blocking(move || private.bring_back()).await;
    let line = match &done {
        Ok(BroughtBack::Nothing) => return,
        Ok(BroughtBack::Moved { tip, commits }) => {
            format!("# the agent's {commits} commit(s) taken out of the sandbox onto its branch ({tip})")
        }
        Ok(BroughtBack::Ignored { why }) => format!("# {why}"),
        Err(e) => format!("# the agent's commits could not be taken out of the sandbox ({e}); its files are kept"),
    };
    if !matches!(done, Ok(BroughtBack::Moved { .. })) {
        tracing::warn!(task = task_id, "{line}");
    }
    if let Ok(mut log) = std::fs::OpenOptions::new().append(true).open(log_path) {
        let _ = writeln!(log, "{line}");
    }
}

#[allow(clippy::too_many_arguments)]
async fn spawn_and_wait(
    db: &Db,
    spec: &SessionSpec,
    argv: &[String],
    session_id: &str,
    files: SessionFiles<'_>,
    kind: AgentKind,
    confinement: Option<Confinement>,
    events: &EventSender,
    cancel: Cancel,
) -> CoreResult<(AgentExit, SessionFacts)> {
    let (log_path, prompt_file) = (files.log, files.prompt);
    let mut log = std::fs::File::create(log_path)
        .map_err(|e| CoreError::io(format!("cannot create {}", log_path.display()), e))?;
    let transcript = TranscriptFile::create(files.transcript)?;
    let sandbox = match &confinement {
        Some(_) => "on (bubblewrap: writes only to its worktree, its git folder, its CLI's state, caches and /tmp)",
        None => "off: the agent is not confined",
    };
    let header = format!(
        "# yokeflow session {session_id} for task {}\n# argv: {}\n# cwd: {}\n# sandbox: {sandbox}\n",
        spec.task.id,
        serde_json::to_string(&argv).unwrap_or_default(),
        spec.worktree.path.display()
    );
    log.write_all(header.as_bytes()).map_err(|e| CoreError::io("cannot write the agent log", e))?;

    let sandboxed = confinement.is_some();
    let mut cmd = match confinement {
        Some(c) => Bubblewrap(c).command(argv, &spec.worktree.path),
        None => Direct.command(argv, &spec.worktree.path),
    };
    if sandboxed {
        cmd.envs(crate::agents::adapter(&spec.agent_command).sandboxed_env().iter().copied());
    }
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env(SESSION_ENV, session_id)
        .env("YOKEFLOW_TASK_ID", &spec.task.id)
        .env("YOKEFLOW_WORKTREE", &spec.worktree.path)
        .env("YOKEFLOW_PROMPT_FILE", prompt_file)
        .env("YOKEFLOW_ROOT", &spec.repo_path)
        .kill_on_drop(false);
    if let Some(slot) = spec.slot {
        cmd.env("YOKEFLOW_SLOT", slot.to_string()).envs(crate::workspace::ports::env(spec.port_base, slot));
    }
    if sandboxed && crate::agents::command::find_program_in(&argv[0], &spec.worktree.path).is_none() {
        let _ = writeln!(log, "# the program `{}` was not found", argv[0]);
        return Err(CoreError::AgentNotFound { program: argv[0].clone() });
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if sandboxed && e.kind() == std::io::ErrorKind::NotFound => {
            let why = format!("`{}` (bubblewrap) is not installed", crate::sys::sandbox::BWRAP);
            let _ = writeln!(log, "# {why}");
            return Err(CoreError::SandboxUnavailable { why });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(log, "# the program `{}` was not found", argv[0]);
            drop(transcript);
            return Err(CoreError::AgentNotFound { program: argv[0].clone() });
        }
        Err(e) => {
            let _ = writeln!(log, "# cannot start `{}`: {e}", argv[0]);
            return Err(CoreError::io(format!("cannot start the agent `{}`", argv[0]), e));
        }
    };
    let pid = child.id().unwrap_or(0);
    // Recorded at once: a crash from here on leaves a pid that recovery can kill.
    sqlx::query("UPDATE sessions SET pid = ? WHERE id = ?")
        .bind(pid as i64)
        .bind(session_id)
        .execute(db.pool())
        .await?;
    emit(
        events,
        Event::AgentStarted {
            run_id: spec.run_id.clone(),
            task_id: spec.task.id.clone(),
            session_id: session_id.to_string(),
            pid,
            log_path: log_path.display().to_string(),
        },
    );

    // Bounded: when the log and the event stream fall behind, the readers wait and the agent's pipe fills, so a
    // chatty agent slows down instead of growing YokeFlow's memory.
    let (line_tx, line_rx) = mpsc::channel::<(Stream, String)>(LINE_BACKLOG);
    let readers = [
        child.stdout.take().map(|s| tokio::spawn(read_lines(s, Stream::Stdout, line_tx.clone()))),
        child.stderr.take().map(|s| tokio::spawn(read_lines(s, Stream::Stderr, line_tx.clone()))),
    ];
    drop(line_tx);
    let sink = Sink {
        log,
        transcript,
        parser: Parser::new(kind),
        events: events.clone(),
        run_id: spec.run_id.clone(),
        task_id: spec.task.id.clone(),
        session_id: session_id.to_string(),
    };
    let writer = tokio::spawn(sink.drain(line_rx));

    let pgid = pid as i32;
    let exit = tokio::select! {
        status = child.wait() => {
            let status = status.map_err(|e| CoreError::io("cannot wait for the agent", e))?;
            AgentExit::Exited { code: status.code() }
        }
        _ = sleep_opt(spec.timeout) => {
            terminate_group(pgid, &mut child, spec.kill_grace).await;
            AgentExit::TimedOut
        }
        _ = cancel.cancelled() => {
            terminate_group(pgid, &mut child, spec.kill_grace).await;
            AgentExit::Cancelled
        }
    };
    // Whatever the agent left running goes with it: its group, and every process that carries its session's
    // marker (a daemon it started with `setsid` or a double fork left the group but not the marker).
    kill_group(pgid, libc::SIGKILL);
    let sid = session_id.to_string();
    let stray = blocking(move || Ok(crate::sys::process::kill_marked(SESSION_ENV, &sid))).await.unwrap_or(0);
    if stray > 0 {
        tracing::info!(stray, "killed processes the agent left outside its process group");
    }
    for reader in readers.into_iter().flatten() {
        // The pipes close with the group; one held open by a process that left the group is given up on.
        let abort = reader.abort_handle();
        if tokio::time::timeout(PIPE_GRACE, reader).await.is_err() {
            tracing::warn!("an agent output pipe stayed open after the agent ended");
            abort.abort();
        }
    }
    let footer = match exit {
        AgentExit::Exited { code: Some(c) } => format!("# exit code {c}"),
        AgentExit::Exited { code: None } => "# ended by a signal".to_string(),
        AgentExit::TimedOut => {
            format!("# timed out after {:?}; process group killed", spec.timeout.unwrap_or_default())
        }
        AgentExit::Cancelled => "# cancelled; process group killed".to_string(),
    };
    // Every line read is written (the backlog is bounded), then the footer: the log never ends mid-output.
    let facts = match writer.await {
        Ok(mut sink) => {
            let _ = writeln!(sink.log, "{footer}");
            let _ = sink.log.flush();
            sink.transcript.flush();
            sink.parser.into_facts()
        }
        Err(_) => SessionFacts::default(),
    };
    Ok((exit, facts))
}

/// Lines read but not yet written to the log (and announced) before the readers wait.
const LINE_BACKLOG: usize = 1024;
/// The most lines read in one go before their entries are written and announced ([`Event::AgentTranscript`]).
const MAX_LINES_PER_EVENT: usize = 256;
/// The most entries one [`Event::AgentTranscript`] carries.
const MAX_ENTRIES_PER_EVENT: usize = 256;
/// The longest line kept whole; the rest of a longer one is dropped, and the log says how much.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long an output pipe may stay open after the agent's process group was killed.
const PIPE_GRACE: Duration = Duration::from_secs(5);

async fn sleep_opt(d: Option<Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Reads lines of at most [`MAX_LINE_BYTES`] (a longer one is cut, saying how much was dropped) and sends them,
/// waiting while the writer is behind.
async fn read_lines(stream: impl AsyncRead + Unpin, from: Stream, tx: mpsc::Sender<(Stream, String)>) {
    let mut reader = BufReader::new(stream);
    let mut line: Vec<u8> = Vec::new();
    let mut dropped = 0usize;
    loop {
        let (done, used, ended) = match reader.fill_buf().await {
            Ok([]) | Err(_) => (!line.is_empty() || dropped > 0, 0, true),
            Ok(chunk) => {
                let end = chunk.iter().position(|&b| b == b'\n');
                let part = &chunk[..end.unwrap_or(chunk.len())];
                let room = MAX_LINE_BYTES.saturating_sub(line.len());
                line.extend_from_slice(&part[..part.len().min(room)]);
                dropped += part.len().saturating_sub(room);
                (end.is_some(), end.map_or(chunk.len(), |e| e + 1), false)
            }
        };
        reader.consume(used);
        if done {
            let text = String::from_utf8_lossy(&line);
            let mut text = text.trim_end_matches('\r').to_string();
            if dropped > 0 {
                text.push_str(&format!(" [... {dropped} more bytes of this line not kept]"));
            }
            if tx.send((from, text)).await.is_err() {
                return;
            }
            line.clear();
            dropped = 0;
        }
        if ended {
            return;
        }
    }
}

/// Where an agent's output lines go: the raw log (stderr lines marked), the parser, the transcript file and the
/// event stream.
struct Sink {
    log: std::fs::File,
    transcript: TranscriptFile,
    parser: Parser,
    events: EventSender,
    run_id: String,
    task_id: String,
    session_id: String,
}

impl Sink {
    async fn drain(mut self, mut rx: mpsc::Receiver<(Stream, String)>) -> Sink {
        while let Some(first) = rx.recv().await {
            let mut lines = vec![first];
            while lines.len() < MAX_LINES_PER_EVENT {
                match rx.try_recv() {
                    Ok(line) => lines.push(line),
                    Err(_) => break,
                }
            }
            let mut entries = Vec::new();
            for (stream, line) in &lines {
                let prefix = if *stream == Stream::Stderr { "[stderr] " } else { "" };
                let _ = writeln!(self.log, "{prefix}{line}");
                entries.extend(self.parser.line(*stream, line));
            }
            self.transcript.append(&entries);
            for chunk in entries.chunks(MAX_ENTRIES_PER_EVENT) {
                emit(
                    &self.events,
                    Event::AgentTranscript {
                        run_id: self.run_id.clone(),
                        task_id: self.task_id.clone(),
                        session_id: self.session_id.clone(),
                        entries: chunk.to_vec(),
                    },
                );
            }
        }
        let _ = self.log.flush();
        self.transcript.flush();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bubblewraps_own_complaint_is_found_in_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("s.log");
        std::fs::write(&log, "# yokeflow session s\n[stderr] bwrap: Can't find source path /gone: No such file\n")
            .unwrap();
        assert_eq!(sandbox_error(&log).as_deref(), Some("Can't find source path /gone: No such file"));
        std::fs::write(&log, "# yokeflow session s\n[stderr] error: the agent failed\n# exit code 1\n").unwrap();
        assert_eq!(sandbox_error(&log), None);
    }
}
