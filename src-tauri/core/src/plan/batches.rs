//! Batches: the topological levels of the task graph, each split (greedy colouring, most critical task
//! first) so that no batch holds two tasks predicted to conflict. Batch `k + 1` only holds tasks whose
//! dependencies sit in batches before it.

use super::conflicts::Conflicts;
use super::graph::TaskGraph;
use super::types::Batch;

/// Sort key for "most urgent first": remaining critical path, then priority, then id.
pub(crate) fn urgency_order(g: &TaskGraph, tasks: &mut [usize]) {
    tasks.sort_by(|&a, &b| {
        g.rank[b].cmp(&g.rank[a]).then(g.priority[b].cmp(&g.priority[a])).then_with(|| g.id(a).cmp(g.id(b)))
    });
}

/// The batches as lists of task positions, in execution order.
pub(crate) fn split_levels(g: &TaskGraph, conflicts: &Conflicts) -> Vec<Vec<usize>> {
    let levels = g.level.iter().copied().max().unwrap_or(0) + 1;
    let mut by_level: Vec<Vec<usize>> = vec![Vec::new(); levels];
    for i in 0..g.len() {
        by_level[g.level[i]].push(i);
    }
    let mut out = Vec::new();
    // Per conflict group, the colours (batches of this level) its members already took.
    let mut used: Vec<Vec<bool>> = vec![Vec::new(); conflicts.groups.len()];
    for mut level in by_level {
        urgency_order(g, &mut level);
        for &t in &level {
            for &c in &conflicts.of[t] {
                used[c as usize].clear();
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for &t in &level {
            let of = &conflicts.of[t];
            let k = (0..=groups.len())
                .find(|&k| of.iter().all(|&c| !used[c as usize].get(k).copied().unwrap_or(false)))
                .expect("a new batch is always free");
            if k == groups.len() {
                groups.push(Vec::new());
            }
            groups[k].push(t);
            for &c in of {
                let u = &mut used[c as usize];
                if u.len() <= k {
                    u.resize(k + 1, false);
                }
                u[k] = true;
            }
        }
        out.extend(groups);
    }
    out
}

/// Turns position lists into [`Batch`]es with ids, `can_parallel` and `depends_on`.
pub(crate) fn to_batches(g: &TaskGraph, conflicts: &Conflicts, lists: &[Vec<usize>]) -> Vec<Batch> {
    let ids: Vec<&str> = g.ids().iter().map(String::as_str).collect();
    let deps: Vec<&[usize]> = g.deps.iter().map(Vec::as_slice).collect();
    make_batches(&ids, &deps, conflicts, lists)
}

/// Shared by planning and editing: builds batches from task positions, ids, dependencies and conflicts.
pub(crate) fn make_batches(ids: &[&str], deps: &[&[usize]], conflicts: &Conflicts, lists: &[Vec<usize>]) -> Vec<Batch> {
    let mut batch_of = vec![usize::MAX; ids.len()];
    for (b, list) in lists.iter().enumerate() {
        for &t in list {
            batch_of[t] = b;
        }
    }
    // Per conflict group, the batches holding its members, sorted: a batch waits for the nearest earlier one of
    // each of its groups (the earlier ones come before that one), so the plan stays linear in the group sizes.
    let group_batches: Vec<Vec<usize>> = conflicts
        .groups
        .iter()
        .map(|members| {
            let mut bs: Vec<usize> = members.iter().map(|&t| batch_of[t]).collect();
            bs.sort_unstable();
            bs.dedup();
            bs
        })
        .collect();
    lists
        .iter()
        .enumerate()
        .map(|(b, list)| {
            let mut before: Vec<usize> = list
                .iter()
                .flat_map(|&t| {
                    let deps = deps[t].iter().map(|&d| batch_of[d]);
                    let groups = conflicts.of[t].iter().filter_map(|&c| {
                        let bs = &group_batches[c as usize];
                        bs.partition_point(|&x| x < b).checked_sub(1).map(|i| bs[i])
                    });
                    deps.chain(groups).collect::<Vec<_>>()
                })
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
