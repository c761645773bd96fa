//! `yokeflow run`: runs the project through the orchestrator and prints progress as events arrive — a progress
//! bar line and one line per worktree event, plain text that stays readable when stdout is not a terminal — then
//! the run report (or, with `--json`, only the report as JSON). Ctrl-C, SIGTERM or SIGHUP cancels the run: agents
//! are stopped and their tasks go back to the backlog with their branches kept; a second one quits at once. The demo project, with no agent configured and no
//! `claude` installed, runs the scripted agent, and says so.

use std::io::Write;
use std::time::Duration;

use clap::Args;

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::model::{Project, TaskStatus};
use crate::run::events::{Event, MergeKind, PreflightResult};
use crate::run::orchestrator::RunReport;
use crate::run::runs::{RunEvent, RunRequest, Runs, StartedRun};

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// One task at a time
    #[arg(long)]
    pub sequential: bool,
    /// How many agents run at once [default: the project's setting, 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_worktrees: Option<u32>,
    /// The agent's argv as JSON, e.g. '["aider","--message","{prompt}"]'; saved on the project.
    /// Template fields: {prompt}, {prompt_file}, {task_id}, {worktree}. [default: Claude Code's CLI]
    #[arg(long, value_name = "ARGV_JSON")]
    pub agent: Option<String>,
    /// Stop an agent after this many seconds (its task goes to Review)
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// The test command run on every merged tree, as a JSON argv, e.g. '["cargo","test"]'; saved on the
    /// project [default: the project's]
    #[arg(long, value_name = "ARGV_JSON")]
    pub test_cmd: Option<String>,
    /// The most this run's agents may cost, in US dollars, as they report it: once spent, no new task starts
    /// (the running ones finish)
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,
}

pub(super) async fn execute(
    api: &Service,
    p: &Project,
    args: RunArgs,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let io = |e| CoreError::io("cannot write output", e);
    let mut request = RunRequest {
        sequential: args.sequential,
        max_worktrees: args.max_worktrees,
        agent_timeout: args.timeout.map(|secs| Duration::from_secs(secs.max(1))),
        max_cost_usd: args.max_cost,
        ..Default::default()
    };
    if let Some(text) = &args.agent {
        let argv = crate::agents::command::parse_argv_json("--agent", text)?;
        api.save_agent(&p.id, &argv).await?;
        request.agent = Some(argv);
    }
    if let Some(text) = &args.test_cmd {
        let argv = crate::agents::command::parse_argv_json("--test-cmd", text)?;
        // Saved like --agent: a later `yokeflow run` without the flag tests with it too.
        api.save_test_command(&p.id, &argv).await?;
        request.test_command = Some(argv);
    }
    let rx = api.runs().subscribe();
    let started = api.runs().start(&p.id, request).await?;
    let report = follow(api, p, rx, started, json, out).await?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &report).map_err(std::io::Error::other).map_err(io)?;
        writeln!(out).map_err(io)?;
    } else {
        write!(out, "\n{}", report.to_text()).map_err(io)?;
    }
    if report.all_done() {
        Ok(())
    } else {
        Err(CoreError::RunIncomplete { done: report.tasks_done, total: report.tasks_total })
    }
}

/// Follows a started run to its end, printing its progress (not with `--json`); Ctrl-C, SIGTERM or SIGHUP cancel
/// it cleanly (a second one quits at once).
pub(super) async fn follow(
    api: &Service,
    p: &Project,
    mut rx: tokio::sync::broadcast::Receiver<RunEvent>,
    started: StartedRun,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<RunReport> {
    let io = |e| CoreError::io("cannot write output", e);
    if started.resolved.scripted_demo && !json {
        writeln!(
            out,
            "demo: `claude` is not installed, so the demo runs YokeFlow's scripted agent (not an AI): it appends a \
             line to each file a task names and commits. Set a real agent with --agent."
        )
        .map_err(io)?;
    }
    let progress = Progress { runs: api.runs(), project_id: &p.id, total: api.tasks(&p.id).await?.len() };
    let print = |ev: &RunEvent, out: &mut dyn Write| if json { Ok(()) } else { progress.print(&ev.event, out) };
    let mut result = started.result;
    let mut interrupted = false;
    let mut stop = stop_signals().map_err(|e| CoreError::io("cannot listen for Ctrl-C", e))?;
    let outcome = loop {
        tokio::select! {
            res = &mut result => {
                // Every event of the run was published before its result.
                while let Ok(ev) = rx.try_recv() {
                    print(&ev, out).map_err(io)?;
                }
                break res.unwrap_or_else(|_| Err(CoreError::InvalidInput("the run's task stopped".into())));
            }
            ev = rx.recv() => {
                if let Ok(ev) = ev {
                    print(&ev, out).map_err(io)?;
                }
            }
            _ = stop.recv() => {
                if interrupted {
                    // A second Ctrl-C (or SIGTERM): out at once; the next run recovers what is left.
                    let _ = writeln!(out, "stopped without waiting: the next run recovers the interrupted tasks");
                    std::process::exit(130);
                }
                interrupted = true;
                let _ = api.runs().cancel(&p.id);
                if !json {
                    writeln!(out, "cancelling: stopping the agents (their branches are kept); again to quit at once...")
                        .map_err(io)?;
                }
            }
        }
    };
    outcome
}

/// Ctrl-C, SIGTERM (a service manager, `kill`) and SIGHUP (the terminal closed) all mean: cancel the run cleanly.
fn stop_signals() -> std::io::Result<tokio::sync::mpsc::UnboundedReceiver<()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    for kind in [SignalKind::interrupt(), SignalKind::terminate(), SignalKind::hangup()] {
        let mut stream = signal(kind)?;
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if tx.send(()).is_err() {
                    break;
                }
            }
        });
    }
    Ok(rx)
}

/// A run's events printed as lines. What a line says of the run's state (each task's lane, how many tasks are
/// done) is read from the run's snapshot ([`Runs::view`], folded by the core as the window's is), never folded here.
/// The snapshot is updated before an event goes out, so it is as new as the line printed, or newer.
struct Progress<'a> {
    runs: &'a Runs,
    project_id: &'a str,
    /// The project's tasks, until the run says how many it counts.
    total: usize,
}

impl Progress<'_> {
    fn bar(&self) -> String {
        const WIDTH: usize = 20;
        let view = self.runs.view(self.project_id);
        let (done, total) = match &view {
            Some(v) if v.task_count > 0 => (v.done_count as usize, v.task_count as usize),
            _ => (0, self.total),
        };
        let filled = (done.min(total) * WIDTH).checked_div(total).unwrap_or(WIDTH);
        format!("[{}{}] {done}/{total} done", "#".repeat(filled), "-".repeat(WIDTH - filled))
    }

    /// The lane the task runs (or ran) in, as the run names it; blank when it has none yet.
    fn slot(&self, task: &str) -> String {
        let Some(view) = self.runs.view(self.project_id) else { return "    ".into() };
        let slot = view.timings.iter().rev().find(|t| t.task_id == task).and_then(|t| t.slot);
        match slot {
            Some(s) => {
                view.lane_names.get(s as usize).cloned().unwrap_or_else(|| crate::plan::worktree_name(s as usize))
            }
            None => "    ".into(),
        }
    }

    fn print(&self, ev: &Event, o: &mut dyn Write) -> std::io::Result<()> {
        match ev {
            Event::Recovered { tasks_reset, tasks_found_merged, processes_killed, .. }
                if !tasks_reset.is_empty() || !tasks_found_merged.is_empty() || *processes_killed > 0 =>
            {
                writeln!(
                    o,
                    "recovered from an interrupted run: {} task(s) back to the backlog (branches kept), {} found \
                     merged, {} orphan agent process(es) stopped",
                    tasks_reset.len(),
                    tasks_found_merged.len(),
                    processes_killed
                )?;
            }
            Event::RunStarted { mode, workers, task_count, done_count, sandboxed, .. } => {
                let mode = mode.as_str();
                writeln!(
                    o,
                    "run started: {task_count} tasks, {done_count} already done, {mode} with {workers} worker(s)"
                )?;
                if *sandboxed {
                    writeln!(o, "sandbox: on (agents and tests write only to their worktree, /tmp and the caches)")?;
                } else {
                    writeln!(
                        o,
                        "sandbox: off (agents and tests are NOT confined: they can change anything your user can; \
                         `yokeflow config set sandbox on` with bubblewrap installed)"
                    )?;
                }
                writeln!(o, "{}", self.bar())?;
            }
            Event::RunPaused { .. } => writeln!(o, "paused: no new task starts")?,
            Event::RunResumed { .. } => writeln!(o, "resumed")?,
            Event::RunSequential { .. } => writeln!(o, "now sequential: one task at a time")?,
            Event::TaskStatusChanged { task_id, status, reason, .. } => {
                let slot = self.slot(task_id);
                match status {
                    TaskStatus::InProgress => writeln!(o, "{slot} {task_id}: started")?,
                    TaskStatus::Done => {
                        writeln!(o, "{slot} {task_id}: done")?;
                        writeln!(o, "{}", self.bar())?;
                    }
                    TaskStatus::Review => writeln!(
                        o,
                        "{slot} {task_id}: to Review: {}",
                        super::output::printable(reason.as_deref().unwrap_or(""))
                    )?,
                    TaskStatus::Backlog => writeln!(o, "{slot} {task_id}: back to the backlog")?,
                }
            }
            Event::WorktreeCreated { task_id, branch, reattached, .. } => {
                let how = if *reattached { "continuing on" } else { "worktree on" };
                writeln!(o, "{} {task_id}: {how} {branch}", self.slot(task_id))?;
            }
            Event::AgentStarted { task_id, pid, log_path, .. } => {
                writeln!(o, "{} {task_id}: agent running (pid {pid}, log {log_path})", self.slot(task_id))?;
            }
            Event::AgentExited { task_id, outcome, exit_code, .. } => {
                let code = exit_code.map(|c| format!(", exit {c}")).unwrap_or_default();
                writeln!(o, "{} {task_id}: agent finished: {}{code}", self.slot(task_id), outcome.as_str())?;
            }
            Event::MergeStarted { task_id, branch, .. } => {
                writeln!(o, "{} {task_id}: merging {branch}", self.slot(task_id))?;
            }
            Event::PreflightStarted { task_id, .. } => {
                writeln!(o, "{} {task_id}: pre-flight: testing the branch merged with the target", self.slot(task_id))?;
            }
            Event::PreflightEnded { task_id, result, detail, ms, .. } => {
                let secs = *ms as f64 / 1000.0;
                let what = match result {
                    PreflightResult::Passed => format!("pre-flight passed ({secs:.1} s)"),
                    PreflightResult::Failed => {
                        format!("pre-flight failed ({secs:.1} s, log {detail})")
                    }
                    PreflightResult::Skipped => format!("no pre-flight: {detail}"),
                };
                writeln!(o, "{} {task_id}: {}", self.slot(task_id), super::output::printable(&what))?;
            }
            Event::MergeBatch { task_ids, .. } if task_ids.len() > 1 => {
                writeln!(o, "gate: testing together {}", task_ids.join(", "))?;
            }
            Event::MergeResult { task_id, result, detail, .. } => {
                let what = match result {
                    MergeKind::Merged => format!("merged ({})", detail.get(..10).unwrap_or(detail)),
                    MergeKind::Conflict => format!("conflict in {detail}"),
                    MergeKind::TestsFailed => format!("tests failed (log {detail})"),
                    MergeKind::NothingToMerge => "nothing to merge".into(),
                    MergeKind::CheckoutBlocked => format!("not landed: {detail}"),
                    MergeKind::TargetFailing => format!("not landed: the target fails its tests (log {detail})"),
                    MergeKind::Refused => format!("refused: {detail}"),
                    MergeKind::Error => format!("merge error: {detail}"),
                };
                // File names and git's words come from the repository: escaped like titles.
                writeln!(o, "{} {task_id}: {}", self.slot(task_id), super::output::printable(&what))?;
            }
            Event::ConflictPredicted { task_id, other, files, .. } => {
                let (slot, files) = (self.slot(task_id), files.join(", "));
                writeln!(o, "{slot} {task_id}: conflict predicted with {other} in {files}")?
            }
            Event::TargetMovedOutside { target, from, to, by, passed, log, .. } => {
                let what = match passed {
                    Some(true) => "it passed the tests on its own; landing goes on on top of it".to_string(),
                    Some(false) => format!(
                        "its tests fail on their own (log: {}): nothing lands on it until it moves again and passes",
                        log.as_deref().unwrap_or("-")
                    ),
                    None => "there is no test command to check it".to_string(),
                };
                let line =
                    format!("warning: `{target}` was moved outside the merge gate from {from} to {to} ({by}); {what}");
                writeln!(o, "{}", super::output::printable(&line))?
            }
            Event::Warning { task_id, message, .. } => {
                let task = task_id.as_deref().map(|t| format!(" ({t})")).unwrap_or_default();
                writeln!(o, "warning{task}: {}", super::output::printable(message))?
            }
            _ => {}
        }
        o.flush()
    }
}
