//! The commands on a task's work and the board: `status`, `move`, `log`, `discard`, `diff`, `feedback`, `land`,
//! each one call of the core's surface ([`Service`]) and its printing.

use std::io::Write;

use serde::Serialize;

use crate::api::{LogLength, Service};
use crate::error::{CoreError, CoreResult};
use crate::model::{Project, Task, TaskStatus};

use super::output::{emit, printable, printable_patch};
use super::run_cmd;

/// What `yokeflow move` did.
#[derive(Serialize)]
struct Moved<'a> {
    task: &'a str,
    status: TaskStatus,
    /// Set when the plan could not be rebuilt after the move (the move stands).
    plan_warning: Option<String>,
}

/// `yokeflow status`: the tasks by column, their cost, and what the project takes on disk.
pub(super) async fn status(api: &Service, p: &Project, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    let list = api.tasks(&p.id).await?;
    let disk = api.disk_usage(&p.id).await?;
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

/// `yokeflow move TASK COLUMN`: this process has no run, so a move is stored, or refused while a run of another
/// process goes.
pub(super) async fn move_task(
    api: &Service,
    p: &Project,
    task: String,
    to: TaskStatus,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    // This process has no run: a move is stored, or refused while a run of another process goes.
    let (_, plan_warning) = api.runs().set_task_status(&p.id, &task, to).await?;
    let moved = Moved { task: &task, status: to, plan_warning };
    emit(out, json, &moved, |o| {
        writeln!(o, "moved `{}` to {}", moved.task, to.as_str())?;
        match &moved.plan_warning {
            Some(w) => writeln!(o, "warning: {w}"),
            None => Ok(()),
        }
    })
}

/// `yokeflow discard TASK [--yes]`: without `--yes` it says what would go and changes nothing.
pub(super) async fn discard(
    api: &Service,
    p: &Project,
    task: String,
    yes: bool,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    if !yes {
        let diff = api.task_diff(&p.id, &task).await;
        let what = match &diff {
            Ok(d) => format!("{} file(s) changed, +{} -{}", d.files.len(), d.additions, d.deletions),
            Err(_) => "no work on disk".to_string(),
        };
        Err(CoreError::InvalidInput(format!(
            "this would discard the work of `{task}` ({what}); run again with --yes to discard it"
        )))
    } else {
        let done = api.runs().discard_work(&p.id, &task).await?;
        emit(out, json, &done, |o| match (&done.branch, &done.kept_at, &done.commit) {
            (Some(branch), Some(kept), Some(commit)) => writeln!(
                o,
                "discarded the work of `{task}`: {branch} is gone from your branches; its commits stay at {kept} \
                 ({commit}); `git branch <name> {kept}` brings them back. The task is in the Backlog."
            ),
            _ => writeln!(o, "`{task}` had no work on disk; it is in the Backlog"),
        })
    }
}

/// `yokeflow diff TASK [--stat]`: what the task changed against its merge base with the target.
pub(super) async fn diff(
    api: &Service,
    p: &Project,
    task: String,
    stat: bool,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let diff = api.task_diff(&p.id, &task).await?;
    emit(out, json, &diff, |o| {
        for f in &diff.files {
            if stat {
                let name = match &f.old_path {
                    Some(old) => format!("{} → {}", printable(old), printable(&f.path)),
                    None => printable(&f.path).into_owned(),
                };
                let counts = if f.binary { "binary".to_string() } else { format!("+{} -{}", f.additions, f.deletions) };
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

/// `yokeflow feedback TASK TEXT`: the remark goes to the task's agent; a run of its own is followed to its end.
pub(super) async fn feedback(
    api: &Service,
    p: &Project,
    task: String,
    text: String,
    timeout: Option<u64>,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let rx = api.runs().subscribe();
    let request = crate::run::runs::RunRequest {
        agent_timeout: timeout.map(|secs| std::time::Duration::from_secs(secs.max(1))),
        ..Default::default()
    };
    let (_, route, started) = api.runs().feedback(&p.id, &task, &text, request).await?;
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
            let report = run_cmd::follow(api, p, rx, started, json, out).await?;
            let after = api.tasks(&p.id).await?.into_iter().find(|t| t.id == task);
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

/// `yokeflow land TASK…`: the tasks' kept branches through the gate, followed to the end; fails if one did not land.
pub(super) async fn land(
    api: &Service,
    p: &Project,
    ids: Vec<String>,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let rx = api.runs().subscribe();
    let started = api.runs().land(&p.id, &ids, crate::run::runs::RunRequest::default()).await?;
    let report = run_cmd::follow(api, p, rx, started, json, out).await?;
    emit(out, json, &report, |o| write!(o, "\n{}", report.to_text()))?;
    let after = api.tasks(&p.id).await?;
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

/// `yokeflow log TASK [--tests]`: the agent's sessions, or the end of the gate's test log.
pub(super) async fn log(
    api: &Service,
    p: &Project,
    task: String,
    tests: bool,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    if tests {
        let log = api.test_log(&p.id, &task).await?;
        return emit(out, json, &log, |o| {
            let cut = if log.truncated { format!(", its last {} bytes", log.tail.len()) } else { String::new() };
            writeln!(o, "# {} ({} bytes{cut})", log.path, log.size)?;
            o.write_all(log.tail.as_bytes())
        });
    }
    let log = api.task_log(&p.id, &task, LogLength::Full).await?;
    emit(out, json, &log, |o| print_log(o, &log))
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
