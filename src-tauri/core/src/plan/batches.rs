//! Batches: the topological levels of the task graph, each split (greedy colouring, most critical task
//! first) so that no batch holds two tasks predicted to conflict. Batch `k + 1` only holds tasks whose
//! dependencies sit in batches before it.

use super::graph::TaskGraph;
use super::Batch;

/// Sort key for "most urgent first": remaining critical path, then priority, then id.
pub(crate) fn urgency_order(g: &TaskGraph, tasks: &mut [usize]) {
    tasks.sort_by(|&a, &b| {
        g.rank[b].cmp(&g.rank[a]).then(g.priority[b].cmp(&g.priority[a])).then_with(|| g.id(a).cmp(g.id(b)))
    });
}

/// The batches as lists of task positions, in execution order.
pub(crate) fn split_levels(g: &TaskGraph, conflicts: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let levels = g.level.iter().copied().max().unwrap_or(0) + 1;
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); levels];
    for i in 0..g.len() {
        by_level[g.level[i]].push(i);
    }
    let mut colour = vec![usize::MAX; g.len()];
    let mut out = Vec::new();
    let mut taken: Vec<bool> = Vec::new();
    for mut level in by_level {
        urgency_order(g, &mut level);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &t in &level {
            taken.clear();
            taken.resize(groups.len(), false);
            for &c in &conflicts[t] {
                if g.level[c] == g.level[t] && colour[c] != usize::MAX {
                    taken[colour[c]] = true;
                }
            }
            let k = taken.iter().position(|&x| !x).unwrap_or(groups.len());
            if k == groups.len() {
                groups.push(Vec::new());
            }
            groups[k].push(t);
            colour[t] = k;
        }
        out.extend(groups);
    }
    out
}

/// Turns position lists into [`Batch`]es with ids, `can_parallel` and `depends_on`.
pub(crate) fn to_batches(g: &TaskGraph, conflicts: &[Vec<usize>], lists: &[Vec<usize>]) -> Vec<Batch> {
    let ids: Vec<&str> = g.ids().iter().map(String::as_str).collect();
    let deps: Vec<&[usize]> = g.deps.iter().map(Vec::as_slice).collect();
    make_batches(&ids, &deps, conflicts, lists)
}

/// Shared by planning and editing: builds batches from task positions, ids, dependencies and conflicts.
pub(crate) fn make_batches(
    ids: &[&str],
    deps: &[&[usize]],
    conflicts: &[Vec<usize>],
    lists: &[Vec<usize>],
) -> Vec<Batch> {
    let mut batch_of = vec![usize::MAX; ids.len()];
    for (b, list) in lists.iter().enumerate() {
        for &t in list {
            batch_of[t] = b;
        }
    }
    lists
        .iter()
        .enumerate()
        .map(|(b, list)| {
            let mut before: Vec<usize> = list
                .iter()
                .flat_map(|&t| deps[t].iter().chain(conflicts[t].iter()))
                .map(|&o| batch_of[o])
                .filter(|&ob| ob < b)
                .collect();
            before.sort_unstable();
            before.dedup();
            Batch {
                batch_id: batch_name(b),
                task_ids: list.iter().map(|&t| ids[t].to_string()).collect(),
                can_parallel: list.len() > 1,
                depends_on: before.into_iter().map(batch_name).collect(),
            }
        })
        .collect()
}

/// `batch-1` for index 0.
pub(crate) fn batch_name(index: usize) -> String {
    format!("batch-{}", index + 1)
}
