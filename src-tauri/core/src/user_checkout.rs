//! Keeping the user's own checkout current after the merge gate moved the target branch.
//!
//! Moving a branch ref touches no work tree, so a user who has the target branch checked out would see the landed
//! work as staged reverse changes. After each landing the gate calls [`follow`]: when the main work tree is on the
//! target branch and has **no local change at all** to tracked files (index and files equal the tree the branch
//! held before), its index and files are moved from the old tree to the new one with `git read-tree -m -u` (git's
//! own two-tree update, as `git checkout` does: it refuses rather than overwrite an untracked file). Any local
//! change, another branch checked out or a detached HEAD leaves everything untouched, and says why.

use std::path::Path;
use std::process::Command;

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

/// What [`follow`] did to the user's checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckoutSync {
    /// The checkout is on the target branch and now shows the landed work.
    Updated,
    /// Another branch (or a detached HEAD) is checked out: nothing to do.
    NotOnTarget,
    /// The checkout is on the target branch but was left as it was; `reason` says why and what to do.
    Left { reason: String },
}

/// After the target branch `target` moved from `old` to `new`, brings the main work tree at `repo_path` along
/// when it is on that branch and clean (module docs). Never fails: problems come back as [`CheckoutSync::Left`].
pub fn follow(repo_path: &Path, target: &str, old: Oid, new: Oid) -> CheckoutSync {
    match try_follow(repo_path, target, old, new) {
        Ok(sync) => sync,
        Err(e) => CheckoutSync::Left { reason: format!("it could not be checked: {e}") },
    }
}

fn left(reason: impl Into<String>) -> CheckoutSync {
    CheckoutSync::Left { reason: reason.into() }
}

fn try_follow(repo_path: &Path, target: &str, old: Oid, new: Oid) -> Result<CheckoutSync, git2::Error> {
    let repo = Repository::open(repo_path)?;
    let head = repo.find_reference("HEAD")?;
    if head.symbolic_target() != Some(format!("refs/heads/{target}").as_str()) {
        return Ok(CheckoutSync::NotOnTarget);
    }
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else { return Ok(CheckoutSync::NotOnTarget) };
    let old_tree = repo.find_commit(old)?.tree()?;
    // Index and tracked files against the tree the branch held before: any difference is the user's work.
    let diff = repo.diff_tree_to_workdir_with_index(Some(&old_tree), None)?;
    if diff.deltas().len() > 0 {
        let first =
            diff.deltas().next().and_then(|d| d.new_file().path().or(d.old_file().path()).map(Path::to_path_buf));
        return Ok(left(format!(
            "it has local changes ({} file(s), e.g. {}); update it yourself with `git stash && git reset --hard && git \
             stash pop` or `git reset --keep {target}`",
            diff.deltas().len(),
            first.map(|p| p.display().to_string()).unwrap_or_default()
        )));
    }
    let git = |args: &[&str]| {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&workdir).args(args).env("GIT_TERMINAL_PROMPT", "0");
        for var in crate::git::repository_env() {
            cmd.env_remove(var);
        }
        cmd.output()
    };
    // The contents equal the old tree (checked above), but the index's file times may be stale (a `touch`, a copied
    // repository): refresh them, or read-tree refuses ("not uptodate") and the landed work would show as a revert.
    let _ = git(&["update-index", "-q", "--refresh"]);
    let out = git(&["read-tree", "-m", "-u", &old.to_string(), &new.to_string()]);
    match out {
        Ok(o) if o.status.success() => Ok(CheckoutSync::Updated),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("git read-tree failed").trim().to_string();
            Ok(left(format!("git refused to update it: {first}")))
        }
        Err(e) => Ok(left(format!("git could not be run: {e}"))),
    }
}
