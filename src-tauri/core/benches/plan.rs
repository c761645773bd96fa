//! Plan engine benchmark (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench plan`.
//!
//! Prints, with PASS/FAIL against each target:
//! - the median time to build a plan for 10,000 tasks / ~30,000 dependency edges (target ≤ 100 ms);
//! - over seeded random layered DAGs with 4 workers, the median makespan ÷ lower bound for the barrier and
//!   the dynamic schedule (target dynamic ≤ 1.10);
//! - the worst ratio of the dynamic makespan to the best of 200 randomized list schedules (target ≤ 1.05);
//! - the median time saved by the dynamic schedule vs sequential (target ≥ 50%).

use std::time::{Duration, Instant};

use yokeflow_core::plan::{build_plan, simulate, PlanOptions, PlanTask, Scheduler};
#[path = "../tests/support/rng.rs"]
mod rng;
use rng::Rng;

const WORKERS: usize = 4;
const DAGS: usize = 60;
const RANDOM_SCHEDULES: usize = 200;

fn big_graph(rng: &mut Rng, n: usize, edges_per_task: usize) -> Vec<PlanTask> {
    (0..n)
        .map(|i| {
            let mut deps: Vec<String> = Vec::new();
            let window = i.min(400) as u64;
            while deps.len() < edges_per_task.min(i) {
                let d = format!("t{}", i as u64 - 1 - rng.range(0, window));
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
            let mut files = vec![format!("mod{}/file{}.rs", rng.range(0, 200), rng.range(0, 50))];
            if rng.range(0, 2) == 0 {
                files.push(format!("mod{}/file{}.rs", rng.range(0, 200), rng.range(0, 50)));
            }
            if rng.range(0, 20) == 0 {
                files.push(format!("mod{}/*.rs", rng.range(0, 200)));
            }
            PlanTask {
                id: format!("t{i}"),
                epic: Some(format!("epic{}", i / 200)),
                depends_on: deps,
                effort_minutes: rng.range(1, 121) as u32,
                priority: rng.range(0, 3) as i32,
                predicted_files: files,
            }
        })
        .collect()
}

const POOL: &[&str] = &[
    "src/main.rs",
    "src/lib.rs",
    "src/db.rs",
    "src/api.rs",
    "src/ui/app.tsx",
    "src/ui/board.tsx",
    "src/ui/*.css",
    "docs/*.md",
    "README.md",
    "Cargo.toml",
    "tests/api.rs",
    "tests/db.rs",
    "migrations/",
    "src/model.rs",
    "src/cli.rs",
    "src/plan.rs",
    "src/git.rs",
    "src/merge.rs",
];

fn layered_dag(rng: &mut Rng) -> Vec<PlanTask> {
    let layers = rng.range(3, 9) as usize;
    let mut tasks: Vec<PlanTask> = Vec::new();
    let mut previous: Vec<usize> = Vec::new();
    for _ in 0..layers {
        let width = rng.range(2, 13) as usize;
        let mut current = Vec::new();
        for _ in 0..width {
            let i = tasks.len();
            let mut deps: Vec<String> = Vec::new();
            if !previous.is_empty() {
                for _ in 0..rng.range(1, 4) {
                    let d = if rng.range(0, 5) == 0 && i > 0 {
                        rng.range(0, i as u64) as usize
                    } else {
                        previous[rng.range(0, previous.len() as u64) as usize]
                    };
                    let d = format!("t{d}");
                    if !deps.contains(&d) {
                        deps.push(d);
                    }
                }
            }
            let files: Vec<String> =
                (0..rng.range(0, 3)).map(|_| POOL[rng.range(0, POOL.len() as u64) as usize].to_string()).collect();
            tasks.push(PlanTask {
                id: format!("t{i}"),
                epic: Some(format!("e{}", rng.range(0, 4))),
                depends_on: deps,
                effort_minutes: rng.range(1, 121) as u32,
                priority: rng.range(0, 3) as i32,
                predicted_files: files,
            });
            current.push(i);
        }
        previous = current;
    }
    tasks
}

fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn main() {
    let started = Instant::now();
    let mut all_ok = true;

    // 1. Build time on a large graph.
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let big = big_graph(&mut rng, 10_000, 3);
    let edges: usize = big.iter().map(|t| t.depends_on.len()).sum();
    let opts = PlanOptions { max_worktrees: WORKERS };
    let mut times: Vec<Duration> = Vec::new();
    let mut conflicts = 0;
    for _ in 0..7 {
        let t0 = Instant::now();
        let plan = build_plan(&big, &opts).expect("plan");
        times.push(t0.elapsed());
        conflicts = plan.conflict_pairs().len();
    }
    times.sort();
    let build_ms = times[times.len() / 2].as_secs_f64() * 1000.0;
    let ok = build_ms <= 100.0;
    all_ok &= ok;
    println!(
        "plan build, {} tasks / {edges} edges / {conflicts} predicted conflicts: median {build_ms:.1} ms \
         (min {:.1}, max {:.1}) [target <= 100 ms] {}",
        big.len(),
        times[0].as_secs_f64() * 1000.0,
        times[times.len() - 1].as_secs_f64() * 1000.0,
        verdict(ok)
    );

    // 2. Schedule quality on random layered DAGs.
    let mut rng = Rng(0xDA6_5EED_0000_0042);
    let (mut barrier_ratio, mut dynamic_ratio, mut saved) = (Vec::new(), Vec::new(), Vec::new());
    let mut worst_vs_random = 0f64;
    let mut worst_dag = 0;
    let mut task_counts = Vec::new();
    for k in 0..DAGS {
        let tasks = layered_dag(&mut rng);
        task_counts.push(tasks.len() as f64);
        let report = simulate(&tasks, WORKERS).expect("simulate");
        let lb = report.lower_bound as f64;
        barrier_ratio.push(report.barrier as f64 / lb);
        dynamic_ratio.push(report.dynamic as f64 / lb);
        saved.push(1.0 - report.dynamic as f64 / report.sequential as f64);
        let scheduler = Scheduler::new(&tasks).expect("scheduler");
        let best_random = (0..RANDOM_SCHEDULES)
            .map(|_| {
                let priorities: Vec<u64> = (0..tasks.len()).map(|_| rng.next()).collect();
                scheduler.simulate_with_priorities(WORKERS, &priorities).makespan
            })
            .min()
            .unwrap_or(u64::MAX);
        let ratio = report.dynamic as f64 / best_random as f64;
        if ratio > worst_vs_random {
            worst_vs_random = ratio;
            worst_dag = k;
        }
    }
    let (b, d) = (median(&mut barrier_ratio), median(&mut dynamic_ratio));
    let s = median(&mut saved);
    println!("{DAGS} random layered DAGs (median {} tasks), {WORKERS} workers:", median(&mut task_counts) as usize);
    println!("  median makespan / lower bound, barrier: {b:.3}");
    let ok = d <= 1.10;
    all_ok &= ok;
    println!("  median makespan / lower bound, dynamic: {d:.3} [target <= 1.10] {}", verdict(ok));
    let ok = worst_vs_random <= 1.05;
    all_ok &= ok;
    println!(
        "  worst dynamic / best of {RANDOM_SCHEDULES} randomized list schedules: {worst_vs_random:.3} (DAG #{worst_dag}) \
         [target <= 1.05] {}",
        verdict(ok)
    );
    let ok = s >= 0.5;
    all_ok &= ok;
    println!("  median time saved vs sequential: {:.1}% [target >= 50%] {}", s * 100.0, verdict(ok));
    println!("overall: {} in {:.1} s", verdict(all_ok), started.elapsed().as_secs_f64());
}
