//! `yokeflow expertise import|export|list|add|route|conflicts|resolve` and `yokeflow watch`: the expertise
//! files and their live sync from the command line, over the functions of [`crate::expertise`].

use std::io::Write;

use clap::{Args, Subcommand, ValueEnum};
use tokio::sync::broadcast;

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::expertise::{ExpertiseEvent, Keep, SyncReport};
use crate::model::Project;

#[derive(Debug, Clone, Args)]
pub struct ExpertiseArgs {
    #[command(subcommand)]
    pub command: ExpertiseCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ExpertiseCommand {
    /// Reconcile `.claude/commands/experts/` with the database (new and edited files are stored)
    Import,
    /// Write the database's expertise to `.claude/commands/experts/` (unchanged files are not touched)
    Export,
    /// List the project's expertise
    List,
    /// Create an empty expertise for a domain (database and files)
    Add { domain: String },
    /// Pick the expert for a task (native skill, then database expertise, then none) and log the decision
    Route { task_id: String },
    /// List the unresolved conflicts (both versions), or all of them with --all
    Conflicts {
        #[arg(long)]
        all: bool,
    },
    /// Resolve a domain's conflict by keeping one side
    Resolve {
        domain: String,
        #[arg(long, value_enum)]
        keep: KeepArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeepArg {
    Db,
    File,
}

pub(super) async fn execute(
    api: &Service,
    p: &Project,
    args: ExpertiseArgs,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    match args.command {
        ExpertiseCommand::Import => report(out, json, "import", api.import_expertise(&p.id).await?),
        ExpertiseCommand::Export => report(out, json, "export", api.export_expertise(&p.id).await?),
        ExpertiseCommand::Add { domain } => {
            let added = api.add_expertise(&p.id, &domain).await?;
            if json {
                return super::output::emit(out, json, &added, |_| Ok(()));
            }
            let committed = added.committed.clone().zip(added.branch.clone());
            report(out, json, &format!("add {domain}:"), added.report)?;
            if let Some((sha, branch)) = committed {
                let short = sha.get(..10).unwrap_or(&sha);
                writeln!(out, "committed the expert's files on `{branch}` ({short})")
                    .map_err(|e| CoreError::io("cannot write output", e))?;
            }
            Ok(())
        }
        ExpertiseCommand::Resolve { domain, keep } => {
            let keep = match keep {
                KeepArg::Db => Keep::Db,
                KeepArg::File => Keep::File,
            };
            report(
                out,
                json,
                &format!("resolve {domain}:"),
                api.resolve_expertise_conflict(&p.id, &domain, keep).await?.0,
            )
        }
        ExpertiseCommand::List => {
            let list = api.expertise(&p.id).await?;
            super::output::emit(out, json, &list, |o| {
                writeln!(o, "{:<24} {:>10} {:>6} {:>9}", "DOMAIN", "CONFIDENCE", "USAGE", "PATTERNS")?;
                for e in &list {
                    writeln!(o, "{:<24} {:>10} {:>6} {:>9}", e.domain, e.confidence, e.usage_count, e.patterns.len())?;
                }
                if list.is_empty() {
                    writeln!(o, "no expertise yet: `yokeflow expertise add <domain>`")?;
                }
                Ok(())
            })
        }
        ExpertiseCommand::Route { task_id } => {
            let d = api.route(&p.id, &task_id).await?;
            super::output::emit(out, json, &d, |o| {
                match &d.domain {
                    Some(domain) => {
                        writeln!(o, "{}: {} ({}, score {})", d.task_id, domain, d.source.as_str(), d.score)?
                    }
                    None => writeln!(o, "{}: no expert", d.task_id)?,
                }
                for r in &d.reasons {
                    writeln!(o, "  - {r}")?;
                }
                Ok(())
            })
        }
        ExpertiseCommand::Conflicts { all } => {
            let list = api.expertise_conflicts(&p.id, !all).await?;
            super::output::emit(out, json, &list, |o| {
                for c in &list {
                    let state = c.resolution.map_or("open", |r| r.as_str());
                    writeln!(o, "#{} {} ({state})", c.id, c.domain)?;
                    writeln!(o, "--- database version\n{}--- file version\n{}", c.db_version, c.file_version)?;
                }
                if list.is_empty() {
                    writeln!(o, "no conflicts")?;
                }
                Ok(())
            })
        }
    }
}

/// Prints a sync report; a report with unusable files is an error (exit 1) after it is printed.
fn report(out: &mut dyn Write, json: bool, what: &str, r: SyncReport) -> CoreResult<()> {
    super::output::emit(out, json, &r, |o| {
        writeln!(
            o,
            "{what} {} imported, {} exported, {} unchanged, {} conflicts, {} skills written, {} files written",
            r.imported.len(),
            r.exported.len(),
            r.unchanged,
            r.conflicts.len(),
            r.skills_written.len(),
            r.files_written
        )?;
        for d in &r.conflicts {
            writeln!(o, "conflict: `{d}` changed on both sides; see `yokeflow expertise conflicts`")?;
        }
        Ok(())
    })?;
    if r.issues.is_empty() {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(r.issues.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join("\n")))
    }
}

/// `yokeflow watch`: live sync until Ctrl-C, printing each event (one JSON object per line with `--json`).
pub(super) async fn watch(api: &Service, p: &Project, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    let io = |e| CoreError::io("cannot write output", e);
    let (tx, mut rx) = broadcast::channel(1024);
    let handle = api.watch_expertise(&p.id, tx).await?;
    loop {
        tokio::select! {
            ev = rx.recv() => match ev {
                Ok(ev) => {
                    if json {
                        writeln!(out, "{}", serde_json::to_string(&ev).expect("events serialize")).map_err(io)?;
                    } else {
                        writeln!(out, "{}", describe(&ev)).map_err(io)?;
                    }
                    out.flush().map_err(io)?;
                }
                Err(broadcast::error::RecvError::Lagged(n)) => writeln!(out, "({n} events skipped)").map_err(io)?,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    handle.stop().await;
    Ok(())
}

fn describe(ev: &ExpertiseEvent) -> String {
    match ev {
        ExpertiseEvent::WatchStarted { path, .. } => format!("watching {path} (Ctrl-C to stop)"),
        ExpertiseEvent::Imported { domain, .. } => format!("{domain}: file change stored in the database"),
        ExpertiseEvent::Exported { domain, .. } => format!("{domain}: database change written to the files"),
        ExpertiseEvent::SkillWritten { domain, path, .. } => format!("{domain}: native skill written to {path}"),
        ExpertiseEvent::Conflict { domain, conflict_id, .. } => format!(
            "{domain}: changed on both sides (conflict #{conflict_id}); choose with `yokeflow expertise resolve \
             {domain} --keep db|file`"
        ),
        ExpertiseEvent::ConflictResolved { domain, resolution, .. } => {
            format!("{domain}: conflict resolved ({})", resolution.as_str())
        }
        ExpertiseEvent::Invalid { message, .. } => format!("error: {message}"),
    }
}
