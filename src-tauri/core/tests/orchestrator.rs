//! The run loop end to end: a 12-task DAG on 4 worktrees with the scripted agent, against a real git repository
//! and a real SQLite file. Every task's work must be on the target branch, nothing may be left behind, and
//! parallelism must pay off (the measured efficiency gain is printed beside the simulator's prediction).

mod support;

use std::time::Duration;

use serde_json::json;
use support::{fixture, task};
use yokeflow_core::model::{RunMode, RunStatus, TaskStatus};
use yokeflow_core::plan::{self, PlanTask};
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};

/// Two epics plus shared integration work: a DAG with a critical path of 4 and room for 4 workers.
fn twelve_tasks() -> Vec<serde_json::Value> {
    vec![
        task("schema", &[], &["src/db/schema.sql"], 20),
        task("models", &["schema"], &["src/db/models.py"], 30),
        task("products", &["models"], &["src/api/products.py"], 30),
        task("users", &["models"], &["src/api/users.py"], 40),
        task("orders", &["products", "users"], &["src/api/orders.py"], 30),
        task("layout", &[], &["web/layout.html"], 20),
        task("catalog", &["layout"], &["web/catalog.html"], 30),
        task("cart", &["layout"], &["web/cart.html"], 20),
        task("checkout", &["cart", "orders"], &["web/checkout.html"], 30),
        task("ci", &[], &["ops/ci.yml"], 10),
        task("lint", &[], &["ops/lint.toml"], 10),
        task("docs", &["ci"], &["docs/README.md"], 20),
    ]
}

/// Effort minutes -> scripted sleep: 10 ms per minute (100–400 ms).
fn script_for(tasks: &[serde_json::Value]) -> serde_json::Value {
    let mut per = serde_json::Map::new();
    for t in tasks {
        let effort = t["effort"].as_u64().unwrap();
        per.insert(t["id"].as_str().unwrap().into(), json!({ "action": "ok", "sleep_ms": effort * 10 }));
    }
    json!({ "tasks": per })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twelve_task_dag_runs_in_parallel_and_lands_everything() {
    let spec = twelve_tasks();
    let f = fixture(spec.clone()).await;
    let agent = f.agent(script_for(&spec));
    let (tx, rx) = events::channel();
    let collector = support::collect_events(rx);
    let opts = RunOptions {
        max_worktrees: Some(4),
        agent_command: Some(agent),
        agent_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let seen = collector.await.unwrap();

    println!("{}", report.to_text());
    assert_eq!(report.status, RunStatus::Finished);
    assert_eq!(report.tasks_done, 12, "{report:#?}");
    assert!(report.all_done());
    assert_eq!(report.auto_merged, 12);
    assert_eq!(report.merge_attempts, 12);
    assert_eq!(report.merge_success_rate, 1.0);
    for t in f.tasks().await {
        assert_eq!(t.status, TaskStatus::Done, "{}", t.id);
        let file = t.files[0].as_str();
        let text = f.target_file(file).unwrap_or_else(|| panic!("{file} missing on main"));
        assert!(text.contains(&format!("- {}: done by the scripted agent", t.id)), "{file}: {text}");
    }
    assert!(f.worktree_dirs().is_empty(), "worktrees left: {:?}", f.worktree_dirs());
    assert!(f.task_branches().is_empty(), "branches left: {:?}", f.task_branches());
    assert!(f.marked_processes().is_empty(), "agents left running");

    // Parallelism paid off, and the simulator saw it coming.
    let plan_tasks: Vec<PlanTask> = f
        .tasks()
        .await
        .into_iter()
        .map(|t| PlanTask {
            id: t.id,
            epic: t.epic,
            depends_on: t.depends_on,
            effort_minutes: t.effort_minutes,
            priority: t.priority,
            predicted_files: t.files,
        })
        .collect();
    let sim = plan::simulate(&plan_tasks, 4).unwrap();
    let predicted = 1.0 - sim.dynamic as f64 / sim.sequential as f64;
    println!(
        "efficiency gain: measured {:.1}% (wall {} ms vs {} ms of task time), simulator predicted {:.1}% \
         ({} vs {} minutes)",
        report.efficiency_gain * 100.0,
        report.wall_ms,
        report.task_time_ms,
        predicted * 100.0,
        sim.dynamic,
        sim.sequential
    );
    assert!((report.predicted_efficiency_gain - predicted).abs() < 1e-9);
    assert!(report.efficiency_gain > 0.0, "no gain: {report:#?}");
    let max_running = max_concurrency(&report);
    assert!(max_running > 1 && max_running <= 4, "concurrency {max_running}");

    // Dependencies were respected: a task started only after its dependencies were merged.
    for t in f.tasks().await {
        let start = report.tasks.iter().find(|x| x.task_id == t.id).unwrap().started_ms;
        for d in &t.depends_on {
            let dep_end = report.tasks.iter().find(|x| &x.task_id == d).unwrap().ended_ms;
            assert!(dep_end <= start, "{} started at {start} before {d} ended at {dep_end}", t.id);
        }
    }
    // The event stream told the story.
    assert!(matches!(seen.first(), Some(Event::Recovered { .. })));
    assert!(seen.iter().any(|e| matches!(e, Event::AgentTranscript { .. })));
    assert_eq!(seen.iter().filter(|e| matches!(e, Event::WorktreeRemoved { .. })).count(), 12);
    // Every branch's tip was announced before its merge (the lanes' last commit).
    for t in f.tasks().await {
        let tip = seen.iter().position(|e| {
            matches!(e, Event::BranchCommitted { task_id, summary, commit, .. }
            if *task_id == t.id && summary.contains("scripted change") && commit.len() == 40)
        });
        let merge = seen.iter().position(|e| matches!(e, Event::MergeStarted { task_id, .. } if *task_id == t.id));
        assert!(tip.is_some() && tip < merge, "{}: tip {tip:?}, merge {merge:?}", t.id);
    }
    let stored: Option<String> = sqlx::query_scalar("SELECT report FROM runs WHERE id = ?")
        .bind(&report.run_id)
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    assert!(stored.unwrap().contains("efficiency_gain"));
    let sessions: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE outcome = 'succeeded' AND pid IS NOT NULL")
            .fetch_one(f.db.pool())
            .await
            .unwrap();
    assert_eq!(sessions, 12);
    // Sessions and worktrees carry the stored plan's batch and their worktree.
    let plan = yokeflow_core::plan::planner::get(&f.db, &f.project_id).await.unwrap().unwrap();
    let rows: Vec<(String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT task_id, batch_id, worktree_id FROM sessions").fetch_all(f.db.pool()).await.unwrap();
    for (task, batch, worktree) in rows {
        let want = plan.batches.iter().find(|b| b.task_ids.contains(&task)).map(|b| b.batch_id.clone());
        assert_eq!(batch, want, "session of {task}");
        assert!(worktree.is_some(), "session of {task} has no worktree");
    }
    let unbatched: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM worktrees WHERE batch_id IS NULL")
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    assert_eq!(unbatched, 0);
}

/// The most agents that worked at once (a task's time at the merge gate, after its agent, is not counted).
fn max_concurrency(report: &orchestrator::RunReport) -> usize {
    let mut points: Vec<(u64, i32)> =
        report.tasks.iter().flat_map(|t| [(t.started_ms, 1), (t.ended_ms - t.gate_ms, -1)]).collect();
    points.sort_by_key(|&(t, d)| (t, d));
    let (mut cur, mut max) = (0i32, 0i32);
    for (_, d) in points {
        cur += d;
        max = max.max(cur);
    }
    max as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sequential_mode_runs_one_at_a_time() {
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5), task("c", &["a"], &["c.txt"], 5)];
    let f = fixture(spec.clone()).await;
    let opts = RunOptions { sequential: true, agent_command: Some(f.agent(script_for(&spec))), ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done());
    assert_eq!(report.mode, RunMode::Sequential);
    assert_eq!(max_concurrency(&report), 1);
}

/// Runs `spec` sequentially and returns the warnings the run sent.
async fn warnings_of_a_run(f: &support::Fixture, spec: &[serde_json::Value]) -> Vec<String> {
    let opts = RunOptions { sequential: true, agent_command: Some(f.agent(script_for(spec))), ..Default::default() };
    let (tx, rx) = events::channel();
    let collector = support::collect_warnings(rx);
    assert!(orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap().all_done());
    collector.await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_users_checkout_follows_and_only_the_task_touching_their_change_waits_until_it_is_stashed() {
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)];
    let f = fixture(spec.clone()).await;
    assert_eq!(warnings_of_a_run(&f, &spec).await, Vec::<String>::new());
    for file in ["a.txt", "b.txt"] {
        let text = std::fs::read_to_string(f.repo.join(file)).unwrap();
        assert!(text.contains("done by the scripted agent"), "{file} in the user's checkout: {text}");
    }

    // The person has a staged edit of the README and an unsaved a.txt of their own in the checkout of `main`: `b`
    // lands (their checkout follows and keeps both), `a`, which changes a.txt too, waits alone in Review saying which
    // file is in the way and what frees it.
    let f = fixture(spec.clone()).await;
    std::fs::write(f.repo.join("README.md"), "the user's staged edit\n").unwrap();
    let git = git2::Repository::open(&f.repo).unwrap();
    let mut index = git.index().unwrap();
    index.add_path(std::path::Path::new("README.md")).unwrap();
    index.write().unwrap();
    std::fs::write(f.repo.join("a.txt"), "the user's own a.txt\n").unwrap();
    let before = f.target_file("README.md");
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&f.agent(script_for(&spec))))
        .await
        .unwrap();
    let opts = RunOptions { sequential: true, ..Default::default() };
    let (tx, rx) = events::channel();
    let collector = support::collect_warnings(rx);
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let warnings = collector.await.unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("your uncommitted change to a.txt") && warnings[0].contains("yokeflow land a"));
    assert_eq!((report.tasks_done, report.tasks_review), (1, 1), "{report:#?}");
    let a = f.tasks().await.into_iter().find(|t| t.id == "a").unwrap();
    let reason = a.review_reason.unwrap_or_default();
    assert!(reason.starts_with("not landed") && reason.contains("stash push --include-untracked -- a.txt"), "{reason}");
    assert!(reason.ends_with("`yokeflow land a`"), "{reason}");
    assert_eq!(f.target_file("a.txt"), None, "a did not land");
    assert!(f.target_file("b.txt").is_some() && f.repo.join("b.txt").exists(), "b landed and the checkout followed");
    assert_eq!(f.target_file("README.md"), before);
    assert_eq!(std::fs::read_to_string(f.repo.join("README.md")).unwrap(), "the user's staged edit\n");
    assert_eq!(std::fs::read_to_string(f.repo.join("a.txt")).unwrap(), "the user's own a.txt\n");

    // The person puts a.txt aside and lands `a` with one command; their checkout follows and keeps the README.
    let stash = std::process::Command::new("git")
        .arg("-C")
        .arg(&f.repo)
        .args(["stash", "push", "-q", "--include-untracked", "--", "a.txt"])
        .status()
        .unwrap();
    assert!(stash.success());
    let out = support::cli(&f.db_path, &f.repo, &["land", "a"]).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    for t in f.tasks().await {
        assert_eq!(t.status, TaskStatus::Done, "{t:?}");
    }
    assert!(f.target_file("a.txt").is_some() && f.repo.join("a.txt").exists());
    assert_eq!(std::fs::read_to_string(f.repo.join("README.md")).unwrap(), "the user's staged edit\n");
    // Only a Review task with a kept branch can be landed; the refusal starts nothing.
    let out = support::cli(&f.db_path, &f.repo, &["--json", "land", "a"]).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert!(out.stderr.contains("only a task in Review with a kept branch"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_resume_and_retry_through_the_handle() {
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &["a"], &["b.txt"], 5), task("c", &[], &["c.txt"], 5)];
    let f = fixture(spec).await;
    // `c` makes no change the first time: it goes to Review; a retry with a working script lands it.
    let script_path = f.dir.path().join("script.json");
    let agent = f.agent(json!({ "default": { "sleep_ms": 100 }, "tasks": { "c": { "action": "no-change" } } }));
    let (handle, ctl) = orchestrator::control();
    let (tx, mut rx) = events::channel();
    let db = f.db.clone();
    let pid = f.project_id.clone();
    let opts = RunOptions { max_worktrees: Some(2), agent_command: Some(agent), ..Default::default() };
    // Sent before the run starts: applied before the first task starts.
    handle.pause();
    handle.move_task("c", 1);
    let run = tokio::spawn(async move { orchestrator::run_controlled(&db, &pid, opts, tx, ctl).await });
    let (mut paused_seen, mut c_started) = (false, false);
    loop {
        match rx.recv().await.unwrap() {
            Event::RunPaused { .. } if !paused_seen => {
                paused_seen = true;
                tokio::time::sleep(Duration::from_millis(300)).await;
                handle.resume();
            }
            // Paused again while `c` works: a paused run waits, however long the retry below takes to arrive.
            Event::TaskStatusChanged { task_id, status: TaskStatus::InProgress, .. }
                if task_id == "c" && !c_started =>
            {
                c_started = true;
                handle.pause();
            }
            Event::TaskStatusChanged { task_id, status: TaskStatus::Review, .. } if task_id == "c" => {
                std::fs::write(&script_path, json!({ "default": { "sleep_ms": 10 } }).to_string()).unwrap();
                handle.retry_task("c");
                handle.resume();
            }
            Event::RunFinished { .. } => break,
            _ => {}
        }
    }
    let report = run.await.unwrap().unwrap();
    assert!(paused_seen);
    assert!(report.all_done(), "{report:#?}");
    assert!(report.tasks.iter().all(|t| t.started_ms >= 250), "a task started while paused: {report:#?}");
    assert!(report.tasks.iter().filter(|t| t.task_id == "c").all(|t| t.slot == 1), "c was pinned to slot 1");
    assert!(f.target_file("c.txt").unwrap().contains("- c: done"));
}

/// `a` ends its first attempt with `first` (`b` lands meanwhile, so the target moves past `a`'s base), goes to
/// Review, is retried with a working script, and the second run finishes everything. Returns `a`'s branch of the
/// first attempt and the second run's events.
async fn retried_after(f: &support::Fixture, first: &str) -> (String, Vec<Event>) {
    let agent = f.agent(json!({ "default": { "sleep_ms": 10 }, "tasks": { "a": { "action": first } } }));
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts.clone(), tx).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Review);
    let old = f.task_branches();
    assert_eq!(old.len(), 1, "a's branch is kept for the person: {old:?}");

    std::fs::write(f.dir.path().join("script.json"), json!({ "default": { "sleep_ms": 10 } }).to_string()).unwrap();
    orchestrator::retry_task(&f.db, &f.project_id, "a").await.unwrap();
    let (tx, mut rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let mut seen = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        seen.push(ev);
    }
    (old[0].clone(), seen)
}

/// The worktrees a run's events say were created: (branch, reattached).
fn created(seen: &[Event]) -> Vec<(String, bool)> {
    seen.iter()
        .filter_map(|e| match e {
            Event::WorktreeCreated { branch, reattached, .. } => Some((branch.clone(), *reattached)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_of_an_attempt_that_changed_nothing_starts_from_the_current_target() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // `a` fails before changing anything.
    let (old, seen) = retried_after(&f, "fail").await;
    let created = created(&seen);
    assert_eq!(created.len(), 1, "{created:?}");
    let (branch, reattached) = &created[0];
    assert!(!reattached && branch != &old, "retried on the stale branch: {created:?}");
    assert!(f.task_branches().is_empty() && f.worktree_dirs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retry_of_an_attempt_with_work_continues_it_rebased_onto_the_current_target() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // `a` commits, then dies: its branch holds work.
    let (old, seen) = retried_after(&f, "crash-after-commit").await;
    if let Some(Event::Warning { message, .. }) = seen.iter().find(|e| matches!(e, Event::Warning { .. })) {
        panic!("unexpected warning: {message}");
    }
    assert_eq!(created(&seen), vec![(old, true)], "the earlier work was continued");
    // Rebased, so it landed as a fast-forward on top of `b`: main's history is a line, no merge commit.
    let repo = git2::Repository::open(&f.repo).unwrap();
    let mut walk = repo.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    for oid in walk {
        let c = repo.find_commit(oid.unwrap()).unwrap();
        assert!(c.parent_count() <= 1, "a merge commit on main: {:?}", c.message());
    }
    let text = f.target_file("a.txt").unwrap();
    assert_eq!(text.matches("- a: done by the scripted agent").count(), 2, "both attempts' work: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_stops_agents_and_keeps_their_branches() {
    let spec = vec![task("slow", &[], &["slow.txt"], 5)];
    let f = fixture(spec).await;
    let agent = f.agent(json!({ "tasks": { "slow": { "action": "hang" } } }));
    let (handle, ctl) = orchestrator::control();
    let (tx, mut rx) = events::channel();
    let opts =
        RunOptions { agent_command: Some(agent.clone()), kill_grace: Duration::from_millis(200), ..Default::default() };
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run_controlled(&db, &pid, opts, tx, ctl).await });
    loop {
        if let Event::AgentStarted { .. } = rx.recv().await.unwrap() {
            break;
        }
    }
    handle.cancel();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.status, RunStatus::Cancelled);
    assert_eq!(f.status_of("slow").await, TaskStatus::Backlog);
    assert!(f.marked_processes().is_empty(), "the hung agent survived the cancel");
    assert_eq!(f.task_branches().len(), 1, "the branch is kept for the next start");
    // The next run continues on that branch and finishes.
    std::fs::write(f.dir.path().join("script.json"), json!({ "default": { "sleep_ms": 10 } }).to_string()).unwrap();
    let (tx, _rx) = events::channel();
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done());
    assert!(f.task_branches().is_empty());
    assert!(f.worktree_dirs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merge_conflict_is_resolved_by_the_review_agent_or_sent_to_review() {
    for resolve in [true, false] {
        let spec = vec![task("left", &[], &["left.txt"], 5), task("right", &[], &["right.txt"], 5)];
        let f = fixture(spec).await;
        // Both write the shared file differently; their declared files differ, so they run side by side. Neither
        // acts before both have started (so both branch from the same base, however slow the machine).
        let go = f.dir.path().join("go");
        let agent = f.agent(json!({ "default": { "action": "conflict", "sleep_ms": 10, "wait_file": go } }));
        let opts = RunOptions {
            max_worktrees: Some(2),
            agent_command: Some(agent),
            resolve_conflicts: resolve,
            ..Default::default()
        };
        let (tx, mut rx) = events::channel();
        let (db, pid) = (f.db.clone(), f.project_id.clone());
        let run = tokio::spawn(async move { orchestrator::run(&db, &pid, opts, tx).await });
        let mut started = 0;
        while started < 2 {
            if let Event::AgentStarted { .. } = rx.recv().await.unwrap() {
                started += 1;
            }
        }
        std::fs::write(&go, "").unwrap();
        let report = run.await.unwrap().unwrap();
        println!("{}", report.to_text());
        assert_eq!(report.merge_attempts, 2);
        if resolve {
            assert!(report.all_done(), "{report:#?}");
            assert_eq!(report.resolved_by_agent, 1);
            let shared = f.target_file("yokeflow-demo/conflict.txt").unwrap();
            assert!(shared.contains("as left wants it") && shared.contains("as right wants it"), "{shared}");
            assert!(!shared.contains("<<<<<<<") && !shared.contains(">>>>>>>"), "{shared}");
            assert!(f.worktree_dirs().is_empty() && f.task_branches().is_empty());
        } else {
            assert_eq!(report.tasks_done, 1);
            assert_eq!(report.sent_to_review, 1);
            let reason = &report.review[0].reason;
            assert!(reason.contains("merge conflict") && reason.contains("yokeflow-demo/conflict.txt"), "{reason}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_conflict_between_working_branches_is_predicted_while_they_work() {
    let spec = vec![task("left", &[], &["left.txt"], 5), task("right", &[], &["right.txt"], 5)];
    let f = fixture(spec).await;
    // Both commit the shared file differently, then keep working until the test has seen the prediction.
    let release = f.dir.path().join("release");
    let agent = f.agent(json!({ "default": { "action": "conflict", "sleep_ms": 100, "linger_file": release } }));
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(agent),
        resolve_conflicts: false,
        ..Default::default()
    };
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run(&db, &pid, opts, tx).await });
    let mut finished = Vec::new();
    let mut predicted = Vec::new();
    loop {
        match rx.recv().await.unwrap() {
            Event::ConflictPredicted { task_id, other, files, .. } if predicted.is_empty() => {
                // Both tasks are still in progress, and the flag is on the task before the event is sent.
                assert!(finished.is_empty(), "predicted only after {finished:?} finished");
                let t = f.tasks().await.into_iter().find(|t| t.id == task_id).unwrap();
                assert_eq!(t.status, TaskStatus::InProgress);
                let flag = t.conflict_warning.expect("the task is flagged");
                let flags: Vec<yokeflow_core::model::ConflictFlag> = serde_json::from_str(&flag).unwrap();
                assert!(
                    flags.iter().any(|f| f.other == other && f.files.contains(&"yokeflow-demo/conflict.txt".into())),
                    "{flag}"
                );
                predicted.push((task_id, other, files));
                std::fs::write(&release, "").unwrap();
            }
            // Later (one landed, the other now conflicts with the target): not the same pair again.
            Event::ConflictPredicted { task_id, other, files, .. } => predicted.push((task_id, other, files)),
            Event::TaskStatusChanged { task_id, status: TaskStatus::Done | TaskStatus::Review, .. } => {
                finished.push(task_id)
            }
            Event::RunFinished { .. } => break,
            _ => {}
        }
    }
    run.await.unwrap().unwrap();
    assert!(!predicted.is_empty());
    let target = yokeflow_core::model::ConflictWith::Target;
    assert!(predicted[1..].iter().all(|(_, o, _)| *o == target), "the pair was announced once: {predicted:?}");
    let (task_id, other, files) = &predicted[0];
    let yokeflow_core::model::ConflictWith::Task { id: other } = other else { panic!("{other:?} is not a task") };
    let mut pair = [task_id.as_str(), other.as_str()];
    pair.sort();
    assert_eq!(pair, ["left", "right"]);
    assert_eq!(files, &vec!["yokeflow-demo/conflict.txt".to_string()]);
    // Cleared once the tasks left in-progress.
    assert!(f.tasks().await.iter().all(|t| t.conflict_warning.is_none()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_merge_lands_a_fixed_branch_without_the_agent() {
    use yokeflow_core::store::locations;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let agent = f.agent(json!({ "default": { "sleep_ms": 10 } }));
    // The tests pass only once the tree has `fixed.txt`: the agent's branch fails them.
    let test_command = vec!["test".to_string(), "-f".into(), "fixed.txt".into()];
    let opts = RunOptions { agent_command: Some(agent), test_command: Some(test_command), ..Default::default() };
    let (handle, ctl) = orchestrator::control();
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run_controlled(&db, &pid, opts, tx, ctl).await });
    let mut worktree = None;
    let mut agents = 0;
    loop {
        match rx.recv().await.unwrap() {
            // Paused: the run waits for us once `a` is in Review.
            Event::AgentStarted { .. } => {
                agents += 1;
                handle.pause();
            }
            Event::WorktreeCreated { path, .. } => worktree = Some(std::path::PathBuf::from(path)),
            Event::TaskStatusChanged { status: TaskStatus::Review, reason, .. } => {
                let reason = reason.unwrap_or_default();
                assert!(reason.contains("tests failed"));
                // Why is readable without opening a file: the end of its test log.
                let log = locations::test_log(&f.db, &f.project_id, "a").await.unwrap();
                assert!(reason.contains(&log.path), "{reason} names {}", log.path);
                assert_eq!(log.tail, std::fs::read_to_string(&log.path).unwrap());
                assert!(!log.truncated);
                let places = locations::places(&f.db, &f.project_id, "a").await.unwrap();
                assert_eq!(places.test_log.as_deref(), Some(log.path.as_str()));
                assert!(places.worktree.is_some() && places.agent_log.is_some(), "{places:?}");
                let out = support::cli(&f.db_path, &f.repo, &["log", "a", "--tests"]).await;
                assert_eq!(out.code, 0, "{}", out.stderr);
                assert!(out.stdout.starts_with(&format!("# {} (", log.path)), "{}", out.stdout);
                assert!(out.stdout.ends_with(&log.tail), "{}", out.stdout);
                // A person fixes the branch in its worktree and commits.
                let path = worktree.clone().unwrap();
                std::fs::write(path.join("fixed.txt"), "fixed\n").unwrap();
                yokeflow_core::sys::git::commit_all(&git2::Repository::open(&path).unwrap(), "fix the tests").unwrap();
                assert!(handle.retry_merge("a"));
            }
            Event::TaskStatusChanged { status: TaskStatus::Done, .. } => {
                handle.resume();
            }
            Event::RunFinished { .. } => break,
            _ => {}
        }
    }
    let report = run.await.unwrap().unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(agents, 1, "the agent did not run again");
    let err = locations::test_log(&f.db, &f.project_id, "a").await.unwrap_err();
    assert_eq!(err.code(), "not_found", "landed: the failure no longer says why it is where it is");
    assert_eq!(f.target_file("fixed.txt").as_deref(), Some("fixed\n"));
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"));
    assert!(f.worktree_dirs().is_empty() && f.task_branches().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn merge_now_stops_the_agent_and_lands_what_it_left() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    // The agent edits without committing, then would work for a minute more.
    let agent = f.agent(json!({ "default": { "action": "no-commit", "sleep_ms": 10, "linger_ms": 60000 } }));
    let opts = RunOptions { agent_command: Some(agent), kill_grace: Duration::from_millis(200), ..Default::default() };
    let (handle, ctl) = orchestrator::control();
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let started = std::time::Instant::now();
    let run = tokio::spawn(async move { orchestrator::run_controlled(&db, &pid, opts, tx, ctl).await });
    loop {
        match rx.recv().await.unwrap() {
            Event::AgentTranscript { entries, .. } if entries.iter().any(|e| e.text.contains("lingering")) => {
                assert!(handle.merge_now("a"))
            }
            Event::RunFinished { .. } => break,
            _ => {}
        }
    }
    let report = run.await.unwrap().unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert!(started.elapsed() < Duration::from_secs(30), "the agent was not stopped");
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"));
    assert!(f.marked_processes().is_empty(), "the agent survived");
    assert!(f.worktree_dirs().is_empty() && f.task_branches().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_test_command_given_to_run_is_saved_and_used_by_later_runs() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let agent = serde_json::to_string(&f.agent(json!({ "default": { "sleep_ms": 10 } }))).unwrap();
    // A test command that never passes: the task goes to Review, and the command is saved on the project.
    let test_cmd = r#"["test","-f","never-there.txt"]"#;
    let out = support::cli(&f.db_path, &f.repo, &["--json", "run", "--agent", &agent, "--test-cmd", test_cmd]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(f.status_of("a").await, TaskStatus::Review);
    let saved: Option<String> =
        sqlx::query_scalar("SELECT test_command FROM projects").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(saved.as_deref(), Some(test_cmd));

    // Without the flag, the next run tests with the saved command (untested, it would merge).
    orchestrator::retry_task(&f.db, &f.project_id, "a").await.unwrap();
    let out = support::cli(&f.db_path, &f.repo, &["--json", "run"]).await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let a = f.tasks().await.into_iter().find(|t| t.id == "a").unwrap();
    assert_eq!(a.status, TaskStatus::Review);
    assert!(a.review_reason.unwrap_or_default().contains("tests failed"));
    assert_eq!(f.target_file("a.txt"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_tasks_get_their_own_ports_slot_and_the_main_checkout_in_their_environment() {
    // Each agent binds a server on $YOKEFLOW_PORT and keeps it until the other one has bound its own: the same port
    // for both would fail one bind (and send that task to Review).
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)];
    let f = fixture(spec).await;
    let barrier = f.dir.path().join("bound");
    std::fs::create_dir_all(&barrier).unwrap();
    let agent = f.dir.path().join("server-agent.py");
    std::fs::write(
        &agent,
        r#"import os, pathlib, socket, sys, time
port, task = int(os.environ["YOKEFLOW_PORT"]), os.environ["YOKEFLOW_TASK_ID"]
server = socket.socket()
server.bind(("127.0.0.1", port))
server.listen()
barrier = pathlib.Path(sys.argv[1])
(barrier / task).write_text(str(port))
deadline = time.time() + 120  # a guard against a hang only
while len(list(barrier.iterdir())) < 2:
    if time.time() > deadline:
        sys.exit("the other task never bound its server")
    time.sleep(0.01)
env = {k: os.environ[k] for k in ("YOKEFLOW_PORT", "YOKEFLOW_PORTS", "YOKEFLOW_SLOT", "YOKEFLOW_ROOT", "YOKEFLOW_WORKTREE")}
pathlib.Path(task + ".txt").write_text(repr(sorted(env.items())) + "\n")
"#,
    )
    .unwrap();
    let argv = vec!["python3".to_string(), agent.display().to_string(), barrier.display().to_string()];
    let opts = RunOptions { max_worktrees: Some(2), agent_command: Some(argv), learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let base = yokeflow_core::store::project::port_base(&f.db, &f.project_id).await.unwrap();
    let mut seen = Vec::new();
    for t in ["a", "b"] {
        let text = f.target_file(&format!("{t}.txt")).unwrap();
        let slot = report.tasks.iter().find(|x| x.task_id == t).unwrap().slot;
        let port = yokeflow_core::workspace::ports::first_port(base, slot);
        assert!(text.contains(&format!("('YOKEFLOW_PORT', '{port}')")), "{t}: {text}");
        assert!(text.contains(&format!("('YOKEFLOW_SLOT', '{slot}')")), "{t}: {text}");
        assert!(text.contains(&format!("('YOKEFLOW_ROOT', '{}')", f.repo.display())), "{t}: {text}");
        assert!(text.contains("('YOKEFLOW_PORTS', '10')"), "{t}: {text}");
        seen.push(port);
    }
    assert_ne!(seen[0], seen[1], "both servers asked for one port");
    // Another project registered next has a block of its own: its slot 0 is not this project's.
    let other = f.dir.path().join("other");
    support::init_repo(&other, &[("README.md", "other\n")]);
    let second = yokeflow_core::store::project::init(&f.db, &other).await.unwrap();
    let other_base = yokeflow_core::store::project::port_base(&f.db, &second.id).await.unwrap();
    assert_eq!(other_base, base + yokeflow_core::workspace::ports::BLOCK, "{base} {other_base}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn status_says_what_the_worktrees_the_gate_and_the_logs_use_on_disk() {
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)];
    let f = fixture(spec).await;
    // `b` fails: its worktree is kept for the person (one worktree left after the run).
    let agent = f.agent(json!({ "default": { "sleep_ms": 10 }, "tasks": { "b": { "action": "fail" } } }));
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let usage = yokeflow_core::workspace::worktree::disk_usage(&f.repo).unwrap();
    assert_eq!(usage.worktrees, 1, "{usage:?}");
    assert!(usage.worktree_bytes > 0 && usage.log_bytes > 0, "{usage:?}");
    let out = support::cli(&f.db_path, &f.repo, &["status"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = out.stdout.lines().find(|l| l.starts_with("on disk: ")).unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(line.starts_with("on disk: 1 worktree(s) "), "{line}");
    assert_eq!(yokeflow_core::workspace::worktree::human_bytes(1536), "1.5 KiB");
    assert_eq!(yokeflow_core::workspace::worktree::human_bytes(3 << 30), "3.0 GiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_plan_counts_the_merge_gate_once_a_run_measured_it() {
    let spec: Vec<_> = (0..6).map(|i| task(&format!("t{i}"), &[], &[&format!("f{i}.txt")], 10)).collect();
    let f = fixture(spec.clone()).await;
    let before = yokeflow_core::plan::planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    assert_eq!((before.stats.gate_minutes, before.stats.predicted_with_gate), (0, None), "nothing measured yet");
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(f.agent(script_for(&spec))),
        test_command: Some(vec!["sh".into(), "-c".into(), "sleep 0.2".into()]),
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done() && !report.gate_tests_ms.is_empty(), "{report:#?}");
    assert!(report.tasks.iter().all(|t| t.gate_ms > 0), "{:?}", report.tasks);
    // New work: the plan now predicts it with the gate's measured test time.
    let more: Vec<_> = (0..12).map(|i| task(&format!("n{i}"), &[], &[&format!("n{i}.txt")], 10)).collect();
    let file = f.dir.path().join("tasks.json");
    let all: Vec<_> = spec.iter().chain(more.iter()).cloned().collect();
    std::fs::write(&file, serde_json::json!({ "project": "t", "tasks": all }).to_string()).unwrap();
    yokeflow_core::tasks::import::import_file(&f.db, &f.project_id, &file).await.unwrap();
    let after = yokeflow_core::plan::planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    assert!(after.stats.gate_minutes >= 1, "{:?}", after.stats);
    let gated = after.stats.predicted_with_gate.expect("predicted with the gate");
    assert!(gated > after.stats.predicted_makespan, "{:?}", after.stats);
}

/// Review actions with no run going (the window's Retry, Retry merge and a drop on Done, the CLI alike): each starts
/// a run of its own for the task, which lands through the gate like any work.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn review_actions_start_a_run_of_their_own_when_no_run_goes() {
    use yokeflow_core::run::overrides::{RunAction, StatusMove};
    use yokeflow_core::run::runs::{ActionRoute, Runs};
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)];
    let f = fixture(spec.clone()).await;
    // `b`'s agent fails (Review, nothing to land); `a` waits in Review for the person's a.txt in the checkout.
    let mut script = script_for(&spec);
    script["tasks"]["b"] = json!({ "action": "fail" });
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&f.agent(script))).await.unwrap();
    std::fs::write(f.repo.join("a.txt"), "the user's own a.txt\n").unwrap();
    let runs = Runs::new(f.db.clone());
    let started = runs.start(&f.project_id, Default::default()).await.unwrap();
    started.result.await.unwrap().unwrap();
    assert_eq!((f.status_of("a").await, f.status_of("b").await), (TaskStatus::Review, TaskStatus::Review));
    let sessions = |id: &'static str| {
        let db = f.db.clone();
        let project = f.project_id.clone();
        async move { yokeflow_core::agents::sessions::task_log(&db, &project, id).await.unwrap().sessions.len() }
    };
    assert_eq!(sessions("b").await, 1);

    // Retry with no run going: `b`'s agent works on it again, in a run of its own (it fails again: back in Review).
    let ActionRoute::Started { run } = runs.retry_task(&f.project_id, "b").await.unwrap() else {
        panic!("no run of its own started")
    };
    assert_eq!(run.project_id, f.project_id);
    runs.wait_idle().await;
    assert_eq!(f.status_of("b").await, TaskStatus::Review);
    assert_eq!(sessions("b").await, 2, "the agent ran again");
    assert_eq!(f.status_of("a").await, TaskStatus::Review, "only the retried task ran");

    // The person frees a.txt; dropping `a` on Done lands its kept branch through the gate, without its agent.
    std::fs::remove_file(f.repo.join("a.txt")).unwrap();
    // While it is dragged, the board lights up only the columns that would take it: Done lands it, In Progress
    // refuses it (checked as a drop is, storing nothing).
    let targets = runs.drop_targets(&f.project_id, "a").await.unwrap();
    let refused: Vec<_> = targets.iter().map(|t| (t.status, t.refusal.is_some())).collect();
    assert_eq!(refused, [(TaskStatus::Backlog, false), (TaskStatus::InProgress, true), (TaskStatus::Done, false)]);
    assert_eq!(f.status_of("a").await, TaskStatus::Review);
    let (moved, _) = runs.set_task_status(&f.project_id, "a", TaskStatus::Done).await.unwrap();
    assert!(matches!(moved, StatusMove::Started { action: RunAction::RetryMerge, .. }), "{moved:?}");
    runs.wait_idle().await;
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    assert!(f.target_file("a.txt").is_some_and(|t| t.contains("done by the scripted agent")));
    assert_eq!(sessions("a").await, 1, "landed without its agent");

    // A task no longer in Review is refused with the reason, starting nothing.
    let err = runs.retry_merge(&f.project_id, "a").await.unwrap_err();
    assert!(err.to_string().contains("only a task in Review"), "{err}");
    let err = runs.retry_task(&f.project_id, "a").await.unwrap_err();
    assert!(err.to_string().contains("not in Review"), "{err}");
    assert!(runs.snapshot(&f.project_id).is_none());
}

/// Two tasks, `b` after `a`, the scripted agent saved as the project's, and the runs service.
async fn chain_with_its_agent() -> (support::Fixture, yokeflow_core::run::runs::Runs) {
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &["a"], &["b.txt"], 5)];
    let f = fixture(spec.clone()).await;
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&f.agent(script_for(&spec))))
        .await
        .unwrap();
    let runs = yokeflow_core::run::runs::Runs::new(f.db.clone());
    (f, runs)
}

/// The runs service folds each run into one versioned snapshot, the whole live view a window shows (lanes, the
/// gate's landings, each task's time, the report), sends every change, and keeps a run that ended until the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_runs_service_sends_each_run_s_whole_view_and_keeps_it_once_ended() {
    use yokeflow_core::run::runs::snapshot::LaneMerge;
    use yokeflow_core::run::runs::RunPhase;
    let (f, runs) = chain_with_its_agent().await;
    assert!(runs.view(&f.project_id).is_none(), "no run yet");
    let mut views = runs.subscribe_views();
    let started = runs.start(&f.project_id, Default::default()).await.unwrap();
    started.result.await.unwrap().unwrap();

    let mut seen = Vec::new();
    while let Ok(view) = views.try_recv() {
        seen.push(view);
    }
    assert!(seen.len() > 4, "a view per change: {}", seen.len());
    assert!(seen.windows(2).all(|w| w[0].version < w[1].version), "versions grow");
    assert_eq!(seen[0].phase, RunPhase::Starting);
    assert!(seen.iter().any(|v| v.phase == RunPhase::Running && v.running().count() == 1));
    let last = seen.last().unwrap();
    assert_eq!(last.phase, RunPhase::Finished);
    assert_eq!(runs.view(&f.project_id).as_ref(), Some(last), "what was sent last is what a window reads");
    assert!(runs.snapshot(&f.project_id).is_none(), "an ended run is no longer live");
    let report = last.report.as_ref().expect("the report");
    assert_eq!(report.tasks_done, 2);
    let timed: Vec<_> = last.timings.iter().map(|t| (t.task_id.as_str(), t.end_ms.is_some())).collect();
    assert_eq!(timed, [("a", true), ("b", true)]);
    assert!(last.timings[0].end_ms <= Some(last.timings[1].start_ms), "b waited for a");
    let landed: Vec<_> = last.gate.recent.iter().map(|l| l.task_id.as_str()).collect();
    assert_eq!(landed, ["b", "a"], "newest first");
    let lane = &last.lanes[0];
    assert_eq!((lane.task_id.as_deref(), lane.busy, lane.merge), (Some("b"), false, LaneMerge::Clean));
    assert!(last.gate.waiting.is_empty() && last.slots.iter().all(Option::is_none));

    // The next run replaces the ended one.
    let again = runs.start(&f.project_id, Default::default()).await.unwrap();
    let now = runs.view(&f.project_id).expect("the new run");
    assert_eq!(now.run_id, again.run_id);
    assert!(now.version > last.version && now.report.is_none());
    again.result.await.unwrap().unwrap();
}

/// Feedback on landed work (a Done task that others built on) runs as a follow-up from the current target, in a run of
/// its own, and lands through the gate; the tasks built on it stay Done. While a run of the project goes, it is refused
/// up front, storing nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feedback_on_landed_work_runs_as_a_follow_up_on_the_target() {
    use yokeflow_core::run::runs::FeedbackRoute;
    let (f, runs) = chain_with_its_agent().await;
    runs.start(&f.project_id, Default::default()).await.unwrap().result.await.unwrap().unwrap();
    assert_eq!((f.status_of("a").await, f.status_of("b").await), (TaskStatus::Done, TaskStatus::Done));
    let before = f.target_file("a.txt").unwrap();
    assert_eq!(before.matches("- a: done").count(), 1);
    // A move by hand would be refused: `b` is built on `a`.
    let refused = runs.set_task_status(&f.project_id, "a", TaskStatus::Backlog).await.unwrap_err();
    assert_eq!(refused.code(), "move_refused");
    // The board says so while the card is dragged, with the same reason; its agents' time is kept with it.
    let targets = runs.drop_targets(&f.project_id, "a").await.unwrap();
    let backlog = targets.iter().find(|t| t.status == TaskStatus::Backlog).unwrap();
    let reason = backlog.refusal.as_deref().expect("Backlog refuses it");
    assert!(refused.to_string().contains(reason), "{refused} / {reason}");
    let a = yokeflow_core::store::tasks::get(&f.db, &f.project_id, "a").await.unwrap();
    assert!(a.agent_ms.is_some(), "{a:?}");

    let (_, route, started) = runs.feedback(&f.project_id, "a", "also say it twice", Default::default()).await.unwrap();
    let FeedbackRoute::Started { run_id } = route else { panic!("{route:?}") };
    let started = started.expect("a run of its own");
    assert_eq!(started.run_id, run_id);
    // While that run goes, feedback on landed work is refused, and nothing is stored.
    let Err(busy) = runs.feedback(&f.project_id, "b", "and b too", Default::default()).await else {
        panic!("feedback on landed work was taken during a run")
    };
    assert!(busy.to_string().contains("once it has finished"), "{busy}");
    started.result.await.unwrap().unwrap();
    assert!(yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "b").await.unwrap().is_empty());

    assert_eq!((f.status_of("a").await, f.status_of("b").await), (TaskStatus::Done, TaskStatus::Done));
    let after = f.target_file("a.txt").unwrap();
    assert!(after.starts_with(&before), "the follow-up started from the landed work: {after}");
    assert_eq!(after.matches("- a: done").count(), 2, "{after}");
    assert!(f.target_file("b.txt").is_some(), "what was built on it is still there");
    let log = yokeflow_core::agents::sessions::task_log(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(log.sessions.len(), 2);
    assert_eq!(log.sessions[1].remark.as_deref(), Some("also say it twice"));
    assert!(yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap().is_empty());
}
