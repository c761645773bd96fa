//! Crash safety: the real runner binary (`yokeflow-run`, the headless `yokeflow run`) is SIGKILLed 22 times, at
//! each stage of a run in turn (a batch of branches landing together among them), and restarted each time. A kill is aimed at a stage and fired when the runner is
//! seen to reach it (its progress lines, or the test command's signal file), never after a guessed delay, so the
//! number of kills and their stages do not depend on the machine's speed. When the work runs out before the kills
//! do, a new generation of tasks is imported. Every restart recovers (orphan agents killed, tasks in progress back
//! to the backlog with their branches, worktrees reconciled); in the end every task is merged, nothing is lost,
//! and no worktree, task branch or agent process is left over.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::rng::Rng;
use support::{fixture, task};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::{run::agent, tasks::import};

const RUNNER: &str = env!("CARGO_BIN_EXE_yokeflow-run");
const SEED: u64 = 0x5EED_C0FF_EE15_2026;
const KILLS: usize = 22;
/// Only a guard: how long a runner may take to reach the stage a kill waits for before the test gives up (and says
/// which stage it was waiting for). Nothing is timed against it.
const STAGE_GUARD: Duration = Duration::from_secs(180);

/// Where in a run a kill lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// While the process starts, recovers or plans (no progress seen yet).
    Starting,
    /// An agent was seen running.
    AgentWorking,
    /// A merge began (the gate merges in memory before its tests).
    Merging,
    /// The gate's test command of this runner was seen running.
    Testing,
    /// The gate took several waiting branches to land together (in memory, then their one test run).
    TestingBatch,
    /// Right after a task was recorded Done (before its worktree is removed).
    AfterRecord,
}

const STAGES: [Stage; 6] =
    [Stage::Starting, Stage::AgentWorking, Stage::Merging, Stage::Testing, Stage::TestingBatch, Stage::AfterRecord];

impl Stage {
    /// Whether this progress line from the runner means the stage was reached.
    fn seen_in(self, line: &str) -> bool {
        match self {
            Stage::AgentWorking => line.contains(": agent running"),
            Stage::Merging => line.contains(": merging "),
            Stage::AfterRecord => line.ends_with(": done"),
            Stage::TestingBatch => line.starts_with("gate: testing together "),
            Stage::Starting | Stage::Testing => false,
        }
    }

    /// How long after reaching the stage the kill fires (0..this, seeded), so kills spread within the stage. The
    /// kill lands in the stage whatever the machine: agents sleep 240+ ms, tests 200 ms.
    fn spread_ms(self) -> u64 {
        match self {
            Stage::Starting => 40,
            Stage::AgentWorking | Stage::Testing | Stage::TestingBatch => 100,
            Stage::Merging => 5,
            Stage::AfterRecord => 1,
        }
    }
}

/// The crash test's tasks for generation `g` (0 is the original set; later ones re-arm the work).
fn generation(g: u32) -> Vec<Value> {
    let base: [(&str, &[&str], &str, u32); 24] = [
        ("a1", &[], "a/1", 40),
        ("a2", &["a1"], "a/2", 30),
        ("a3", &["a2"], "a/3", 30),
        ("a4", &["a3"], "a/4", 20),
        ("b1", &[], "b/1", 30),
        ("b2", &["b1"], "b/2", 40),
        ("b3", &["b2"], "b/3", 30),
        ("c1", &[], "c/1", 20),
        ("c2", &["c1", "b1"], "c/2", 30),
        ("c3", &["c2"], "c/3", 40),
        ("d1", &[], "d/1", 30),
        ("d2", &["d1", "a2"], "d/2", 30),
        ("e1", &[], "e/1", 20),
        ("e2", &["e1"], "e/2", 30),
        ("e3", &["e2", "d2"], "e/3", 20),
        ("f1", &[], "f/1", 40),
        ("f2", &["f1"], "f/2", 20),
        ("g1", &[], "g/1", 30),
        ("g2", &["g1", "c1"], "g/2", 30),
        ("g3", &["g2"], "g/3", 20),
        ("h1", &[], "h/1", 20),
        ("h2", &["h1"], "h/2", 30),
        ("h3", &["h2", "e1"], "h/3", 40),
        ("h4", &["h3"], "h/4", 20),
    ];
    let name = |id: &str| if g == 0 { id.to_string() } else { format!("{id}-g{g}") };
    base.iter()
        .map(|(id, deps, file, effort)| {
            let deps: Vec<String> = deps.iter().map(|d| name(d)).collect();
            let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
            task(&name(id), &deps, &[&format!("{}.txt", name(file))], *effort)
        })
        .collect()
}

/// Writes the scripted agent's script for `spec` (each task sleeps 12 ms per minute of effort) and imports it.
async fn arm(f: &support::Fixture, spec: &[Value]) {
    let mut per = serde_json::Map::new();
    for t in spec {
        per.insert(t["id"].as_str().unwrap().into(), json!({ "sleep_ms": t["effort"].as_u64().unwrap() * 12 }));
    }
    let argv = f.agent(json!({ "tasks": per }));
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json!({ "project": "t", "tasks": spec })).unwrap()).unwrap();
    import::import_file(&f.db, &f.project_id, &file).await.unwrap();
}

/// A runner process whose progress lines arrive on a channel (and are appended to the shared log).
struct Runner {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Runner {
    fn spawn(f: &support::Fixture, log: &Path) -> Runner {
        Runner::spawn_with(f, log, &[])
    }

    /// [`Runner::spawn`] with extra environment variables.
    fn spawn_with(f: &support::Fixture, log: &Path, env: &[(&str, &Path)]) -> Runner {
        let mut child = Command::new(RUNNER)
            .args(["--db", f.db_path.to_str().unwrap(), "--repo", f.repo.to_str().unwrap(), "--max-worktrees", "4"])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(open_log(log))
            // Its own process group: `kill_group` reaches the git commands it runs too.
            .process_group(0)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let mut log = open_log(log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(log, "{line}");
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Runner { child, lines }
    }

    /// Waits until the runner reaches `stage` (`Ok`) or exits first (`Err` with its status).
    fn reach(&mut self, stage: Stage, signal: &Path, round: usize) -> Result<(), std::process::ExitStatus> {
        if stage == Stage::Starting {
            return Ok(());
        }
        // Only this runner's tests count: a runner killed just before may have left its tests starting up.
        let ours = format!("parent {})", self.child.id());
        let tests_seen = || std::fs::read_to_string(signal).map(|t| t.contains(&ours)).unwrap_or(false);
        let deadline = Instant::now() + STAGE_GUARD;
        loop {
            match self.lines.recv_timeout(Duration::from_millis(5)) {
                Ok(line) if stage.seen_in(&line) => return Ok(()),
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    // Output closed: the process is exiting.
                    return Err(self.child.wait().unwrap());
                }
            }
            if stage == Stage::Testing && tests_seen() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(status);
            }
            assert!(Instant::now() < deadline, "round {round}: the runner did not reach {stage:?} in {STAGE_GUARD:?}");
        }
    }

    /// SIGKILL to the runner and every process of its group (a git command it waits for).
    fn kill_group(&mut self) {
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        self.child.wait().unwrap();
    }

    /// SIGKILL; false when it had already exited.
    fn kill(&mut self) -> bool {
        let alive = self.child.try_wait().unwrap().is_none();
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        alive
    }
}

fn open_log(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_runner_at_every_stage_loses_nothing() {
    let mut spec = generation(0);
    let f = fixture(spec.clone()).await;
    arm(&f, &spec).await;
    let signal: PathBuf = f.dir.path().join("tests-began.log");
    let tests = vec![
        support::SCRIPTED_AGENT.to_string(),
        "--action".into(),
        "pass-tests".into(),
        "--signal".into(),
        signal.display().to_string(),
        "--sleep-ms".into(),
        "200".into(),
    ];
    yokeflow_core::tasks::settings::set_test_command(&f.db, &f.project_id, Some(&tests)).await.unwrap();
    let log_path = f.dir.path().join("runner.log");

    // Each stage gets its share of the kills, in a seeded order.
    let mut rng = Rng(SEED);
    let mut plan: Vec<Stage> = (0..KILLS).map(|i| STAGES[i % STAGES.len()]).collect();
    for i in (1..plan.len()).rev() {
        plan.swap(i, rng.index(i + 1));
    }

    let t0 = Instant::now();
    let mut kills: Vec<(Stage, usize)> = STAGES.iter().map(|s| (*s, 0)).collect();
    let (mut generations, mut ended_early, mut round) = (1u32, 0, 0);
    let mut next = 0;
    while next < plan.len() {
        round += 1;
        assert!(round <= 4 * KILLS, "{round} rounds for {next} kills: runs keep ending before their stage");
        let stage = plan[next];
        let mut runner = Runner::spawn(&f, &log_path);
        match runner.reach(stage, &signal, round) {
            Ok(()) => {
                std::thread::sleep(Duration::from_millis(rng.below(stage.spread_ms())));
                if runner.kill() {
                    kills.iter_mut().find(|(s, _)| *s == stage).unwrap().1 += 1;
                    next += 1;
                } else {
                    ended_early += 1;
                }
            }
            Err(status) => {
                ended_early += 1;
                let log = std::fs::read_to_string(&log_path).unwrap();
                assert!(
                    status.success(),
                    "round {round}: the runner failed while waiting for {stage:?}: {status:?}\n{log}"
                );
            }
        }
        // A run that ended finished everything: re-arm with a new generation so there is work to interrupt.
        if f.tasks().await.iter().all(|t| t.status == TaskStatus::Done) {
            spec.extend(generation(generations));
            generations += 1;
            arm(&f, &spec).await;
        }
    }
    let killed_in = t0.elapsed();
    let done_before_final = f.tasks().await.iter().filter(|t| t.status == TaskStatus::Done).count();

    // The last run goes to the end.
    let mut last = Runner::spawn(&f, &log_path);
    let deadline = Instant::now() + STAGE_GUARD;
    let status = loop {
        while last.lines.try_recv().is_ok() {}
        if let Some(s) = last.child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the final run did not finish in {STAGE_GUARD:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let runner_log = std::fs::read_to_string(&log_path).unwrap();
    let by_stage: Vec<String> = kills.iter().map(|(s, n)| format!("{s:?} {n}")).collect();
    println!(
        "{KILLS} kills in {round} rounds ({ended_early} runs ended before their kill, {generations} generation(s) of \
         tasks) in {:.1} s; final run {:.1} s; kills by stage: {}",
        killed_in.as_secs_f64(),
        (t0.elapsed() - killed_in).as_secs_f64(),
        by_stage.join(", ")
    );
    assert!(status.success(), "final run failed: {status:?}\n{runner_log}");
    for (stage, n) in &kills {
        assert!(*n >= KILLS / STAGES.len(), "only {n} kills at {stage:?}");
    }

    for t in f.tasks().await {
        assert_eq!(t.status, TaskStatus::Done, "{} lost\n{runner_log}", t.id);
        let file = &t.files[0];
        let text = f.target_file(file).unwrap_or_else(|| panic!("{file} not on main\n{runner_log}"));
        assert!(text.contains(&format!("- {}: done by the scripted agent", t.id)), "{file}: {text}");
    }
    if !f.worktree_dirs().is_empty() {
        // What is in them says who left them (a half-removed worktree, or files written after its removal).
        let mut found = Vec::new();
        let mut stack = vec![yokeflow_core::workspace::worktree::work_home(&f.repo).join("worktrees")];
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
    // Every kill after the run was seen started (all stages but Starting) found its run's row, which is closed now
    // (none is left open, above): by recovery as interrupted or, when the kill landed just after the run closed it
    // itself (a loaded machine can deliver it that late), by the run. The final run has a row of its own.
    let after_start = kills.iter().filter(|(s, _)| *s != Stage::Starting).map(|(_, n)| *n as i64).sum::<i64>();
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs").fetch_one(f.db.pool()).await.unwrap();
    assert!(rows > after_start, "{rows} run rows for {after_start} kills after start and the final run");
    assert!(interrupted > 0, "no run was recorded as interrupted");
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

    let report = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
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
    use yokeflow_core::gate::merge::{GateConfig, LandOutcome, MergeGate};
    use yokeflow_core::workspace::worktree::Worktrees;
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

    let report = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
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

    yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    assert!(f.worktree_dirs().is_empty(), "{:?}", f.worktree_dirs());
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
    let status: String =
        sqlx::query_scalar("SELECT status FROM worktrees WHERE id = 'w1'").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(status, "merged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_work_on_disk_is_adopted_and_continued() {
    use yokeflow_core::workspace::worktree::Worktrees;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // A worktree with a commit that no row knows (the process died before recording it).
    let wts = Worktrees::open(&f.repo).unwrap();
    let base = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    let info = wts.create("a", base).unwrap();
    std::fs::write(info.path.join("partial.txt"), "partial work from before the crash\n").unwrap();
    wts.commit_all(&info, "partial").unwrap();
    // And an empty one: nothing to keep.
    let empty = wts.create("b", base).unwrap();

    let (tx, mut rx) = yokeflow_core::run::events::channel();
    let opts = yokeflow_core::run::orchestrator::RunOptions {
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 10 } }))),
        ..Default::default()
    };
    let report = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let mut reattached = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        if let yokeflow_core::run::events::Event::WorktreeCreated { task_id, branch, reattached: true, .. } = ev {
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
async fn a_run_holding_the_claim_is_refused_and_a_reused_pid_is_not_a_run() {
    use yokeflow_core::store::claim::RunClaim;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    // A dead run's row whose PID now belongs to an unrelated live process (the PID was reused).
    let mut other = Command::new("sleep").arg("30").spawn().unwrap();
    sqlx::query(
        "INSERT INTO runs (id, project_id, mode, status, started_at, pid) VALUES ('r', ?, 'parallel', 'running', 0, ?)",
    )
    .bind(&f.project_id)
    .bind(i64::from(other.id()))
    .execute(f.db.pool())
    .await
    .unwrap();
    assert_eq!(yokeflow_core::store::claim::live_run(&f.db, &f.project_id).await.unwrap(), None);
    let report = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert_eq!(report.runs_interrupted, 1, "nobody holds the claim: the row is stale, whatever its PID");
    other.kill().unwrap();
    other.wait().unwrap();

    // A run that holds the claim (this test, as another process would) stops recovery, a run and a board move.
    let claim = RunClaim::try_acquire(&f.repo).unwrap().expect("free");
    let err = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap_err();
    assert_eq!(err.code(), "run_in_progress", "{err}");
    let (tx, _rx) = yokeflow_core::run::events::channel();
    let opts =
        yokeflow_core::run::orchestrator::RunOptions { agent_command: Some(f.agent(json!({}))), ..Default::default() };
    let err = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap_err();
    assert_eq!(err.code(), "run_in_progress", "{err}");
    let runs = yokeflow_core::run::runs::Runs::new(f.db.clone());
    let err = runs.set_task_status(&f.project_id, "a", TaskStatus::Review).await.unwrap_err();
    assert_eq!(err.code(), "move_refused", "{err}");
    assert!(err.to_string().contains(&format!("pid {}", std::process::id())), "{err}");
    drop(claim);
    assert!(yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_runners_started_together_run_the_project_once() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // The agents wait for us: whichever runner won the claim cannot finish before the other has answered.
    let go = f.dir.path().join("go");
    let argv = f.agent(json!({ "default": { "sleep_ms": 10, "wait_file": go } }));
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let log = f.dir.path().join("runners.log");
    let mut runners: Vec<Runner> = (0..2).map(|_| Runner::spawn(&f, &log)).collect();
    let deadline = Instant::now() + STAGE_GUARD;
    let loser = loop {
        if let Some(i) = (0..2).find(|&i| runners[i].child.try_wait().unwrap().is_some()) {
            break i;
        }
        assert!(Instant::now() < deadline, "neither runner stopped: both are running the project");
        std::thread::sleep(Duration::from_millis(10));
    };
    let status = runners[loser].child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "the second runner is refused");
    std::fs::write(&go, "").unwrap();
    let winner = &mut runners[1 - loser];
    let won = winner.child.wait().unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(won.success(), "the runner that holds the claim failed ({won}): {text}");
    assert!(text.contains("already in progress"), "{text}");
    for (id, file) in [("a", "a.txt"), ("b", "b.txt")] {
        assert_eq!(f.status_of(id).await, TaskStatus::Done);
        let content = f.target_file(file).unwrap();
        assert_eq!(content.matches(&format!("- {id}: done")).count(), 1, "{file} landed once: {content}");
    }
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(sessions, 2, "one agent per task");
}

#[tokio::test]
async fn an_error_after_the_run_row_is_written_closes_the_row() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // A dependency cycle written behind the import's back: the run cannot plan, after its row exists.
    for (t, d) in [("a", "b"), ("b", "a")] {
        sqlx::query("INSERT INTO task_dependencies (project_id, task_id, depends_on) VALUES (?, ?, ?)")
            .bind(&f.project_id)
            .bind(t)
            .bind(d)
            .execute(f.db.pool())
            .await
            .unwrap();
    }
    let (tx, _rx) = yokeflow_core::run::events::channel();
    let opts =
        yokeflow_core::run::orchestrator::RunOptions { agent_command: Some(f.agent(json!({}))), ..Default::default() };
    let err = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap_err();
    assert!(err.to_string().contains("cannot plan the run"), "{err}");
    let rows: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT status, ended_at FROM runs").fetch_all(f.db.pool()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "failed");
    assert!(rows[0].1.is_some(), "the row has its end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_cancels_the_run_cleanly_and_a_second_signal_quits_at_once() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let argv = f.agent(json!({ "tasks": { "a": { "action": "hang" } } }));
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let log = f.dir.path().join("runner.log");

    // SIGTERM (a service manager, `kill`): the run cancels like Ctrl-C.
    let mut runner = Runner::spawn(&f, &log);
    runner.reach(Stage::AgentWorking, &f.dir.path().join("none"), 1).expect("the agent started");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(runner.child.id() as i32, libc::SIGTERM) };
    let status = runner.child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "cancelled, so the run is incomplete: {status:?}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("cancelling"), "{text}");
    let row: String = sqlx::query_scalar("SELECT status FROM runs").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(row, "cancelled");
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog);
    assert_eq!(f.task_branches().len(), 1, "the branch is kept");
    let deadline = Instant::now() + STAGE_GUARD;
    while !f.marked_processes().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(f.marked_processes().is_empty(), "the agent outlived the run");

    // SIGHUP, then a second signal while it cancels: out at once (the next run recovers).
    let argv = f.agent(json!({ "tasks": { "a": { "action": "hang" } } }));
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let mut runner = Runner::spawn(&f, &log);
    runner.reach(Stage::AgentWorking, &f.dir.path().join("none"), 2).expect("the agent started");
    // SAFETY: kill(2) on our own child.
    unsafe {
        libc::kill(runner.child.id() as i32, libc::SIGHUP);
        libc::kill(runner.child.id() as i32, libc::SIGINT);
    }
    let status = runner.child.wait().unwrap();
    assert!(matches!(status.code(), Some(130) | Some(1)), "{status:?}");
    // Whatever it left, the next run picks it up and finishes.
    std::fs::write(f.dir.path().join("script.json"), json!({}).to_string()).unwrap();
    let mut last = Runner::spawn(&f, &log);
    assert!(last.child.wait().unwrap().success(), "{}", std::fs::read_to_string(&log).unwrap());
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    assert!(f.marked_processes().is_empty());
}

#[tokio::test]
async fn recovery_kills_a_test_command_left_by_a_dead_run() {
    use std::os::unix::process::CommandExt;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    // The gate's test command of a killed runner: its own process group, marked with the repository it tests.
    let mut orphan = Command::new(support::SCRIPTED_AGENT)
        .args(["--task-id", "tests", "--action", "hang", "--sleep-ms", "0", "--marker", &f.marker])
        .current_dir(f.dir.path())
        .env(yokeflow_core::gate::merge::GATE_TESTS_ENV, &f.repo)
        .process_group(0)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // Another repository's tests are none of this recovery's business.
    let other_marker = format!("{}-other", f.marker);
    let mut other = Command::new(support::SCRIPTED_AGENT)
        .args(["--task-id", "tests", "--action", "hang", "--sleep-ms", "0", "--marker", &other_marker])
        .env(yokeflow_core::gate::merge::GATE_TESTS_ENV, f.dir.path().join("another-repo"))
        .process_group(0)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + STAGE_GUARD;
    while (f.marked_processes().is_empty() || support::marked_processes(&other_marker).is_empty())
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let report = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert!(report.processes_killed >= 1, "{report:?}");
    assert!(orphan.wait().unwrap().code().is_none(), "the orphan test command was killed by a signal");
    assert!(support::marked_processes(&other_marker).contains(&(other.id() as i32)), "another repository's tests live");
    other.kill().unwrap();
    other.wait().unwrap();
}

#[tokio::test]
async fn recovery_leaves_a_persons_worktrees_and_locks_alone() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(&f.repo).args(args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    // A person's own linked worktrees: one in use (git holds its index lock), one on a disk that is not mounted.
    let mine = f.dir.path().join("mine");
    let gone = f.dir.path().join("on-another-disk");
    git(&["worktree", "add", "-q", "-b", "mine", mine.to_str().unwrap()]);
    git(&["worktree", "add", "-q", "-b", "elsewhere", gone.to_str().unwrap()]);
    std::fs::remove_dir_all(&gone).unwrap();
    let admin = f.repo.join(".git/worktrees");
    std::fs::write(admin.join("mine/index.lock"), "").unwrap();
    // A person's commit on the target, in progress.
    let target_lock = f.repo.join(".git/refs/heads/main.lock");
    std::fs::write(&target_lock, "").unwrap();

    yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert!(admin.join("mine/index.lock").exists(), "a person's worktree lock was removed");
    assert!(admin.join("on-another-disk").exists(), "a person's worktree on another disk was pruned");
    assert!(target_lock.exists(), "a person's lock on the target was removed");

    // The same lock left by YokeFlow's own gate (it marks its target updates) is removed.
    std::fs::write(f.repo.join(".yokeflow/locks").join(yokeflow_core::gate::merge::TARGET_UPDATE_MARK), "").unwrap();
    yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert!(!target_lock.exists(), "the dead gate's lock on the target stayed");
    assert!(admin.join("mine/index.lock").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_in_the_middle_of_a_slot_reset_loses_nothing() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let git = git2::Repository::open(&f.repo).unwrap();
    std::fs::write(f.repo.join(".gitignore"), "build/\n").unwrap();
    std::fs::write(f.repo.join("data.slow"), "tracked data\n").unwrap();
    yokeflow_core::sys::git::commit_all(&git, "data and ignores").unwrap();
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.reuse_worktrees = true;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let argv = f.agent(json!({ "default": { "sleep_ms": 5 } }));
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&argv)).await.unwrap();
    let run = |only: &str| yokeflow_core::run::orchestrator::RunOptions {
        max_worktrees: Some(1),
        only_tasks: Some(vec![only.to_string()]),
        ..Default::default()
    };
    let (tx, _rx) = yokeflow_core::run::events::channel();
    let report = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, run("a"), tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let slot = yokeflow_core::workspace::worktree::work_home(&f.repo).join("worktrees/slot-0");
    assert!(slot.is_dir(), "{:?}", f.worktree_dirs());
    // In the free slot: a build output (ignored), a person's edit of a tracked file, a new file.
    std::fs::create_dir_all(slot.join("build")).unwrap();
    std::fs::write(slot.join("build/out.bin"), "built\n").unwrap();
    std::fs::write(slot.join("data.slow"), "edited in the free slot\n").unwrap();
    std::fs::write(slot.join("notes.txt"), "notes\n").unwrap();
    // Restoring `data.slow` during the reset goes through a smudge filter that signals, then hangs: the runner is
    // killed right there, in the middle of git's checkout of the slot. The filter is the person's (their global
    // configuration, given to the runner alone): YokeFlow's git calls never run one from the repository's own.
    let signal = f.dir.path().join("smudging");
    std::fs::write(f.repo.join(".git/info/attributes"), "*.slow filter=slow\n").unwrap();
    let global = f.dir.path().join("global-gitconfig");
    let filter = format!("[filter \"slow\"]\n\tsmudge = touch '{}' && sleep 600 && cat\n", signal.display());
    std::fs::write(&global, filter).unwrap();
    let spec = vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)];
    let file = f.dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json!({ "project": "t", "tasks": spec })).unwrap()).unwrap();
    import::import_file(&f.db, &f.project_id, &file).await.unwrap();
    let log = f.dir.path().join("runner.log");
    let mut runner = Runner::spawn_with(&f, &log, &[("GIT_CONFIG_GLOBAL", &global)]);
    let deadline = Instant::now() + STAGE_GUARD;
    while !signal.exists() {
        assert!(runner.child.try_wait().unwrap().is_none(), "{}", std::fs::read_to_string(&log).unwrap());
        assert!(Instant::now() < deadline, "the reset never reached the checkout");
        std::thread::sleep(Duration::from_millis(5));
    }
    runner.kill_group();
    assert!(f.repo.join(".yokeflow/worktree-meta/slot-0.reset").exists(), "killed while resetting");

    // Started again (without the hanging filter): recovery finishes the reset, b runs in the slot and lands.
    let (tx, rx) = yokeflow_core::run::events::channel();
    let seen = support::collect_events(rx);
    let report = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, run("b"), tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let b_in: Vec<String> = seen
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            yokeflow_core::run::events::Event::WorktreeCreated { task_id, path, .. } if task_id == "b" => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(b_in.len(), 1);
    assert!(b_in[0].ends_with("/slot-0"), "{b_in:?}");
    // Nothing lost: both tasks on the target, the person's files saved before the reset, the build output kept.
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"));
    assert!(f.target_file("b.txt").unwrap().contains("- b: done"));
    assert_eq!(f.target_file("data.slow").as_deref(), Some("tracked data\n"));
    let rescued: Vec<git2::Oid> =
        git.references_glob("refs/yokeflow/rescued/*").unwrap().flatten().map(|r| r.target().unwrap()).collect();
    assert_eq!(rescued.len(), 1);
    let tree = git.find_commit(rescued[0]).unwrap().tree().unwrap();
    let text = |name: &str| {
        let blob = git.find_blob(tree.get_path(Path::new(name)).unwrap().id()).unwrap();
        String::from_utf8_lossy(blob.content()).into_owned()
    };
    assert_eq!((text("data.slow"), text("notes.txt")), ("edited in the free slot\n".into(), "notes\n".into()));
    assert_eq!(std::fs::read_to_string(slot.join("build/out.bin")).unwrap(), "built\n");
    assert!(!f.repo.join(".yokeflow/worktree-meta/slot-0.reset").exists());
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
    assert_eq!(f.worktree_dirs(), vec!["slot-0".to_string()], "only the free slot is left");
    assert!(f.marked_processes().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worktree_cut_short_before_git_wrote_its_git_file_is_made_again() {
    use yokeflow_core::workspace::worktree::Worktrees;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let wts = Worktrees::open(&f.repo).unwrap();
    let base = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    // Killed while git added the worktree: registered, its folder there, but no `.git` file in it yet.
    let info = wts.create("a", base).unwrap();
    std::fs::remove_file(info.path.join(".git")).unwrap();
    sqlx::query(
        "INSERT INTO worktrees (id, project_id, task_id, branch_name, path, status, created_at) \
         VALUES ('w1', ?, 'a', ?, ?, 'active', 0)",
    )
    .bind(&f.project_id)
    .bind(&info.branch)
    .bind(info.path.display().to_string())
    .execute(f.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE tasks SET status = 'in_progress' WHERE id = 'a'").execute(f.db.pool()).await.unwrap();

    let opts = yokeflow_core::run::orchestrator::RunOptions {
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 5 } }))),
        ..Default::default()
    };
    let (tx, _rx) = yokeflow_core::run::events::channel();
    let report = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"));
    assert!(f.worktree_dirs().is_empty() && f.task_branches().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_that_only_caught_up_with_the_target_is_not_a_landing() {
    use yokeflow_core::workspace::worktree::Worktrees;
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    let git = git2::Repository::open(&f.repo).unwrap();
    let base = git.refname_to_id("refs/heads/main").unwrap();
    // a's attempt: a worktree, no commit of its own; killed.
    let info = Worktrees::open(&f.repo).unwrap().create("a", base).unwrap();
    sqlx::query(
        "INSERT INTO worktrees (id, project_id, task_id, branch_name, path, status, base_commit, created_at) \
         VALUES ('w1', ?, 'a', ?, ?, 'active', ?, 0)",
    )
    .bind(&f.project_id)
    .bind(&info.branch)
    .bind(info.path.display().to_string())
    .bind(base.to_string())
    .execute(f.db.pool())
    .await
    .unwrap();
    sqlx::query("UPDATE tasks SET status = 'in_progress' WHERE id = 'a'").execute(f.db.pool()).await.unwrap();
    // Meanwhile the target moved on, and the next start's rebase brought a's empty branch up to it, then died.
    std::fs::write(f.repo.join("other.txt"), "someone else's work\n").unwrap();
    let moved = yokeflow_core::sys::git::commit_all(&git, "other work").unwrap();
    git.reference(&format!("refs/heads/{}", info.branch), moved, true, "rebased").unwrap();

    let report = yokeflow_core::run::orchestrator::recover(&f.db, &f.project_id).await.unwrap();
    assert!(report.tasks_found_merged.is_empty(), "{report:?}");
    assert_eq!(report.tasks_reset, ["a"]);
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog);
    let opts = yokeflow_core::run::orchestrator::RunOptions {
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 5 } }))),
        ..Default::default()
    };
    let (tx, _rx) = yokeflow_core::run::events::channel();
    let run = yokeflow_core::run::orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(run.all_done(), "{run:#?}");
    assert!(f.target_file("a.txt").unwrap().contains("- a: done"), "a's work is on the target");
}
