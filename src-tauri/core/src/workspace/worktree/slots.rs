//! Reused worktree folders (`slot-<n>`): acquiring one for a task (reset onto the task's new branch under a `.reset`
//! mark), releasing and parking it, dropping free ones.

use std::path::Path;

use git2::{Oid, Repository, WorktreePruneOptions};

use super::folders::{is_slot_name, remove_dir, slot_name, slug};
use super::git_ops::{
    branch_tip, clean_folder, count_unmerged, delete_branch_if_at, rescue_changes, switch_folder, worktree_branch,
};
use super::worktrees::{
    admin_lock, Parked, RemoveOutcome, ResetMark, SlotWorktree, WorktreeInfo, Worktrees, BRANCH_PREFIX,
};
use crate::error::{CoreError, CoreResult};

impl Worktrees {
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
    pub(super) fn reset_slot(
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
    pub(super) fn drop_folder(&self, repo: &Repository, name: &str, path: &Path) -> CoreResult<()> {
        let _ = std::fs::remove_file(self.meta_dir.join(format!("{name}.setup")));
        remove_dir(path)?;
        if let Ok(wt) = repo.find_worktree(name) {
            wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
        }
        Ok(())
    }
}
