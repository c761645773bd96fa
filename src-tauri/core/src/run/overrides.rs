//! Manual overrides from the board: dragging a card to another column (a status change) or to another
//! worktree lane (a pin in the plan). Each move is checked first; one that would break the plan is refused with
//! its reason ([`CoreError::MoveRefused`], code `move_refused`) and nothing changes. Done by hand (from Review or
//! Backlog) is refused while the task's kept branch has commits the target lacks (they would never reach it); a run of the project in
//! another process refuses every move.
//!
//! While a run is going it owns the tasks' statuses, so the moves that mean something to it become run commands
//! ([`RunAction`]: retry a Review task, land a Review branch again, merge a running task now) for the caller to
//! send, and the others are refused: the run's view and the database never disagree.

use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::{Task, TaskStatus};
use crate::plan::{ExecutionPlan, PlanEdit};
use crate::store::db::Db;
use crate::{plan::planner, store::tasks};

/// The reason stored on a task a person moved to Review.
pub const MOVED_TO_REVIEW: &str = "moved to Review by hand";

/// A run command a status move stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunAction {
    /// Review → Backlog or In Progress: the run takes the task again from its kept branch.
    RetryTask,
    /// Review → Done: the kept branch goes through the merge gate again, without its agent.
    RetryMerge,
    /// In Progress → Done: the agent stops and what it left goes to the merge gate now.
    MergeNow,
}

/// What a status move did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusMove {
    /// The task is in `status` now (stored; the plan was rebuilt when the set of done tasks changed).
    Applied { status: TaskStatus },
    /// The move is a command for the active run, which reports the outcome through its events.
    SentToRun { action: RunAction },
    /// No run was going: the move started a run of its own for it (`run_id`), which reports through its events.
    Started { action: RunAction, run_id: String },
}

/// What a status move means, decided from the tasks alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusDecision {
    /// The task is already there.
    Unchanged,
    /// Store the new status.
    Apply,
    /// Send this command to the active run.
    Run(RunAction),
}

/// The column's name as the board shows it.
fn column(status: TaskStatus) -> &'static str {
    match status {
        TaskStatus::Backlog => "Backlog",
        TaskStatus::InProgress => "In Progress",
        TaskStatus::Review => "Review",
        TaskStatus::Done => "Done",
    }
}

/// Decides whether `task_id` may move to `to`, and what that means. `Err` carries the reason for a refusal.
pub fn decide_status(all: &[Task], task_id: &str, to: TaskStatus, run_active: bool) -> Result<StatusDecision, String> {
    let task = all.iter().find(|t| t.id == task_id).ok_or_else(|| format!("there is no task `{task_id}`"))?;
    let from = task.status;
    if from == to {
        return Ok(StatusDecision::Unchanged);
    }
    let status_of = |id: &str| all.iter().find(|t| t.id == id).map(|t| t.status);
    if run_active {
        return match (from, to) {
            (TaskStatus::Review, TaskStatus::Backlog | TaskStatus::InProgress) => {
                Ok(StatusDecision::Run(RunAction::RetryTask))
            }
            (TaskStatus::Review, TaskStatus::Done) => Ok(StatusDecision::Run(RunAction::RetryMerge)),
            (TaskStatus::InProgress, TaskStatus::Done) => Ok(StatusDecision::Run(RunAction::MergeNow)),
            (TaskStatus::InProgress, _) => Err(format!(
                "`{task_id}` is running: drop it on Done to merge its work now, or cancel the run to stop it"
            )),
            _ => Err(format!(
                "a run is going: `{task_id}` can move from {} to {} by hand once the run has finished or is cancelled",
                column(from),
                column(to)
            )),
        };
    }
    if to == TaskStatus::InProgress {
        return Err(format!(
            "`{task_id}` cannot be put In Progress by hand: a run starts it once its dependencies are done (press Start run)"
        ));
    }
    if to == TaskStatus::Done {
        if let Some(dep) = task.depends_on.iter().find(|d| status_of(d) != Some(TaskStatus::Done)) {
            let where_ = status_of(dep).map(column).unwrap_or("no column");
            return Err(format!("cannot mark `{task_id}` done: it depends on `{dep}`, which is in {where_}"));
        }
    }
    if from == TaskStatus::Done {
        let started = all.iter().find(|t| t.depends_on.iter().any(|d| d == task_id) && t.status != TaskStatus::Backlog);
        if let Some(next) = started {
            return Err(format!(
                "cannot move `{task_id}` back to {}: `{}` depends on it and is already in {}",
                column(to),
                next.id,
                column(next.status)
            ));
        }
    }
    Ok(StatusDecision::Apply)
}

/// Moves a task to another column when no run is going (`run_active` false), or says which run command the move
/// stands for. Refusals store nothing. When the set of done tasks changes the plan is rebuilt (keeping the
/// tasks pinned to worktrees where it can).
pub async fn set_status(
    db: &Db,
    project_id: &str,
    task_id: &str,
    to: TaskStatus,
    run_active: bool,
) -> CoreResult<(StatusDecision, Option<String>)> {
    let (decision, from) = check_status(db, project_id, task_id, to, run_active).await?;
    if decision != StatusDecision::Apply {
        return Ok((decision, None));
    }
    let from = Some(from);
    tasks::set_status(db, project_id, task_id, to, Some(MOVED_TO_REVIEW)).await?;
    tracing::info!(project_id, task_id, ?from, ?to, "task moved by hand");
    let replanned = if (from == Some(TaskStatus::Done)) != (to == TaskStatus::Done) {
        planner::rebuild_keeping_pins(db, project_id).await
    } else {
        None
    };
    Ok((decision, replanned))
}

/// Checks a status move as [`set_status`] does (the same refusals, `move_refused` with the reason) and stores
/// nothing: what the move would mean, and the column the task is in now.
pub async fn check_status(
    db: &Db,
    project_id: &str,
    task_id: &str,
    to: TaskStatus,
    run_active: bool,
) -> CoreResult<(StatusDecision, TaskStatus)> {
    if !run_active {
        refuse_during_other_run(db, project_id).await?;
    }
    let all = tasks::list(db, project_id).await?;
    let decision = decide_status(&all, task_id, to, run_active).map_err(|reason| CoreError::MoveRefused { reason })?;
    let from = all.iter().find(|t| t.id == task_id).map(|t| t.status).expect("decide_status found the task");
    if decision == StatusDecision::Apply && from != TaskStatus::Done && to == TaskStatus::Done {
        refuse_unlanded(db, project_id, task_id).await?;
    }
    Ok((decision, from))
}

/// One column a card could be dropped on, and why the move would be refused (`None`: it would be taken).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct DropTarget {
    pub status: TaskStatus,
    pub refusal: Option<String>,
}

/// A Done task goes back to the Backlog to take a person's follow-up on its landed work. The follow-up starts from
/// the target, which holds that work, and lands on it through the gate like any work: the tasks built on it keep
/// what they built, so, unlike a move by hand, its dependents do not hold it back. Refused for a task not Done, or
/// while a run of another process owns the statuses. Returns a warning when the plan could not be rebuilt.
pub async fn reopen_for_follow_up(db: &Db, project_id: &str, task_id: &str) -> CoreResult<Option<String>> {
    refuse_during_other_run(db, project_id).await?;
    let task = tasks::get(db, project_id, task_id).await?;
    if task.status != TaskStatus::Done {
        return Err(CoreError::MoveRefused {
            reason: format!("`{task_id}` is in {}, not Done: it has no landed work to follow up", column(task.status)),
        });
    }
    tasks::set_status(db, project_id, task_id, TaskStatus::Backlog, None).await?;
    tracing::info!(project_id, task_id, "task reopened for a follow-up on its landed work");
    Ok(planner::rebuild_keeping_pins(db, project_id).await)
}

/// A run of another process (the CLI, another window) owns the project's statuses and cannot hear this one's orders
/// (asked of the one guard, [`crate::store::claim::going`], by a caller whose own process runs nothing here).
async fn refuse_during_other_run(db: &Db, project_id: &str) -> CoreResult<()> {
    match crate::store::claim::going(db, project_id, false).await? {
        crate::store::claim::RunGoing::Elsewhere(run) => Err(CoreError::MoveRefused {
            reason: format!(
                "a run of this project is going in another process (pid {}): move cards there, or here once it \
                 has finished",
                run.pid
            ),
        }),
        _ => Ok(()),
    }
}

/// Done by hand (from Review, or from Backlog with a branch kept by a cancelled or interrupted run) stands only when
/// the task's kept branch has nothing the target lacks (a person merged it, or it had nothing): otherwise its work
/// would be called done without ever reaching the target.
async fn refuse_unlanded(db: &Db, project_id: &str, task_id: &str) -> CoreResult<()> {
    let Some(row) = crate::store::records::open_worktree_of(db, project_id, task_id).await? else { return Ok(()) };
    let project = crate::store::project::get(db, project_id).await?;
    let (repo, branch, target) = (project.repo_path.clone(), row.branch.clone(), project.target_branch.clone());
    let ahead = crate::sys::concurrency::blocking(move || {
        let git = git2::Repository::open(&repo)?;
        let (Ok(tip), Ok(onto)) = (
            crate::workspace::worktree::branch_tip(&git, &branch),
            crate::workspace::worktree::branch_tip(&git, &target),
        ) else {
            return Ok(0);
        };
        Ok(git.graph_ahead_behind(tip, onto)?.0)
    })
    .await?;
    if ahead == 0 {
        return Ok(());
    }
    Err(CoreError::MoveRefused {
        reason: format!(
            "`{task_id}` has {ahead} commit(s) on `{}` that are not on the target: land them through the merge gate \
             (drop it on Done, or `yokeflow land {task_id}`), or move it to Backlog to run it \
             again",
            row.branch
        ),
    })
}

/// Pins a task to a worktree of the stored plan (an existing one, or the next new one within the worker limit).
/// Refused for a task that is done or running, or that the plan does not hold, and while a run of the project goes
/// that the caller does not own (`run_active` false). Returns the edited plan and the worker slot (0-based) of the
/// worktree the task is now in, for the caller's own run to honour at once.
pub async fn move_to_worktree(
    db: &Db,
    project_id: &str,
    task_id: &str,
    worktree: &str,
    run_active: bool,
) -> CoreResult<(ExecutionPlan, u32)> {
    if !run_active {
        refuse_during_other_run(db, project_id).await?;
    }
    let task = tasks::get(db, project_id, task_id).await?;
    let refuse = |reason: String| CoreError::MoveRefused { reason };
    match task.status {
        TaskStatus::Done => {
            return Err(refuse(format!("`{task_id}` is done: there is nothing left to run in {worktree}")))
        }
        TaskStatus::InProgress => {
            return Err(refuse(format!("`{task_id}` is already running in its worktree; it cannot move while it runs")))
        }
        TaskStatus::Backlog | TaskStatus::Review => {}
    }
    let plan =
        planner::edit(db, project_id, PlanEdit::MoveToWorktree { task: task_id.into(), worktree: worktree.into() })
            .await?;
    let slot = plan
        .worktree_assignments
        .iter()
        .position(|w| w.task_ids.iter().any(|t| t == task_id))
        .expect("an accepted move leaves the task in a worktree");
    Ok((plan, slot as u32))
}

/// The worker slot of each pinned task in `plan` (its worktree's position), for a run to honour.
pub fn pinned_slots(plan: &ExecutionPlan) -> Vec<(String, u32)> {
    plan.pinned
        .iter()
        .filter_map(|id| {
            let slot = plan.worktree_assignments.iter().position(|w| w.task_ids.contains(id))?;
            Some((id.clone(), slot as u32))
        })
        .collect()
}

/// What discarding a task's work did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct Discarded {
    pub task_id: String,
    /// The branch that held the work, if there was one.
    pub branch: Option<String>,
    /// Where its commits are kept (`refs/yokeflow/discarded/...`): `git branch <name> <ref>` brings them back.
    pub kept_at: Option<String>,
    pub commit: Option<String>,
}

/// A person discards a task's work (after a confirmation): its worktree and uncommitted changes go, its branch is
/// kept out of sight (`refs/yokeflow/discarded/`), and the task goes back to the Backlog to start afresh. Only for a
/// task in Review, or in the Backlog with work kept; never while a run of the project goes (`run_active`, or a run
/// of another process).
pub async fn discard_work(db: &Db, project_id: &str, task_id: &str, run_active: bool) -> CoreResult<Discarded> {
    if run_active {
        return Err(CoreError::MoveRefused {
            reason: format!(
                "a run is going: `{task_id}`'s work can be discarded once the run has finished or is cancelled"
            ),
        });
    }
    refuse_during_other_run(db, project_id).await?;
    let task = tasks::get(db, project_id, task_id).await?;
    if !matches!(task.status, TaskStatus::Review | TaskStatus::Backlog) {
        return Err(CoreError::MoveRefused {
            reason: format!(
                "`{task_id}` is in {}: only the work of a task in Review (or the Backlog) can be discarded",
                column(task.status)
            ),
        });
    }
    let project = crate::store::project::get(db, project_id).await?;
    let row = crate::store::records::open_worktree_of(db, project_id, task_id).await?;
    let mut out = Discarded { task_id: task_id.to_string(), branch: None, kept_at: None, commit: None };
    if let Some(row) = row {
        let (repo, branch) = (std::path::PathBuf::from(&project.repo_path), row.branch.clone());
        let kept = crate::sys::concurrency::blocking(move || {
            let wts = crate::workspace::worktree::Worktrees::open(&repo)?;
            let git = git2::Repository::open(&repo)?;
            if git.find_branch(&branch, git2::BranchType::Local).is_err() {
                return Ok(None);
            }
            wts.discard(&branch).map(Some)
        })
        .await?;
        crate::store::records::set_worktree_status(db, &row.id, crate::store::records::WorktreeStatus::Removed).await?;
        out.branch = Some(row.branch);
        if let Some((kept_at, commit)) = kept {
            out.kept_at = Some(kept_at);
            out.commit = Some(commit);
        }
    }
    crate::agents::feedback::withdraw_pending(db, project_id, task_id).await?;
    if task.status != TaskStatus::Backlog {
        tasks::set_status(db, project_id, task_id, TaskStatus::Backlog, None).await?;
    }
    tracing::info!(project_id, task_id, branch = ?out.branch, "a person discarded the task's work");
    Ok(out)
}
