//! Conflicts resolved by the review agent: a per-branch worktree `resolve/<branch-slug>` of the work home, its result
//! committed and landed through the gate like any branch.

use std::path::Path;

use git2::build::CheckoutBuilder;
use git2::{Oid, Repository};

use crate::error::{CoreError, CoreResult};
use crate::sys::git::signature;
use crate::workspace::worktree::branch_tip;

use super::gate::{Item, LandOutcome, MergeGate};
use super::tree::{conflict_paths, detached_worktree, drop_worktree, file_slug, has_conflict_markers, merge_head};

impl MergeGate {
    /// After a [`LandOutcome::Conflict`]: (re)creates the worktree [`MergeGate::resolution_path`] detached at the
    /// current target, with `branch` merged into it: conflict markers in the files, conflicts in its index and
    /// `MERGE_HEAD` set, as `git merge` would leave it. A review agent resolves the files there (editing them is
    /// enough; `git add` is optional), then [`MergeGate::finish_resolution`] lands the result. Returns the
    /// conflicted paths; empty (and no worktree) when the branch now merges cleanly.
    pub fn prepare_resolution(&self, branch: &str) -> CoreResult<Vec<String>> {
        self.check_dirs()?;
        let repo = self.repo()?;
        let onto = branch_tip(&repo, &self.cfg.target_branch)?;
        let tip = branch_tip(&repo, branch)?;
        let index = repo.merge_commits(&repo.find_commit(onto)?, &repo.find_commit(tip)?, None)?;
        if !index.has_conflicts() {
            return Ok(Vec::new());
        }
        let path = self.resolution_path(branch);
        let name = format!("yokeflow-resolve-{}", file_slug(branch));
        drop_worktree(&repo, &name, &path)?;
        let wt = detached_worktree(&repo, &name, &path, onto)?;
        let reference = wt.find_reference(&format!("refs/heads/{branch}"))?;
        let annotated = wt.reference_to_annotated_commit(&reference)?;
        let mut checkout = CheckoutBuilder::new();
        checkout.allow_conflicts(true).conflict_style_merge(true);
        wt.merge(&[&annotated], None, Some(&mut checkout))?;
        conflict_paths(&wt.index()?)
    }

    /// Finishes a resolution started by [`MergeGate::prepare_resolution`]: refuses with
    /// [`CoreError::UnresolvedConflicts`] while a conflicted file still has a `<<<<<<<`, `=======` or `>>>>>>>` line;
    /// otherwise commits the resolution worktree's files as the merge commit (parents: the target it was prepared
    /// on, the branch) and lands it like [`MergeGate::land`]: tested, compare-and-swap, merged again onto the target
    /// if the target moved meanwhile. The resolution worktree is removed once merged and kept otherwise (fix the
    /// files and call this again).
    pub async fn finish_resolution(&self, branch: &str, message: &str) -> CoreResult<LandOutcome> {
        let resolved = self.commit_resolution(branch, message)?;
        let item = Item { label: branch.to_string(), source: resolved, message: message.to_string(), preflight: None };
        let mut out = vec![None];
        self.land_items(std::slice::from_ref(&item), vec![0], &mut out).await;
        let outcome = out.pop().flatten().unwrap_or_else(|| Err(CoreError::InvalidInput("not landed".into())))?;
        if matches!(outcome, LandOutcome::Merged { .. }) {
            let name = format!("yokeflow-resolve-{}", file_slug(branch));
            drop_worktree(&self.repo()?, &name, &self.resolution_path(branch))?;
        }
        Ok(outcome)
    }

    /// Commits the files of the resolution worktree of `branch` as the merge of its `HEAD` and `MERGE_HEAD`.
    pub(super) fn commit_resolution(&self, branch: &str, message: &str) -> CoreResult<Oid> {
        let path = self.resolution_path(branch);
        let no_resolution = || {
            CoreError::InvalidInput(format!(
                "no conflict resolution is in progress for `{branch}`; call prepare_resolution first"
            ))
        };
        let wt = Repository::open(&path).map_err(|_| no_resolution())?;
        let onto = wt.head()?.peel_to_commit()?;
        let tip = wt.find_commit(merge_head(&wt)?.ok_or_else(no_resolution)?)?;
        let files = conflict_paths(&wt.merge_commits(&onto, &tip, None)?)?;
        let marked: Vec<String> = files.iter().filter(|f| has_conflict_markers(&path.join(f))).cloned().collect();
        if !marked.is_empty() {
            return Err(CoreError::UnresolvedConflicts { files: marked });
        }
        let mut index = wt.index()?;
        for file in &files {
            if path.join(file).symlink_metadata().is_ok() {
                index.add_path(Path::new(file))?;
            } else {
                index.remove_path(Path::new(file))?;
            }
        }
        index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
        index.update_all(["*"], None)?;
        if index.has_conflicts() {
            return Err(CoreError::UnresolvedConflicts { files: conflict_paths(&index)? });
        }
        index.write()?;
        let tree = wt.find_tree(index.write_tree()?)?;
        let sig = signature(&wt)?;
        Ok(wt.commit(None, &sig, &sig, message, &tree, &[&onto, &tip])?)
    }
}
