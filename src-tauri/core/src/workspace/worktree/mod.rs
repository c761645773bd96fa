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

mod folders;
mod git_ops;
mod preflight;
mod rebase;
mod slots;
mod worktrees;

pub(crate) use folders::{create_dir, ensure_excluded, remove_dir};
pub use folders::{
    disk_usage, disk_usage_of, human_bytes, is_ours, slot_name, slug, state_dir, work_dir, work_home, DiskUsage,
};
pub(crate) use git_ops::branch_tip;
pub use preflight::PreflightTree;
pub(crate) use worktrees::admin_lock;
pub use worktrees::{
    Parked, Rebase, RemoveOutcome, RemovePolicy, SlotWorktree, WorktreeInfo, Worktrees, BRANCH_PREFIX,
};
