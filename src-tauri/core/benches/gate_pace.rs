//! Does the merge gate keep up? (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench gate_pace`.
//!
//! The case of issue 18: 20 independent tasks, 4 worktrees, each agent (the scripted stand-in) working 1 s, run
//! through the whole orchestrator (real git, real SQLite, the real gate) with the test command `true` and with
//! `sleep 1`, side by side, `ROUNDS` times each (alternating; one repository per test command, 20 new tasks a run). Prints the median
//! wall time of each, their ratio (target: `sleep 1` ÷ `true` ≤ 1.5), the median number of test runs and largest
//! batch, and, for `sleep 1`, the plan's predicted efficiency gain beside the gain the run got (target: within 10
//! points).

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

struct Sample {
    wall: Duration,
    batches: usize,
    largest: usize,
    gain: f64,
    predicted: f64,
}

/// The tasks of runs `0..=round`: 20 independent ones a run, 10 minutes of effort each.
fn tasks_up_to(round: usize) -> Vec<serde_json::Value> {
    (0..=round)
        .flat_map(|r| {
            (0..TASKS).map(move |i| support::task(&format!("r{r}-t{i:02}"), &[], &[&format!("r{r}/f{i}.txt")], 10))
        })
        .collect()
}

/// One project per test command, its runs one after another: run `round` imports 20 new tasks (the earlier
/// rounds' stay, done), so from the second run on the prediction counts the gate as the earlier runs measured it.
async fn one_run(f: &support::Fixture, round: usize, test: &[&str]) -> Sample {
    let spec = tasks_up_to(round);
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json!({ "project": "t", "tasks": spec })).unwrap()).unwrap();
    yokeflow_core::tasks::import::import_file(&f.db, &f.project_id, &file).await.unwrap();
    let opts = RunOptions {
        max_worktrees: Some(WORKERS),
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": AGENT_MS } }))),
        test_command: Some(test.iter().map(|s| s.to_string()).collect()),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let t0 = Instant::now();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let wall = t0.elapsed();
    assert!(report.all_done(), "{report:#?}");
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
        largest: sizes.iter().copied().max().unwrap_or(0),
        gain: report.efficiency_gain,
        predicted: report.predicted_efficiency_gain,
    }
}

fn median<T: PartialOrd + Copy>(mut xs: Vec<T>) -> T {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        println!(
            "{TASKS} independent tasks, {WORKERS} worktrees, agents {AGENT_MS} ms each, {ROUNDS} runs per test command"
        );
        let (mut fast, mut slow) = (Vec::new(), Vec::new());
        let (f_fast, f_slow) = (support::fixture(tasks_up_to(0)).await, support::fixture(tasks_up_to(0)).await);
        for round in 0..ROUNDS {
            fast.push(one_run(&f_fast, round, &["true"]).await);
            slow.push(one_run(&f_slow, round, &["sleep", "1"]).await);
        }
        println!(
            "predicted gain with `sleep 1`, run by run: {} (the first run has no measured gate yet)",
            slow.iter().map(|s| format!("{:.0}%", s.predicted * 100.0)).collect::<Vec<_>>().join(", ")
        );
        let show = |name: &str, xs: &[Sample]| {
            println!(
                "test `{name}`: wall {:.2} s (median), {} test runs, largest batch {}, gain {:.0}% (predicted {:.0}%)",
                median(xs.iter().map(|s| s.wall.as_secs_f64()).collect()),
                median(xs.iter().map(|s| s.batches).collect()),
                median(xs.iter().map(|s| s.largest).collect()),
                median(xs.iter().map(|s| s.gain).collect()) * 100.0,
                median(xs.iter().map(|s| s.predicted).collect()) * 100.0,
            )
        };
        show("true", &fast);
        show("sleep 1", &slow);
        let ratio = median(slow.iter().map(|s| s.wall.as_secs_f64()).collect())
            / median(fast.iter().map(|s| s.wall.as_secs_f64()).collect());
        let points =
            (median(slow.iter().map(|s| s.gain).collect()) - median(slow.iter().map(|s| s.predicted).collect())).abs()
                * 100.0;
        println!("wall with `sleep 1` / wall with `true`: {ratio:.2} (target <= 1.5)");
        println!("predicted vs actual gain with `sleep 1`: {points:.0} points apart (target <= 10)");
        let ok = ratio <= 1.5 && points <= 10.0;
        println!("{}", if ok { "PASS" } else { "FAIL" });
        if !ok {
            std::process::exit(1);
        }
    });
}
