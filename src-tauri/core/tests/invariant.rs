//! The merge gate's invariant through whole runs: seeded random scenarios run the orchestrator in-process with the
//! scripted agent and inject agent crashes (exit non-zero before or after committing, or hang past the agent
//! timeout), test failures (a task whose file is `FAIL`) and conflicts (tasks run side by side that write the same
//! shared file). At every merge event and after every run: every value the target branch ever held has a tree that
//! passed the test command; no work is lost (Done tasks are on the target, committed tasks not Done keep their
//! branch).

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use support::rng::Rng;
use support::{fixture, task};
use yokeflow_core::model::{RunStatus, TaskStatus};
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};

/// Fails when a file `FAIL` exists; otherwise records the tested tree as passed. It takes a moment (longer than most
/// agents here), so finished work queues at the gate and lands in batches, bisected when one of them fails. Only the
/// gate's own runs record a tree: a pre-flight (in a task's folder, its mark ending in `#preflight-<task>`) passes or
/// fails like them, but what lands must have passed the gate.
const RECORDING_TEST: &str = r#"sleep 0.1; if [ -e FAIL ]; then echo FAIL present; exit 1; fi
case "$YOKEFLOW_GATE_TESTS" in *'#preflight-'*) exit 0 ;; esac
git rev-parse 'HEAD^{tree}' >> "$1""#;

const SEEDS: u64 = 50;
const TASKS: usize = 6;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Inject {
    Ok,
    TestFailure,
    Conflict,
    Crash,
    /// The agent commits, then dies (exit 134): its commit must stay on its branch and never land as Done.
    CrashAfterCommit,
    Hang,
}

/// Every value `refs/heads/main` ever held (its reflog, oldest first, with the initial commit) whose tree is not in
/// the passed log.
fn violations(repo: &Path, passed_log: &Path, initial: git2::Oid, step: &str) -> Vec<String> {
    let r = git2::Repository::open(repo).unwrap();
    let passed = std::fs::read_to_string(passed_log).unwrap_or_default();
    let reflog = r.reflog("refs/heads/main").unwrap();
    let mut values = vec![initial];
    values.extend(reflog.iter().map(|e| e.id_new()));
    values.push(r.find_reference("refs/heads/main").unwrap().target().unwrap());
    let mut out = Vec::new();
    for v in values {
        if v.is_zero() {
            continue;
        }
        let tree = r.find_commit(v).unwrap().tree_id().to_string();
        if !passed.lines().any(|l| l == tree) {
            out.push(format!("{step}: main held {v} with tree {tree} that never passed the tests"));
        }
    }
    out
}

fn branch_file(repo: &Path, branch: &str, path: &str) -> Option<String> {
    let r = git2::Repository::open(repo).unwrap();
    let tree = r.find_branch(branch, git2::BranchType::Local).ok()?.get().peel_to_tree().ok()?;
    let blob = tree.get_path(Path::new(path)).ok()?.to_object(&r).ok()?.peel_to_blob().ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

#[derive(Default, Debug)]
struct Counts {
    landings: usize,
    merged: usize,
    tests_failed: usize,
    conflicts: usize,
    crashes: usize,
    crashes_after_commit: usize,
    hangs: usize,
    /// Agents told to commit that timed out first on a slow machine (not a violation: nothing was committed).
    slow_timeouts: usize,
    checks: usize,
    /// Landings the gate tested together with others (a batch of two or more), and those of them that failed.
    batched: usize,
    batched_failed: usize,
    /// Pre-flights (a finished branch tested in its own folder while it waits) that failed: left out by them.
    preflights_failed: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_value_of_the_target_passed_the_tests_despite_crashes_failures_and_conflicts() {
    let t0 = Instant::now();
    let mut counts = Counts::default();
    let mut all = Vec::new();
    for seed in 1..=SEEDS {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut spec = Vec::new();
        let mut per = serde_json::Map::new();
        let mut injected = Vec::new();
        for i in 0..TASKS {
            let id = format!("t{i}");
            let inject = match rng.below(100) {
                0..=36 => Inject::Ok,
                37..=44 => Inject::CrashAfterCommit,
                45..=59 => Inject::TestFailure,
                60..=84 => Inject::Conflict,
                85..=96 => Inject::Crash,
                _ => Inject::Hang,
            };
            let file = if inject == Inject::TestFailure { "FAIL".to_string() } else { format!("w/{id}.txt") };
            let deps: Vec<String> =
                if i > 0 && rng.below(100) < 20 { vec![format!("t{}", rng.below(i as u64))] } else { vec![] };
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            spec.push(task(&id, &deps, &[&file], 10));
            let action = match inject {
                Inject::Ok | Inject::TestFailure => "ok",
                Inject::Conflict => "conflict",
                Inject::Crash => "fail",
                Inject::CrashAfterCommit => "crash-after-commit",
                Inject::Hang => "hang",
            };
            // Conflicting tasks work longer, so that two of them overlap and the second lands on a moved target.
            let sleep_ms = if inject == Inject::Conflict { 150 + rng.below(100) } else { 10 + rng.below(40) };
            per.insert(id.clone(), json!({ "action": action, "sleep_ms": sleep_ms }));
            injected.push((id, file, inject));
        }
        let f = fixture(spec).await;
        // Pre-flights on (the default), with room for two beside the gate's run whatever the machine's cores.
        let mut settings = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
        settings.parallel_tests = Some(3);
        yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &settings).await.unwrap();
        let passed_log: PathBuf = f.dir.path().join("passed");
        let r = git2::Repository::open(&f.repo).unwrap();
        let initial = r.find_reference("refs/heads/main").unwrap().target().unwrap();
        // The initial commit is the target's first value; it counts as tested.
        std::fs::write(&passed_log, format!("{}\n", r.find_commit(initial).unwrap().tree_id())).unwrap();
        drop(r);
        let test_command: Vec<String> =
            ["sh", "-c", RECORDING_TEST, "sh", passed_log.to_str().unwrap()].iter().map(|s| s.to_string()).collect();

        let (tx, mut rx) = events::channel();
        let (repo, log) = (f.repo.clone(), passed_log.clone());
        let collector = tokio::spawn(async move {
            let (mut checks, mut bad, mut results, mut preflights_failed) = (0usize, Vec::new(), Vec::new(), 0);
            let mut in_batch = std::collections::HashSet::new();
            loop {
                let ev = match rx.recv().await {
                    Ok(ev) => ev,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => break,
                };
                match ev {
                    Event::MergeBatch { task_ids, .. } if task_ids.len() > 1 => in_batch.extend(task_ids),
                    Event::MergeResult { task_id, result, .. } => {
                        checks += 1;
                        bad.extend(violations(&repo, &log, initial, &format!("seed {seed} merge of {task_id}")));
                        results.push((result, in_batch.remove(&task_id)));
                    }
                    Event::PreflightEnded { result: events::PreflightResult::Failed, .. } => preflights_failed += 1,
                    Event::RunFinished { .. } => break,
                    _ => {}
                }
            }
            (checks, bad, results, preflights_failed)
        });
        let opts = RunOptions {
            max_worktrees: Some(if seed % 4 == 0 { 1 } else { 2 }),
            agent_command: Some(f.agent(json!({ "tasks": per }))),
            // Meant for the hung agents; one that is merely slow on a loaded machine and times out is judged by
            // what it did (its log), not by what it was told to do.
            agent_timeout: Some(Duration::from_secs(3)),
            test_command: Some(test_command),
            test_timeout: Duration::from_secs(30),
            kill_grace: Duration::from_millis(200),
            learn: false,
            ..Default::default()
        };
        let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
        let (checks, bad, results, preflights_failed) = collector.await.unwrap();
        counts.preflights_failed += preflights_failed;
        assert_eq!(report.status, RunStatus::Finished, "seed {seed}: {report:#?}");
        counts.checks += checks + 1;
        all.extend(bad);
        all.extend(violations(&f.repo, &passed_log, initial, &format!("seed {seed} end")));
        for (res, batched) in results {
            counts.landings += 1;
            counts.batched += usize::from(batched);
            counts.batched_failed += usize::from(batched && res == events::MergeKind::TestsFailed);
            match res {
                events::MergeKind::Merged => counts.merged += 1,
                events::MergeKind::TestsFailed => counts.tests_failed += 1,
                events::MergeKind::Conflict => counts.conflicts += 1,
                _ => {}
            }
        }
        if f.target_file("FAIL").is_some() {
            all.push(format!("seed {seed}: FAIL reached the target"));
        }

        // No work lost.
        let branches = f.task_branches();
        let statuses = f.tasks().await;
        for (id, file, inject) in &injected {
            let status = statuses.iter().find(|t| &t.id == id).unwrap().status;
            let line = format!("- {id}: done by the scripted agent");
            let ran = report.tasks.iter().any(|t| &t.task_id == id);
            match inject {
                Inject::Crash if ran => counts.crashes += 1,
                Inject::CrashAfterCommit if ran => counts.crashes_after_commit += 1,
                Inject::Hang if ran => counts.hangs += 1,
                _ => {}
            }
            if status == TaskStatus::Done {
                if !f.target_file(file).is_some_and(|t| t.contains(&line)) {
                    all.push(format!("seed {seed}: {id} is Done but {file} on main lacks its line"));
                }
                if matches!(inject, Inject::Crash | Inject::CrashAfterCommit | Inject::Hang | Inject::TestFailure) {
                    all.push(format!("seed {seed}: {id} ({inject:?}) is Done"));
                }
                continue;
            }
            // Committed: the agent said so in its session log (the scripted agent prints `committed <oid>`).
            let logs: Vec<Option<String>> =
                sqlx::query_scalar("SELECT log_path FROM sessions WHERE project_id = ? AND task_id = ?")
                    .bind(&f.project_id)
                    .bind(id)
                    .fetch_all(f.db.pool())
                    .await
                    .unwrap();
            let said_committed = logs
                .iter()
                .flatten()
                .any(|p| std::fs::read_to_string(p).is_ok_and(|t| t.lines().any(|l| l.starts_with("committed "))));
            let committed = ran && said_committed;
            if ran && !said_committed && matches!(inject, Inject::Ok | Inject::TestFailure | Inject::Conflict) {
                counts.slow_timeouts += 1;
            }
            if committed {
                let prefix = format!("yokeflow/{id}-");
                let kept = branches.iter().any(|b| {
                    b.starts_with(&prefix) && branch_file(&f.repo, b, file).is_some_and(|t| t.contains(&line))
                });
                if !kept {
                    all.push(format!("seed {seed}: {id} ({inject:?}, {status:?}) committed but its branch is lost"));
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while !f.marked_processes().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(f.marked_processes().is_empty(), "seed {seed}: agents left running");
    }
    eprintln!(
        "{SEEDS} runs, {} tasks: {} landings attempted ({} merged, {} test failures, {} conflicts), {} agent \
         crashes ({} after committing), {} agent hangs timed out ({} slow agents too), {} landings tested in a batch \
         ({} of them failed), {} branches left out by their pre-flight, {} invariant checks, {} violations, {:.1} s",
        SEEDS as usize * TASKS,
        counts.landings,
        counts.merged,
        counts.tests_failed,
        counts.conflicts,
        counts.crashes + counts.crashes_after_commit,
        counts.crashes_after_commit,
        counts.hangs,
        counts.slow_timeouts,
        counts.batched,
        counts.batched_failed,
        counts.preflights_failed,
        counts.checks,
        all.len(),
        t0.elapsed().as_secs_f64()
    );
    assert!(all.is_empty(), "{} violations:\n{}", all.len(), all.join("\n"));
    assert!(counts.landings >= 200, "only {} landings attempted: {counts:?}", counts.landings);
    assert!(counts.merged > 0 && counts.tests_failed > 0 && counts.conflicts > 0, "{counts:?}");
    assert!(counts.crashes > 0 && counts.crashes_after_commit > 0 && counts.hangs > 0, "{counts:?}");
    assert!(counts.preflights_failed > 0, "the pre-flights' path was taken: {counts:?}");
}
