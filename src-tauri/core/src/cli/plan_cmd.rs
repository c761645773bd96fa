//! `yokeflow plan …`: build, show, edit and simulate the project's execution plan ([`crate::plan::planner`]). Text
//! output lists batches with their tasks and worktrees, the figures and the predicted conflicts; `--json`
//! prints the plan (or the simulation report) as one object.

use std::collections::HashMap;
use std::io::Write;

use clap::{Args, Subcommand};

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::model::{Project, Task};
use crate::plan::{ExecutionPlan, PlanEdit, SimulationReport};

#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub action: PlanAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PlanAction {
    /// Predict files, build the plan and store it
    Build {
        /// Worktrees (agents) at once [default: the project's setting]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: Option<u32>,
    },
    /// Show the stored plan
    Show,
    /// Adjust the stored plan by hand; refused when it would break a dependency or a predicted conflict
    Edit {
        /// The task to move
        #[arg(long, value_name = "ID", required_unless_present = "force_sequential")]
        move_task: Option<String>,
        /// Move it into this batch (`batch-2` or `2`)
        #[arg(long, value_name = "B", requires = "move_task", conflicts_with = "to_worktree")]
        to_batch: Option<String>,
        /// Move it to this worktree (`wt-1` or `1`)
        #[arg(long, value_name = "W", requires = "move_task")]
        to_worktree: Option<String>,
        /// One task per batch, all in one worktree
        #[arg(long, conflicts_with_all = ["move_task", "to_batch", "to_worktree"])]
        force_sequential: bool,
    },
    /// Draft the tasks with the project's agent from an app spec or a goal (Session 0): the agent writes
    /// yokeflow.yaml in a scratch worktree; it is validated (the errors go back to the agent once) and previewed.
    /// Without --yes nothing changes; with it, the draft becomes the project's tasks file and is imported
    Draft {
        /// The app spec (Markdown) to turn into tasks
        #[arg(long, value_name = "FILE", required_unless_present = "goal")]
        spec: Option<std::path::PathBuf>,
        /// A short goal for an existing project, e.g. "add OAuth login"
        #[arg(long, value_name = "TEXT")]
        goal: Option<String>,
        /// Draft tasks for this epic only
        #[arg(long, value_name = "ID")]
        epic: Option<String>,
        /// The agent's argv template as a JSON list [default: the project's, else Claude Code]
        #[arg(long, value_name = "JSON")]
        agent: Option<String>,
        /// Stop the agent after this many seconds [default: 1800]
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Accept the draft: write it as the project's tasks file, import it and build the plan
        #[arg(long)]
        yes: bool,
    },
    /// Compare sequential, batch-by-batch and dynamic schedules of the remaining tasks
    Simulate {
        /// Workers to simulate [default: the project's setting]
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: Option<u32>,
    },
}

pub(super) async fn execute(
    api: &Service,
    p: &Project,
    args: PlanArgs,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let io = |e| CoreError::io("cannot write output", e);
    match args.action {
        PlanAction::Draft { spec, goal, epic, agent, timeout, yes } => {
            let agent = agent.map(|a| crate::agents::command::parse_argv_json("--agent", &a)).transpose()?;
            let req = crate::run::draft::DraftRequest {
                spec,
                goal,
                epic,
                agent,
                timeout: timeout.map(|s| std::time::Duration::from_secs(s.max(1))),
            };
            let runs = api.runs();
            let preview = runs.draft_tasks(&p.id, req).await?;
            if !json {
                print_draft(out, &preview).map_err(io)?;
            }
            // The command line cannot come back to a draft later: one not accepted now is dropped.
            if !yes || !preview.issues.is_empty() {
                runs.discard_draft(&p.id, &preview.draft_id).await?;
            }
            if !preview.issues.is_empty() {
                if json {
                    super::output::emit(out, json, &preview, |_| Ok(()))?;
                }
                return Err(CoreError::InvalidTaskFile {
                    file: "the drafted yokeflow.yaml".into(),
                    issues: preview.issues.clone(),
                });
            }
            if !yes {
                if json {
                    return super::output::emit(out, json, &preview, |_| Ok(()));
                }
                return writeln!(out, "\nNothing changed. To make it the project's tasks, draft again with --yes.")
                    .map_err(io);
            }
            let accepted = runs.accept_draft(&p.id, &preview.draft_id).await?;
            if json {
                let both = serde_json::json!({ "preview": preview, "accepted": accepted });
                return super::output::emit(out, json, &both, |_| Ok(()));
            }
            writeln!(
                out,
                "\nAccepted: {} task(s) added, {} changed, {} removed; written to {}",
                accepted.summary.added.len(),
                preview.changes.changed.len(),
                accepted.summary.removed.len(),
                accepted.file
            )
            .map_err(io)?;
            if let Some(w) = &accepted.summary.plan_warning {
                writeln!(out, "warning: the plan could not be built: {w}").map_err(io)?;
            }
            Ok(())
        }
        PlanAction::Build { workers } => {
            let plan = api.build_plan(&p.id, workers.map(|w| w as usize)).await?;
            show(api, p, &plan, json, out).await
        }
        PlanAction::Show => {
            let plan = api
                .plan(&p.id)
                .await?
                .ok_or_else(|| CoreError::NotFound { what: "execution plan for project", id: p.name.clone() })?;
            show(api, p, &plan, json, out).await
        }
        PlanAction::Edit { move_task, to_batch, to_worktree, force_sequential } => {
            let edit = match (move_task, to_batch, to_worktree) {
                _ if force_sequential => PlanEdit::ForceSequential,
                (Some(task), Some(b), None) => PlanEdit::MoveToBatch { task, batch_id: named("batch", &b) },
                (Some(task), None, Some(w)) => PlanEdit::MoveToWorktree { task, worktree: named("wt", &w) },
                _ => {
                    return Err(CoreError::InvalidInput(
                        "`plan edit` needs --move-task ID with --to-batch B or --to-worktree W, or \
                         --force-sequential"
                            .into(),
                    ))
                }
            };
            let plan = api.edit_plan(&p.id, edit).await?;
            show(api, p, &plan, json, out).await
        }
        PlanAction::Simulate { workers } => {
            let report = api.simulate(&p.id, workers.map(|w| w as usize)).await?;
            if json {
                return super::output::emit(out, true, &report, |_| Ok(()));
            }
            print_simulation(out, &report).map_err(io)
        }
    }
}

/// `2` -> `batch-2`; anything else as given.
fn named(prefix: &str, value: &str) -> String {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        format!("{prefix}-{value}")
    } else {
        value.to_string()
    }
}

async fn show(api: &Service, p: &Project, plan: &ExecutionPlan, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    if json {
        return super::output::emit(out, true, plan, |_| Ok(()));
    }
    let list = api.tasks(&p.id).await?;
    print_plan(out, &p.name, plan, &list).map_err(|e| CoreError::io("cannot write output", e))
}

fn print_plan(o: &mut dyn Write, project: &str, plan: &ExecutionPlan, list: &[Task]) -> std::io::Result<()> {
    let by_id: HashMap<&str, &Task> = list.iter().map(|t| (t.id.as_str(), t)).collect();
    let tree_of: HashMap<&str, &str> = plan
        .worktree_assignments
        .iter()
        .flat_map(|w| w.task_ids.iter().map(move |t| (t.as_str(), w.worktree.as_str())))
        .collect();
    let s = &plan.stats;
    writeln!(
        o,
        "Plan for `{project}`: {} tasks in {} batches on {} worktree(s) ({} workers)",
        s.task_count,
        plan.batches.len(),
        plan.worktree_assignments.len(),
        s.workers
    )?;
    let w_id = by_id.keys().map(|k| k.len()).max().unwrap_or(2).max(2);
    for b in &plan.batches {
        let after =
            if b.depends_on.is_empty() { String::new() } else { format!(", after {}", b.depends_on.join(", ")) };
        let mode = if b.can_parallel { "parallel" } else { "single" };
        writeln!(o, "\n{} ({mode}{after})", b.batch_id)?;
        for id in &b.task_ids {
            let t = by_id.get(id.as_str());
            writeln!(
                o,
                "  {id:<w_id$}  {:<6}  {:>4} min  {:<10}  {}",
                tree_of.get(id.as_str()).copied().unwrap_or("-"),
                t.map_or(0, |t| t.effort_minutes),
                t.and_then(|t| t.epic.as_deref()).unwrap_or("-"),
                t.map_or("", |t| t.title.as_str())
            )?;
        }
    }
    writeln!(o, "\nWorktrees:")?;
    for w in &plan.worktree_assignments {
        writeln!(o, "  {:<6} {:>5} min  {}", w.worktree, w.total_effort, w.task_ids.join(", "))?;
    }
    writeln!(o, "\nFigures (minutes of estimated effort):")?;
    writeln!(o, "  total effort        {}", s.total_effort)?;
    writeln!(o, "  critical path       {} ({})", s.critical_path_minutes, s.critical_path.join(" -> "))?;
    writeln!(o, "  lower bound         {}", s.lower_bound)?;
    writeln!(o, "  predicted makespan  {}", s.predicted_makespan)?;
    if plan.conflict_groups.is_empty() {
        writeln!(o, "\nNo predicted conflicts.")?;
    } else {
        writeln!(o, "\nPredicted conflicts (the tasks of a line never run at the same time):")?;
        for g in &plan.conflict_groups {
            // A large group is summarised: its size and first tasks.
            let shown: Vec<&str> = g.tasks.iter().take(8).map(String::as_str).collect();
            let more = g.tasks.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            writeln!(o, "  {}: {}{more}", g.files.join(", "), shown.join(", "))?;
        }
    }
    Ok(())
}

fn print_draft(o: &mut dyn Write, d: &crate::run::draft::DraftPreview) -> std::io::Result<()> {
    let attempts = if d.attempts > 1 { " (fixed after the first version was refused)" } else { "" };
    writeln!(o, "Draft {}: {} task(s), {} epic(s){attempts}", d.draft_id, d.tasks.len(), d.epics.len())?;
    if let Some(cost) = d.cost_usd {
        writeln!(o, "agent cost: ${cost:.4}")?;
    }
    for t in &d.tasks {
        let deps = if t.depends_on.is_empty() { String::new() } else { format!(" <- {}", t.depends_on.join(", ")) };
        let files = if t.files.is_empty() { String::new() } else { format!("  [{}]", t.files.join(", ")) };
        writeln!(o, "  {} {} ({} min){deps}{files}", t.id, super::output::printable(&t.title), t.effort_minutes)?;
    }
    let c = &d.changes;
    writeln!(
        o,
        "against the current tasks: {} added, {} changed, {} removed, {} kept (started)",
        c.added.len(),
        c.changed.len(),
        c.removed.len(),
        c.kept.len()
    )?;
    if let Some(plan) = &d.plan {
        writeln!(
            o,
            "plan: {} batch(es), predicted makespan {} min with {} workers (lower bound {}), {} conflict group(s)",
            plan.batches.len(),
            plan.stats.predicted_makespan,
            plan.stats.workers,
            plan.stats.lower_bound,
            plan.conflict_groups.len()
        )?;
        for b in &plan.batches {
            writeln!(o, "  {}: {}", b.batch_id, b.task_ids.join(", "))?;
        }
    }
    for issue in &d.issues {
        writeln!(o, "problem: {issue}")?;
    }
    writeln!(o, "agent log: {}", d.log_path)
}

fn print_simulation(o: &mut dyn Write, r: &SimulationReport) -> std::io::Result<()> {
    writeln!(o, "Simulation with {} worker(s), in minutes of estimated effort:", r.workers)?;
    writeln!(o, "  sequential   {}", r.sequential)?;
    writeln!(o, "  barrier      {}  (batch by batch)", r.barrier)?;
    writeln!(o, "  dynamic      {}  (a task starts as soon as it can)", r.dynamic)?;
    writeln!(o, "  lower bound  {}", r.lower_bound)?;
    writeln!(o, "  critical path {} min: {}", r.critical_path_minutes, r.critical_path.join(" -> "))?;
    if r.dynamic > 0 {
        writeln!(o, "  speed-up over sequential: {:.2}x", r.sequential as f64 / r.dynamic as f64)?;
    }
    Ok(())
}
