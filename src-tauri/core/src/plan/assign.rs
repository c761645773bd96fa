//! Worktree pre-assignment: tasks are grouped by epic (an epic well over a fair share is cut into chunks
//! in execution order), then groups are placed largest first on the least-loaded worktree. At most
//! `max_worktrees` worktrees, none empty; each lists its tasks in batch order.

use std::collections::HashMap;

use super::graph::TaskGraph;
use super::types::WorktreeAssignment;

/// The name of worktree lane `index` (0-based): `wt-1` for index 0. The one place this naming lives; the
/// window gets the names with the run (`Event::RunStarted::lanes`) and the plan.
pub fn worktree_name(index: usize) -> String {
    format!("wt-{}", index + 1)
}

/// Assigns every task to one of at most `workers` worktrees. `batches` gives the execution order.
pub(crate) fn assign_worktrees(g: &TaskGraph, batches: &[Vec<usize>], workers: usize) -> Vec<WorktreeAssignment> {
    let workers = workers.max(1).min(g.len());
    let order: Vec<usize> = batches.iter().flatten().copied().collect();
    let total: u64 = g.total_effort();
    let fair = total.div_ceil(workers as u64).max(1);

    // Epic groups in order of first appearance; tasks without an epic stand alone.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_epic: HashMap<&str, usize> = HashMap::new();
    for &t in &order {
        match g.epics[t].as_deref() {
            Some(epic) => {
                let k = *by_epic.entry(epic).or_insert_with(|| {
                    groups.push(Vec::new());
                    groups.len() - 1
                });
                groups[k].push(t);
            }
            None => groups.push(vec![t]),
        }
    }
    // Cut groups well over a fair share into chunks of at most a fair share (at least one task each).
    let mut chunks: Vec<(u64, usize, Vec<usize>)> = Vec::new();
    for group in groups {
        let effort: u64 = group.iter().map(|&t| g.effort[t]).sum();
        if effort <= fair + fair / 4 {
            chunks.push((effort, chunks.len(), group));
            continue;
        }
        let mut cur: Vec<usize> = Vec::new();
        let mut load = 0u64;
        for t in group {
            if !cur.is_empty() && load + g.effort[t] > fair {
                chunks.push((load, chunks.len(), std::mem::take(&mut cur)));
                load = 0;
            }
            load += g.effort[t];
            cur.push(t);
        }
        if !cur.is_empty() {
            chunks.push((load, chunks.len(), cur));
        }
    }
    // Largest first onto the least-loaded worktree (ties: fewer tasks, then lower index).
    chunks.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut trees: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); workers];
    for (load, _, tasks) in chunks {
        let k = (0..workers).min_by_key(|&k| (trees[k].0, trees[k].1.len(), k)).unwrap_or(0);
        trees[k].0 += load;
        trees[k].1.extend(tasks);
    }
    let mut pos = vec![0usize; g.len()];
    for (p, &t) in order.iter().enumerate() {
        pos[t] = p;
    }
    trees
        .into_iter()
        .filter(|(_, tasks)| !tasks.is_empty())
        .enumerate()
        .map(|(k, (load, mut tasks))| {
            tasks.sort_by_key(|&t| pos[t]);
            WorktreeAssignment {
                worktree: worktree_name(k),
                task_ids: tasks.iter().map(|&t| g.id(t).to_string()).collect(),
                total_effort: load,
            }
        })
        .collect()
}
