//! Manual adjustments to a plan: moving a task to another batch or worktree, or forcing a strictly
//! sequential plan. An edit that would break a dependency or put two predicted-conflicting tasks in one
//! batch is refused with a reason ([`PlanError::InvalidEdit`]). Empty batches left behind are dropped and the
//! rest renumbered (`batch-1`…); a worktree emptied by a move keeps its name (so the lanes a person sees and the
//! pins stay put) unless it is the last one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::assign::worktree_name;
use super::batches::{batch_name, make_batches};
use super::conflicts::Conflicts;
use super::graph::TaskGraph;
use super::{types::ExecutionPlan, types::PlanTask, types::WorktreeAssignment};
use crate::error::PlanError;

/// A manual change to a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PlanEdit {
    /// Move a task into an existing batch.
    MoveToBatch { task: String, batch_id: String },
    /// Move a task to an existing worktree, or to the next new one (`wt-<count+1>`) within the limit.
    MoveToWorktree { task: String, worktree: String },
    /// One task per batch, in the current batch order, all in one worktree.
    ForceSequential,
}

fn refuse(reason: String) -> PlanError {
    PlanError::InvalidEdit { reason }
}

/// Checks `edit` against the plan and the tasks it was built from; returns the edited plan, or
/// [`PlanError::InvalidEdit`] saying why the edit is refused.
pub fn validate_edit(plan: &ExecutionPlan, tasks: &[PlanTask], edit: &PlanEdit) -> Result<ExecutionPlan, PlanError> {
    let graph = TaskGraph::new(tasks)?;
    let n = graph.len();
    let stale = || refuse("the plan does not match the tasks; rebuild it".to_string());

    let mut lists: Vec<Vec<usize>> = Vec::with_capacity(plan.batches.len());
    let mut batch_of = vec![usize::MAX; n];
    for (b, batch) in plan.batches.iter().enumerate() {
        let mut list = Vec::with_capacity(batch.task_ids.len());
        for id in &batch.task_ids {
            let t = graph.position(id).ok_or_else(stale)?;
            if batch_of[t] != usize::MAX {
                return Err(stale());
            }
            batch_of[t] = b;
            list.push(t);
        }
        lists.push(list);
    }
    if batch_of.contains(&usize::MAX) {
        return Err(stale());
    }
    let conflicts = Conflicts::from_groups(
        n,
        plan.conflict_groups
            .iter()
            .map(|g| (g.tasks.iter().filter_map(|id| graph.position(id)).collect(), g.files.clone())),
    );
    let task_pos = |id: &str| graph.position(id).ok_or_else(|| refuse(format!("there is no task `{id}`")));

    let mut out = plan.clone();
    let mut trees: Vec<Vec<usize>> = Vec::new();
    for wt in &plan.worktree_assignments {
        trees.push(wt.task_ids.iter().map(|id| graph.position(id).ok_or_else(stale)).collect::<Result<_, _>>()?);
    }
    match edit {
        PlanEdit::MoveToBatch { task, batch_id } => {
            let t = task_pos(task)?;
            let target = plan
                .batches
                .iter()
                .position(|b| &b.batch_id == batch_id)
                .ok_or_else(|| refuse(format!("there is no batch `{batch_id}`")))?;
            let from = batch_of[t];
            if from == target {
                return Ok(out);
            }
            let cannot = |why: String| refuse(format!("cannot move `{task}` to {batch_id}: {why}"));
            if let Some(&d) = graph.deps[t].iter().find(|&&d| batch_of[d] >= target) {
                return Err(cannot(format!(
                    "it depends on `{}`, which is in {}",
                    graph.id(d),
                    plan.batches[batch_of[d]].batch_id
                )));
            }
            if let Some(&s) = graph.succs[t].iter().find(|&&s| batch_of[s] <= target) {
                return Err(cannot(format!(
                    "`{}` depends on it and is in {}",
                    graph.id(s),
                    plan.batches[batch_of[s]].batch_id
                )));
            }
            let clash = conflicts.of[t].iter().find_map(|&g| {
                let g = g as usize;
                conflicts.groups[g].iter().find(|&&c| c != t && batch_of[c] == target).map(|&c| (c, g))
            });
            if let Some((c, g)) = clash {
                let files = conflicts.files[g].join(", ");
                return Err(cannot(format!(
                    "it is predicted to conflict with `{}` in that batch (files: {files})",
                    graph.id(c)
                )));
            }
            lists[from].retain(|&x| x != t);
            lists[target].push(t);
        }
        PlanEdit::MoveToWorktree { task, worktree } => {
            let t = task_pos(task)?;
            let target = match plan.worktree_assignments.iter().position(|w| &w.worktree == worktree) {
                Some(k) => k,
                None if *worktree == worktree_name(trees.len()) && trees.len() < plan.stats.workers => {
                    trees.push(Vec::new());
                    trees.len() - 1
                }
                None => {
                    return Err(refuse(format!(
                        "there is no worktree `{worktree}` (the plan has {} of at most {})",
                        trees.len(),
                        plan.stats.workers
                    )))
                }
            };
            for tree in &mut trees {
                tree.retain(|&x| x != t);
            }
            trees[target].push(t);
            if !out.pinned.contains(task) {
                out.pinned.push(task.clone());
            }
        }
        PlanEdit::ForceSequential => {
            lists = lists.into_iter().flatten().map(|t| vec![t]).collect();
            trees = vec![lists.iter().flatten().copied().collect()];
            let total = graph.total_effort();
            out.stats.workers = 1;
            out.stats.lower_bound = total;
            out.stats.predicted_makespan = total;
            out.pinned.clear();
        }
    }

    lists.retain(|l| !l.is_empty());
    let mut order = vec![0usize; n];
    for (p, &t) in lists.iter().flatten().enumerate() {
        order[t] = p;
    }
    let ids: Vec<&str> = graph.ids().iter().map(String::as_str).collect();
    let deps: Vec<&[usize]> = graph.deps.iter().map(Vec::as_slice).collect();
    out.batches = make_batches(&ids, &deps, &conflicts, &lists);
    debug_assert!(out.batches.iter().enumerate().all(|(b, batch)| batch.batch_id == batch_name(b)));
    while trees.last().is_some_and(Vec::is_empty) {
        trees.pop();
    }
    out.worktree_assignments = trees
        .into_iter()
        .enumerate()
        .map(|(k, mut tree)| {
            tree.sort_by_key(|&t| order[t]);
            WorktreeAssignment {
                worktree: worktree_name(k),
                total_effort: tree.iter().map(|&t| graph.effort[t]).sum(),
                task_ids: tree.iter().map(|&t| graph.id(t).to_string()).collect(),
            }
        })
        .collect();
    Ok(out)
}
