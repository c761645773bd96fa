//! Crash safety: the real runner binary (`yokeflow-run`, the headless `yokeflow run`) is SIGKILLed at 20+
//! seeded random moments and restarted each time. Every restart recovers (orphan agents killed, tasks in
//! progress back to the backlog with their branches, worktrees reconciled); in the end every task is merged,
//! nothing is lost, and no worktree, task branch or agent process is left over.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use support::rng::Rng;
use support::{fixture, task};
use yokeflow_core::agent;
use yokeflow_core::model::TaskStatus;

const RUNNER: &str = env!("CARGO_BIN_EXE_yokeflow-run");
const SEED: u64 = 0x5EED_C0FF_EE15_2026;
const KILLS: u32 = 22;

fn spawn_runner(f: &support::Fixture, log: &std::fs::File) -> Child {
    Command::new(RUNNER)
        .args(["--db", f.db_path.to_str().unwrap(), "--repo", f.repo.to_str().unwrap(), "--max-worktrees", "4"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log.try_clone().unwrap())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_runner_at_random_moments_loses_nothing() {
    let spec = vec![
        task("a1", &[], &["a/1.txt"], 40),
        task("a2", &["a1"], &["a/2.txt"], 30),
        task("a3", &["a2"], &["a/3.txt"], 30),
        task("a4", &["a3"], &["a/4.txt"], 20),
        task("b1", &[], &["b/1.txt"], 30),
        task("b2", &["b1"], &["b/2.txt"], 40),
        task("b3", &["b2"], &["b/3.txt"], 30),
        task("c1", &[], &["c/1.txt"], 20),
        task("c2", &["c1", "b1"], &["c/2.txt"], 30),
        task("c3", &["c2"], &["c/3.txt"], 40),
        task("d1", &[], &["d/1.txt"], 30),
        task("d2", &["d1", "a2"], &["d/2.txt"], 30),
        task("e1", &[], &["e/1.txt"], 20),
        task("e2", &["e1"], &["e/2.txt"], 30),
        task("e3", &["e2", "d2"], &["e/3.txt"], 20),
        task("f1", &[], &["f/1.txt"], 40),
        task("f2", &["f1"], &["f/2.txt"], 20),
        task("g1", &[], &["g/1.txt"], 30),
        task("g2", &["g1", "c1"], &["g/2.txt"], 30),
        task("g3", &["g2"], &["g/3.txt"], 20),
        task("h1", &[], &["h/1.txt"], 20),
        task("h2", &["h1"], &["h/2.txt"], 30),
        task("h3", &["h2", "e1"], &["h/3.txt"], 40),
        task("h4", &["h3"], &["h/4.txt"], 20),
    ];
    let f = fixture(spec.clone()).await;
    let mut per = serde_json::Map::new();
    for t in &spec {
        per.insert(t["id"].as_str().unwrap().into(), json!({ "sleep_ms": t["effort"].as_u64().unwrap() * 12 }));
    }
    let argv = f.agent(json!({ "tasks": per }));
    agent::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let log_path = f.dir.path().join("runner.log");
    let log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path).unwrap();

    let t0 = Instant::now();
    let mut rng = Rng(SEED);
    let mut kills = 0;
    let mut finished_early = 0;
    let mut round = 0;
    while kills < KILLS && round < 2 * KILLS {
        round += 1;
        // Mostly short lives (agents are killed mid-work), sometimes long ones (merges are under way when
        // killed); only short ones once few tasks are left, so there is still work to interrupt.
        let remaining = f.tasks().await.iter().filter(|t| t.status != TaskStatus::Done).count() as u32;
        let r = rng.next();
        let ms = match (remaining > KILLS - kills, r % 10) {
            (true, 0..=6) => 60 + (r >> 8) % 500,
            (true, _) => 600 + (r >> 8) % 600,
            (false, _) => 40 + (r >> 8) % 300,
        };
        let delay = Duration::from_millis(ms);
        let mut child = spawn_runner(&f, &log);
        std::thread::sleep(delay);
        match child.try_wait().unwrap() {
            Some(status) => {
                // The run ended before the kill: it finished everything, so there is nothing left to interrupt.
                finished_early += 1;
                assert!(status.code().is_some(), "round {round}: {status:?}");
                if status.success() {
                    break;
                }
            }
            None => {
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                kills += 1;
            }
        }
    }
    let killed_in = t0.elapsed();
    let done_before_final = f.tasks().await.iter().filter(|t| t.status == TaskStatus::Done).count();

    // The last run goes to the end.
    let mut child = spawn_runner(&f, &log);
    let deadline = Instant::now() + Duration::from_secs(90);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the final run did not finish");
        std::thread::sleep(Duration::from_millis(20));
    };
    let runner_log = std::fs::read_to_string(&log_path).unwrap();
    println!(
        "{kills} kills ({finished_early} runs ended before their kill) in {:.1} s; final run {:.1} s",
        killed_in.as_secs_f64(),
        (t0.elapsed() - killed_in).as_secs_f64()
    );
    assert!(status.success(), "final run failed: {status:?}\n{runner_log}");
    assert!(kills >= 20, "only {kills} kills landed mid-run");

    for t in f.tasks().await {
        assert_eq!(t.status, TaskStatus::Done, "{} lost\n{runner_log}", t.id);
        let file = &t.files[0];
        let text = f.target_file(file).unwrap_or_else(|| panic!("{file} not on main\n{runner_log}"));
        assert!(text.contains(&format!("- {}: done by the scripted agent", t.id)), "{file}: {text}");
    }
    if !f.worktree_dirs().is_empty() {
        // What is in them says who left them (a half-removed worktree, or files written after its removal).
        let mut found = Vec::new();
        let mut stack = vec![f.repo.join(".yokeflow/worktrees")];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let meta = std::fs::symlink_metadata(e.path()).unwrap();
                found.push(format!("{} ({} bytes)", e.path().display(), meta.len()));
                if meta.is_dir() {
                    stack.push(e.path());
                }
            }
        }
        let admins: Vec<String> = std::fs::read_dir(f.repo.join(".git/worktrees"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let metas: Vec<String> = std::fs::read_dir(f.repo.join(".yokeflow/worktree-meta"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        let rows: Vec<(String, String, String)> =
            sqlx::query_as("SELECT task_id, branch_name, status FROM worktrees ORDER BY created_at")
                .fetch_all(f.db.pool())
                .await
                .unwrap();
        panic!(
            "worktrees left: {:?}\n{}\nadmins {admins:?}\nmetas {metas:?}\nbranches {:?}\nrows {rows:?}\n{runner_log}",
            f.worktree_dirs(),
            found.join("\n"),
            f.task_branches()
        );
    }
    assert!(f.task_branches().is_empty(), "branches left: {:?}\n{runner_log}", f.task_branches());
    assert!(f.marked_processes().is_empty(), "orphan agents: {:?}", f.marked_processes());
    let running: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE outcome = 'running'")
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    assert_eq!(running, 0);
    let live: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status IN ('running', 'paused')")
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    assert_eq!(live, 0);
    let interrupted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = 'interrupted'")
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    // Some kills land before the new process has written its run row (while it starts or recovers).
    let sessions_interrupted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE outcome = 'interrupted'")
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    println!(
        "{interrupted} runs were interrupted after they had started, {sessions_interrupted} agent sessions \
         interrupted, {done_before_final}/{} tasks done before the final run",
        spec.len()
    );
    assert!(sessions_interrupted > 0, "no kill landed while an agent was running");
    assert!(interrupted >= i64::from(kills) / 2, "{interrupted} runs recorded as interrupted");
}

/// A killed runner's state, written by hand: a run marked running (its process gone), task `a` in progress.
async fn leave_a_dead_run(f: &support::Fixture) -> String {
    let mut gone = Command::new("true").spawn().unwrap();
    let dead_pid = gone.id();
    gone.wait().unwrap();
    let run_id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO runs (id, project_id, mode, status, started_at, pid) VALUES (?, ?, 'parallel', 'running', 0, ?)",
    )
    .bind(&run_id)
    .bind(&f.project_id)
    .bind(i64::from(dead_pid))
    .execute(f.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE tasks SET status = 'in_progress' WHERE id = 'a'").execute(f.db.pool()).await.unwrap();
    run_id
}

#[tokio::test]
async fn recovery_kills_an_orphan_agent_whose_pid_was_never_recorded() {
    use std::os::unix::process::CommandExt;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let run_id = leave_a_dead_run(&f).await;
    // Killed between spawning the agent and recording its pid.
    let session = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "INSERT INTO sessions (id, project_id, task_id, run_id, started_at, outcome) VALUES (?, ?, 'a', ?, 0, 'running')",
    )
    .bind(&session)
    .bind(&f.project_id)
    .bind(&run_id)
    .execute(f.db.pool())
    .await
    .unwrap();
    let mut orphan = Command::new(support::SCRIPTED_AGENT)
        .args(["--task-id", "a", "--action", "hang", "--sleep-ms", "0", "--marker", &f.marker])
        .current_dir(f.dir.path())
        .env(agent::SESSION_ENV, &session)
        .process_group(0)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(f.marked_processes().len(), 1);

    let report = yokeflow_core::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert_eq!(report.runs_interrupted, 1);
    assert_eq!(report.sessions_interrupted, 1);
    assert!(report.processes_killed >= 1, "{report:?}");
    assert_eq!(report.tasks_reset, ["a"]);
    assert!(orphan.wait().unwrap().code().is_none(), "the orphan was killed by a signal");
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog);
    let outcome: String = sqlx::query_scalar("SELECT outcome FROM sessions").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(outcome, "interrupted");
    let status: String = sqlx::query_scalar("SELECT status FROM runs").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(status, "interrupted");
}

/// A killed runner after its gate landed task `a`: the run is dead, `a` in progress, its worktree row `merging`.
async fn landed_while_merging() -> support::Fixture {
    use yokeflow_core::merge::{GateConfig, LandOutcome, MergeGate};
    use yokeflow_core::worktree::Worktrees;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    leave_a_dead_run(&f).await;
    let wts = Worktrees::open(&f.repo).unwrap();
    let base = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    let info = wts.create("a", base).unwrap();
    std::fs::write(info.path.join("a.txt"), "- a: work\n").unwrap();
    wts.commit_all(&info, "a").unwrap();
    sqlx::query(
        "INSERT INTO worktrees (id, project_id, branch_name, path, task_id, status, base_commit, created_at) \
         VALUES ('w1', ?, ?, ?, 'a', 'merging', ?, 0)",
    )
    .bind(&f.project_id)
    .bind(&info.branch)
    .bind(info.path.display().to_string())
    .bind(&info.base_commit)
    .execute(f.db.pool())
    .await
    .unwrap();
    let gate = MergeGate::open(&f.repo, GateConfig::new("main")).unwrap();
    assert!(matches!(gate.land(&info.branch, "a").await.unwrap(), LandOutcome::Merged { .. }));
    f
}

#[tokio::test]
async fn a_crash_between_the_merge_and_its_record_counts_the_task_done() {
    let f = landed_while_merging().await;
    // ... and the process died here, before writing `done`.

    let report = yokeflow_core::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert_eq!(report.tasks_found_merged, ["a"]);
    assert!(report.tasks_reset.is_empty());
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    assert!(f.worktree_dirs().is_empty(), "{:?}", f.worktree_dirs());
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
}

#[tokio::test]
async fn a_crash_after_recording_done_but_before_removing_the_worktree_leaves_nothing_behind() {
    let f = landed_while_merging().await;
    sqlx::query("UPDATE tasks SET status = 'done' WHERE id = 'a'").execute(f.db.pool()).await.unwrap();
    // ... and the process died here: the task is Done, its worktree row still says `merging`.

    yokeflow_core::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    assert!(f.worktree_dirs().is_empty(), "{:?}", f.worktree_dirs());
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
    let status: String =
        sqlx::query_scalar("SELECT status FROM worktrees WHERE id = 'w1'").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(status, "merged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_work_on_disk_is_adopted_and_continued() {
    use yokeflow_core::worktree::Worktrees;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // A worktree with a commit that no row knows (the process died before recording it).
    let wts = Worktrees::open(&f.repo).unwrap();
    let base = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    let info = wts.create("a", base).unwrap();
    std::fs::write(info.path.join("partial.txt"), "partial work from before the crash\n").unwrap();
    wts.commit_all(&info, "partial").unwrap();
    // And an empty one: nothing to keep.
    let empty = wts.create("b", base).unwrap();

    let (tx, mut rx) = yokeflow_core::events::channel();
    let opts = yokeflow_core::orchestrator::RunOptions {
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 10 } }))),
        ..Default::default()
    };
    let report = yokeflow_core::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let mut reattached = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let yokeflow_core::events::Event::WorktreeCreated { task_id, branch, reattached: true, .. } = ev {
            reattached.push((task_id, branch));
        }
    }
    assert_eq!(reattached, [("a".to_string(), info.branch.clone())], "a continued on its branch");
    assert!(!empty.path.exists());
    assert_eq!(f.target_file("partial.txt").as_deref(), Some("partial work from before the crash\n"));
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"));
    assert!(f.worktree_dirs().is_empty() && f.task_branches().is_empty());
}

#[tokio::test]
async fn a_live_run_of_the_same_project_is_refused() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let mut other = Command::new("sleep").arg("5").spawn().unwrap();
    sqlx::query(
        "INSERT INTO runs (id, project_id, mode, status, started_at, pid) VALUES ('r', ?, 'parallel', 'running', 0, ?)",
    )
    .bind(&f.project_id)
    .bind(i64::from(other.id()))
    .execute(f.db.pool())
    .await
    .unwrap();
    let err = yokeflow_core::orchestrator::recover(&f.db, &f.project_id).await.unwrap_err();
    assert_eq!(err.code(), "run_in_progress", "{err}");
    other.kill().unwrap();
    other.wait().unwrap();
    assert!(yokeflow_core::orchestrator::recover(&f.db, &f.project_id).await.is_ok());
}
