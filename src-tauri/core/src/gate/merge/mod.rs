//! The merge gate: in-memory conflict checks, tests on the merged tree in an integration worktree, and a
//! compare-and-swap advance of the target branch. The target only ever moves to a tree that passed the tests.
//!
//! How [`MergeGate::land`] works:
//!
//! 1. merge the branch onto the current target commit in memory (`git2::Repository::merge_commits`, no work tree
//!    is touched); a conflict ends here with [`LandOutcome::Conflict`] and the target untouched;
//! 2. write the merge commit (parents: target, branch) as a plain object, or take the branch tip itself when the
//!    target is its ancestor (fast-forward, still tested), check it out in the gate's own detached worktree
//!    `integration/` in the work home beside the checkout ([`crate::workspace::worktree::work_home`]) and run the test command
//!    there (argv, never a shell; its process group is killed on timeout), logging to
//!    `<repo>/.yokeflow/logs/<branch-slug>-test.log`;
//! 3. tests pass: move `refs/heads/<target>` by compare-and-swap (`reference_matching`: the ref is locked and must
//!    still point at the commit merged onto). If the target moved meanwhile, everything is redone from (1) on the
//!    new target, so no update is ever lost;
//! 4. tests fail: [`LandOutcome::TestsFailed`] with the log; the target does not move.
//!
//! **A user's local change is never touched, and never silently reverted.** Merging and testing happen in memory and
//! in the gate's own worktrees. A work tree that has the target checked out (the main one or a linked worktree of
//! the person's) follows each landing with git's own two-tree update, which keeps every local change in a file the
//! landing does not touch ([`crate::workspace::user_checkout`]). A branch that changes a file the person changed there waits,
//! alone ([`LandOutcome::CheckoutBlocked`], naming the files and the command that frees them); the rest of its batch
//! lands. Files, index and target are then exactly as they were for that branch.
//!
//! **Batches.** [`MergeGate::land_batch`] lands several waiting branches with one test run: they are merged in
//! order onto the target, each on top of the ones before it (a chain of merge commits, in memory), the last tree
//! is tested, and the target moves by one compare-and-swap straight to it. The target still only points at tested
//! trees; each branch's own commit in the chain is what landed it. A failing batch is split in halves and each half
//! lands (or is split again) on its own, so the branch that breaks the tests is found by bisection and only it is
//! refused, with its own test log. A branch that conflicts only with a branch before it in the batch is not a
//! conflict yet: it waits for the next round, after those landed. [`MergeGate::land`] is a batch of one.
//!
//! Conflicts are resolved in a per-branch worktree `resolve/<branch-slug>` of the work home (see
//! [`MergeGate::prepare_resolution`]), not in the integration worktree, so other branches keep landing while a
//! review agent works. One `MergeGate` serialises its own landings; use one gate per repository.

mod gate;
pub mod preflight;
mod resolution;
mod tests_run;
mod tree;

pub use gate::{target_label, GateConfig, LandOutcome, MergeGate, TargetMove, DEFAULT_MAX_BATCH, MAX_ATTEMPTS};
pub use preflight::{Preflight, PreflightWatch};
pub use tests_run::{is_marked_for, preflight_mark, GATE_TESTS_ENV, TARGET_UPDATE_MARK};
pub(crate) use tests_run::{run_tests, TestRun, Verdict};
pub(crate) use tree::{detached_worktree, drop_worktree};
pub use tree::{has_conflict_markers, predict_conflicts};
