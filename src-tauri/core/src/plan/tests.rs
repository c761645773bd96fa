//! Tests of the plan engine: exact cases and property tests on random DAGs.

use crate::error::PlanError;
use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

fn task(id: &str, deps: &[&str], effort: u32, files: &[&str]) -> PlanTask {
    PlanTask {
        id: id.to_string(),
        epic: None,
        depends_on: deps.iter().map(|s| s.to_string()).collect(),
        effort_minutes: effort,
        priority: 0,
        predicted_files: files.iter().map(|s| s.to_string()).collect(),
    }
}

fn opts(workers: usize) -> PlanOptions {
    PlanOptions { max_worktrees: workers }
}

/// a(30) → b(20), c(10) → e(15); d(40) alone; b and c both touch src/x.rs.
fn example() -> Vec<PlanTask> {
    vec![
        task("a", &[], 30, &["src/lib.rs"]),
        task("b", &["a"], 20, &["src/x.rs"]),
        task("c", &["a"], 10, &["./src/x.rs"]),
        task("d", &[], 40, &["docs/guide.md"]),
        task("e", &["b", "c"], 15, &[]),
    ]
}

fn batch_ids(plan: &ExecutionPlan) -> Vec<Vec<&str>> {
    plan.batches.iter().map(|b| b.task_ids.iter().map(String::as_str).collect()).collect()
}

#[test]
fn cycle_names_every_task_in_order() {
    let tasks =
        vec![task("a", &["b"], 1, &[]), task("b", &["c"], 1, &[]), task("c", &["a"], 1, &[]), task("d", &[], 1, &[])];
    let err = build_plan(&tasks, &PlanOptions::default()).unwrap_err();
    assert_eq!(err, PlanError::Cycle { tasks: vec!["a".into(), "b".into(), "c".into()] });
    assert_eq!(err.to_string(), "dependency cycle: a -> b -> c -> a");
    let own = build_plan(&[task("x", &["x"], 1, &[])], &PlanOptions::default()).unwrap_err();
    assert_eq!(own.to_string(), "dependency cycle: x -> x");
}

#[test]
fn unknown_dependency_duplicate_and_empty_are_refused() {
    let err = build_plan(&[task("a", &["zzz"], 1, &[])], &PlanOptions::default()).unwrap_err();
    assert_eq!(err, PlanError::UnknownDependency { task: "a".into(), dependency: "zzz".into() });
    assert_eq!(err.to_string(), "task `a` depends on `zzz`, which does not exist");
    let err = build_plan(&[task("a", &[], 1, &[]), task("a", &[], 1, &[])], &PlanOptions::default()).unwrap_err();
    assert_eq!(err, PlanError::DuplicateTask { id: "a".into() });
    let err = build_plan(&[], &PlanOptions::default()).unwrap_err();
    assert_eq!(err, PlanError::Empty);
    assert_eq!(err.to_string(), "the project has no tasks");
    assert_eq!(simulate(&[], 4).unwrap_err(), PlanError::Empty);
}

#[test]
fn one_task() {
    let plan = build_plan(&[task("only", &[], 25, &["a.rs"])], &PlanOptions::default()).unwrap();
    assert_eq!(batch_ids(&plan), vec![vec!["only"]]);
    assert!(!plan.batches[0].can_parallel);
    assert!(plan.batches[0].depends_on.is_empty());
    assert_eq!(plan.worktree_assignments.len(), 1);
    assert_eq!(plan.worktree_assignments[0].worktree, "wt-1");
    assert_eq!(plan.worktree_assignments[0].total_effort, 25);
    assert_eq!(plan.stats.critical_path, vec!["only"]);
    assert_eq!((plan.stats.lower_bound, plan.stats.predicted_makespan, plan.stats.task_count), (25, 25, 1));
    assert!(plan.conflict_groups.is_empty());
}

#[test]
fn all_conflicting_tasks_run_strictly_sequentially() {
    let tasks: Vec<PlanTask> =
        (0..5).map(|i| task(&format!("t{i}"), &[], 10 + i, &["Cargo.toml", &format!("src/m{i}.rs")])).collect();
    let plan = build_plan(&tasks, &opts(4)).unwrap();
    assert_eq!(plan.batches.len(), 5);
    assert!(plan.batches.iter().all(|b| b.task_ids.len() == 1 && !b.can_parallel));
    // Longest first.
    assert_eq!(batch_ids(&plan).concat(), vec!["t4", "t3", "t2", "t1", "t0"]);
    assert_eq!(plan.conflict_pairs().len(), 10);
    assert!(plan.conflict_pairs().iter().all(|c| c.files == vec!["Cargo.toml".to_string()]));
    // One group for the shared file, not ten pairs.
    assert_eq!(plan.conflict_groups.len(), 1);
    assert_eq!(plan.conflict_groups[0].tasks.len(), 5);
    let total = simulate_sequential(&tasks);
    assert_eq!(plan.stats.predicted_makespan, total);
    let report = simulate(&tasks, 4).unwrap();
    assert_eq!((report.sequential, report.barrier, report.dynamic), (total, total, total));
}

#[test]
fn hand_made_example_has_known_batches() {
    let tasks = example();
    let plan = build_plan(&tasks, &opts(2)).unwrap();
    assert_eq!(batch_ids(&plan), vec![vec!["a", "d"], vec!["b"], vec!["c"], vec!["e"]]);
    let deps: Vec<Vec<&str>> = plan.batches.iter().map(|b| b.depends_on.iter().map(String::as_str).collect()).collect();
    assert_eq!(deps, vec![vec![], vec!["batch-1"], vec!["batch-1", "batch-2"], vec!["batch-2", "batch-3"]]);
    assert_eq!(plan.batches.iter().map(|b| b.can_parallel).collect::<Vec<_>>(), vec![true, false, false, false]);
    assert_eq!(
        plan.conflict_pairs(),
        vec![ConflictPair { a: "b".into(), b: "c".into(), files: vec!["src/x.rs".into()] }]
    );
    assert_eq!(plan.stats.critical_path, vec!["a", "b", "e"]);
    assert_eq!(plan.stats.critical_path_minutes, 65);
    assert_eq!(plan.stats.total_effort, 115);
    assert_eq!(plan.stats.lower_bound, 65);
    assert_eq!(plan.stats.predicted_makespan, 75);
    assert_eq!(plan.stats.workers, 2);
    assert_eq!(plan.worktree_assignments.len(), 2);
    let report = simulate(&tasks, 2).unwrap();
    assert_eq!((report.sequential, report.barrier, report.dynamic, report.lower_bound), (115, 85, 75, 65));
    let json = serde_json::to_value(&report).unwrap();
    for key in ["sequential", "barrier", "dynamic", "lower_bound", "critical_path", "critical_path_minutes", "workers"]
    {
        assert!(json.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn epics_stay_together_when_balanced() {
    let mut tasks = Vec::new();
    for (e, epic) in ["front", "back"].iter().enumerate() {
        for i in 0..3 {
            let mut t = task(&format!("{epic}{i}"), &[], 10 + e as u32, &[]);
            t.epic = Some(epic.to_string());
            tasks.push(t);
        }
    }
    let plan = build_plan(&tasks, &opts(2)).unwrap();
    let mut groups: Vec<Vec<&str>> =
        plan.worktree_assignments.iter().map(|w| w.task_ids.iter().map(String::as_str).collect()).collect();
    groups.sort();
    assert_eq!(groups, vec![vec!["back0", "back1", "back2"], vec!["front0", "front1", "front2"]]);
}

#[test]
fn glob_and_path_overlaps() {
    let pairs = |a: &[&str], b: &[&str]| !predict_conflicts(&[task("a", &[], 1, a), task("b", &[], 1, b)]).is_empty();
    assert!(pairs(&["src/*.rs"], &["src/main.rs"]));
    assert!(pairs(&["src/main.rs"], &["src/main.rs"]));
    assert!(!pairs(&["src/main.rs"], &["src/lib.rs"]));
    assert!(!pairs(&["docs/*.md"], &["src/*.rs"]));
    assert!(pairs(&["src/**"], &["src/*.rs"]));
    assert!(pairs(&["src/"], &["src/a/b.txt"]));
    assert!(pairs(&["**/*.rs"], &["src/x/*.rs"]));
    assert!(!pairs(&["*.rs"], &["*.ts"]));
    assert!(!pairs(&["src/*.rs"], &["src/lib.ts"]));
    assert!(pairs(&["src/{a,b}.rs"], &["src/b.rs"]));
    assert!(pairs(&["src/*.rs"], &["src/*.rs"]));
}

#[test]
fn next_ready_respects_dependencies_conflicts_and_free_workers() {
    let sched = Scheduler::new(&example()).unwrap();
    let set = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<HashSet<String>>();
    let state = RunState { done: set(&[]), running: set(&[]), free_workers: 4 };
    assert_eq!(sched.next_ready(&state), vec!["a", "d"]);
    let state = RunState { done: set(&["a"]), running: set(&["d"]), free_workers: 3 };
    assert_eq!(sched.next_ready(&state), vec!["b"]);
    let state = RunState { done: set(&["a"]), running: set(&["b"]), free_workers: 3 };
    assert_eq!(sched.next_ready(&state), vec!["d"]);
    let state = RunState { done: set(&[]), running: set(&[]), free_workers: 1 };
    assert_eq!(sched.next_ready(&state), vec!["a"]);
    assert!(sched.conflicts("b", "c") && !sched.conflicts("a", "b"));
}

#[test]
fn edits_are_validated() {
    let tasks = example();
    let plan = build_plan(&tasks, &opts(2)).unwrap();
    let err = validate_edit(&plan, &tasks, &PlanEdit::MoveToBatch { task: "c".into(), batch_id: "batch-2".into() })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot move `c` to batch-2: it is predicted to conflict with `b` in that batch (files: src/x.rs)"
    );
    let err = validate_edit(&plan, &tasks, &PlanEdit::MoveToBatch { task: "e".into(), batch_id: "batch-3".into() })
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot move `e` to batch-3: it depends on `c`, which is in batch-3");
    let err = validate_edit(&plan, &tasks, &PlanEdit::MoveToBatch { task: "a".into(), batch_id: "batch-2".into() })
        .unwrap_err();
    assert_eq!(err.to_string(), "cannot move `a` to batch-2: `b` depends on it and is in batch-2");
    let err = validate_edit(&plan, &tasks, &PlanEdit::MoveToBatch { task: "a".into(), batch_id: "batch-9".into() })
        .unwrap_err();
    assert_eq!(err.to_string(), "there is no batch `batch-9`");

    let moved =
        validate_edit(&plan, &tasks, &PlanEdit::MoveToBatch { task: "d".into(), batch_id: "batch-4".into() }).unwrap();
    assert_eq!(batch_ids(&moved), vec![vec!["a"], vec!["b"], vec!["c"], vec!["e", "d"]]);
    assert!(moved.batches[3].can_parallel && !moved.batches[0].can_parallel);

    let err = validate_edit(&plan, &tasks, &PlanEdit::MoveToWorktree { task: "a".into(), worktree: "wt-3".into() })
        .unwrap_err();
    assert_eq!(err.to_string(), "there is no worktree `wt-3` (the plan has 2 of at most 2)");
    let target = plan.worktree_assignments.iter().find(|w| !w.task_ids.contains(&"a".to_string())).unwrap();
    let moved =
        validate_edit(&plan, &tasks, &PlanEdit::MoveToWorktree { task: "a".into(), worktree: target.worktree.clone() })
            .unwrap();
    let all: Vec<&String> = moved.worktree_assignments.iter().flat_map(|w| &w.task_ids).collect();
    assert_eq!(all.len(), 5);
    assert_eq!(moved.worktree_assignments.iter().map(|w| w.total_effort).sum::<u64>(), 115);
    assert_eq!(moved.pinned, vec!["a".to_string()]);
    let home = moved.worktree_assignments.iter().find(|w| w.task_ids.contains(&"a".to_string())).unwrap();
    assert!(home.task_ids.contains(&target.task_ids[0]), "`a` joined the worktree it was dropped on");
    assert!(plan.pinned.is_empty(), "a built plan has no pins");

    let seq = validate_edit(&moved, &tasks, &PlanEdit::ForceSequential).unwrap();
    assert!(seq.pinned.is_empty(), "forcing a sequential plan drops the pins (one worktree)");
    let seq = validate_edit(&plan, &tasks, &PlanEdit::ForceSequential).unwrap();
    assert_eq!(batch_ids(&seq), vec![vec!["a"], vec!["d"], vec!["b"], vec!["c"], vec!["e"]]);
    assert_eq!(seq.worktree_assignments.len(), 1);
    assert_eq!((seq.stats.workers, seq.stats.predicted_makespan), (1, 115));
}

#[test]
fn plan_types_serialize_round_trip() {
    let plan = build_plan(&example(), &opts(2)).unwrap();
    let json = serde_json::to_string(&plan).unwrap();
    assert_eq!(serde_json::from_str::<ExecutionPlan>(&json).unwrap(), plan);
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    old.as_object_mut().unwrap().remove("pinned");
    assert_eq!(serde_json::from_value::<ExecutionPlan>(old).unwrap(), plan, "plans stored before pins still read");
    let edit: PlanEdit = serde_json::from_str(r#"{"kind":"move_to_batch","task":"a","batch_id":"batch-1"}"#).unwrap();
    assert_eq!(edit, PlanEdit::MoveToBatch { task: "a".into(), batch_id: "batch-1".into() });
}

// ---- property tests ----

const POOL: &[&str] = &[
    "src/a.rs",
    "src/b.rs",
    "src/c.rs",
    "lib/x.rs",
    "lib/y.rs",
    "docs/*.md",
    "docs/guide.md",
    "src/*.rs",
    "README.md",
    "tests/",
    "tests/it.rs",
    "Cargo.toml",
];

type RawTask = (Vec<usize>, u32, Vec<usize>, u8, i32);

fn raw_tasks() -> impl Strategy<Value = Vec<RawTask>> {
    prop::collection::vec(
        (
            prop::collection::vec(0usize..1000, 0..4),
            1u32..120,
            prop::collection::vec(0..POOL.len(), 0..3),
            0u8..4,
            -2i32..3,
        ),
        1..40,
    )
}

fn to_tasks(raw: &[RawTask]) -> Vec<PlanTask> {
    raw.iter()
        .enumerate()
        .map(|(i, (deps, effort, files, epic, priority))| PlanTask {
            id: format!("t{i}"),
            epic: (*epic < 3).then(|| format!("e{epic}")),
            depends_on: if i == 0 { Vec::new() } else { deps.iter().map(|d| format!("t{}", d % i)).collect() },
            effort_minutes: *effort,
            priority: *priority,
            predicted_files: files.iter().map(|&f| POOL[f].to_string()).collect(),
        })
        .collect()
}

fn conflict_set(plan: &ExecutionPlan) -> HashSet<(String, String)> {
    plan.conflict_pairs().iter().flat_map(|c| [(c.a.clone(), c.b.clone()), (c.b.clone(), c.a.clone())]).collect()
}

fn check_schedule(tasks: &[PlanTask], conflicts: &HashSet<(String, String)>, s: &Schedule, workers: usize) {
    let at: HashMap<&str, &ScheduledTask> = s.tasks.iter().map(|x| (x.task_id.as_str(), x)).collect();
    assert_eq!(at.len(), tasks.len());
    for t in tasks {
        let me = at[t.id.as_str()];
        assert_eq!(me.end, me.start + u64::from(t.effort_minutes));
        assert!(me.worker < workers);
        for d in &t.depends_on {
            assert!(at[d.as_str()].end <= me.start, "{} starts before its dependency {d} ends", t.id);
        }
    }
    for a in &s.tasks {
        for b in &s.tasks {
            let overlap = a.task_id < b.task_id && a.start < b.end && b.start < a.end;
            if overlap {
                assert!(
                    !conflicts.contains(&(a.task_id.clone(), b.task_id.clone())),
                    "{} and {} overlap",
                    a.task_id,
                    b.task_id
                );
                assert_ne!(a.worker, b.worker, "{} and {} share a worker", a.task_id, b.task_id);
            }
        }
    }
    assert_eq!(s.makespan, s.tasks.iter().map(|x| x.end).max().unwrap_or(0));
}

/// Replays the dynamic schedule through `next_ready` as the orchestrator would, returning the makespan.
fn replay_with_next_ready(sched: &Scheduler, tasks: &[PlanTask], workers: usize) -> u64 {
    let effort: HashMap<&str, u64> = tasks.iter().map(|t| (t.id.as_str(), u64::from(t.effort_minutes))).collect();
    let mut state = RunState { free_workers: workers, ..RunState::default() };
    let mut running: Vec<(u64, String)> = Vec::new();
    let mut now = 0;
    loop {
        state.free_workers = workers - running.len();
        for id in sched.next_ready(&state) {
            state.running.insert(id.clone());
            running.push((now + effort[id.as_str()], id));
        }
        let Some(next) = running.iter().map(|r| r.0).min() else {
            break;
        };
        now = next;
        running.retain(|(end, id)| {
            if *end == now {
                state.running.remove(id);
                state.done.insert(id.clone());
            }
            *end != now
        });
    }
    assert_eq!(state.done.len(), tasks.len());
    now
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn plans_on_random_dags_are_sound(raw in raw_tasks(), workers in 1usize..6) {
        let tasks = to_tasks(&raw);
        let plan = build_plan(&tasks, &opts(workers)).unwrap();
        let conflicts = conflict_set(&plan);

        // Identical concrete paths always conflict.
        for (i, a) in tasks.iter().enumerate() {
            for b in &tasks[i + 1..] {
                let concrete = |t: &PlanTask| t.predicted_files.iter().filter(|f| !f.contains('*') && !f.ends_with('/')).cloned().collect::<HashSet<_>>();
                if !concrete(a).is_disjoint(&concrete(b)) {
                    prop_assert!(conflicts.contains(&(a.id.clone(), b.id.clone())));
                }
            }
        }

        // Batches: every task once, dependencies in earlier batches, no conflicting pair together.
        let mut batch_of = HashMap::new();
        for (k, b) in plan.batches.iter().enumerate() {
            prop_assert_eq!(&b.batch_id, &format!("batch-{}", k + 1));
            prop_assert_eq!(b.can_parallel, b.task_ids.len() > 1);
            for t in &b.task_ids {
                prop_assert!(batch_of.insert(t.clone(), k).is_none(), "{} twice", t);
            }
            for x in &b.task_ids {
                for y in &b.task_ids {
                    prop_assert!(!conflicts.contains(&(x.clone(), y.clone())), "{} and {} share a batch", x, y);
                }
            }
        }
        prop_assert_eq!(batch_of.len(), tasks.len());
        for t in &tasks {
            for d in &t.depends_on {
                prop_assert!(batch_of[d] < batch_of[&t.id]);
            }
        }
        for (k, b) in plan.batches.iter().enumerate() {
            for d in &b.depends_on {
                let dk: usize = d.trim_start_matches("batch-").parse().unwrap();
                prop_assert!(dk - 1 < k);
            }
        }

        // Worktrees: at most N, every task once, efforts add up.
        prop_assert!(plan.worktree_assignments.len() <= workers);
        let mut seen = HashSet::new();
        for w in &plan.worktree_assignments {
            prop_assert!(!w.task_ids.is_empty());
            let sum: u64 = w.task_ids.iter().map(|id| u64::from(tasks.iter().find(|t| &t.id == id).unwrap().effort_minutes)).sum();
            prop_assert_eq!(sum, w.total_effort);
            for t in &w.task_ids {
                prop_assert!(seen.insert(t.clone()), "{} in two worktrees", t);
            }
        }
        prop_assert_eq!(seen.len(), tasks.len());

        // Schedules.
        let dynamic = simulate_dynamic(&tasks, workers).unwrap();
        check_schedule(&tasks, &conflicts, &dynamic, workers);
        prop_assert_eq!(dynamic.makespan, plan.stats.predicted_makespan);
        prop_assert!(dynamic.makespan >= plan.stats.lower_bound);
        let barrier = simulate_barrier(&tasks, workers).unwrap();
        check_schedule(&tasks, &conflicts, &barrier, workers);
        prop_assert!(barrier.makespan >= plan.stats.lower_bound);
        let total = simulate_sequential(&tasks);
        prop_assert!(dynamic.makespan <= total);
        prop_assert_eq!(plan.stats.total_effort, total);
        prop_assert!(plan.stats.lower_bound >= plan.stats.critical_path_minutes);
        prop_assert!(plan.stats.lower_bound >= total.div_ceil(workers as u64));

        // The critical path is a dependency chain adding up to its length.
        let by_id: HashMap<&str, &PlanTask> = tasks.iter().map(|t| (t.id.as_str(), t)).collect();
        let cp = &plan.stats.critical_path;
        prop_assert_eq!(cp.iter().map(|id| u64::from(by_id[id.as_str()].effort_minutes)).sum::<u64>(), plan.stats.critical_path_minutes);
        for w in cp.windows(2) {
            prop_assert!(by_id[w[1].as_str()].depends_on.contains(&w[0]));
        }

        // The orchestrator's incremental path reproduces the simulated schedule.
        let mut sched = Scheduler::new(&tasks).unwrap();
        prop_assert_eq!(replay_with_next_ready(&sched, &tasks, workers), sched.simulate(workers).makespan);
        sched.tune(workers, schedule::DEFAULT_SEED);
        prop_assert_eq!(replay_with_next_ready(&sched, &tasks, workers), dynamic.makespan);
    }
}

#[test]
fn thousands_of_tasks_on_one_file_make_one_group_and_a_small_plan() {
    // Issue 16 item 13: 3,000 tasks naming one file once stored 4.5 million pairs (a 264 MB plan).
    let tasks: Vec<PlanTask> =
        (0..10_000).map(|i| task(&format!("t{i}"), &[], 1 + i % 7, &["Cargo.toml", &format!("src/m{i}.rs")])).collect();
    let plan = build_plan(&tasks, &opts(4)).unwrap();
    assert_eq!(plan.conflict_groups.len(), 1);
    assert_eq!(plan.conflict_groups[0].files, vec!["Cargo.toml".to_string()]);
    assert_eq!(plan.conflict_groups[0].tasks.len(), 10_000);
    // Every task in its own batch, each waiting for the one before (not for all of them).
    assert_eq!(plan.batches.len(), 10_000);
    assert!(plan.batches.iter().all(|b| b.depends_on.len() <= 1), "batches depend on their predecessor only");
    let json = serde_json::to_string(&plan).unwrap();
    assert!(json.len() < 2_000_000, "the plan of 10,000 tasks takes {} bytes", json.len());
    assert_eq!(plan.stats.predicted_makespan, plan.stats.total_effort, "they all run one after another");
}

#[test]
fn a_plan_stored_with_conflict_pairs_reads_as_groups() {
    let plan = build_plan(&example(), &opts(2)).unwrap();
    let mut json = serde_json::to_value(&plan).unwrap();
    let obj = json.as_object_mut().unwrap();
    obj.remove("conflict_groups");
    obj.insert("conflicts".into(), serde_json::json!([{ "a": "b", "b": "c", "files": ["src/x.rs"] }]));
    let old: ExecutionPlan = serde_json::from_value(json).unwrap();
    let upgraded = old.upgrade();
    assert_eq!(upgraded.conflict_groups, plan.conflict_groups);
    assert!(!serde_json::to_string(&upgraded).unwrap().contains("\"conflicts\""), "written back as groups only");
}

#[test]
fn the_gated_simulation_tests_waiting_landings_together_and_dependents_wait_for_the_landing() {
    let independent: Vec<PlanTask> = (0..20).map(|i| task(&format!("t{i}"), &[], 10, &[])).collect();
    let gate = |test_minutes: f64, max_batch: usize| GateModel { test_minutes, max_batch };
    // No test time: the dynamic schedule (5 waves of 4).
    let free = simulate_gated(&independent, 4, gate(0.0, 8)).unwrap();
    assert_eq!((free.makespan, free.sequential), (50.0, 200.0));
    // Tests as long as a task: each wave is tested while the next works; the last one after the last wave.
    let gated = simulate_gated(&independent, 4, gate(10.0, 8)).unwrap();
    assert_eq!((gated.makespan, gated.sequential), (60.0, 400.0));
    // One branch per test run: the gate sets the pace (20 landings of 10 after the first agent).
    assert_eq!(simulate_gated(&independent, 4, gate(10.0, 1)).unwrap().makespan, 210.0);
    // A dependent starts once its dependency landed.
    let chain = vec![task("a", &[], 10, &[]), task("b", &["a"], 10, &[])];
    assert_eq!(simulate_gated(&chain, 2, gate(5.0, 8)).unwrap().makespan, 30.0);
    // One worker keeps its slot until the landing, as a sequential run does.
    let two = vec![task("a", &[], 10, &[]), task("b", &[], 10, &[])];
    assert_eq!(simulate_gated(&two, 1, gate(5.0, 8)).unwrap().makespan, 30.0);
    assert_eq!(simulate_gated(&two, 2, gate(5.0, 8)).unwrap().makespan, 15.0);
    // Tasks sharing a file wait for each other's landing.
    let shared = vec![task("a", &[], 10, &["x.rs"]), task("b", &[], 10, &["x.rs"])];
    assert_eq!(simulate_gated(&shared, 2, gate(5.0, 8)).unwrap().makespan, 30.0);
}

#[test]
fn the_gated_simulation_places_each_task_on_a_worker_with_its_landing() {
    let gate = GateModel { test_minutes: 5.0, max_batch: 8 };
    let place = |t: &GatedTimes| -> Vec<(String, u32, f64, f64, f64)> {
        t.bars.iter().map(|b| (b.task_id.clone(), b.worker, b.start, b.end, b.landed)).collect()
    };
    let chain = vec![task("a", &[], 10, &[]), task("b", &["a"], 10, &[])];
    assert_eq!(
        place(&simulate_gated(&chain, 2, gate).unwrap()),
        [("a".to_string(), 0, 0.0, 10.0, 15.0), ("b".to_string(), 0, 15.0, 25.0, 30.0)],
        "b starts once a landed, on the worker a freed"
    );
    let two = vec![task("a", &[], 10, &[]), task("b", &[], 10, &[])];
    let side_by_side = place(&simulate_gated(&two, 2, gate).unwrap());
    assert_eq!(side_by_side.iter().map(|b| b.1).collect::<Vec<_>>(), [0, 1], "two workers at once");
    assert!(side_by_side.iter().all(|b| b.2 == 0.0 && b.4 == 15.0), "tested together: {side_by_side:?}");
    let one = place(&simulate_gated(&two, 1, gate).unwrap());
    assert_eq!((one[1].1, one[1].2), (0, 15.0), "one worker waits for the landing: {one:?}");
    let three: Vec<PlanTask> = (0..3).map(|i| task(&format!("t{i}"), &[], 10 * (i + 1), &[])).collect();
    let bars = simulate_gated(&three, 2, GateModel { test_minutes: 0.0, max_batch: 8 }).unwrap().bars;
    let freed = bars[..2].iter().min_by(|x, y| x.end.total_cmp(&y.end)).unwrap();
    assert_eq!((bars[2].start, bars[2].worker), (freed.end, freed.worker), "the third takes the worker freed first");
}
