//! Crash recovery, run before every run. State is written before it is acted on, so whatever a dead process
//! left half done is visible in the database and the repository:
//!
//! - a run still marked `running`/`paused` becomes `interrupted`: recovery holds the project's run claim
//!   ([`crate::store::claim`]), so its process is gone (a live run holds the claim and stops us:
//!   [`CoreError::RunInProgress`]);
//! - sessions still `running` become `interrupted`, and their agent process groups, if alive, are killed
//!   (found by the recorded pid and, on Linux, by the `YOKEFLOW_SESSION` variable of every process, which
//!   also catches an agent spawned just before its pid was recorded); so is a test command of the merge gate still
//!   running for this repository (its `YOKEFLOW_GATE_TESTS` variable);
//! - tasks `in_progress` go back to the backlog with their branch kept (the next start reattaches it and
//!   continues), except those whose work was handed to the gate (worktree row `merging`) and whose branch is already
//!   on the target: the merge happened, so they are done;
//! - worktrees on disk and `yokeflow/*` branches that no open row knows are registered for their task when
//!   they hold unmerged work, and removed when they hold none. No task and no commit is ever lost.

use std::collections::HashSet;
use std::path::Path;

use serde::Serialize;
use sqlx::Row;

use crate::error::{CoreError, CoreResult};
use crate::model::{RunStatus, TaskStatus};
use crate::run::agent::SESSION_ENV;
use crate::store::db::Db;
use crate::sys::concurrency::blocking;
use crate::workspace::worktree::{WorktreeInfo, Worktrees, BRANCH_PREFIX};
use crate::{model::now_ms, store::project, store::tasks};

use crate::store::records::{self, WorktreeStatus};

/// What recovery found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub runs_interrupted: u32,
    pub sessions_interrupted: u32,
    pub processes_killed: u32,
    /// Tasks put back in the backlog (their branches kept).
    pub tasks_reset: Vec<String>,
    /// Tasks whose branch was found merged: now done.
    pub tasks_found_merged: Vec<String>,
    pub worktrees_removed: u32,
    /// Worktrees or branches with unmerged work that no row knew, now registered for their task.
    pub worktrees_adopted: u32,
}

/// Brings the project back to a consistent state after a crash (see the module docs). Fails with
/// [`CoreError::RunInProgress`] when a run of this project is going (in this process or another).
pub async fn recover(db: &Db, project_id: &str) -> CoreResult<RecoveryReport> {
    let claim = claim(db, project_id).await?;
    recover_claimed(db, project_id, &claim).await
}

/// The project's run claim, or [`CoreError::RunInProgress`] naming the run that holds it.
pub(crate) async fn claim(db: &Db, project_id: &str) -> CoreResult<crate::store::claim::RunClaim> {
    let project = project::get(db, project_id).await?;
    let repo = std::path::PathBuf::from(&project.repo_path);
    // A claim just released can stay held for a moment: a process forked by another thread of this program (before
    // it runs its program, which closes the inherited file) holds a copy of the released lock's file description.
    // So while no run row says a run goes, the claim is tried again for a short while before it counts as taken.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    let live = records::run_sql(&RunStatus::LIVE);
    loop {
        let path = repo.clone();
        if let Some(claim) = blocking(move || crate::store::claim::RunClaim::try_acquire(&path)).await? {
            return Ok(claim);
        }
        let row: Option<String> =
            sqlx::query_scalar(&format!("SELECT id FROM runs WHERE project_id = ? AND status IN {live} LIMIT 1"))
                .bind(project_id)
                .fetch_optional(db.pool())
                .await?;
        if row.is_some() || std::time::Instant::now() >= deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let run = crate::store::claim::live_run(db, project_id).await?;
    Err(CoreError::RunInProgress { run: run.unwrap_or(crate::model::LiveRun { run_id: None, pid: 0 }) })
}

/// [`recover`] for the holder of the project's claim: every run row still `running` is a dead process's.
pub(crate) async fn recover_claimed(
    db: &Db,
    project_id: &str,
    _claim: &crate::store::claim::RunClaim,
) -> CoreResult<RecoveryReport> {
    let project = project::get(db, project_id).await?;
    let mut report = RecoveryReport::default();

    // 1. Runs: with the claim held, none of them is going.
    let live = records::run_sql(&RunStatus::LIVE);
    let runs = sqlx::query(&format!("SELECT id FROM runs WHERE project_id = ? AND status IN {live}"))
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
    for r in &runs {
        let id: String = r.try_get("id")?;
        sqlx::query("UPDATE runs SET status = ?, ended_at = ? WHERE id = ?")
            .bind(RunStatus::Interrupted.as_str())
            .bind(now_ms())
            .bind(&id)
            .execute(db.pool())
            .await?;
        report.runs_interrupted += 1;
    }

    // 2. Sessions and their orphan agents.
    let sessions = sqlx::query("SELECT id, pid FROM sessions WHERE project_id = ? AND outcome = ?")
        .bind(project_id)
        .bind(crate::model::SessionOutcome::RUNNING)
        .fetch_all(db.pool())
        .await?;
    if !sessions.is_empty() {
        let by_env = crate::sys::process::processes_with(SESSION_ENV);
        for s in &sessions {
            let (id, pid): (String, Option<i64>) = (s.try_get("id")?, s.try_get("pid")?);
            let mut groups: HashSet<i32> = by_env.get(&id).cloned().unwrap_or_default().into_iter().collect();
            if let Some(pid) = pid.filter(|&p| crate::sys::process::pid_alive(p)) {
                // Only a process that is still this session's agent (the pid may have been reused).
                if !cfg!(target_os = "linux") || process_session(pid as i32).as_deref() == Some(id.as_str()) {
                    groups.insert(pid as i32);
                }
            }
            for g in groups {
                if crate::sys::process::kill_group(g, libc::SIGKILL) || (unsafe { libc::kill(g, libc::SIGKILL) } == 0) {
                    report.processes_killed += 1;
                }
            }
            sqlx::query("UPDATE sessions SET outcome = ?, ended_at = ? WHERE id = ?")
                .bind(crate::model::SessionOutcome::INTERRUPTED)
                .bind(now_ms())
                .bind(&id)
                .execute(db.pool())
                .await?;
            report.sessions_interrupted += 1;
        }
    }
    // The gate's test command and the pre-flights of a dead run (nothing else tests this repository: we hold its
    // claim).
    let marked = crate::sys::process::processes_with(crate::gate::merge::GATE_TESTS_ENV);
    let pids = marked
        .into_iter()
        .filter(|(value, _)| crate::gate::merge::is_marked_for(value, &project.repo_path))
        .flat_map(|(_, pids)| pids);
    for pid in pids {
        if crate::sys::process::kill_group(pid, libc::SIGKILL) || (unsafe { libc::kill(pid, libc::SIGKILL) } == 0) {
            report.processes_killed += 1;
        }
    }
    if report.processes_killed > 0 {
        // Let the kernel tear the killed groups down before their files are touched.
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // 3. The repository: locks the dead processes left, then tasks in progress.
    let repo = std::path::PathBuf::from(&project.repo_path);
    let target = project.target_branch.clone();
    {
        let repo = repo.clone();
        let target = target.clone();
        blocking(move || {
            clear_stale_locks(&repo, &target);
            Ok(())
        })
        .await?;
    }
    let in_progress: Vec<String> = tasks::list(db, project_id)
        .await?
        .into_iter()
        .filter(|t| t.status == TaskStatus::InProgress)
        .map(|t| t.id)
        .collect();
    for task_id in in_progress {
        let row = records::open_worktree_of(db, project_id, &task_id).await?;
        // Only work that was handed to the gate can have landed: a branch that merely sits on the target (a rebase
        // that fast-forwarded an attempt with no commit of its own, cut short) is no landing.
        let merged = match &row {
            Some(row) if row.merging => {
                branch_is_merged(&repo, &row.branch, &target, row.base_commit.as_deref()).await?
            }
            _ => false,
        };
        if let (true, Some(row)) = (merged, &row) {
            tasks::set_status(db, project_id, &task_id, TaskStatus::Done, None).await?;
            records::set_worktree_status(db, &row.id, WorktreeStatus::Merged).await?;
            report.tasks_found_merged.push(task_id);
        } else {
            tasks::set_status(db, project_id, &task_id, TaskStatus::Backlog, None).await?;
            report.tasks_reset.push(task_id);
        }
    }

    // 4. Rows against the repository, and the repository against the rows.
    let (removed, adopted) = reconcile_worktrees(db, project_id, &repo, &target).await?;
    report.worktrees_removed += removed;
    report.worktrees_adopted += adopted;
    Ok(report)
}

/// Open worktree rows whose branch is gone are closed; worktrees and `yokeflow/*` branches that no open row
/// knows are removed when they hold no unmerged commit, and registered for their task otherwise. Also run at
/// the end of every run, so a worktree whose removal failed does not outlive it. Returns (removed, adopted).
pub(crate) async fn reconcile_worktrees(
    db: &Db,
    project_id: &str,
    repo: &Path,
    target: &str,
) -> CoreResult<(u32, u32)> {
    let (repo, target) = (repo.to_path_buf(), target.to_string());
    let (mut removed_count, mut adopted) = (0u32, 0u32);
    let open = records::open_worktrees(db, project_id).await?;
    let (repo2, target2) = (repo.clone(), target.clone());
    let (live, orphans, existing): (Vec<WorktreeInfo>, Vec<String>, HashSet<String>) = blocking(move || {
        let wts = Worktrees::open(&repo2)?;
        // Slot resets a crash cut short are finished first: their folders are free again, not anyone's work.
        wts.finish_resets()?;
        wts.prune()?;
        let git = git2::Repository::open(&repo2)?;
        remove_half_made_worktrees(&wts, &git)?;
        let mut existing = HashSet::new();
        for b in git.branches(Some(git2::BranchType::Local))? {
            if let Some(name) = b?.0.name()? {
                existing.insert(name.to_string());
            }
        }
        let _ = target2;
        Ok((wts.list()?, wts.orphan_branches()?, existing))
    })
    .await?;
    let all_tasks = tasks::list(db, project_id).await?;
    let done: HashSet<&str> =
        all_tasks.iter().filter(|t| t.status == crate::model::TaskStatus::Done).map(|t| t.id.as_str()).collect();
    let mut known: HashSet<String> = HashSet::new();
    for row in &open {
        if row.branch.is_empty() || !existing.contains(&row.branch) {
            // Crashed while creating, or the branch is gone: nothing of it is left to keep.
            records::set_worktree_status(db, &row.id, WorktreeStatus::Removed).await?;
        } else if done.contains(row.task_id.as_str()) && branch_merged(&repo, &row.branch, &target).await? {
            // Crashed after the task was recorded Done but before its worktree was: close the row, and the
            // worktree and branch (all on the target) are removed below like any unknown one.
            records::set_worktree_status(db, &row.id, WorktreeStatus::Merged).await?;
        } else {
            known.insert(row.branch.clone());
        }
    }
    let task_ids: HashSet<String> = all_tasks.iter().map(|t| t.id.clone()).collect();
    let mut unknown: Vec<(Option<WorktreeInfo>, String)> =
        live.into_iter().filter(|i| !known.contains(&i.branch)).map(|i| (Some(i.clone()), i.branch)).collect();
    unknown.extend(orphans.into_iter().filter(|b| !known.contains(b)).map(|b| (None, b)));
    for (info, branch) in unknown {
        if !existing.contains(&branch) {
            // A worktree whose branch was deleted (by another task's agent): its work is kept aside, its task
            // waits in Review saying so, and nothing else waits on it.
            let Some(info) = info else { continue };
            let (repo3, i3) = (repo.clone(), info.clone());
            let rescued = blocking(move || Worktrees::open(&repo3)?.drop_branchless(&i3)).await?;
            removed_count += 1;
            let waiting = all_tasks.iter().any(|t| {
                t.id == info.task_id
                    && matches!(t.status, crate::model::TaskStatus::Review | crate::model::TaskStatus::InProgress)
            });
            // A task a person sent back to the Backlog starts afresh; one that waited for them says what happened.
            if waiting {
                let reason = CoreError::BranchGone { branch: branch.clone(), rescued }.to_string();
                tasks::set_status(db, project_id, &info.task_id, crate::model::TaskStatus::Review, Some(&reason))
                    .await?;
            }
            continue;
        }
        let (repo3, target3, b3, i3) = (repo.clone(), target.clone(), branch.clone(), info.clone());
        let removed = blocking(move || {
            let wts = Worktrees::open(&repo3)?;
            if wts.unmerged_commits(&b3, &target3)? > 0 {
                return Ok(false);
            }
            match i3 {
                Some(info) => {
                    wts.release(&info, &target3)?;
                }
                None => delete_branch(&repo3, &b3)?,
            }
            Ok(true)
        })
        .await?;
        if removed {
            removed_count += 1;
            continue;
        }
        // Unmerged work nobody knows: give it to its task so the next start continues from it.
        let task_id = info.as_ref().map(|i| i.task_id.clone()).unwrap_or_else(|| task_of_branch(&branch));
        if task_ids.contains(&task_id) {
            let path = info.as_ref().map(|i| i.path.display().to_string()).unwrap_or_default();
            records::insert_worktree(db, project_id, &task_id, None, &branch, &path, WorktreeStatus::Active).await?;
            adopted += 1;
        }
    }
    Ok((removed_count, adopted))
}

/// Folders under the worktree root that git does not know as a live worktree because their creation (or
/// removal) was cut short: no admin folder, one without `HEAD`/`gitdir`, or a folder without its `.git` file. Nothing committed lives in them (a
/// commit is in the object store and on its branch, which is reconciled separately), so they are removed with
/// their broken admin folder. A registered worktree with a detached HEAD is left alone. Admin folders without
/// their `HEAD`, `gitdir` or `commondir` file are removed too.
fn remove_half_made_worktrees(wts: &Worktrees, git: &git2::Repository) -> CoreResult<()> {
    // Registered, with a folder, but the folder is no repository (killed before git wrote its `.git` file): git
    // calls it valid, yet nothing can work in it. Its branch (if any) is reconciled like any other.
    let workdir = git.workdir().map(Path::to_path_buf).unwrap_or_default();
    for name in git.worktrees()?.iter().flatten() {
        let Ok(wt) = git.find_worktree(name) else { continue };
        let path = wt.path().to_path_buf();
        if crate::workspace::worktree::is_ours(&workdir, &path)
            && wt.validate().is_ok()
            && git2::Repository::open(&path).is_err()
        {
            let _ = std::fs::remove_dir_all(&path);
            let _ = wt.prune(Some(git2::WorktreePruneOptions::new().valid(true).locked(true)));
        }
    }
    let live: HashSet<std::ffi::OsString> =
        wts.list()?.iter().filter_map(|i| i.path.file_name().map(|n| n.to_os_string())).collect();
    // Admin folders cut short before their work folder existed: libgit2 then reports other branches as
    // "already checked out" when a worktree is added.
    if let Ok(admins) = std::fs::read_dir(git.commondir().join("worktrees")) {
        for a in admins.flatten() {
            let p = a.path();
            if !p.join("HEAD").is_file() || !p.join("gitdir").is_file() || !p.join("commondir").is_file() {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }
    // Folders whose removal was cut short after they were moved out of the way (`worktree::remove_dir`).
    for dir in [Some(wts.root()), wts.root().parent()].into_iter().flatten() {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(".removing-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let Ok(entries) = std::fs::read_dir(wts.root()) else { return Ok(()) };
    for e in entries.flatten() {
        let name = e.file_name();
        if live.contains(&name) {
            continue;
        }
        let admin = git.commondir().join("worktrees").join(&name);
        let broken = !admin.join("HEAD").is_file() || !admin.join("gitdir").is_file();
        if broken {
            let _ = std::fs::remove_dir_all(&admin);
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    Ok(())
}

/// Whether every commit of `branch` is on `target`.
async fn branch_merged(repo: &Path, branch: &str, target: &str) -> CoreResult<bool> {
    let (repo, branch, target) = (repo.to_path_buf(), branch.to_string(), target.to_string());
    blocking(move || Ok(Worktrees::open(&repo)?.unmerged_commits(&branch, &target)? == 0)).await
}

/// The task id a `yokeflow/<task>-<short id>` branch was made for (best effort: ids are slugs).
fn task_of_branch(branch: &str) -> String {
    let name = branch.strip_prefix(BRANCH_PREFIX).unwrap_or(branch);
    name.rsplit_once('-').map(|(t, _)| t).unwrap_or(name).to_string()
}

fn delete_branch(repo: &Path, branch: &str) -> CoreResult<()> {
    let git = git2::Repository::open(repo)?;
    git.find_branch(branch, git2::BranchType::Local)?.delete()?;
    Ok(())
}

/// True when the branch moved past its base and all of it is on the target: it was merged.
async fn branch_is_merged(repo: &Path, branch: &str, target: &str, base: Option<&str>) -> CoreResult<bool> {
    let (repo, branch, target, base) =
        (repo.to_path_buf(), branch.to_string(), target.to_string(), base.map(str::to_string));
    blocking(move || {
        let git = git2::Repository::open(&repo)?;
        let Ok(b) = git.find_branch(&branch, git2::BranchType::Local) else { return Ok(false) };
        let tip = b.get().peel_to_commit()?.id().to_string();
        if base.as_deref().is_none_or(|base| base == tip) {
            return Ok(false);
        }
        Ok(Worktrees::open(&repo)?.unmerged_commits(&branch, &target)? == 0)
    })
    .await
}

/// Lock files a killed process may have left: in YokeFlow's own worktrees and branches, and on the target
/// branch's ref (which only the merge gate writes). Called only when no run of the project is live.
fn clear_stale_locks(repo: &Path, target: &str) {
    let Ok(git) = git2::Repository::open(repo) else { return };
    let common = git.commondir().to_path_buf();
    let mut locks = Vec::new();
    // The target ref's lock only when the dead gate said it was updating it; otherwise it is a person's.
    if let Ok(locks_dir) = crate::workspace::worktree::state_dir(repo, "locks", false) {
        let mark = locks_dir.join(crate::gate::merge::TARGET_UPDATE_MARK);
        if mark.exists() {
            locks.push(common.join(format!("refs/heads/{target}.lock")));
            locks.push(mark);
        }
    }
    // Locks in the admin folders of YokeFlow's own worktrees ([`crate::workspace::worktree::is_ours`]), never in a person's.
    if let Ok(entries) = std::fs::read_dir(common.join("worktrees")) {
        for e in entries.flatten() {
            let gitdir = std::fs::read_to_string(e.path().join("gitdir")).unwrap_or_default();
            if !crate::workspace::worktree::is_ours(repo, Path::new(gitdir.trim())) {
                continue;
            }
            for f in ["index.lock", "HEAD.lock"] {
                locks.push(e.path().join(f));
            }
        }
    }
    let prefix = common.join("refs/heads").join(BRANCH_PREFIX.trim_end_matches('/'));
    if let Ok(entries) = std::fs::read_dir(&prefix) {
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "lock") {
                locks.push(e.path());
            }
        }
    }
    for l in locks {
        let _ = std::fs::remove_file(l);
    }
}

/// `YOKEFLOW_SESSION` of a process.
fn process_session(pid: i32) -> Option<String> {
    crate::sys::process::process_env(pid, SESSION_ENV)
}
