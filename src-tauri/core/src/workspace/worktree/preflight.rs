//! A task's folder holding its branch merged with the target for a pre-flight test, and back. HEAD never moves (the
//! folder stays on the task's branch, so it is never taken for a free slot): only the index and the tracked files
//! change, with git's two-tree update, and `git reset --hard` puts them back on the branch (untracked and ignored
//! files the tests made stay, like build outputs). A `<folder>.preflight` mark in the metadata folder lives as long as
//! the merged tree is checked out; recovery ([`Worktrees::finish_resets`]) puts a folder a crash left so back.

use std::path::Path;

use git2::Oid;

use super::git_ops::{branch_tip, git_in};
use super::worktrees::{WorktreeInfo, Worktrees};
use crate::error::{CoreError, CoreResult};

/// What a pre-flight tests in the task's folder ([`Worktrees::preflight_checkout`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreflightTree {
    /// The branch already holds the target: its own tip, as the folder has it (hex).
    AsIs { commit: String },
    /// The branch merged with the target, checked out in the folder: the merge commit (a plain object, hex).
    Merged { commit: String },
    /// The branch and the target do not merge cleanly: nothing was touched (the gate finds the conflict itself).
    Conflict,
    /// The target changed this lockfile since the branch's base and the folder's dependencies were installed from
    /// the old one (the project has a setup command): nothing was touched, the gate (which runs the setup again)
    /// tests it.
    LockfileChanged { file: String },
}

impl Worktrees {
    /// Puts `info`'s branch merged with `onto` in its folder (module docs). Refused (nothing changed) when the
    /// folder has changes its branch lacks, or a file in the way. A merge that changes one of `lockfiles` (those the
    /// project's setup installs from, when it has one) is not checked out ([`PreflightTree::LockfileChanged`]).
    pub fn preflight_checkout(&self, info: &WorktreeInfo, onto: Oid, lockfiles: &[&str]) -> CoreResult<PreflightTree> {
        let repo = self.repo()?;
        let tip = branch_tip(&repo, &info.branch)?;
        if self.has_changes(info)? {
            return Err(CoreError::InvalidInput(format!(
                "the worktree of `{}` has changes its branch lacks",
                info.task_id
            )));
        }
        if tip == onto || repo.graph_descendant_of(tip, onto)? {
            return Ok(PreflightTree::AsIs { commit: tip.to_string() });
        }
        let (ours, theirs) = (repo.find_commit(onto)?, repo.find_commit(tip)?);
        let mut index = repo.merge_commits(&ours, &theirs, None)?;
        if index.has_conflicts() {
            return Ok(PreflightTree::Conflict);
        }
        let tree = repo.find_tree(index.write_tree_to(&repo)?)?;
        let before = theirs.tree()?;
        let id = |t: &git2::Tree, f: &str| t.get_path(Path::new(f)).ok().map(|e| e.id());
        if let Some(file) = lockfiles.iter().find(|f| id(&before, f) != id(&tree, f)) {
            return Ok(PreflightTree::LockfileChanged { file: file.to_string() });
        }
        let sig = crate::sys::git::signature(&repo)?;
        let message = format!("yokeflow pre-flight: {} merged with the target", info.branch);
        let commit = repo.commit(None, &sig, &sig, &message, &tree, &[&ours, &theirs])?;
        let mark = self.preflight_mark(&info.path);
        std::fs::write(&mark, &info.branch)
            .map_err(|e| CoreError::io(format!("cannot write {}", mark.display()), e))?;
        if let Err(e) = git_in(&info.path, &["read-tree", "-m", "-u", "HEAD", &commit.to_string()]) {
            let _ = std::fs::remove_file(&mark);
            return Err(e);
        }
        Ok(PreflightTree::Merged { commit: commit.to_string() })
    }

    /// Puts the folder's index and tracked files back on its branch after a pre-flight of [`PreflightTree::Merged`];
    /// the mark goes. Call it once the tests' processes are gone: an index lock they left is removed and the reset
    /// tried again. On an error the mark stays (recovery tries again).
    pub fn end_preflight(&self, info: &WorktreeInfo) -> CoreResult<()> {
        if restore(&info.path).is_err() {
            let lock = git2::Repository::open(&info.path)?.path().join("index.lock");
            let _ = std::fs::remove_file(lock);
            restore(&info.path)?;
        }
        let _ = std::fs::remove_file(self.preflight_mark(&info.path));
        Ok(())
    }

    /// Recovery: each folder a crash left holding a pre-flight's merged tree is put back on its branch. Returns the
    /// folders put back.
    pub(super) fn finish_preflights(&self) -> Vec<String> {
        let mut done = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.meta_dir) else { return done };
        for e in entries.flatten() {
            let file = e.path();
            let Some(name) = file.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".preflight"))
            else {
                continue;
            };
            let path = self.root.join(name);
            // Only a folder still on the branch the mark names (a slot taken by another task since is not touched).
            let branch = std::fs::read_to_string(&file).unwrap_or_default();
            let on_it = git2::Repository::open(&path)
                .ok()
                .and_then(|r| r.head().ok().and_then(|h| h.shorthand().map(str::to_string)))
                .is_some_and(|head| head == branch.trim());
            if on_it {
                if let Err(e) = restore(&path) {
                    tracing::warn!(folder = name, "an interrupted pre-flight could not be undone: {e}");
                    continue;
                }
            }
            let _ = std::fs::remove_file(&file);
            done.push(name.to_string());
        }
        done
    }

    fn preflight_mark(&self, folder: &Path) -> std::path::PathBuf {
        let name = folder.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        self.meta_dir.join(format!("{name}.preflight"))
    }
}

/// The folder's index and tracked files back on its HEAD (the task's branch).
fn restore(path: &Path) -> CoreResult<()> {
    git_in(path, &["reset", "--hard", "--quiet", "--no-recurse-submodules"])
}
