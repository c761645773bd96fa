//! Does the merge gate keep up? (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench gate_pace`.
//!
//! The case of issues 18 and 30: 20 independent tasks, 4 worktrees, each agent (the scripted stand-in) working 1 s,
//! run through the whole orchestrator (real git, real SQLite, the real gate, pre-flights on, 5 test runs at once:
//! the gate's and one per worktree; the tests only sleep) with a test command of 0 s and of 1 s, side by side,
//! `ROUNDS` times each (alternating; one repository per variant, 20 new tasks a run), once with every task passing
//! and once with 2 of the 20 breaking the tests. Prints the median wall time of each, the ratios (targets: all
//! passing 1 s ÷ 0 s ≤ 1.3; 2 breaking 1 s ÷ 0 s ≤ 1.5), the median number of gate test runs and pre-flights, the
//! largest batch, and the predicted efficiency gain beside the actual one (target: within 10 points).

use std::time::{Duration, Instant};

use serde_json::json;
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};

#[path = "../tests/support/mod.rs"]
mod support;

const TASKS: usize = 20;
const WORKERS: u32 = 4;
const AGENT_MS: u64 = 1000;
const ROUNDS: usize = 5;
/// The tasks of each run that break the tests (in the failing variants).
const BREAKERS: [usize; 2] = [3, 13];
/// A test that fails on a tree with a file named `broken-…` at its root, after `$1` seconds.
const TEST: &str = "sleep \"$1\"; for f in broken-*; do test -e \"$f\" && exit 1; done; exit 0";

struct Sample {
    wall: Duration,
    batches: usize,
    gate_tests: usize,
    preflights: usize,
    largest: usize,
    gain: f64,
    predicted: f64,
}

/// The tasks of runs `0..=round`: 20 independent ones a run, 10 minutes of effort each; with `breaking`, tasks
/// [`BREAKERS`] of each run write a `broken-…` file.
fn tasks_up_to(round: usize, breaking: bool) -> Vec<serde_json::Value> {
    (0..=round)
        .flat_map(|r| {
            (0..TASKS).map(move |i| {
                let file = if breaking && BREAKERS.contains(&i) {
                    format!("broken-r{r}-{i}")
                } else {
                    format!("r{r}/f{i}.txt")
                };
                support::task(&format!("r{r}-t{i:02}"), &[], &[&file], 10)
            })
        })
        .collect()
}

/// One project per variant, its runs one after another: run `round` imports 20 new tasks (the earlier rounds'
/// stay, done or in Review), so from the second run on the prediction counts the gate as the earlier runs measured it.
async fn one_run(f: &support::Fixture, round: usize, secs: &str, breaking: bool) -> Sample {
    let spec = tasks_up_to(round, breaking);
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json!({ "project": "t", "tasks": spec })).unwrap()).unwrap();
    yokeflow_core::tasks::import::import_file(&f.db, &f.project_id, &file).await.unwrap();
    let test = ["sh", "-c", TEST, "sh", secs].iter().map(|s| s.to_string()).collect();
    let opts = RunOptions {
        max_worktrees: Some(WORKERS),
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": AGENT_MS } }))),
        test_command: Some(test),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let t0 = Instant::now();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let wall = t0.elapsed();
    let broken = if breaking { BREAKERS.len() } else { 0 };
    let review = report.review.iter().filter(|r| r.task_id.starts_with(&format!("r{round}-"))).count();
    assert_eq!((report.tasks_run as usize, review), (TASKS, broken), "{report:#?}");
    let sizes: Vec<usize> = seen
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            Event::MergeBatch { task_ids, .. } => Some(task_ids.len()),
            _ => None,
        })
        .collect();
    Sample {
        wall,
        batches: sizes.len(),
        gate_tests: report.gate_tests_ms.len(),
        preflights: report.preflight_tests_ms.len(),
        largest: sizes.iter().copied().max().unwrap_or(0),
        gain: report.efficiency_gain,
        predicted: report.predicted_efficiency_gain,
    }
}

/// A project for the bench: 5 test runs at once (the gate's and one per worktree).
async fn project(breaking: bool) -> support::Fixture {
    let f = support::fixture(tasks_up_to(0, breaking)).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.parallel_tests = Some(WORKERS + 1);
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    f
}

fn median<T: PartialOrd + Copy>(mut xs: Vec<T>) -> T {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        println!(
            "{TASKS} independent tasks, {WORKERS} worktrees, agents {AGENT_MS} ms each, {ROUNDS} runs per variant, \
             pre-flights on, {} test runs at once",
            WORKERS + 1
        );
        let mut ok = true;
        for breaking in [false, true] {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let (f_fast, f_slow) = (project(breaking).await, project(breaking).await);
            for round in 0..ROUNDS {
                fast.push(one_run(&f_fast, round, "0", breaking).await);
                slow.push(one_run(&f_slow, round, "1", breaking).await);
            }
            let variant = if breaking { "2 of 20 breaking the tests" } else { "all passing" };
            println!("-- {variant}");
            println!(
                "predicted gain with the 1 s test, run by run: {} (the first run has no measured gate yet)",
                slow.iter().map(|s| format!("{:.0}%", s.predicted * 100.0)).collect::<Vec<_>>().join(", ")
            );
            let show = |name: &str, xs: &[Sample]| {
                println!(
                    "test {name}: wall {:.2} s (median), {} batches, {} gate test runs, {} pre-flights, largest batch \
                     {}, gain {:.0}% (predicted {:.0}%)",
                    median(xs.iter().map(|s| s.wall.as_secs_f64()).collect()),
                    median(xs.iter().map(|s| s.batches).collect()),
                    median(xs.iter().map(|s| s.gate_tests).collect()),
                    median(xs.iter().map(|s| s.preflights).collect()),
                    median(xs.iter().map(|s| s.largest).collect()),
                    median(xs.iter().map(|s| s.gain).collect()) * 100.0,
                    median(xs.iter().map(|s| s.predicted).collect()) * 100.0,
                )
            };
            show("0 s", &fast);
            show("1 s", &slow);
            let ratio = median(slow.iter().map(|s| s.wall.as_secs_f64()).collect())
                / median(fast.iter().map(|s| s.wall.as_secs_f64()).collect());
            let points = (median(slow.iter().map(|s| s.gain).collect())
                - median(slow.iter().map(|s| s.predicted).collect()))
            .abs()
                * 100.0;
            let target = if breaking { 1.5 } else { 1.3 };
            println!("wall with the 1 s test / wall with the 0 s test: {ratio:.2} (target <= {target})");
            println!("predicted vs actual gain with the 1 s test: {points:.0} points apart (target <= 10)");
            ok &= ratio <= target && points <= 10.0;
        }
        println!("{}", if ok { "PASS" } else { "FAIL" });
        if !ok {
            std::process::exit(1);
        }
    });
}
