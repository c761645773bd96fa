//! Git worktrees, one per running task: create from the target commit on a `yokeflow/<task>-<id>` branch in
//! `<repo>/.yokeflow/worktrees/`, list, reconcile, remove (never a branch with unmerged commits), prune.
//!
//! Layout under the repository's work tree (all of it hidden from the user's `git status` through
//! `.git/info/exclude`):
//!
//! - `.yokeflow/worktrees/<task-slug>-<short-id>/`: one worktree per task, on branch `yokeflow/<task-slug>-<short-id>`;
//! - `.yokeflow/worktree-meta/<task-slug>-<short-id>.json`: the [`WorktreeInfo`] of that worktree. It lives as long
//!   as the branch (not the folder), so [`Worktrees::reattach`] gives a crashed task back its id and base;
//! - `.yokeflow/worktrees/slot-<n>/`: when a project reuses worktrees, the reused folders, one per worker slot and
//!   more while tasks at the merge gate or in Review hold theirs ([`Worktrees::acquire_slot`]). Between tasks a
//!   folder is *free*: its HEAD detached, its branch gone. The next task gets one reset to its base (tracked files checked out, untracked ones removed, ignored build outputs
//!   such as `target/` or `node_modules/` kept) on its own new branch; [`Worktrees::release`] frees it again;
//! - `.yokeflow/worktree-meta/slot-<n>.reset`: written before a slot's reset and removed after it. A crash in
//!   between leaves it, and the next [`Worktrees::finish_resets`] (recovery, or the next acquire) finishes the reset
//!   to a free folder: what was in the folder then is no one's work (it was saved first, see below).
//!
//! The one rule: **never lose a commit.** A branch is deleted only when every commit on it is reachable from the
//! target branch; uncommitted files are the caller's business (run [`Worktrees::commit_all`] before removing). A free
//! slot's changed or new files (a person's edit, a landed task's leftovers) are committed to
//! `refs/yokeflow/rescued/slot-<n>-<ms>` before the slot is reset or dropped, so even those survive.

use std::path::{Path, PathBuf};

use git2::{BranchType, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::sys::git::signature;

/// Prefix of every branch YokeFlow creates for a task.
pub const BRANCH_PREFIX: &str = "yokeflow/";
/// The line added to `.git/info/exclude`.
const EXCLUDE_LINE: &str = "/.yokeflow/";

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
struct ResetMark {
    branch: String,
    base: String,
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
    repo_path: PathBuf,
    root: PathBuf,
    meta_dir: PathBuf,
}

/// Serialises every change to git's worktree administration (`.git/worktrees`) in this process, and the reads that
/// would trip over a half-made change: libgit2 is not safe against a worktree being added while another is half
/// created (it then reports a fresh branch as "already checked out", or fails to create `.git/worktrees`). Taken
/// inside this module's operations (and the merge gate's own worktrees), held only around the git calls, so no
/// caller can forget it.
static ADMIN: std::sync::Mutex<()> = std::sync::Mutex::new(());

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

    /// [`Worktrees::create`] with the admin lock held; in folder `folder` (a slot's) instead of one named after the
    /// branch.
    fn create_locked(
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

    /// The worktree of worker slot `slot` for `task_id`, on a new branch from `base`, in a reused slot folder: the
    /// slot's own folder `slot-<slot>` when it is free, else any other free slot folder, else a new one (its own the
    /// first time, or the lowest free number while the others hold work: a folder with changes its branch lacks is
    /// never taken; a task at the merge gate has freed its own, [`Worktrees::park`]). A free folder is reset to `base` (ignored files kept: that is the point); one whose reset fails is
    /// made anew, and one whose changed files cannot be saved is left alone. [`SlotWorktree::fallback`] says why a
    /// folder was not reused. Nothing is lost: see the module docs.
    pub fn acquire_slot(&self, task_id: &str, base: Oid, slot: u32) -> CoreResult<SlotWorktree> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        self.finish_resets_locked(&repo)?;
        let mut known: Vec<u32> = repo
            .worktrees()?
            .iter()
            .flatten()
            .filter_map(|n| n.strip_prefix("slot-").and_then(|n| n.parse::<u32>().ok()))
            .collect();
        known.sort_unstable();
        let mut notes: Vec<String> = Vec::new();
        let order: Vec<u32> = std::iter::once(slot).chain(known.iter().copied().filter(|&n| n != slot)).collect();
        for n in order {
            let name = slot_name(n);
            let path = self.root.join(&name);
            let wt = match repo.find_worktree(&name) {
                Ok(wt) => wt,
                Err(_) if n == slot => break,
                Err(_) => continue,
            };
            if wt.validate().is_err() {
                // Its folder is gone: forget it.
                wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
                known.retain(|&k| k != n);
                continue;
            }
            if worktree_branch(&repo, &name).is_some() {
                continue;
            }
            let rescued = match rescue_changes(&path, &name) {
                Ok(r) => r,
                Err(e) => {
                    notes.push(format!("the changes in {name} could not be saved ({e}), so it was left as it is"));
                    continue;
                }
            };
            let fallback = (!notes.is_empty()).then(|| notes.join("; "));
            match self.reset_slot(&repo, &name, &path, task_id, base) {
                Ok(info) => return Ok(SlotWorktree { info, reused: true, rescued, fallback }),
                Err(e) => {
                    self.drop_folder(&repo, &name, &path)?;
                    let info = self.create_locked(&repo, task_id, base, Some(&name))?;
                    notes.push(format!("the worktree {name} could not be reset ({e}); it was made anew"));
                    return Ok(SlotWorktree { info, reused: false, rescued, fallback: Some(notes.join("; ")) });
                }
            }
        }
        // No free slot folder: the slot's own number if unused, else the lowest unused one.
        let n = if !known.contains(&slot) { slot } else { (0..).find(|k| !known.contains(k)).unwrap_or(slot) };
        let name = slot_name(n);
        let path = self.root.join(&name);
        if path.exists() {
            // A folder git does not know (a creation cut short): nothing committed lives there.
            remove_dir(&path)?;
        }
        let info = self.create_locked(&repo, task_id, base, Some(&name))?;
        Ok(SlotWorktree { info, reused: false, rescued: None, fallback: (!notes.is_empty()).then(|| notes.join("; ")) })
    }

    /// Resets the free slot folder `name` onto a new branch for `task_id` at `base` (its changes already saved).
    /// On failure the new branch is deleted again (it has no commit) and the caller drops the folder.
    fn reset_slot(
        &self,
        repo: &Repository,
        name: &str,
        path: &Path,
        task_id: &str,
        base: Oid,
    ) -> CoreResult<WorktreeInfo> {
        let commit = repo.find_commit(base)?;
        let id = uuid::Uuid::new_v4().to_string();
        let stem = format!("{}-{}", slug(task_id), &id[..8]);
        let info = WorktreeInfo {
            id,
            task_id: task_id.to_string(),
            branch: format!("{BRANCH_PREFIX}{stem}"),
            path: path.canonicalize().unwrap_or_else(|_| path.to_path_buf()),
            base_commit: base.to_string(),
        };
        repo.branch(&info.branch, &commit, false)?;
        let mark = self.meta_dir.join(format!("{name}.reset"));
        let reset = self
            .write_meta(&stem, &info)
            .and_then(|_| {
                let m = ResetMark { branch: info.branch.clone(), base: info.base_commit.clone() };
                let json = serde_json::to_string(&m).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
                std::fs::write(&mark, json).map_err(|e| CoreError::io(format!("cannot write {}", mark.display()), e))
            })
            .and_then(|_| switch_folder(path, &info.branch))
            .and_then(|_| clean_folder(path));
        match reset {
            Ok(()) => {
                let _ = std::fs::remove_file(&mark);
                Ok(info)
            }
            Err(e) => {
                let _ = delete_branch_if_at(repo, &info.branch, base);
                let _ = std::fs::remove_file(self.meta_path(&stem));
                let _ = std::fs::remove_file(&mark);
                Err(e)
            }
        }
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
        self.finish_resets_locked(&repo)
    }

    fn finish_resets_locked(&self, repo: &Repository) -> CoreResult<Vec<String>> {
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
    fn finish_adds_locked(&self, repo: &Repository) -> CoreResult<()> {
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
    fn finish_rebases_locked(&self, repo: &Repository) {
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
    fn add_marked(&self, repo: &Repository, name: &str, path: &Path, branch: &str) -> CoreResult<()> {
        let mark = self.meta_dir.join(format!("{name}.adding"));
        std::fs::write(&mark, branch).map_err(|e| CoreError::io(format!("cannot write {}", mark.display()), e))?;
        let added = add_worktree(repo, name, path, branch);
        let _ = std::fs::remove_file(&mark);
        added
    }

    /// Frees the worktree of a finished task: a slot's folder is kept for the slot's next task (HEAD detached, its
    /// branch deleted when every commit of it is on `target_branch`, refused otherwise like [`Worktrees::remove`]);
    /// any other worktree is removed ([`Worktrees::remove`]).
    pub fn release(&self, info: &WorktreeInfo, target_branch: &str) -> CoreResult<RemoveOutcome> {
        let folder = info.path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !is_slot_name(&folder) || !self.is_under_root(&info.path) {
            return self.remove(info, target_branch);
        }
        let _admin = admin_lock();
        let repo = self.repo()?;
        let tip = branch_tip(&repo, &info.branch)?;
        let unmerged = count_unmerged(&repo, tip, branch_tip(&repo, target_branch)?)?;
        if unmerged > 0 {
            return Err(CoreError::UnmergedWork { branch: info.branch.clone(), commits: unmerged });
        }
        if worktree_branch(&repo, &folder).as_deref() == Some(info.branch.as_str()) {
            Repository::open(&info.path)?.set_head_detached(tip)?;
        }
        delete_branch_if_at(&repo, &info.branch, tip)?;
        if let Some(name) = info.branch.strip_prefix(BRANCH_PREFIX) {
            let _ = std::fs::remove_file(self.meta_path(name));
        }
        Ok(RemoveOutcome::Released { slot: folder })
    }

    /// The task's work is committed and waits at the merge gate, which tests it in a worktree of its own: the task's
    /// folder is not needed until a person or a retry needs one again ([`Worktrees::reattach`] makes it from the
    /// branch). A slot folder is set free for the slot's next task, any other folder removed; the branch stays.
    /// A folder with changes its branch lacks, or that has another branch checked out, is kept.
    pub fn park(&self, info: &WorktreeInfo) -> CoreResult<Parked> {
        if self.has_changes(info)? {
            return Ok(Parked::Kept);
        }
        let _admin = admin_lock();
        let repo = self.repo()?;
        let folder = info.path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        if !self.is_under_root(&info.path) || worktree_branch(&repo, &folder).as_deref() != Some(info.branch.as_str()) {
            return Ok(Parked::Kept);
        }
        if is_slot_name(&folder) {
            Repository::open(&info.path)?.set_head_detached(branch_tip(&repo, &info.branch)?)?;
            return Ok(Parked::SlotFreed { slot: folder });
        }
        self.remove_folder(&repo, info)?;
        Ok(Parked::Removed)
    }

    /// Removes the free slot folders of slots `keep` and up (slots count from 0; `keep` 0 removes all of them, for
    /// a project that stopped reusing worktrees). Their changed files are saved first (module docs); a
    /// slot whose changes cannot be saved is kept. Returns the folders removed.
    pub fn drop_free_slots(&self, keep: u32) -> CoreResult<Vec<String>> {
        let _admin = admin_lock();
        let repo = self.repo()?;
        self.finish_resets_locked(&repo)?;
        let mut dropped = Vec::new();
        for name in repo.worktrees()?.iter().flatten() {
            let Some(n) = name.strip_prefix("slot-").and_then(|n| n.parse::<u32>().ok()) else { continue };
            let path = self.root.join(name);
            let wt = repo.find_worktree(name)?;
            if n < keep || wt.validate().is_err() || worktree_branch(&repo, name).is_some() {
                continue;
            }
            if rescue_changes(&path, name).is_err() {
                continue;
            }
            self.drop_folder(&repo, name, &path)?;
            dropped.push(name.to_string());
        }
        Ok(dropped)
    }

    /// Removes a worktree folder and its git admin folder (the caller saved what mattered), and what YokeFlow noted
    /// about the folder (a slot's setup fingerprint: a folder made later is a new one).
    fn drop_folder(&self, repo: &Repository, name: &str, path: &Path) -> CoreResult<()> {
        let _ = std::fs::remove_file(self.meta_dir.join(format!("{name}.setup")));
        remove_dir(path)?;
        if let Ok(wt) = repo.find_worktree(name) {
            wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
        }
        Ok(())
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

    /// Brings the branch of `info` (work of an earlier attempt being continued) up to date: rebased onto the current
    /// tip of `target_branch` (or the commit it names in full hex: the gate's trusted one) in its worktree with git's own `rebase --autostash` (uncommitted files are kept), the
    /// repository's hooks off, a clean git environment. A conflict aborts the rebase, leaving branch and files as
    /// they were, and says where. On success the saved base commit is the target's tip.
    pub fn rebase_onto_target(&self, info: &WorktreeInfo, target_branch: &str) -> CoreResult<Rebase> {
        let repo = self.repo()?;
        let (tip, onto) = (branch_tip(&repo, &info.branch)?, branch_or_commit(&repo, target_branch)?);
        if tip == onto || repo.graph_descendant_of(tip, onto)? {
            return Ok(Rebase::UpToDate);
        }
        let behind = repo.graph_ahead_behind(tip, onto)?.1;
        let sig = signature(&repo)?;
        let git = |args: &[&str]| {
            git_command(&info.path, args)
                .env("GIT_EDITOR", "true")
                .env("GIT_COMMITTER_NAME", sig.name().unwrap_or("YokeFlow"))
                .env("GIT_COMMITTER_EMAIL", sig.email().unwrap_or("yokeflow@localhost"))
                .output()
                .map_err(|e| CoreError::io("cannot run git rebase", e))
        };
        let onto_hex = onto.to_string();
        let out = git(&["rebase", "--autostash", "--no-verify", "--quiet", &onto_hex])?;
        if !out.status.success() {
            let conflicted = git(&["diff", "--name-only", "--diff-filter=U"])?;
            let mut files: Vec<String> = String::from_utf8_lossy(&conflicted.stdout)
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect();
            let _ = git(&["rebase", "--abort"]);
            if files.is_empty() {
                let err = String::from_utf8_lossy(&out.stderr);
                files
                    .push(err.lines().find(|l| !l.trim().is_empty()).unwrap_or("git rebase failed").trim().to_string());
            }
            return Ok(Rebase::Conflict { files });
        }
        let rebased = WorktreeInfo { base_commit: onto_hex, ..info.clone() };
        if let Some(name) = info.branch.strip_prefix(BRANCH_PREFIX) {
            self.write_meta(name, &rebased)?;
        }
        Ok(Rebase::Rebased { info: rebased, behind })
    }

    /// [`Worktrees::rebase_onto_target`] for a kept branch no folder has checked out, made in memory: the branch
    /// moves once, by compare-and-swap, to the rebased commits (a crash leaves it before or after, never between),
    /// and no folder is touched; the saved base is updated ([`Worktrees::reattach`] reads it).
    pub fn rebase_branch(&self, branch_name: &str, target_branch: &str) -> CoreResult<Rebase> {
        let repo = self.repo()?;
        let name = branch_name.strip_prefix(BRANCH_PREFIX).unwrap_or(branch_name);
        let info = self.read_meta(name).unwrap_or_else(|| WorktreeInfo {
            id: uuid::Uuid::new_v4().to_string(),
            task_id: String::new(),
            branch: branch_name.to_string(),
            path: self.root.join(name),
            base_commit: String::new(),
        });
        let (tip, onto) = (branch_tip(&repo, branch_name)?, branch_or_commit(&repo, target_branch)?);
        if tip == onto || repo.graph_descendant_of(tip, onto)? {
            return Ok(Rebase::UpToDate);
        }
        let behind = repo.graph_ahead_behind(tip, onto)?.1;
        let sig = signature(&repo)?;
        let (branch, upstream) = (repo.find_annotated_commit(tip)?, repo.find_annotated_commit(onto)?);
        let mut opts = git2::RebaseOptions::new();
        opts.inmemory(true);
        let mut rebase = repo.rebase(Some(&branch), Some(&upstream), None, Some(&mut opts))?;
        let mut last = onto;
        while let Some(op) = rebase.next() {
            op?;
            let index = rebase.inmemory_index()?;
            if index.has_conflicts() {
                let mut files: Vec<String> = index
                    .conflicts()?
                    .flatten()
                    .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                    .collect();
                files.dedup();
                rebase.abort()?;
                return Ok(Rebase::Conflict { files });
            }
            last = match rebase.commit(None, &sig, None) {
                Ok(id) => id,
                // The commit's change is on the target already: nothing of it is left to replay.
                Err(e) if e.code() == git2::ErrorCode::Applied => last,
                Err(e) => return Err(e.into()),
            };
        }
        rebase.finish(Some(&sig))?;
        let log = format!("yokeflow: rebased onto {target_branch} ({onto})");
        repo.reference_matching(&format!("refs/heads/{branch_name}"), last, true, tip, &log)?;
        let rebased = WorktreeInfo { base_commit: onto.to_string(), ..info };
        self.write_meta(name, &rebased)?;
        Ok(Rebase::Rebased { info: rebased, behind })
    }

    /// How many commits of `branch` are not reachable from `target_branch`.
    pub fn unmerged_commits(&self, branch: &str, target_branch: &str) -> CoreResult<usize> {
        let repo = self.repo()?;
        count_unmerged(&repo, branch_tip(&repo, branch)?, branch_tip(&repo, target_branch)?)
    }

    fn repo(&self) -> CoreResult<Repository> {
        Ok(Repository::open(&self.repo_path)?)
    }

    /// Whether `path` is one of this repository's task worktrees: under the root, or under the root older versions
    /// used inside the checkout (`<repo>/.yokeflow/worktrees`, so their worktrees are still reconciled).
    fn is_under_root(&self, path: &Path) -> bool {
        let legacy = self.repo_path.join(".yokeflow").join("worktrees");
        path.canonicalize().map(|p| p.starts_with(&self.root) || p.starts_with(&legacy)).unwrap_or(false)
    }

    fn meta_path(&self, name: &str) -> PathBuf {
        self.meta_dir.join(format!("{name}.json"))
    }

    fn read_meta(&self, name: &str) -> Option<WorktreeInfo> {
        let text = std::fs::read_to_string(self.meta_path(name)).ok()?;
        serde_json::from_str(&text).ok()
    }

    fn write_meta(&self, name: &str, info: &WorktreeInfo) -> CoreResult<()> {
        let path = self.meta_path(name);
        let json = serde_json::to_string_pretty(info).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        std::fs::write(&path, json).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
    }

    /// The info of a live worktree: saved metadata, or what can be derived from the branch.
    fn info_for(&self, repo: &Repository, branch: &str, path: &Path) -> WorktreeInfo {
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

    fn remove_folder(&self, repo: &Repository, info: &WorktreeInfo) -> CoreResult<()> {
        let name = info.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        remove_dir(&info.path)?;
        if let Ok(wt) = repo.find_worktree(name) {
            wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
        }
        Ok(())
    }
}

/// Lower-case ASCII letters, digits and single dashes; at most 40 characters; `task` when nothing is left.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "task".to_string()
    } else {
        out
    }
}

/// Adds `/.yokeflow/` to the repository's `info/exclude` unless a line already says so.
pub(crate) fn ensure_excluded(repo: &Repository) -> CoreResult<()> {
    let info = repo.commondir().join("info");
    create_dir(&info)?;
    let path = info.join("exclude");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.lines().any(|l| l.trim() == EXCLUDE_LINE) {
        return Ok(());
    }
    let sep = if current.is_empty() || current.ends_with('\n') { "" } else { "\n" };
    let text = format!("{current}{sep}# YokeFlow's worktrees, logs and integration checkout\n{EXCLUDE_LINE}\n");
    std::fs::write(&path, text).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
}

/// What YokeFlow's own folders under `<repo>/.yokeflow/` take on disk (sizes of regular files; links not followed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct DiskUsage {
    /// Task worktrees now (free slots not counted).
    pub worktrees: u32,
    /// Free worker slot folders kept for the next task with their build outputs ([`Worktrees::acquire_slot`]).
    pub free_slots: u32,
    #[ts(type = "number")]
    pub worktree_bytes: u64,
    /// The merge gate's worktrees (integration, conflict resolutions).
    #[ts(type = "number")]
    pub gate_bytes: u64,
    /// Agent logs, transcripts and test logs.
    #[ts(type = "number")]
    pub log_bytes: u64,
}

/// What the repository's YokeFlow folders use on disk ([`DiskUsage`]).
pub fn disk_usage(repo_path: &Path) -> CoreResult<DiskUsage> {
    fn size(path: &Path) -> u64 {
        let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
        if meta.is_dir() {
            std::fs::read_dir(path).map(|d| d.flatten().map(|e| size(&e.path())).sum()).unwrap_or(0)
        } else if meta.is_file() {
            meta.len()
        } else {
            0
        }
    }
    let root = repo_path.join(".yokeflow");
    let home = work_home(repo_path);
    let wts = home.join("worktrees");
    let (mut worktrees, mut free_slots) = (0, 0);
    for e in std::fs::read_dir(&wts).into_iter().flatten().flatten().filter(|e| e.path().is_dir()) {
        let slot = e.file_name().to_str().is_some_and(is_slot_name);
        if slot && Repository::open(e.path()).and_then(|r| r.head_detached()).unwrap_or(false) {
            free_slots += 1;
        } else {
            worktrees += 1;
        }
    }
    Ok(DiskUsage {
        worktrees,
        free_slots,
        worktree_bytes: size(&wts),
        gate_bytes: size(&home.join("integration")) + size(&home.join("resolve")),
        log_bytes: size(&root.join("logs")),
    })
}

/// [`disk_usage`] off the async threads (it walks folders).
pub async fn disk_usage_of(repo_path: &Path) -> CoreResult<DiskUsage> {
    let repo = repo_path.to_path_buf();
    crate::sys::concurrency::blocking(move || disk_usage(&repo)).await
}

/// `bytes` for a person: `812 KiB`, `1.4 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
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

/// The folder (and git worktree) name of worker slot `slot`'s reused worktree.
pub fn slot_name(slot: u32) -> String {
    format!("slot-{slot}")
}

fn is_slot_name(name: &str) -> bool {
    name.strip_prefix("slot-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Commits every changed or new file (ignored ones excepted) of the free slot folder at `path` on top of its HEAD
/// into `refs/yokeflow/rescued/<name>-<ms>`, without moving HEAD or touching a file. `None`: nothing had changed.
fn rescue_changes(path: &Path, name: &str) -> CoreResult<Option<String>> {
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
fn git_command(path: &Path, args: &[&str]) -> std::process::Command {
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
fn git_in(path: &Path, args: &[&str]) -> CoreResult<()> {
    let out = git_command(path, args).output().map_err(|e| CoreError::io("cannot run git", e))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("failed").trim().to_string();
    Err(CoreError::InvalidInput(format!("git {} in {}: {line}", args.join(" "), path.display())))
}

/// Checks out `branch` in the folder, tracked files forced to it (ignored and untracked files stay).
fn switch_folder(path: &Path, branch: &str) -> CoreResult<()> {
    git_in(path, &["checkout", "--force", "--quiet", "--no-recurse-submodules", branch])
}

/// Detaches the folder's HEAD at `commit`, tracked files forced to it.
fn detach_folder(path: &Path, commit: Oid) -> CoreResult<()> {
    git_in(path, &["checkout", "--force", "--quiet", "--no-recurse-submodules", "--detach", &commit.to_string()])
}

/// Removes the folder's untracked files and folders; ignored ones (build outputs, `node_modules/`) stay.
fn clean_folder(path: &Path) -> CoreResult<()> {
    git_in(path, &["clean", "-d", "--force", "--quiet"])
}

/// Adds the worktree `name` at `path` with `branch` checked out.
fn add_worktree(repo: &Repository, name: &str, path: &Path, branch: &str) -> CoreResult<()> {
    let reference = repo.find_branch(branch, BranchType::Local)?.into_reference();
    let mut opts = WorktreeAddOptions::new();
    opts.reference(Some(&reference));
    repo.worktree(name, path, Some(&opts))?;
    Ok(())
}

/// The branch a worktree has checked out, read from its admin folder (works when the folder is gone too).
fn worktree_branch(repo: &Repository, name: &str) -> Option<String> {
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
fn branch_or_commit(repo: &Repository, name: &str) -> CoreResult<Oid> {
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
fn branch_creation_point(repo: &Repository, branch: &str, tip: Oid) -> String {
    let oldest = repo.reflog(&format!("refs/heads/{branch}")).ok().and_then(|log| {
        let n = log.len();
        (n > 0).then(|| log.get(n - 1).map(|e| e.id_new())).flatten()
    });
    oldest.unwrap_or(tip).to_string()
}

/// Deletes `branch` only if it still points at `expected` (the ref is locked while it is compared).
fn delete_branch_if_at(repo: &Repository, branch: &str, expected: Oid) -> CoreResult<()> {
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

/// The folder, outside the checkout, that holds YokeFlow's work trees of the repository at `repo_path` (its task
/// worktrees, the merge gate's, conflict resolutions): `<parent>/.<name>.yokeflow/` beside the checkout, so that
/// nothing above a work tree is the person's (Node's `node_modules`, a Python `.venv`, a Cargo workspace or a config
/// file found by searching upwards would otherwise leak the person's files into the tests). Where that parent cannot
/// take it (not writable), `<data dir>/worktrees/<name>-<hash of the path>`; `YOKEFLOW_WORKTREES_DIR` puts every
/// repository's under that folder (`<dir>/<name>-<hash>`).
pub fn work_home(repo_path: &Path) -> PathBuf {
    let repo = repo_path.canonicalize().unwrap_or_else(|_| repo_path.to_path_buf());
    let name = repo.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "repository".into());
    let hashed = |base: PathBuf| {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(repo.as_os_str().as_encoded_bytes());
        let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        base.join(format!("{}-{hex}", slug(&name)))
    };
    if let Some(dir) = std::env::var_os("YOKEFLOW_WORKTREES_DIR").filter(|d| !d.is_empty()) {
        return hashed(PathBuf::from(dir));
    }
    let beside = repo.parent().map(|p| p.join(format!(".{name}.yokeflow")));
    match beside {
        Some(home) if home.is_dir() || std::fs::create_dir(&home).is_ok() => home,
        _ => hashed(crate::sys::paths::data_dir().join("worktrees")),
    }
}

/// `<work home>/<sub>` ([`work_home`]): created when `create` and missing, refused like [`state_dir`] when the home or
/// the folder is a symbolic link or not a folder.
pub fn work_dir(repo_path: &Path, sub: &str, create: bool) -> CoreResult<PathBuf> {
    own_folder(&work_home(repo_path), sub, create, "the repository's worktrees", |_| Ok(()))
}

/// `top/sub`, each checked to be a real folder (never a symbolic link or a file), created when missing (`sub` only
/// when `create`); `made_top` runs once `top` was created here. `what` names what YokeFlow keeps there.
fn own_folder(
    top: &Path,
    sub: &str,
    create: bool,
    what: &str,
    made_top: impl FnOnce(&Path) -> CoreResult<()>,
) -> CoreResult<PathBuf> {
    let dir = top.join(sub);
    let mut made_top = Some(made_top);
    for path in [top, dir.as_path()] {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                return Err(CoreError::InvalidInput(format!(
                    "{} is a symbolic link or a file, not a folder: YokeFlow keeps {what} there and will not work \
                     through it (remove it; it belongs to YokeFlow)",
                    path.display()
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create && path == dir {
                    break;
                }
                std::fs::create_dir_all(path)
                    .map_err(|e| CoreError::io(format!("cannot create {}", path.display()), e))?;
                if path == top {
                    if let Some(f) = made_top.take() {
                        f(path)?;
                    }
                }
            }
            Err(e) => return Err(CoreError::io(format!("cannot read {}", path.display()), e)),
        }
    }
    Ok(dir)
}

/// Whether `path` lies in one of YokeFlow's own folders of the repository at `repo_path`: its work home
/// ([`work_home`]) or `<repo>/.yokeflow/` (where older versions kept their worktrees). A person's worktree never does.
pub fn is_ours(repo_path: &Path, path: &Path) -> bool {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (home, dot) = (work_home(repo_path), repo_path.join(".yokeflow"));
    let path_c = canon(path);
    [home, dot].iter().any(|root| path.starts_with(root) || path_c.starts_with(canon(root)))
}

/// `<repo>/.yokeflow/<sub>`, YokeFlow's own folder for worktrees, logs and merges; created when `create` and
/// missing. Refused when `.yokeflow` or that folder is a symbolic link or not a folder: a repository could commit
/// one to send YokeFlow's worktrees, logs and deletions outside itself.
pub fn state_dir(repo_path: &Path, sub: &str, create: bool) -> CoreResult<PathBuf> {
    // Whoever makes the folder first (a run, a card edit's lock), git's status never shows it.
    let exclude = |_: &Path| match Repository::open(repo_path) {
        Ok(repo) => ensure_excluded(&repo),
        Err(_) => Ok(()),
    };
    own_folder(
        &repo_path.join(".yokeflow"),
        sub,
        create,
        "its logs, locks and worktree records (.yokeflow/, excluded from git)",
        exclude,
    )
}

pub(crate) fn create_dir(path: &Path) -> CoreResult<()> {
    std::fs::create_dir_all(path).map_err(|e| CoreError::io(format!("cannot create {}", path.display()), e))
}

pub(crate) fn remove_dir(path: &Path) -> CoreResult<()> {
    // Out of the way first, in one step: a removal cut short (a crash, a kill) must not leave a folder that still
    // looks like a worktree whose files were deleted, which the next start would take for work and commit.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let trash = path.with_file_name(format!(".removing-{name}-{}", uuid::Uuid::new_v4()));
    let path = match std::fs::rename(path, &trash) {
        Ok(()) => trash.as_path(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) => path,
    };
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(CoreError::io(format!("cannot remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs() {
        assert_eq!(slug("Add login page!"), "add-login-page");
        assert_eq!(slug("  --  "), "task");
        assert_eq!(slug("T-12_x"), "t-12-x");
        assert!(slug(&"a".repeat(100)).len() <= 40);
    }
}
