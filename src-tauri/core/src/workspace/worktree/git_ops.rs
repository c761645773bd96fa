//! The git calls worktrees are made of: the git program in a worktree's folder (hooks off, no fsmonitor, ended with
//! YokeFlow), switching, detaching and cleaning a folder, adding a worktree, branch tips, unmerged commits, and
//! saving a folder's changes to `refs/yokeflow/rescued/…`.

use std::path::Path;

use git2::{BranchType, Oid, Repository, WorktreeAddOptions};

use crate::error::{CoreError, CoreResult};
use crate::sys::git::signature;

/// Commits every changed or new file (ignored ones excepted) of the free slot folder at `path` on top of its HEAD
/// into `refs/yokeflow/rescued/<name>-<ms>`, without moving HEAD or touching a file. `None`: nothing had changed.
pub(super) fn rescue_changes(path: &Path, name: &str) -> CoreResult<Option<String>> {
    let repo = Repository::open(path)?;
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false);
    if repo.statuses(Some(&mut opts))?.is_empty() {
        return Ok(None);
    }
    let head = repo.head()?.peel_to_commit()?;
    let mut index = repo.index()?;
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
    index.update_all(["*"], None)?;
    let tree = repo.find_tree(index.write_tree()?)?;
    if tree.id() == head.tree_id() {
        return Ok(None);
    }
    let sig = signature(&repo)?;
    let message = format!("YokeFlow: files found changed in the free worktree {name}, saved before it was reset");
    let commit = repo.commit(None, &sig, &sig, &message, &tree, &[&head])?;
    let refname = format!("refs/yokeflow/rescued/{name}-{}", crate::model::now_ms());
    repo.reference(&refname, commit, false, &message)?;
    Ok(Some(refname))
}

/// `git <args>` in the worktree folder `path`, ready to run ([`crate::sys::git::command`]: nothing from the repository's
/// configuration runs, a clean git environment, no prompt, no input). It dies with the thread that waits for it:
/// a git left working in a worktree after YokeFlow was killed would race the next start's recovery (which finishes
/// what such a cut leaves: rebases aborted, resets completed).
pub(super) fn git_command(path: &Path, args: &[&str]) -> std::process::Command {
    let mut cmd = crate::sys::git::command(path);
    cmd.args(args);
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child's own attributes.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    cmd
}

/// Runs [`git_command`]; a failure is an error naming the command and git's first line.
pub(super) fn git_in(path: &Path, args: &[&str]) -> CoreResult<()> {
    let out = git_command(path, args).output().map_err(|e| CoreError::io("cannot run git", e))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").trim().to_string();
    Err(CoreError::InvalidInput(format!("git {} in {}: {line}", args.join(" "), path.display())))
}

/// Checks out `branch` in the folder, tracked files forced to it (ignored and untracked files stay).
pub(super) fn switch_folder(path: &Path, branch: &str) -> CoreResult<()> {
    git_in(path, &["checkout", "--force", "--quiet", "--no-recurse-submodules", branch])
}

/// Detaches the folder's HEAD at `commit`, tracked files forced to it.
pub(super) fn detach_folder(path: &Path, commit: Oid) -> CoreResult<()> {
    git_in(path, &["checkout", "--force", "--quiet", "--no-recurse-submodules", "--detach", &commit.to_string()])
}

/// Removes the folder's untracked files and folders; ignored ones (build outputs, `node_modules/`) stay.
pub(super) fn clean_folder(path: &Path) -> CoreResult<()> {
    git_in(path, &["clean", "-d", "--force", "--quiet"])
}

/// Adds the worktree `name` at `path` with `branch` checked out.
pub(super) fn add_worktree(repo: &Repository, name: &str, path: &Path, branch: &str) -> CoreResult<()> {
    let reference = repo.find_branch(branch, BranchType::Local)?.into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&reference));
    repo.worktree(name, path, Some(&opts))?;
    Ok(())
}

/// The branch a worktree has checked out, read from its admin folder (works when the folder is gone too).
pub(super) fn worktree_branch(repo: &Repository, name: &str) -> Option<String> {
    let head = std::fs::read_to_string(repo.commondir().join("worktrees").join(name).join("HEAD")).ok()?;
    head.trim().strip_prefix("ref: refs/heads/").map(str::to_string)
}

/// The commit a branch name (short or `refs/heads/…`) points at.
pub(crate) fn branch_tip(repo: &Repository, branch: &str) -> CoreResult<Oid> {
    let full = if branch.starts_with("refs/") { branch.to_string() } else { format!("refs/heads/{branch}") };
    let reference =
        repo.find_reference(&full).map_err(|_| CoreError::NotFound { what: "branch", id: branch.to_string() })?;
    Ok(reference.peel_to_commit()?.id())
}

/// The tip of the branch `name`, else the commit `name` spells in full hex (the gate's trusted commit).
pub(super) fn branch_or_commit(repo: &Repository, name: &str) -> CoreResult<Oid> {
    match branch_tip(repo, name) {
        Err(e) => match Oid::from_str(name).ok().filter(|_| name.len() == 40) {
            Some(id) if repo.find_commit(id).is_ok() => Ok(id),
            _ => Err(e),
        },
        ok => ok,
    }
}

/// Commits reachable from `tip` and not from `target`.
pub(crate) fn count_unmerged(repo: &Repository, tip: Oid, target: Oid) -> CoreResult<usize> {
    let mut walk = repo.revwalk()?;
    walk.push(tip)?;
    walk.hide(target)?;
    let mut n = 0;
    for oid in walk {
        oid?;
        n += 1;
    }
    Ok(n)
}

/// Where a branch was created: the oldest entry of its reflog, else its tip.
pub(super) fn branch_creation_point(repo: &Repository, branch: &str, tip: Oid) -> String {
    let oldest = repo.reflog(&format!("refs/heads/{branch}")).ok().and_then(|log| {
        let n = log.len();
        (n > 0).then(|| log.get(n - 1).map(|e| e.id_new())).flatten()
    });
    oldest.unwrap_or(tip).to_string()
}

/// Deletes `branch` only if it still points at `expected` (the ref is locked while it is compared).
pub(super) fn delete_branch_if_at(repo: &Repository, branch: &str, expected: Oid) -> CoreResult<()> {
    let full = format!("refs/heads/{branch}");
    let mut tx = repo.transaction()?;
    tx.lock_ref(&full)?;
    let now = repo.find_reference(&full)?.peel_to_commit()?.id();
    if now != expected {
        return Err(CoreError::UnmergedWork { branch: branch.to_string(), commits: 1 });
    }
    tx.remove(&full)?;
    tx.commit()?;
    Ok(())
}
