//! What a task changed: its work against its merge base with the target, as a list of files with unified
//! patches. While the task's worktree exists the diff reads it (uncommitted and untracked files included, so a
//! running agent's edits show); a kept branch without a worktree is read at its tip; a landed task's work is read
//! from the commit that landed it (its branch is gone): the gate's merge commit for that one branch, even when it
//! landed in a batch, so the diff is the task's own change.
//!
//! Invariants: read-only (no index, ref or file is written); bounded: a file's patch over [`MAX_PATCH_BYTES`] is
//! folded (listed with its counts, no text) and at most [`MAX_FILES`] files are listed.

use std::path::{Path, PathBuf};

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::store::db::Db;
use crate::store::records::{self, WorktreeStatus};
use crate::sys::concurrency::blocking;

/// The largest patch of one file sent whole; a larger one is folded.
pub const MAX_PATCH_BYTES: usize = 256 * 1024;
/// The most files listed.
pub const MAX_FILES: usize = 2_000;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
    Renamed,
    /// Its mode or type changed (e.g. made executable).
    TypeChanged,
}

/// One changed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileDiff {
    pub path: String,
    /// The path before, for a rename.
    pub old_path: Option<String>,
    pub change: FileChange,
    pub additions: u32,
    pub deletions: u32,
    pub binary: bool,
    /// The unified patch (headers included); `None` when folded (too large, or binary).
    pub patch: Option<String>,
    /// The patch was left out because it is larger than [`MAX_PATCH_BYTES`].
    pub folded: bool,
}

/// Where the diff's newer side comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DiffSource {
    /// The task's worktree as it is now (uncommitted work included).
    Worktree,
    /// The tip of the task's kept branch.
    Branch,
    /// The commit that landed the task on the target.
    Landed,
}

/// A task's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TaskDiff {
    pub task_id: String,
    pub source: DiffSource,
    /// The commit compared against (the merge base with the target, or the target before the landing).
    pub base: String,
    /// The newer commit (the branch tip, or the landed commit); for a worktree, its HEAD.
    pub head: String,
    pub files: Vec<FileDiff>,
    pub additions: u32,
    pub deletions: u32,
    /// More files changed than are listed.
    pub truncated: bool,
}

/// Where a task's work is, as the database knows it.
enum Where {
    Open { branch: String, path: PathBuf },
    Landed { commit: String, base: Option<String> },
}

/// The task's changes (see the module's doc). `not_found` when the task has no work to show (it never ran, or
/// its work was discarded).
pub async fn task_diff(db: &Db, project_id: &str, task_id: &str) -> CoreResult<TaskDiff> {
    let project = crate::store::project::get(db, project_id).await?;
    let row = sqlx::query(&format!(
        "SELECT branch_name, path, status, base_commit, landed_commit FROM worktrees \
         WHERE project_id = ? AND task_id = ? AND branch_name <> '' \
           AND (status IN {} OR (status IN {} AND landed_commit IS NOT NULL)) \
         ORDER BY created_at DESC, rowid DESC LIMIT 1",
        records::open_worktree(),
        records::sql(&[WorktreeStatus::Merged])
    ))
    .bind(project_id)
    .bind(task_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| CoreError::NotFound { what: "work of task", id: task_id.to_string() })?;
    let status: String = row.try_get("status")?;
    let place = if status == "merged" {
        Where::Landed { commit: row.try_get("landed_commit")?, base: row.try_get("base_commit")? }
    } else {
        Where::Open { branch: row.try_get("branch_name")?, path: PathBuf::from(row.try_get::<String, _>("path")?) }
    };
    let (repo, target, task) = (PathBuf::from(&project.repo_path), project.target_branch.clone(), task_id.to_string());
    blocking(move || diff_of(&repo, &target, &task, place)).await
}

fn diff_of(repo_path: &Path, target: &str, task_id: &str, place: Where) -> CoreResult<TaskDiff> {
    let repo = Repository::open(repo_path)?;
    let mut opts = DiffOptions::new();
    opts.context_lines(3).id_abbrev(12);
    let (source, base, head, diff) = match place {
        Where::Landed { commit, base } => {
            let landed_id = Oid::from_str(&commit)?;
            let landed = repo.find_commit(landed_id)?;
            // What this task's landing changed: a merge commit (the gate's, one per branch, even in a batch where
            // the branches were merged one onto the other) against its first parent, the target or the batch's
            // commit before it. A branch that landed as it was (a fast-forward): against where the target was
            // before (its reflog: one entry per landing), else the task's base.
            let old = match landed.parent_count() {
                2 => landed.parent_id(0)?,
                _ => match (target_before(&repo, target, landed_id), base.as_deref().map(Oid::from_str).transpose()?) {
                    (Some(b), _) | (None, Some(b)) => b,
                    (None, None) => landed.parent_id(0)?,
                },
            };
            let old_tree = repo.find_commit(old)?.tree()?;
            let diff = repo.diff_tree_to_tree(Some(&old_tree), Some(&landed.tree()?), Some(&mut opts))?;
            (DiffSource::Landed, old.to_string(), commit, diff)
        }
        Where::Open { branch, path } => {
            let tip = repo.find_branch(&branch, git2::BranchType::Local)?.get().peel_to_commit()?.id();
            let onto = repo.find_reference(&format!("refs/heads/{target}"))?.peel_to_commit()?.id();
            let base = repo.merge_base(tip, onto).unwrap_or(tip);
            let base_tree = repo.find_commit(base)?.tree()?;
            let worktree = Repository::open(&path)
                .ok()
                .filter(|wt| wt.head().ok().and_then(|h| h.shorthand().map(|s| s == branch)).unwrap_or(false));
            match worktree {
                Some(wt) => {
                    opts.include_untracked(true).recurse_untracked_dirs(true).show_untracked_content(true);
                    let base_tree = wt.find_tree(base_tree.id())?;
                    let diff = wt.diff_tree_to_workdir_with_index(Some(&base_tree), Some(&mut opts))?;
                    return finish(task_id, DiffSource::Worktree, base.to_string(), tip.to_string(), diff);
                }
                None => {
                    let diff = repo.diff_tree_to_tree(
                        Some(&base_tree),
                        Some(&repo.find_commit(tip)?.tree()?),
                        Some(&mut opts),
                    )?;
                    (DiffSource::Branch, base.to_string(), tip.to_string(), diff)
                }
            }
        }
    };
    finish(task_id, source, base, head, diff)
}

/// Where the target pointed before it moved to `landed`, from its reflog.
fn target_before(repo: &Repository, target: &str, landed: Oid) -> Option<Oid> {
    let log = repo.reflog(&format!("refs/heads/{target}")).ok()?;
    let entry = log.iter().find(|e| e.id_new() == landed)?;
    let old = entry.id_old();
    (!old.is_zero()).then_some(old)
}

fn finish(task_id: &str, source: DiffSource, base: String, head: String, mut diff: git2::Diff) -> CoreResult<TaskDiff> {
    diff.find_similar(Some(DiffFindOptions::new().renames(true).for_untracked(true)))?;
    let count = diff.deltas().len();
    let mut files = Vec::with_capacity(count.min(MAX_FILES));
    for idx in 0..count.min(MAX_FILES) {
        let delta = diff.get_delta(idx).ok_or_else(|| CoreError::InvalidInput("a diff entry vanished".into()))?;
        let change = match delta.status() {
            Delta::Added | Delta::Untracked | Delta::Copied => FileChange::Added,
            Delta::Deleted => FileChange::Deleted,
            Delta::Renamed => FileChange::Renamed,
            Delta::Typechange => FileChange::TypeChanged,
            _ => FileChange::Modified,
        };
        let path_of = |f: git2::DiffFile| f.path().map(|p| p.to_string_lossy().into_owned());
        let new_path = path_of(delta.new_file());
        let old_path = path_of(delta.old_file());
        let path = new_path.clone().or_else(|| old_path.clone()).unwrap_or_default();
        let mut file = FileDiff {
            path,
            old_path: if change == FileChange::Renamed { old_path } else { None },
            change,
            additions: 0,
            deletions: 0,
            binary: delta.flags().is_binary(),
            patch: None,
            folded: false,
        };
        if let Some(mut patch) = git2::Patch::from_diff(&diff, idx)? {
            let (_, adds, dels) = patch.line_stats()?;
            file.additions = adds as u32;
            file.deletions = dels as u32;
            file.binary |= delta.flags().is_binary();
            if !file.binary {
                let size = patch.size(true, true, true);
                if size > MAX_PATCH_BYTES {
                    file.folded = true;
                } else {
                    let buf = patch.to_buf()?;
                    file.patch = Some(String::from_utf8_lossy(&buf).into_owned());
                }
            }
        }
        files.push(file);
    }
    let additions = files.iter().map(|f| f.additions).sum();
    let deletions = files.iter().map(|f| f.deletions).sum();
    Ok(TaskDiff {
        task_id: task_id.to_string(),
        source,
        base,
        head,
        files,
        additions,
        deletions,
        truncated: count > MAX_FILES,
    })
}
