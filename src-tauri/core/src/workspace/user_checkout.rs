//! The work trees that have the target branch checked out follow a landing the way `git checkout` carries local
//! changes: every change of the person's in a file the landing does not touch stays as it is, and only a landing
//! that touches a file the person changed waits.
//!
//! Moving a branch ref touches no work tree, so a person who has the target branch checked out (in the main work
//! tree or in a linked worktree of their own) would see the landed work as staged reverse changes, and their next
//! `git commit -am` would revert it. So the gate keeps those work trees in step with git's own two-tree update
//! (`git read-tree -m -u old new`, what `git checkout` does): it keeps every local change (staged or not, untracked
//! files too) in a path the two trees agree on, and refuses (changing nothing) when a path it must update holds a
//! local change or an untracked file in the way. Before the move, [`changed_paths`] lists what the person changed
//! (the gate leaves out of a batch, alone, each branch that touches one of those files) and [`blocker`] asks git
//! for a dry run; after it, [`follow`] updates each of them. A refusal names the files and the one command that
//! frees them. YokeFlow's own worktrees (under `.yokeflow/`) are never followed: one that has the target checked
//! out is an agent's doing, dealt with at its task ([`crate::workspace::worktree::Worktrees::commit_all`]).

use std::path::{Path, PathBuf};
use std::process::Output;

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

/// The folders of the person's work trees that have `refs/heads/<target>` checked out: the main work tree and any
/// linked worktree whose folder exists (a missing one has no files to keep in step) and is not one of YokeFlow's own.
pub fn checkouts_of(repo_path: &Path, target: &str) -> Result<Vec<PathBuf>, git2::Error> {
    let repo = Repository::open(repo_path)?;
    let main = if repo.is_worktree() { Repository::open(repo.commondir())? } else { repo };
    let refname = format!("refs/heads/{target}");
    let on_target = |r: &Repository| {
        r.find_reference("HEAD").ok().and_then(|h| h.symbolic_target().map(str::to_owned)).as_deref()
            == Some(refname.as_str())
    };
    let mut out = Vec::new();
    let workdir = main.workdir().map(Path::to_path_buf);
    if let Some(dir) = main.workdir() {
        if on_target(&main) {
            out.push(dir.to_path_buf());
        }
    }
    for name in main.worktrees()?.iter().flatten() {
        let Ok(wt) = main.find_worktree(name) else { continue };
        if !wt.path().is_dir() || workdir.as_ref().is_some_and(|w| crate::workspace::worktree::is_ours(w, wt.path())) {
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
        let moved =
            can_follow(path, target, old, new).and_then(|()| read_tree(path, old, new, false).map_err(|r| r.why));
        if let Err(reason) = moved {
            return CheckoutSync::Left { reason: format!("{}: {reason}", path.display()) };
        }
    }
    CheckoutSync::Updated
}

/// Every path the person changed in a work tree that has the target checked out (staged, unstaged, untracked; not
/// ignored ones), with that work tree's folder. A landing that touches none of them can always follow.
pub fn changed_paths(repo_path: &Path, target: &str) -> Result<Vec<(String, PathBuf)>, git2::Error> {
    let mut out = Vec::new();
    for dir in checkouts_of(repo_path, target)? {
        let repo = Repository::open(&dir)?;
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true).include_ignored(false).renames_head_to_index(false);
        for entry in repo.statuses(Some(&mut opts))?.iter() {
            // YokeFlow's own folder is never the person's change (it is excluded; a checkout copied elsewhere may
            // not say so).
            if let Some(p) = entry.path().filter(|p| !p.starts_with(".yokeflow/")) {
                out.push((p.to_string(), dir.clone()));
            }
        }
    }
    Ok(out)
}

/// The reason a landing waits for the person's change to `files` in the work tree `dir`, with the command that frees
/// it: those files put aside (and only those).
pub fn in_the_way(target: &str, dir: &Path, files: &[String]) -> String {
    let shown = dir.display();
    let quoted: Vec<String> = files.iter().map(|f| crate::sys::process::shell_word(f)).collect();
    format!(
        "`{target}` is checked out in {shown}, where your uncommitted change to {} is in the way (this work changes \
         the same file{}); commit it, or put it aside with `git -C {} stash push --include-untracked -- {}`",
        files.join(", "),
        if files.len() == 1 { "" } else { "s" },
        crate::sys::process::shell_word(&shown.to_string()),
        quoted.join(" ")
    )
}

/// Whether the work tree at `path` can move from `old` to `new` keeping every local change (git's dry run decides);
/// `Err` says why not, naming the files git refused for.
fn can_follow(path: &Path, target: &str, old: Oid, new: Oid) -> Result<(), String> {
    read_tree(path, old, new, true).map_err(|refusal| match refusal.files.is_empty() {
        false => in_the_way(target, path, &refusal.files),
        true => format!(
            "`{target}` is checked out in {}, whose files could not follow the landing ({})",
            path.display(),
            refusal.why
        ),
    })
}

/// Why git refused a two-tree update: its first line, and the files it named.
struct Refusal {
    why: String,
    files: Vec<String>,
}

/// The file names in git's refusal: `Entry 'x' not uptodate`, `Untracked working tree file 'x' would be
/// overwritten`, or a tab-indented list under a heading.
fn refused_files(stderr: &str) -> Vec<String> {
    let mut files = Vec::new();
    for line in stderr.lines() {
        if let Some(name) = line.strip_prefix('\t') {
            files.push(name.trim().to_string());
        } else if let (Some(a), Some(b)) = (line.find('\''), line.rfind('\'')) {
            if b > a + 1 && (line.contains("Entry") || line.contains("working tree file")) {
                files.push(line[a + 1..b].to_string());
            }
        }
    }
    files.sort();
    files.dedup();
    files
}

/// `git read-tree -m -u old new` in `path` (a dry run with `dry_run`), after refreshing the index's file times (a
/// `touch` or a copied repository leaves them stale, and git would refuse with "not uptodate"). Through
/// [`crate::sys::git::command`]: no hook, file-system monitor or filter of the repository's configuration runs.
fn read_tree(path: &Path, old: Oid, new: Oid, dry_run: bool) -> Result<(), Refusal> {
    let git = |args: &[&str]| -> std::io::Result<Output> { crate::sys::git::command(path).args(args).output() };
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
            Err(Refusal { why: format!("git refused: {first}"), files: refused_files(&err) })
        }
        Err(e) => Err(Refusal { why: format!("git could not be run: {e}"), files: Vec::new() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_of_gits_refusals_are_named() {
        let err = "error: Entry 'a b.txt' not uptodate. Cannot merge.\n";
        assert_eq!(refused_files(err), vec!["a b.txt"]);
        let err = "error: Untracked working tree file 'new.txt' would be overwritten by merge.\n";
        assert_eq!(refused_files(err), vec!["new.txt"]);
        let err = "error: The following untracked working tree files would be overwritten by merge:\n\tx/y.txt\n\tz\nPlease move";
        assert_eq!(refused_files(err), vec!["x/y.txt", "z"]);
    }

    #[test]
    fn the_freeing_command_quotes_what_a_shell_would_split() {
        let text = in_the_way("main", Path::new("/home/p/my repo"), &["it's.txt".to_string(), "b.txt".to_string()]);
        assert!(
            text.contains(r"git -C '/home/p/my repo' stash push --include-untracked -- 'it'\''s.txt' b.txt"),
            "{text}"
        );
        assert!(text.contains("the same files"), "{text}");
    }
}
