//! The task graph: validation (duplicate ids, unknown dependencies, cycles), topological order, levels and
//! the critical-path quantities the rest of the plan engine uses. Tasks are indexed by their input position.

use std::collections::BTreeMap;
use std::collections::HashMap;

use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};

use super::types::PlanTask;
use crate::error::PlanError;

/// A validated dependency DAG over the input tasks (index `i` is `tasks[i]`).
#[derive(Debug, Clone)]
pub struct TaskGraph {
    ids: Vec<String>,
    index: HashMap<String, usize>,
    pub(crate) epics: Vec<Option<String>>,
    /// Direct dependencies, deduplicated.
    pub(crate) deps: Vec<Vec<usize>>,
    /// Direct dependents.
    pub(crate) succs: Vec<Vec<usize>>,
    pub(crate) effort: Vec<u64>,
    pub(crate) priority: Vec<i32>,
    /// Length in edges of the longest dependency chain ending at the task.
    pub(crate) level: Vec<usize>,
    /// Remaining critical path: the task's effort plus the longest effort chain after it.
    pub(crate) rank: Vec<u64>,
}

impl TaskGraph {
    /// Validates the tasks and builds the graph. Errors, in this order of precedence: [`PlanError::Empty`],
    /// [`PlanError::DuplicateTask`], [`PlanError::UnknownDependency`], [`PlanError::Cycle`].
    pub fn new(tasks: &[PlanTask]) -> Result<TaskGraph, PlanError> {
        if tasks.is_empty() {
            return Err(PlanError::Empty);
        }
        let n = tasks.len();
        let mut index = HashMap::with_capacity(n);
        for (i, t) in tasks.iter().enumerate() {
            if index.insert(t.id.clone(), i).is_some() {
                return Err(PlanError::DuplicateTask { id: t.id.clone() });
            }
        }
        let mut deps = Vec::with_capacity(n);
        let mut succs = vec![Vec::new(); n];
        let mut dag: DiGraph<(), ()> = DiGraph::with_capacity(n, 0);
        for _ in 0..n {
            dag.add_node(());
        }
        for (i, t) in tasks.iter().enumerate() {
            let mut d: Vec<usize> = Vec::with_capacity(t.depends_on.len());
            for dep in &t.depends_on {
                match index.get(dep) {
                    Some(&j) => d.push(j),
                    None => return Err(PlanError::UnknownDependency { task: t.id.clone(), dependency: dep.clone() }),
                }
            }
            d.sort_unstable();
            d.dedup();
            for &j in &d {
                succs[j].push(i);
                dag.add_edge(NodeIndex::new(j), NodeIndex::new(i), ());
            }
            deps.push(d);
        }
        let topo: Vec<usize> = match toposort(&dag, None) {
            Ok(order) => order.into_iter().map(NodeIndex::index).collect(),
            Err(_) => {
                let cycle =
                    crate::plan::graph::find_cycle(tasks.iter().map(|t| (t.id.as_str(), t.depends_on.as_slice())))
                        .unwrap_or_default();
                return Err(PlanError::Cycle { tasks: cycle });
            }
        };
        let effort: Vec<u64> = tasks.iter().map(|t| u64::from(t.effort_minutes)).collect();
        let mut level = vec![0usize; n];
        for &i in &topo {
            level[i] = deps[i].iter().map(|&d| level[d] + 1).max().unwrap_or(0);
        }
        let mut rank = vec![0u64; n];
        for &i in topo.iter().rev() {
            rank[i] = effort[i] + succs[i].iter().map(|&s| rank[s]).max().unwrap_or(0);
        }
        Ok(TaskGraph {
            ids: tasks.iter().map(|t| t.id.clone()).collect(),
            index,
            epics: tasks.iter().map(|t| t.epic.clone()).collect(),
            deps,
            succs,
            effort,
            priority: tasks.iter().map(|t| t.priority).collect(),
            level,
            rank,
        })
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always false: an empty project is refused by [`TaskGraph::new`].
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The id of task `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// All ids, in input order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The input position of a task id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    /// Sum of all efforts, in minutes.
    pub fn total_effort(&self) -> u64 {
        self.effort.iter().sum()
    }

    /// Length in minutes of the longest dependency chain.
    pub fn critical_path_minutes(&self) -> u64 {
        self.rank.iter().copied().max().unwrap_or(0)
    }

    /// The longest dependency chain by effort, first task first (ties go to the earlier input task).
    pub fn critical_path(&self) -> Vec<usize> {
        let mut path = Vec::new();
        let Some(mut cur) = (0..self.len())
            .filter(|&i| self.deps[i].is_empty())
            .max_by(|&a, &b| self.rank[a].cmp(&self.rank[b]).then(b.cmp(&a)))
        else {
            return path;
        };
        loop {
            path.push(cur);
            let want = self.rank[cur] - self.effort[cur];
            match self.succs[cur].iter().copied().filter(|&s| self.rank[s] == want).min() {
                Some(next) if want > 0 => cur = next,
                _ => break,
            }
        }
        path
    }

    /// `max(critical path, ceil(total effort / workers))`.
    pub fn lower_bound(&self, workers: usize) -> u64 {
        let w = workers.max(1) as u64;
        self.critical_path_minutes().max(self.total_effort().div_ceil(w))
    }
}

/// Finds a dependency cycle, if any, and returns the tasks on it in dependency order
/// (each depends on the next; the last depends on the first). Unknown ids are ignored.
pub fn find_cycle<'a>(tasks: impl IntoIterator<Item = (&'a str, &'a [String])>) -> Option<Vec<String>> {
    let edges: BTreeMap<&str, &[String]> = tasks.into_iter().collect();
    // Iterative DFS with colours; 0 = unseen, 1 = on stack, 2 = done.
    let mut colour: HashMap<&str, u8> = HashMap::new();
    for &start in edges.keys() {
        if colour.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        colour.insert(start, 1);
        while let Some((node, next)) = stack.last_mut() {
            let deps = edges.get(*node).copied().unwrap_or(&[]);
            if *next < deps.len() {
                let dep = deps[*next].as_str();
                *next += 1;
                if !edges.contains_key(dep) {
                    continue;
                }
                match colour.get(dep).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(dep, 1);
                        stack.push((dep, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        return Some(stack[from..].iter().map(|(n, _)| n.to_string()).collect());
                    }
                    _ => {}
                }
            } else {
                colour.insert(*node, 2);
                stack.pop();
            }
        }
    }
    None
}
