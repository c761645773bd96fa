//! The work trees that have the target branch checked out: the gate never moves the branch under one whose files
//! cannot follow.
//!
//! Moving a branch ref touches no work tree, so a person who has the target branch checked out (in the main work
//! tree or in a linked worktree of their own) would see the landed work as staged reverse changes, and their next
//! `git commit -am` would revert it. So before the gate moves the target it asks [`blocker`]: every such work tree
//! must have **no local change at all** to tracked files (index and files equal the tree the branch holds now), and
//! git's own two-tree update (`git read-tree -m -u`, as `git checkout` does) must accept the move in a dry run (it
//! refuses to overwrite an untracked file). One that cannot follow stops the landing: the target stays where it
//! is and the reason names the work tree and the command that frees it. After the move [`follow`] updates each of
//! them. YokeFlow's own worktrees (under `.yokeflow/`) never have the target checked out and are not looked at.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};

/// What [`follow`] did to the work trees that have the target checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckoutSync {
    /// Every work tree on the target branch now shows the landed work.
    Updated,
    /// No work tree has the target branch checked out: nothing to do.
    NotOnTarget,
    /// A work tree on the target could not be updated after all (it changed between the check and the move);
    /// `reason` says which and what to do.
    Left { reason: String },
}

/// A work tree on the target branch that could not follow a landing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// The work tree's folder.
    pub path: PathBuf,
    /// Why it cannot follow and how to free it (one command).
    pub reason: String,
}

/// The folders of the work trees that have `refs/heads/<target>` checked out: the main work tree and any linked
/// worktree whose folder exists (a missing one has no files to keep in step).
pub fn checkouts_of(repo_path: &Path, target: &str) -> Result<Vec<PathBuf>, git2::Error> {
    let repo = Repository::open(repo_path)?;
    let main = if repo.is_worktree() { Repository::open(repo.commondir())? } else { repo };
    let refname = format!("refs/heads/{target}");
    let on_target = |r: &Repository| {
        r.find_reference("HEAD").ok().and_then(|h| h.symbolic_target().map(str::to_owned)).as_deref()
            == Some(refname.as_str())
    };
    let mut out = Vec::new();
    if let Some(dir) = main.workdir() {
        if on_target(&main) {
            out.push(dir.to_path_buf());
        }
    }
    for name in main.worktrees()?.iter().flatten() {
        let Ok(wt) = main.find_worktree(name) else { continue };
        if !wt.path().is_dir() {
            continue;
        }
        if let Ok(r) = Repository::open_from_worktree(&wt) {
            if on_target(&r) {
                out.push(wt.path().to_path_buf());
            }
        }
    }
    Ok(out)
}

/// Before the target moves from `old` to `new`: the first work tree on the target that could not follow, if any.
pub fn blocker(repo_path: &Path, target: &str, old: Oid, new: Oid) -> Option<Blocker> {
    let trees = match checkouts_of(repo_path, target) {
        Ok(t) => t,
        Err(e) => {
            let reason = format!("the work trees that have `{target}` checked out could not be listed: {e}");
            return Some(Blocker { path: repo_path.to_path_buf(), reason });
        }
    };
    trees
        .into_iter()
        .find_map(|path| can_follow(&path, target, old, new).err().map(|reason| Blocker { path: path.clone(), reason }))
}

/// After the target moved from `old` to `new`: updates every work tree on it (module docs). Never fails: a work
/// tree that could not be updated comes back as [`CheckoutSync::Left`].
pub fn follow(repo_path: &Path, target: &str, old: Oid, new: Oid) -> CheckoutSync {
    let trees = match checkouts_of(repo_path, target) {
        Ok(t) => t,
        Err(e) => return CheckoutSync::Left { reason: format!("the work trees could not be listed: {e}") },
    };
    if trees.is_empty() {
        return CheckoutSync::NotOnTarget;
    }
    for path in &trees {
        if let Err(reason) = can_follow(path, target, old, new).and_then(|()| read_tree(path, old, new, false)) {
            return CheckoutSync::Left { reason: format!("{}: {reason}", path.display()) };
        }
    }
    CheckoutSync::Updated
}

/// Whether the work tree at `path` can move from `old` to `new` without losing anything; `Err` says why not.
fn can_follow(path: &Path, target: &str, old: Oid, new: Oid) -> Result<(), String> {
    let repo = Repository::open(path).map_err(|e| format!("it could not be opened: {e}"))?;
    let old_tree = repo.find_commit(old).and_then(|c| c.tree()).map_err(|e| format!("it could not be read: {e}"))?;
    // Index and tracked files against the tree the branch holds: any difference is the person's work.
    let diff = repo
        .diff_tree_to_workdir_with_index(Some(&old_tree), None)
        .map_err(|e| format!("it could not be read: {e}"))?;
    let shown = path.display();
    if diff.deltas().len() > 0 {
        let first = diff
            .deltas()
            .next()
            .and_then(|d| d.new_file().path().or(d.old_file().path()).map(|p| p.display().to_string()))
            .unwrap_or_default();
        return Err(format!(
            "`{target}` is checked out in {shown}, which has local changes ({} file(s), e.g. {first}) that could not \
             follow the landing; commit them, or put them aside with `git -C {shown} stash -u`",
            diff.deltas().len()
        ));
    }
    read_tree(path, old, new, true).map_err(|why| {
        format!(
            "`{target}` is checked out in {shown}, whose files could not follow the landing ({why}); move the \
             untracked file(s) away, e.g. with `git -C {shown} stash -u`"
        )
    })
}

/// `git read-tree -m -u old new` in `path` (a dry run with `dry_run`), after refreshing the index's file times (a
/// `touch` or a copied repository leaves them stale, and git would refuse with "not uptodate").
fn read_tree(path: &Path, old: Oid, new: Oid, dry_run: bool) -> Result<(), String> {
    let git = |args: &[&str]| -> std::io::Result<Output> {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(path).args(args).env("GIT_TERMINAL_PROMPT", "0");
        crate::git::clean_env(&mut cmd);
        cmd.output()
    };
    let _ = git(&["update-index", "-q", "--refresh"]);
    let (old, new) = (old.to_string(), new.to_string());
    let mut args = vec!["read-tree", "-m", "-u"];
    if dry_run {
        args.push("-n");
    }
    args.extend([old.as_str(), new.as_str()]);
    match git(&args) {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("git read-tree failed").trim();
            Err(format!("git refused: {first}"))
        }
        Err(e) => Err(format!("git could not be run: {e}")),
    }
}
