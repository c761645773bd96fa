//! The gate's git work that needs no test run: its detached worktrees, merges in memory and what conflicts, who moved
//! the target, and which files two changes touch.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use git2::{ErrorCode, Index, Oid, Repository, WorktreeAddOptions, WorktreePruneOptions};

use crate::error::CoreResult;
use crate::workspace::worktree::{admin_lock, create_dir, remove_dir};

/// The gate's worktree `name` at `path`, detached at `at` when it has to be created (an existing valid one is
/// reused as it is). Stale metadata and leftover folders are cleared first.
pub(crate) fn detached_worktree(repo: &Repository, name: &str, path: &Path, at: Oid) -> CoreResult<Repository> {
    let _admin = admin_lock();
    if let Ok(wt) = repo.find_worktree(name) {
        if wt.validate().is_ok() {
            return Ok(Repository::open(path)?);
        }
        wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
    }
    remove_dir(path)?;
    if let Some(parent) = path.parent() {
        create_dir(parent)?;
    }
    // libgit2 adds worktrees on a branch only: add on a throw-away branch, detach, delete the branch.
    let tmp = format!("yokeflow-tmp/{name}-{}", &uuid::Uuid::new_v4().to_string()[..8]);
    let mut branch = repo.branch(&tmp, &repo.find_commit(at)?, true)?;
    let added = (|| -> CoreResult<Repository> {
        let mut opts = WorktreeAddOptions::new();
        opts.reference(Some(branch.get()));
        repo.worktree(name, path, Some(&opts))?;
        let wt = Repository::open(path)?;
        wt.set_head_detached(at)?;
        Ok(wt)
    })();
    branch.delete()?;
    added
}

/// Removes the gate's worktree `name` (folder and git metadata) if present.
pub(crate) fn drop_worktree(repo: &Repository, name: &str, path: &Path) -> CoreResult<()> {
    let _admin = admin_lock();
    remove_dir(path)?;
    if let Ok(wt) = repo.find_worktree(name) {
        wt.prune(Some(WorktreePruneOptions::new().valid(true).locked(true)))?;
    }
    Ok(())
}

/// Who moved `target` to `to`, from its reflog: the newest entry that set it there, its message and identity.
pub(super) fn moved_by(repo: &Repository, target: &str, to: Oid) -> String {
    let Ok(log) = repo.reflog(&format!("refs/heads/{target}")) else { return "no reflog".into() };
    let found = log.iter().find(|e| e.id_new() == to);
    match found {
        Some(e) => {
            let who = e.committer();
            let message = e.message().unwrap_or("").trim();
            let message = if message.is_empty() { "no message".to_string() } else { format!("\"{message}\"") };
            format!("reflog: {message} by {} <{}>", who.name().unwrap_or("?"), who.email().unwrap_or("?"))
        }
        None => "not in the target's reflog".into(),
    }
}

/// The commit in `MERGE_HEAD`, if a merge is in progress.
pub(super) fn merge_head(repo: &Repository) -> CoreResult<Option<Oid>> {
    let mut repo = Repository::open(repo.path())?;
    let mut head = None;
    match repo.mergehead_foreach(|oid| {
        head = Some(*oid);
        false
    }) {
        Ok(()) => {}
        Err(e) if e.code() == ErrorCode::NotFound || e.code() == ErrorCode::User => {}
        Err(e) => return Err(e.into()),
    }
    Ok(head)
}

/// A cheap sufficient condition for a clean merge, checked before the full in-memory merge: with a single merge
/// base, the two sides change disjoint paths and no path one side changes is a folder of a path the other changes.
/// Then no content, add/add, modify/delete, rename or file/folder conflict is possible. Identical subtrees are
/// skipped, so the cost is proportional to what changed, not to the size of the tree.
pub(super) fn changes_are_disjoint(repo: &Repository, ours: &git2::Commit, theirs: &git2::Commit) -> CoreResult<bool> {
    let bases = repo.merge_bases(ours.id(), theirs.id())?;
    let [base] = &bases[..] else { return Ok(false) };
    let base = repo.find_commit(*base)?.tree()?;
    let (mut a, mut b) = (BTreeSet::new(), BTreeSet::new());
    changed_paths(repo, Some(&base), Some(&ours.tree()?), &mut Vec::new(), &mut a)?;
    changed_paths(repo, Some(&base), Some(&theirs.tree()?), &mut Vec::new(), &mut b)?;
    Ok(a.iter().all(|p| !overlaps(p, &b)))
}

/// Whether `path` is in `set`, or is inside a folder in `set`, or is a folder of something in `set`.
pub(super) fn overlaps(path: &[u8], set: &BTreeSet<Vec<u8>>) -> bool {
    if set.contains(path) {
        return true;
    }
    let mut ancestors = path.iter().enumerate().filter(|(_, c)| **c == b'/').map(|(i, _)| &path[..i]);
    if ancestors.any(|dir| set.contains(dir)) {
        return true;
    }
    let mut prefix = path.to_vec();
    prefix.push(b'/');
    set.range(prefix.clone()..).next().is_some_and(|next| next.starts_with(&prefix))
}

/// Adds to `out` every path whose entry differs between the trees `old` and `new` (a whole folder added, removed
/// or replaced by a file counts as its own path), descending only into subtrees whose ids differ.
pub(super) fn changed_paths(
    repo: &Repository,
    old: Option<&git2::Tree>,
    new: Option<&git2::Tree>,
    prefix: &mut Vec<u8>,
    out: &mut BTreeSet<Vec<u8>>,
) -> CoreResult<()> {
    let entries = |t: Option<&git2::Tree>| -> BTreeMap<Vec<u8>, (Oid, i32)> {
        t.map(|t| t.iter().map(|e| (e.name_bytes().to_vec(), (e.id(), e.filemode()))).collect()).unwrap_or_default()
    };
    let (old, new) = (entries(old), entries(new));
    let names: BTreeSet<&Vec<u8>> = old.keys().chain(new.keys()).collect();
    for name in names {
        let (o, n) = (old.get(name), new.get(name));
        if o == n {
            continue;
        }
        let len = prefix.len();
        if len > 0 {
            prefix.push(b'/');
        }
        prefix.extend_from_slice(name);
        match (o, n) {
            (Some((o, TREE_MODE)), Some((n, TREE_MODE))) => {
                let (o, n) = (repo.find_tree(*o)?, repo.find_tree(*n)?);
                changed_paths(repo, Some(&o), Some(&n), prefix, out)?;
            }
            _ => {
                out.insert(prefix.clone());
            }
        }
        prefix.truncate(len);
    }
    Ok(())
}

pub(super) const TREE_MODE: i32 = 0o040000;

/// The paths that conflict when commit `theirs` is merged onto commit `ours`, sorted; empty when the merge is
/// clean. In memory, like [`MergeGate::conflicts`], for callers that hold commits rather than a gate.
pub fn predict_conflicts(repo: &Repository, ours: Oid, theirs: Oid) -> CoreResult<Vec<String>> {
    let (ours, theirs) = (repo.find_commit(ours)?, repo.find_commit(theirs)?);
    if changes_are_disjoint(repo, &ours, &theirs)? {
        return Ok(Vec::new());
    }
    let index = repo.merge_commits(&ours, &theirs, None)?;
    conflict_paths(&index)
}

/// Sorted, de-duplicated paths of the conflicts in `index`.
pub(super) fn conflict_paths(index: &Index) -> CoreResult<Vec<String>> {
    let mut out = Vec::new();
    if !index.has_conflicts() {
        return Ok(out);
    }
    for conflict in index.conflicts()? {
        let conflict = conflict?;
        if let Some(entry) = conflict.our.or(conflict.their).or(conflict.ancestor) {
            out.push(String::from_utf8_lossy(&entry.path).into_owned());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Whether the file has a line starting with `<<<<<<<` or `>>>>>>>`, or a line that is exactly `=======`.
pub fn has_conflict_markers(path: &Path) -> bool {
    let Ok(bytes) = std::fs::read(path) else { return false };
    String::from_utf8_lossy(&bytes)
        .lines()
        .any(|line| line.starts_with("<<<<<<<") || line.starts_with(">>>>>>>") || line.trim_end() == "=======")
}

/// A branch name as one file name: ASCII letters, digits, `.`, `_` and `-`; anything else becomes `-`.
pub(super) fn file_slug(branch: &str) -> String {
    branch.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' }).collect()
}
