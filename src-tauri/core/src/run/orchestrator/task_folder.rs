//! A task's worktree during its run: opened (fresh, a reused slot, or its kept branch reattached), prepared (included
//! files, setup), parked while its work is at the gate, given back for Review, cleaned up and removed.

use super::step::Occupancy;
use super::worker_ctx::{warning, Started, TaskStop, WorkerCtx};
use crate::error::{CoreError, CoreResult};
use crate::model::TaskStatus;
use crate::run::events::{emit, Event};
use crate::store::records::{self};
use crate::sys::concurrency::blocking;
use crate::workspace::worktree::{Rebase, WorktreeInfo, Worktrees};
use std::path::PathBuf;
use std::time::Duration;

/// Parks the folder of a task whose work is committed and goes to the gate ([`Worktrees::park`]), after the
/// project's cleanup command; true when the folder is no longer the task's.
pub(super) async fn park_worktree(ctx: &WorkerCtx, s: &Started, info: &WorktreeInfo) -> bool {
    let (repo, probe) = (ctx.repo.clone(), info.clone());
    // A folder with changes its branch lacks stays: no cleanup either.
    if !blocking(move || Worktrees::open(&repo)?.has_changes(&probe)).await.is_ok_and(|dirty| !dirty) {
        return false;
    }
    cleanup_worktree(ctx, &s.task.id, info).await;
    let (repo, parked) = (ctx.repo.clone(), info.clone());
    match blocking(move || Worktrees::open(&repo)?.park(&parked)).await {
        Ok(crate::workspace::worktree::Parked::Kept) => false,
        Ok(_) => {
            if let Err(e) = records::set_worktree_path(&ctx.db, &s.row_id, None).await {
                emit(&ctx.events, warning(ctx, &s.task.id, format!("cannot record the worktree's state: {e}")));
            }
            let (run_id, task_id, branch) = (ctx.run_id.clone(), s.task.id.clone(), info.branch.clone());
            emit(&ctx.events, Event::WorktreeRemoved { run_id, task_id, branch });
            true
        }
        Err(e) => {
            emit(&ctx.events, warning(ctx, &s.task.id, format!("the worktree was kept while its work waits: {e}")));
            false
        }
    }
}

/// A folder of the task's branch again ([`Worktrees::reattach`]), recorded on the task's row.
pub(super) async fn unpark_worktree(ctx: &WorkerCtx, s: &Started, branch: &str) -> CoreResult<WorktreeInfo> {
    let (repo, task_id, branch) = (ctx.repo.clone(), s.task.id.clone(), branch.to_string());
    let info = blocking(move || Worktrees::open(&repo)?.reattach(&task_id, &branch)).await?;
    records::set_worktree_path(&ctx.db, &s.row_id, Some(&info.path)).await?;
    Ok(info)
}

/// A task going to Review whose folder was parked gets one again (from its branch: no build outputs), for the person
/// to look into; a problem is a warning (its branch still holds the work).
pub(super) async fn review_folder(ctx: &WorkerCtx, s: &Started, branch: &str, has_one: bool) {
    if has_one {
        return;
    }
    if let Err(e) = unpark_worktree(ctx, s, branch).await {
        let message = format!(
            "the task's worktree could not be made again for review ({e}); its branch `{branch}` holds the work"
        );
        emit(&ctx.events, warning(ctx, &s.task.id, message));
    }
}

/// The worktree to work in: the live one of the kept branch or the kept branch reattached (rebased onto the
/// current target), or a new one from the current target commit (the slot's reused folder when the project reuses
/// worktrees). Also whether it continues earlier work, and
/// what a person should know about it (a rebase that stopped on a conflict).
pub(super) async fn open_worktree(ctx: &WorkerCtx, s: &Started) -> CoreResult<(WorktreeInfo, bool, Option<String>)> {
    let repo = ctx.repo.clone();
    let target = ctx.target_branch.clone();
    let task_id = s.task.id.clone();
    let reuse = s.reuse_branch.clone();
    // From the target as the gate last tested it: a target moved outside the gate is not work to build on.
    let base = ctx.queue.trusted_target();
    let slot = match s.slot {
        Occupancy::Worker(slot) if ctx.project.reuse_worktrees => Some(slot),
        _ => None,
    };
    blocking(move || {
        let wts = Worktrees::open(&repo)?;
        let git = git2::Repository::open(&repo)?;
        if let Some(branch) = reuse.filter(|b| git.find_branch(b, git2::BranchType::Local).is_ok()) {
            let live = wts.list()?.into_iter().find(|i| i.branch == branch);
            let dirty = match &live {
                Some(info) => wts.has_changes(info)?,
                None => false,
            };
            if dirty || wts.unmerged_commits(&branch, &target)? > 0 {
                // Work of its own (an interrupted or reviewed attempt, committed or not): continue from it, on top
                // of the current target (an old base would make the agent work against code that moved).
                // Onto the target as the gate last tested it, like new work. A kept branch without a folder (its
                // work waited at the gate) is rebased in memory, then given one.
                let onto = base.to_string();
                let (info, rebased) = match live {
                    Some(live) => {
                        let info = WorktreeInfo { task_id: task_id.clone(), ..live };
                        let rebased = wts.rebase_onto_target(&info, &onto)?;
                        (info, rebased)
                    }
                    None => {
                        let rebased = wts.rebase_branch(&branch, &onto)?;
                        let info = wts.reattach(&task_id, &branch)?;
                        let rebased = match rebased {
                            Rebase::Rebased { behind, .. } => Rebase::Rebased { info: info.clone(), behind },
                            other => other,
                        };
                        (info, rebased)
                    }
                };
                return match rebased {
                    Rebase::UpToDate => Ok((info, true, None)),
                    Rebase::Rebased { info, behind } => {
                        tracing::info!(task_id, branch, behind, "the kept branch was rebased onto the target");
                        Ok((info, true, None))
                    }
                    Rebase::Conflict { files } => {
                        let note = format!(
                            "`{task_id}` continues its earlier work on `{branch}` from its old base: rebasing it \
                             onto `{target}` stopped on a conflict in {}; the merge gate merges it as usual",
                            files.join(", ")
                        );
                        Ok((info, true, Some(note)))
                    }
                };
            }
            // Nothing of its own (the attempt failed before changing anything): an old base is no head start, so
            // start again from the current target, on a new branch. In the same folder when it is still there: the
            // agent's CLI keeps its conversation by folder, so feedback continues it (Claude Code's `--resume`).
            match live {
                Some(live) => {
                    wts.remove(&live, &target)?;
                    let folder = live.path.file_name().and_then(|n| n.to_str()).map(str::to_string);
                    if let Some(folder) = folder.filter(|_| slot.is_none()) {
                        // A folder that could not be had again (left behind by the removal): a new one instead.
                        match wts.create_in(&task_id, base, &folder) {
                            Ok(info) => return Ok((info, false, None)),
                            Err(e) => tracing::warn!(task_id, "the task's folder could not be made again: {e}"),
                        }
                    }
                }
                None => {
                    wts.delete_branch_if_merged(&branch, &target)?;
                }
            }
        }
        let Some(slot) = slot else { return Ok((wts.create(&task_id, base)?, false, None)) };
        // The slot's own folder, reset to the base with its build outputs kept.
        let got = wts.acquire_slot(&task_id, base, slot)?;
        let mut notes = Vec::new();
        if let Some(why) = got.fallback {
            notes.push(format!("`{task_id}` did not reuse a free worktree: {why}"));
        }
        if let Some(kept) = got.rescued {
            notes.push(format!(
                "files found changed in the free worktree {} were saved in `{kept}` before it was reset for \
                 `{task_id}` (`git log -p {kept}` shows them)",
                crate::workspace::worktree::slot_name(slot)
            ));
        }
        Ok((got.info, false, (!notes.is_empty()).then(|| notes.join("; "))))
    })
    .await
}

/// Makes a task's worktree ready before its agent: the project's included (or linked) untracked files, then its
/// setup command. `Some` ends the task: Review with the setup's log when it failed, the Backlog when it was stopped.
pub(super) async fn prepare_worktree(
    ctx: &WorkerCtx,
    s: &Started,
    info: &WorktreeInfo,
    slot: u32,
    stop: &TaskStop,
) -> CoreResult<Option<(TaskStatus, Option<String>)>> {
    let p = &ctx.project;
    if !p.worktree_include.is_empty() || !p.worktree_link.is_empty() {
        let (root, dest, include, link) =
            (ctx.repo.clone(), info.path.clone(), p.worktree_include.clone(), p.worktree_link.clone());
        match blocking(move || crate::workspace::prepare::include_files(&root, &dest, &include, &link)).await {
            Ok(done) => {
                // Every match left out says why, once per run (an up-to-date copy is no news).
                for (path, why) in done.skipped.iter().filter(|(_, why)| !why.starts_with("the worktree has it")) {
                    if ctx.skips_said.lock().unwrap_or_else(|e| e.into_inner()).insert(path.clone()) {
                        let message = format!("`{path}` is not copied or linked into the worktrees: {why}");
                        emit(&ctx.events, warning(ctx, &s.task.id, message));
                    }
                }
            }
            Err(e) => {
                let reason = format!("the worktree's included files could not be copied: {e}");
                return Ok(Some((TaskStatus::Review, Some(reason))));
            }
        }
    }
    let Some(argv) = &p.setup_command else { return Ok(None) };
    let logs = crate::workspace::worktree::state_dir(&ctx.repo, "logs", true)?;
    let log_path = logs.join(format!("{}-{}-setup.log", s.task.id, &info.id[..8.min(info.id.len())]));
    // A reused slot whose setup already ran on the same lockfiles with the same command keeps what it installed.
    let mark = slot_setup_mark(ctx, info)?;
    if let Some(mark) = &mark {
        let fp = crate::workspace::prepare::folder_fingerprint(argv, &info.path)?;
        if std::fs::read_to_string(mark).is_ok_and(|f| f.trim() == fp) {
            let text = format!(
                "# yokeflow setup for task {} in {}: skipped, the command and the lockfiles are the same as when it \
                 last succeeded in this reused worktree (what it installed is still there)\n",
                s.task.id,
                info.path.display()
            );
            std::fs::write(&log_path, text)
                .map_err(|e| CoreError::io(format!("cannot write {}", log_path.display()), e))?;
            return Ok(None);
        }
    }
    let run = crate::workspace::prepare::CommandRun {
        argv,
        dir: &info.path,
        root: &ctx.repo,
        slot: Some(slot),
        port_base: ctx.port_base,
        task_id: Some(&s.task.id),
        log_path: &log_path,
        timeout: ctx.timeout.unwrap_or(Duration::from_secs(30 * 60)),
        sandbox: ctx.sandbox.as_ref(),
    };
    let header = format!("yokeflow setup for task {} in {}", s.task.id, info.path.display());
    let end = crate::workspace::prepare::run_command(run, &header, &stop.stop).await?;
    if let Some(mark) = &mark {
        // As the setup left the folder (a lockfile it generated counts): the next task finds it so if nothing changed.
        let _ = match (&end, crate::workspace::prepare::folder_fingerprint(argv, &info.path)) {
            (crate::workspace::prepare::CommandEnd::Succeeded, Ok(fp)) => std::fs::write(mark, fp),
            _ => std::fs::remove_file(mark),
        };
    }
    Ok(match end {
        crate::workspace::prepare::CommandEnd::Succeeded => None,
        crate::workspace::prepare::CommandEnd::Cancelled => Some((TaskStatus::Backlog, None)),
        other => {
            let problem = other.problem().unwrap_or_default();
            let shown = serde_json::to_string(argv).unwrap_or_default();
            let reason = format!("the setup command {shown} {problem} (log: {})", log_path.display());
            Some((TaskStatus::Review, Some(reason)))
        }
    })
}

/// Where the setup's fingerprint of a reused slot folder is kept (`<repo>/.yokeflow/worktree-meta/slot-<n>.setup`);
/// `None` for a worktree that is not a reused slot (its setup always runs).
pub(super) fn slot_setup_mark(ctx: &WorkerCtx, info: &WorktreeInfo) -> CoreResult<Option<PathBuf>> {
    let Some(name) = info.path.file_name().and_then(|n| n.to_str()).filter(|n| n.starts_with("slot-")) else {
        return Ok(None);
    };
    if !ctx.project.reuse_worktrees {
        return Ok(None);
    }
    Ok(Some(crate::workspace::worktree::state_dir(&ctx.repo, "worktree-meta", true)?.join(format!("{name}.setup"))))
}

/// Runs the project's cleanup command in a worktree about to be removed; a failure is a warning.
pub(super) async fn cleanup_worktree(ctx: &WorkerCtx, task_id: &str, info: &WorktreeInfo) {
    let Some(argv) = &ctx.project.cleanup_command else { return };
    let log_path = match crate::workspace::worktree::state_dir(&ctx.repo, "logs", true) {
        Ok(logs) => logs.join(format!("{task_id}-{}-cleanup.log", &info.id[..8.min(info.id.len())])),
        Err(e) => return emit(&ctx.events, warning(ctx, task_id, format!("the cleanup command did not run: {e}"))),
    };
    let run = crate::workspace::prepare::CommandRun {
        argv,
        dir: &info.path,
        root: &ctx.repo,
        slot: None,
        port_base: ctx.port_base,
        task_id: Some(task_id),
        log_path: &log_path,
        timeout: ctx.timeout.unwrap_or(Duration::from_secs(30 * 60)),
        sandbox: ctx.sandbox.as_ref(),
    };
    let header = format!("yokeflow cleanup for task {task_id} in {}", info.path.display());
    let message =
        match crate::workspace::prepare::run_command(run, &header, &crate::sys::concurrency::Cancel::new()).await {
            Ok(end) => end.problem().map(|p| format!("the cleanup command {p} (log: {})", log_path.display())),
            Err(e) => Some(format!("the cleanup command did not run: {e}")),
        };
    if let Some(message) = message {
        emit(&ctx.events, warning(ctx, task_id, message));
    }
}

pub(super) async fn remove_worktree(ctx: &WorkerCtx, task_id: &str, info: WorktreeInfo) {
    cleanup_worktree(ctx, task_id, &info).await;
    let repo = ctx.repo.clone();
    let target = ctx.target_branch.clone();
    let branch = info.branch.clone();
    // A slot's folder stays for the slot's next task (its branch goes); any other worktree is removed.
    let removed = blocking(move || Worktrees::open(&repo)?.release(&info, &target)).await;
    match removed {
        Ok(_) => emit(
            &ctx.events,
            Event::WorktreeRemoved { run_id: ctx.run_id.clone(), task_id: task_id.to_string(), branch },
        ),
        Err(e) => emit(&ctx.events, warning(ctx, task_id, format!("the merged worktree {branch} was kept: {e}"))),
    }
}
