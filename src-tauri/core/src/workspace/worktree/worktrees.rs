//! The worktrees of a repository ([`Worktrees`]): create, reattach, list, remove, commit, and the crash marks that
//! recovery finishes.

use std::path::{Path, PathBuf};

use git2::{BranchType, Oid, Repository, WorktreePruneOptions};
use serde::{Deserialize, Serialize};

use super::folders::{ensure_excluded, is_ours, is_slot_name, remove_dir, slug, state_dir, work_dir};
use super::git_ops::{
    add_worktree, branch_creation_point, branch_tip, clean_folder, count_unmerged, delete_branch_if_at, detach_folder,
    git_command, rescue_changes, worktree_branch,
};
use crate::error::{CoreError, CoreResult};
use crate::sys::git::signature;

/// Prefix of every branch YokeFlow creates for a task.
pub const BRANCH_PREFIX: &str = "yokeflow/";

/// One task worktree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorktreeInfo {
    /// A uuid; its first 8 characters are the short id in the branch and folder names.
    pub id: String,
    pub task_id: String,
    /// Short branch name, `yokeflow/<task-slug>-<short-id>`.
    pub branch: String,
    /// The worktree folder, `<work home>/worktrees/<task-slug>-<short-id>` ([`work_home`]).
    pub path: PathBuf,
    /// The commit the branch was created from (hex).
    pub base_commit: String,
}

/// What [`Worktrees::remove_with`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoveOutcome {
    /// Folder, git metadata and branch are gone: every commit of the branch was on the target.
    Removed,
    /// Folder and git metadata are gone; the branch was kept because `unmerged_commits` of its commits are not
    /// reachable from the target. [`Worktrees::reattach`] can bring the folder back.
    BranchKept { branch: String, unmerged_commits: usize },
    /// The branch is gone (all of it on the target) and its folder, worker slot `slot`'s, is free for the slot's
    /// next task ([`Worktrees::release`]).
    Released { slot: String },
}

/// What [`Worktrees::park`] did with the folder of a task whose work is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parked {
    /// Worker slot `slot`'s folder, free for the slot's next task (HEAD detached, ignored build outputs kept).
    SlotFreed { slot: String },
    /// The folder and git's metadata are gone; the branch holds the work.
    Removed,
    /// Left as it was: it holds changes its branch lacks, or it is not the branch's folder.
    Kept,
}

/// What [`Worktrees::acquire_slot`] gave a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotWorktree {
    pub info: WorktreeInfo,
    /// A slot folder was reset from an earlier task (its ignored files kept), not made anew.
    pub reused: bool,
    /// Files found changed or new in the free slot were committed to this ref before the reset.
    pub rescued: Option<String>,
    /// Why a free slot folder was not reused (its changes could not be saved, or its reset failed).
    pub fallback: Option<String>,
}

/// The mark of a slot reset in progress (`.yokeflow/worktree-meta/slot-<n>.reset`).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ResetMark {
    pub(super) branch: String,
    pub(super) base: String,
}

/// What to do with a branch that still has commits the target does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RemovePolicy {
    /// Refuse: nothing is touched and [`CoreError::UnmergedWork`] says how many commits would be orphaned.
    #[default]
    Refuse,
    /// Remove the folder and git metadata anyway, keep the branch ([`RemoveOutcome::BranchKept`]).
    KeepBranchIfUnmerged,
}

/// The task worktrees of one repository.
#[derive(Debug, Clone)]
pub struct Worktrees {
    pub(super) repo_path: PathBuf,
    pub(super) root: PathBuf,
    pub(super) meta_dir: PathBuf,
}

/// Serialises every change to git's worktree administration (`.git/worktrees`) in this process, and the reads that
/// would trip over a half-made change: libgit2 is not safe against a worktree being added while another is half
/// created (it then reports a fresh branch as "already checked out", or fails to create `.git/worktrees`). Taken
/// inside this module's operations (and the merge gate's own worktrees), held only around the git calls, so no
/// caller can forget it.
pub(super) static ADMIN: std::sync::Mutex<()> = std::sync::Mutex::new(());

pub(crate) fn admin_lock() -> std::sync::MutexGuard<'static, ()> {
    ADMIN.lock().unwrap_or_else(|e| e.into_inner())
}

impl Worktrees {
    /// Opens the worktree manager of the repository at `repo_path` (its work tree). The root is
    /// `worktrees/` in the repository's work home, outside the checkout ([`work_dir`]); the worktrees' metadata
    /// lives in `<repo>/.yokeflow/` (added once to `.git/info/exclude` so the user's `git status` stays clean).
    pub fn open(repo_path: &Path) -> CoreResult<Worktrees> {
        let repo_path = crate::sys::git::discover_workdir(repo_path)?;
        let repo = Repository::open(&repo_path)?;
        ensure_excluded(&repo)?;
        // Refused before anything is made: the records' folder first.
        let meta_dir = state_dir(&repo_path, "worktree-meta", true)?;
        let root = work_dir(&repo_path, "worktrees", true)?;
        Ok(Worktrees { repo_path, root, meta_dir })
    }

    /// The folder that holds the task worktrees.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A new worktree for `task_id` from commit `base`, on the new branch `yokeflow/<task-slug>-<short-id>`.
    pub fn create(&self, task_id: &str, base: Oid) -> CoreResult<WorktreeInfo> {
        let _admin = admin_lock();
        self.create_locked(&self.repo()?, task_id, base, None)
    }

    /// [`Worktrees::create`] in the folder `folder` of the worktrees' root (one a removed worktree of the task had:
    /// its agent's conversation is kept by folder), refused when that folder is there.
    pub fn create_in(&self, task_id: &str, base: Oid, folder: &str) -> CoreResult<WorktreeInfo> {
        let _admin = admin_lock();
        if folder.is_empty() || folder.contains('/') || folder.starts_with('.') || self.root.join(folder).exists() {
            return Err(CoreError::InvalidInput(format!("cannot make a worktree in `{folder}`: it is taken")));
        }
        self.create_locked(&self.repo()?, task_id, base, Some(folder))
    }

    /// [`Worktrees::create`] with the admin lock held; in folder `folder` (a slot's) instead of one named after the
    /// branch.
    pub(super) fn create_locked(
        &self,
        repo: &Repository,
        task_id: &str,
        base: Oid,
        folder: Option<&str>,
    ) -> CoreResult<WorktreeInfo> {
        let commit = repo.find_commit(base)?;
        let id = uuid::Uuid::new_v4().to_string();
        let name = format!("{}-{}", slug(task_id), &id[..8]);
        let dir = folder.unwrap_or(&name).to_string();
        let info = WorktreeInfo {
            id,
            task_id: task_id.to_string(),
            branch: format!("{BRANCH_PREFIX}{name}"),
            path: self.root.join(&dir),
            base_commit: base.to_string(),
        };
        repo.branch(&info.branch, &commit, false)?;
        let added = self.write_meta(&name, &info).and_then(|_| self.add_marked(repo, &dir, &info.path, &info.branch));
        if let Err(e) = added {
            // Undo: the new branch has no commit of its own yet, so deleting it loses nothing.
            let _ = repo.find_branch(&info.branch, BranchType::Local).and_then(|mut b| b.delete());
            let _ = std::fs::remove_file(self.meta_path(&name));
            return Err(e);
        }
        Ok(info)
    }

    /// Finishes what a crash cut short in the worktrees: rebases are aborted, half-made folders (`.adding` marks)
    /// removed, and slot resets (their `.reset` marks) completed: each such folder is set free (HEAD detached
    /// at the base it was being reset to, tracked files checked out, untracked ones removed). Its files then were
    /// nobody's work: they had been saved before the reset began. The new branch (no commits) is left to the
    /// caller's reconciliation. Returns the slots finished.
    pub fn finish_resets(&self) -> CoreResult<Vec<String>> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        // Only here (recovery, no run going): a rebase is not under the admin lock, so a live one looks the same.
        self.finish_rebases_locked(&repo);
        // Only here too: a live pre-flight holds its mark while it tests.
        self.finish_preflights();
        self.finish_resets_locked(&repo)
    }

    pub(super) fn finish_resets_locked(&self, repo: &Repository) -> CoreResult<Vec<String>> {
        self.finish_adds_locked(repo)?;
        let mut done = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.meta_dir) else { return Ok(done) };
        for e in entries.flatten() {
            let file = e.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".reset")) else {
                continue;
            };
            let name = name.to_string();
            let mark: Option<ResetMark> =
                std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str(&t).ok());
            let path = self.root.join(&name);
            let live = repo.find_worktree(&name).map(|wt| wt.validate().is_ok()).unwrap_or(false);
            if let (true, Some(mark)) = (live && is_slot_name(&name), mark) {
                let base = Oid::from_str(&mark.base)?;
                if let Err(e) = detach_folder(&path, base).and_then(|_| clean_folder(&path)) {
                    tracing::warn!(slot = name, branch = mark.branch, "an interrupted slot reset: {e}; folder dropped");
                    self.drop_folder(repo, &name, &path)?;
                }
            }
            let _ = std::fs::remove_file(&file);
            done.push(name);
        }
        Ok(done)
    }

    /// Worktree folders whose making a crash cut short (their `.adding` marks) are removed: their files were being
    /// checked out from their branch, which holds all of it; a half checked-out folder would look like one whose
    /// files were deleted, and the next start would take that for work. Their branch is left to the caller.
    pub(super) fn finish_adds_locked(&self, repo: &Repository) -> CoreResult<()> {
        let Ok(entries) = std::fs::read_dir(&self.meta_dir) else { return Ok(()) };
        for e in entries.flatten() {
            let file = e.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".adding")) else {
                continue;
            };
            if !name.is_empty() && !name.contains('/') && name != "." && name != ".." {
                self.drop_folder(repo, name, &self.root.join(name))?;
            }
            let _ = std::fs::remove_file(&file);
        }
        Ok(())
    }

    /// A rebase a crash cut short in one of YokeFlow's worktrees ([`Worktrees::rebase_onto_target`]) is aborted, so
    /// the folder has its branch checked out again as before the rebase began.
    pub(super) fn finish_rebases_locked(&self, repo: &Repository) {
        for name in repo.worktrees().iter().flat_map(|w| w.iter().flatten().map(str::to_string).collect::<Vec<_>>()) {
            let admin = repo.commondir().join("worktrees").join(&name);
            let path = self.root.join(&name);
            if (admin.join("rebase-merge").exists() || admin.join("rebase-apply").exists()) && path.is_dir() {
                let aborted = git_command(&path, &["rebase", "--abort"]).output();
                tracing::warn!(worktree = name, ok = aborted.is_ok_and(|o| o.status.success()), "a rebase cut short");
            }
        }
    }

    /// `add_worktree` under an `.adding` mark ([`Worktrees::finish_adds_locked`] finishes what a crash cut short).
    pub(super) fn add_marked(&self, repo: &Repository, name: &str, path: &Path, branch: &str) -> CoreResult<()> {
        let mark = self.meta_dir.join(format!("{name}.adding"));
        std::fs::write(&mark, branch).map_err(|e| CoreError::io(format!("cannot write {}", mark.display()), e))?;
        let added = add_worktree(repo, name, path, branch);
        let _ = std::fs::remove_file(&mark);
        added
    }

    /// Re-creates the worktree folder for an existing `yokeflow/…` branch (crash recovery: the branch holds the
    /// partial work). Stale git metadata of a deleted folder is pruned first. The id and base commit come from the
    /// saved metadata when present; otherwise a fresh id and the branch's creation point (its reflog) are used.
    pub fn reattach(&self, task_id: &str, branch: &str) -> CoreResult<WorktreeInfo> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        let name = branch
            .strip_prefix(BRANCH_PREFIX)
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| CoreError::InvalidInput(format!("`{branch}` is not a YokeFlow task branch")))?;
        let tip = repo
            .find_branch(branch, BranchType::Local)
            .map_err(|_| CoreError::NotFound { what: "branch", id: branch.to_string() })?
            .get()
            .peel_to_commit()?
            .id();
        if let Ok(wt) = repo.find_worktree(name) {
            let path = wt.path().to_path_buf();
            let admin = repo.commondir().join("worktrees").join(name);
            let rebasing = admin.join("rebase-merge").exists() || admin.join("rebase-apply").exists();
            let live = !rebasing && worktree_branch(&repo, name).as_deref() == Some(branch);
            if wt.validate().is_ok() && (live || !self.is_under_root(&path)) {
                return Err(CoreError::InvalidInput(format!("the worktree of `{branch}` already exists")));
            }
            if wt.validate().is_ok() {
                // A folder of this branch that is not live (its HEAD off the branch: a rebase or a checkout cut
                // short). Its files may lag the branch, so it is never worked in again: a rebase is aborted (an
                // autostash comes back), what changed is kept aside, and the folder is made anew.
                if rebasing {
                    let _ = git_command(&path, &["rebase", "--abort"]).output();
                }
                // A folder git cannot open holds nothing to keep.
                let kept = match rescue_changes(&path, name) {
                    Err(_) if Repository::open(&path).is_err() => None,
                    other => other?,
                };
                tracing::warn!(branch, ?kept, "a folder of the branch that was not live was made anew");
                self.drop_folder(&repo, name, &path)?;
            } else {
                wt.prune(Some(WorktreePruneOptions::new().valid(true)))?;
            }
        }
        let path = self.root.join(name);
        remove_dir(&path)?;
        let saved = self.read_meta(name);
        let info = WorktreeInfo {
            id: saved.as_ref().map(|m| m.id.clone()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            task_id: task_id.to_string(),
            branch: branch.to_string(),
            path,
            base_commit: saved.map(|m| m.base_commit).unwrap_or_else(|| branch_creation_point(&repo, branch, tip)),
        };
        self.write_meta(name, &info)?;
        self.add_marked(&repo, name, &info.path, branch)?;
        Ok(info)
    }

    /// The live worktrees under the root whose branch starts with `yokeflow/`, sorted by branch. Worktrees whose
    /// folder is gone are left out (see [`Worktrees::prune`] and [`Worktrees::orphan_branches`]).
    pub fn list(&self) -> CoreResult<Vec<WorktreeInfo>> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        let mut out = Vec::new();
        for name in repo.worktrees()?.iter().flatten() {
            let wt = repo.find_worktree(name)?;
            if wt.validate().is_err() || !self.is_under_root(wt.path()) {
                continue;
            }
            let Some(branch) = worktree_branch(&repo, name) else { continue };
            if !branch.starts_with(BRANCH_PREFIX) {
                continue;
            }
            out.push(self.info_for(&repo, &branch, wt.path()));
        }
        out.sort_by(|a, b| a.branch.cmp(&b.branch));
        Ok(out)
    }

    /// `yokeflow/…` branches that no live worktree has checked out (work left by a crash or by
    /// [`RemovePolicy::KeepBranchIfUnmerged`]); candidates for [`Worktrees::reattach`].
    pub fn orphan_branches(&self) -> CoreResult<Vec<String>> {
        let live: Vec<String> = self.list()?.into_iter().map(|i| i.branch).collect();
        let repo = self.repo()?;
        let mut out = Vec::new();
        for branch in repo.branches(Some(BranchType::Local))? {
            let (branch, _) = branch?;
            if let Some(name) = branch.name()?.filter(|n| n.starts_with(BRANCH_PREFIX)) {
                if !live.iter().any(|l| l == name) {
                    out.push(name.to_string());
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes the worktree folder and its git metadata, and deletes the branch, but only if every commit on the
    /// branch is reachable from `target_branch`. Otherwise nothing at all is touched and the error is
    /// [`CoreError::UnmergedWork`]. Same as [`Worktrees::remove_with`] with [`RemovePolicy::Refuse`].
    ///
    /// Uncommitted changes in the folder are removed with it: call [`Worktrees::commit_all`] first when they matter.
    pub fn remove(&self, info: &WorktreeInfo, target_branch: &str) -> CoreResult<RemoveOutcome> {
        self.remove_with(info, target_branch, RemovePolicy::Refuse)
    }

    /// [`Worktrees::remove`] with an explicit policy for branches with unmerged commits. Whatever the policy, a
    /// branch with a commit the target lacks is never deleted. The branch deletion is a compare-and-swap: if the
    /// branch moved after it was counted, it is kept.
    pub fn remove_with(
        &self,
        info: &WorktreeInfo,
        target_branch: &str,
        policy: RemovePolicy,
    ) -> CoreResult<RemoveOutcome> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        let tip = branch_tip(&repo, &info.branch)?;
        let unmerged = count_unmerged(&repo, tip, branch_tip(&repo, target_branch)?)?;
        if unmerged > 0 && policy == RemovePolicy::Refuse {
            return Err(CoreError::UnmergedWork { branch: info.branch.clone(), commits: unmerged });
        }
        self.remove_folder(&repo, info)?;
        if unmerged > 0 {
            return Ok(RemoveOutcome::BranchKept { branch: info.branch.clone(), unmerged_commits: unmerged });
        }
        delete_branch_if_at(&repo, &info.branch, tip)?;
        if let Some(name) = info.branch.strip_prefix(BRANCH_PREFIX) {
            let _ = std::fs::remove_file(self.meta_path(name));
        }
        Ok(RemoveOutcome::Removed)
    }

    /// A task worktree whose branch is gone (deleted by another process, e.g. another task's agent): whatever it
    /// held is kept under `refs/yokeflow/rescued/<name>-<ms>` (the last commit its HEAD had, from the worktree's own
    /// reflog, else the branch's base, with its uncommitted files committed on top), then the folder and git's metadata go, so nothing
    /// waits on a branch that no longer exists. Returns the rescue ref, `None` when there was nothing to keep.
    pub fn drop_branchless(&self, info: &WorktreeInfo) -> CoreResult<Option<String>> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        let name = info.branch.strip_prefix(BRANCH_PREFIX).unwrap_or(&info.branch).replace('/', "-");
        let rescued = Repository::open(&info.path).ok().and_then(|wt| {
            let logged = wt.reflog("HEAD").ok().and_then(|log| log.iter().map(|e| e.id_new()).find(|id| !id.is_zero()));
            // No reflog (libgit2 keeps none for a worktree's HEAD): the commit the branch was made from.
            let last = logged.or_else(|| Oid::from_str(&info.base_commit).ok())?;
            let head = wt.find_commit(last).ok()?;
            let mut index = wt.index().ok()?;
            index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).ok()?;
            index.update_all(["*"], None).ok()?;
            let tree = wt.find_tree(index.write_tree().ok()?).ok()?;
            let commit = if tree.id() == head.tree_id() {
                last
            } else {
                let sig = signature(&wt).ok()?;
                let message = "YokeFlow: files left in a worktree whose branch was deleted";
                wt.commit(None, &sig, &sig, message, &tree, &[&head]).ok()?
            };
            let refname = format!("refs/yokeflow/rescued/{name}-{}", crate::model::now_ms());
            let log = format!("yokeflow: `{}` was deleted; its worktree's work kept", info.branch);
            wt.reference(&refname, commit, false, &log).ok()?;
            Some(refname)
        });
        self.remove_folder(&repo, info)?;
        let _ = std::fs::remove_file(self.meta_path(&name));
        Ok(rescued)
    }

    /// A person discarded a task's work: its worktree folder (uncommitted changes included) and git metadata are
    /// removed, and its branch leaves `refs/heads/` for `refs/yokeflow/discarded/<name>` (kept out of the branch
    /// list, never garbage: `git branch <new> <ref>` brings it back). Returns that ref and the commit it holds.
    pub fn discard(&self, branch: &str) -> CoreResult<(String, String)> {
        let live = self.list()?.into_iter().find(|i| i.branch == branch);
        let _admin = admin_lock();
        let repo = self.repo()?;
        let name = branch
            .strip_prefix(BRANCH_PREFIX)
            .filter(|n| !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| CoreError::InvalidInput(format!("`{branch}` is not a YokeFlow task branch")))?;
        let tip = branch_tip(&repo, branch)?;
        if let Some(info) = live {
            self.remove_folder(&repo, &info)?;
        }
        let kept = format!("refs/yokeflow/discarded/{name}");
        repo.reference(&kept, tip, true, &format!("yokeflow: the work of {branch} discarded by a person"))?;
        delete_branch_if_at(&repo, branch, tip)?;
        let _ = std::fs::remove_file(self.meta_path(name));
        Ok((kept, tip.to_string()))
    }

    /// Whether the worktree's folder holds changes not committed on its branch (new, modified or deleted files;
    /// ignored ones excepted).
    pub fn has_changes(&self, info: &WorktreeInfo) -> CoreResult<bool> {
        let repo = Repository::open(&info.path)?;
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false);
        let changed = !repo.statuses(Some(&mut opts))?.is_empty();
        Ok(changed)
    }

    /// Deletes a `yokeflow/…` branch that no worktree has checked out, only when it holds nothing the target lacks
    /// (compare-and-swap on its tip); false when it holds work of its own (then it is kept).
    pub fn delete_branch_if_merged(&self, branch: &str, target_branch: &str) -> CoreResult<bool> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        let tip = branch_tip(&repo, branch)?;
        if count_unmerged(&repo, tip, branch_tip(&repo, target_branch)?)? > 0 {
            return Ok(false);
        }
        delete_branch_if_at(&repo, branch, tip)?;
        if let Some(name) = branch.strip_prefix(BRANCH_PREFIX) {
            let _ = std::fs::remove_file(self.meta_path(name));
        }
        Ok(true)
    }

    /// Removes the stale git metadata of YokeFlow's own worktrees ([`is_ours`]) whose folders are gone
    /// (unlocked ones only). A person's worktree is never pruned, even when its folder is missing (an unmounted
    /// disk). Branches are kept.
    pub fn prune(&self) -> CoreResult<()> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        for name in repo.worktrees()?.iter().flatten() {
            let wt = repo.find_worktree(name)?;
            if is_ours(&self.repo_path, wt.path()) && wt.validate().is_err() && wt.is_prunable(None)? {
                wt.prune(None)?;
            }
        }
        Ok(())
    }

    /// Commits every change in the worktree (new, modified and deleted files; ignored files excepted; a symbolic
    /// link as a link) on its own branch with `message`. `None` when there was nothing to commit. For agents that
    /// exited 0 without committing.
    ///
    /// Only ever on the task's branch: a worktree whose HEAD is not `refs/heads/<info.branch>` (an agent pointed it
    /// at the target or another task's branch) gets no commit ([`CoreError::NotOnTaskBranch`]), and the branch moves
    /// by compare-and-swap from the tip the commit was made on, so nothing is written over a ref that moved.
    pub fn commit_all(&self, info: &WorktreeInfo, message: &str) -> CoreResult<Option<Oid>> {
        let repo = Repository::open(&info.path)?;
        let own = format!("refs/heads/{}", info.branch);
        let head = repo.find_reference("HEAD")?;
        if head.symbolic_target() != Some(own.as_str()) {
            let found = match head.symbolic_target() {
                Some(r) => format!("`{}`", r.strip_prefix("refs/heads/").unwrap_or(r)),
                None => format!("a detached HEAD ({})", head.target().map(|o| o.to_string()).unwrap_or_default()),
            };
            let (path, branch) = (info.path.display().to_string(), info.branch.clone());
            return Err(CoreError::NotOnTaskBranch { path, branch, found });
        }
        let Ok(tip) = branch_tip(&repo, &info.branch) else {
            let rescued = self.drop_branchless(info)?;
            return Err(CoreError::BranchGone { branch: info.branch.clone(), rescued });
        };
        let mut index = repo.index()?;
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
        index.update_all(["*"], None)?;
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let parent = repo.find_commit(tip)?;
        if parent.tree_id() == tree.id() {
            return Ok(None);
        }
        let sig = signature(&repo)?;
        let commit = repo.commit(None, &sig, &sig, message, &tree, &[&parent])?;
        let log = format!("yokeflow: commit what the agent left ({})", info.task_id);
        repo.reference_matching(&own, commit, true, tip, &log)?;
        Ok(Some(commit))
    }

    pub(super) fn repo(&self) -> CoreResult<Repository> {
        Ok(Repository::open(&self.repo_path)?)
    }

    /// Whether `path` is one of this repository's task worktrees: under the root, or under the root older versions
    /// used inside the checkout (`<repo>/.yokeflow/worktrees`, so their worktrees are still reconciled).
    pub(super) fn is_under_root(&self, path: &Path) -> bool {
        let legacy = self.repo_path.join(".yokeflow").join("worktrees");
        path.canonicalize().map(|p| p.starts_with(&self.root) || p.starts_with(&legacy)).unwrap_or(false)
    }

    pub(super) fn meta_path(&self, name: &str) -> PathBuf {
        self.meta_dir.join(format!("{name}.json"))
    }

    pub(super) fn read_meta(&self, name: &str) -> Option<WorktreeInfo> {
        let text = std::fs::read_to_string(self.meta_path(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub(super) fn write_meta(&self, name: &str, info: &WorktreeInfo) -> CoreResult<()> {
        let path = self.meta_path(name);
        let json = serde_json::to_string_pretty(info).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        std::fs::write(&path, json).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
    }

    /// The info of a live worktree: saved metadata, or what can be derived from the branch.
    pub(super) fn info_for(&self, repo: &Repository, branch: &str, path: &Path) -> WorktreeInfo {
        let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        // Metadata is kept by branch: a slot's folder is named after the slot, not the branch.
        let name = branch.strip_prefix(BRANCH_PREFIX).unwrap_or(branch);
        match self.read_meta(name) {
            Some(meta) => WorktreeInfo { branch: branch.to_string(), path, ..meta },
            None => {
                let tip = branch_tip(repo, branch).unwrap_or_else(|_| Oid::zero());
                let task_id = name.rsplit_once('-').map(|(t, _)| t).unwrap_or(name).to_string();
                WorktreeInfo {
                    id: name.rsplit_once('-').map(|(_, id)| id).unwrap_or(name).to_string(),
                    task_id,
                    branch: branch.to_string(),
                    path,
                    base_commit: branch_creation_point(repo, branch, tip),
                }
            }
        }
    }

    pub(super) fn remove_folder(&self, repo: &Repository, info: &WorktreeInfo) -> CoreResult<()> {
        let name = info.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        remove_dir(&info.path)?;
        if let Ok(wt) = repo.find_worktree(name) {
            wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
        }
        Ok(())
    }
}

/// What [`Worktrees::rebase_onto_target`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebase {
    /// The branch already contains the target's tip.
    UpToDate,
    /// The branch now sits on the target's tip, which was `behind` commits ahead of it.
    Rebased { info: WorktreeInfo, behind: usize },
    /// The rebase stopped on a conflict in `files` and was undone: the branch is as it was.
    Conflict { files: Vec<String> },
}
