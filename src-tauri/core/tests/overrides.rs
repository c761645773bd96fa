//! Manual moves from the board against a real SQLite file: a refused move changes nothing, an accepted one is
//! stored (and rebuilds the plan when done-ness changes, keeping pins), and a task pinned to a worktree is started
//! in that worktree's slot by a real run with the scripted agent, whose worktree and log can then be located.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{fixture, task};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::run::overrides::{self, RunAction, StatusDecision};
use yokeflow_core::{error::CoreError, plan::planner, store::locations};

/// Every column of every table that a move may touch, as text, for before/after comparisons.
async fn dump(f: &support::Fixture) -> (Vec<(String, String, Option<String>)>, Option<String>) {
    let tasks = sqlx::query_as("SELECT id, status, review_reason FROM tasks WHERE project_id = ? ORDER BY id")
        .bind(&f.project_id)
        .fetch_all(f.db.pool())
        .await
        .unwrap();
    let plan = sqlx::query_scalar("SELECT execution_plan FROM projects WHERE id = ?")
        .bind(&f.project_id)
        .fetch_one(f.db.pool())
        .await
        .unwrap();
    (tasks, plan)
}

fn refused(e: CoreError) -> String {
    assert_eq!(e.code(), "move_refused", "{e}");
    e.to_string()
}

#[tokio::test]
async fn status_moves_are_checked_against_the_plan_and_stored() {
    let f = fixture(vec![
        task("a", &[], &["a.txt"], 10),
        task("b", &["a"], &["b.txt"], 10),
        task("c", &["b"], &["c.txt"], 10),
        task("d", &[], &["d.txt"], 10),
    ])
    .await;
    planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    let before = dump(&f).await;

    let e = overrides::set_status(&f.db, &f.project_id, "b", TaskStatus::Done, false).await.unwrap_err();
    assert_eq!(refused(e), "cannot mark `b` done: it depends on `a`, which is in Backlog");
    let e = overrides::set_status(&f.db, &f.project_id, "d", TaskStatus::InProgress, false).await.unwrap_err();
    assert!(refused(e).contains("cannot be put In Progress by hand"));
    let e = overrides::set_status(&f.db, &f.project_id, "d", TaskStatus::Done, true).await.unwrap_err();
    assert!(refused(e).starts_with("a run is going"));
    assert_eq!(dump(&f).await, before, "refused moves changed the database");

    // Done by hand: stored, and the rebuilt plan leaves `a` out while keeping `d` pinned where it was put.
    let (plan, slot) = overrides::move_to_worktree(&f.db, &f.project_id, "d", "wt-1", false).await.unwrap();
    assert_eq!(plan.pinned, vec!["d".to_string()]);
    assert_eq!(slot, 0);
    assert!(plan.worktree_assignments[0].task_ids.contains(&"d".to_string()));
    let (decision, problem) = overrides::set_status(&f.db, &f.project_id, "a", TaskStatus::Done, false).await.unwrap();
    assert_eq!((decision, problem), (StatusDecision::Apply, None));
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    let plan = planner::get(&f.db, &f.project_id).await.unwrap().unwrap();
    let planned: Vec<&String> = plan.batches.iter().flat_map(|b| &b.task_ids).collect();
    assert!(!planned.contains(&&"a".to_string()), "{planned:?}");
    assert_eq!(plan.pinned, vec!["d".to_string()], "the pin survived the rebuild");

    // `b` may now be done; `a` cannot go back while `b` is.
    overrides::set_status(&f.db, &f.project_id, "b", TaskStatus::Done, false).await.unwrap();
    let e = overrides::set_status(&f.db, &f.project_id, "a", TaskStatus::Backlog, false).await.unwrap_err();
    assert_eq!(refused(e), "cannot move `a` back to Backlog: `b` depends on it and is already in Done");

    // Review by hand carries a reason; a running task and a done task cannot change worktree.
    overrides::set_status(&f.db, &f.project_id, "c", TaskStatus::Review, false).await.unwrap();
    let c = f.tasks().await.into_iter().find(|t| t.id == "c").unwrap();
    assert_eq!(c.review_reason.as_deref(), Some(overrides::MOVED_TO_REVIEW));
    let e = overrides::move_to_worktree(&f.db, &f.project_id, "a", "wt-1", false).await.unwrap_err();
    assert!(refused(e).contains("is done"));
    let e = overrides::move_to_worktree(&f.db, &f.project_id, "c", "wt-9", false).await.unwrap_err();
    assert_eq!(e.code(), "plan_invalid_edit", "{e}");
}

#[tokio::test]
async fn a_run_in_another_process_refuses_status_moves() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 10)]).await;
    // A live process that is not this one holds a running run of the project (its claim and its row).
    let mut other = std::process::Command::new(support::SCRIPTED_AGENT)
        .args(["--action", "hold-run-claim"])
        .current_dir(&f.repo)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut said = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(other.stdout.as_mut().unwrap()), &mut said).unwrap();
    assert!(said.starts_with("holding the run claim"), "{said}");
    sqlx::query("INSERT INTO runs (id, project_id, mode, status, started_at, pid) VALUES ('r9', ?, 'parallel', 'running', 0, ?)")
        .bind(&f.project_id)
        .bind(i64::from(other.id()))
        .execute(f.db.pool())
        .await
        .unwrap();
    let e = overrides::set_status(&f.db, &f.project_id, "a", TaskStatus::Done, false).await.unwrap_err();
    let want = format!(
        "a run of this project is going in another process (pid {}): move cards there, or here once it has finished",
        other.id()
    );
    assert_eq!(refused(e), want);
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog);
    planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    let e = overrides::move_to_worktree(&f.db, &f.project_id, "a", "wt-1", false).await.unwrap_err();
    assert_eq!(refused(e), want);
    // The owner of a run (the window that started it) may pin tasks while it goes: its run hears of it.
    let (plan, _) = overrides::move_to_worktree(&f.db, &f.project_id, "a", "wt-1", true).await.unwrap();
    assert_eq!(plan.pinned, vec!["a".to_string()]);

    // Once that process is gone, the stale run no longer blocks.
    other.kill().unwrap();
    other.wait().unwrap();
    overrides::set_status(&f.db, &f.project_id, "a", TaskStatus::Done, false).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
}

#[tokio::test]
async fn the_command_line_moves_a_task_with_the_same_rules() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 10), task("b", &["a"], &["b.txt"], 10)]).await;
    let out = support::cli(&f.db_path, &f.repo, &["move", "b", "--to", "done", "--json"]).await;
    assert_eq!((out.code, out.error_code()), (1, "move_refused".to_string()), "{}", out.stderr);
    assert!(out.stderr.contains("it depends on `a`, which is in Backlog"), "{}", out.stderr);
    assert_eq!(f.status_of("b").await, TaskStatus::Backlog);

    let out = support::cli(&f.db_path, &f.repo, &["move", "a", "--to", "done"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.trim(), "moved `a` to done");
    assert_eq!(f.status_of("a").await, TaskStatus::Done);

    let out = support::cli(&f.db_path, &f.repo, &["move", "b", "--to", "sideways"]).await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("`sideways` is not a column"), "{}", out.stderr);
}

#[test]
fn moves_during_a_run_become_run_commands() {
    let mut tasks = vec![
        yokeflow_core::model::Task { id: "r".into(), status: TaskStatus::Review, ..blank() },
        yokeflow_core::model::Task { id: "p".into(), status: TaskStatus::InProgress, ..blank() },
    ];
    let decide = |tasks: &[yokeflow_core::model::Task], id, to| overrides::decide_status(tasks, id, to, true);
    assert_eq!(decide(&tasks, "r", TaskStatus::Backlog), Ok(StatusDecision::Run(RunAction::RetryTask)));
    assert_eq!(decide(&tasks, "r", TaskStatus::Done), Ok(StatusDecision::Run(RunAction::RetryMerge)));
    assert_eq!(decide(&tasks, "p", TaskStatus::Done), Ok(StatusDecision::Run(RunAction::MergeNow)));
    assert_eq!(decide(&tasks, "p", TaskStatus::InProgress), Ok(StatusDecision::Unchanged));
    assert!(decide(&tasks, "p", TaskStatus::Backlog).unwrap_err().contains("is running"));
    tasks[1].status = TaskStatus::Done;
    assert!(decide(&tasks, "p", TaskStatus::Review).unwrap_err().starts_with("a run is going"));
    assert_eq!(decide(&tasks, "x", TaskStatus::Done), Err("there is no task `x`".into()));
}

fn blank() -> yokeflow_core::model::Task {
    yokeflow_core::model::Task {
        id: String::new(),
        title: String::new(),
        description: String::new(),
        epic: None,
        status: TaskStatus::Backlog,
        priority: 0,
        effort_minutes: 10,
        depends_on: vec![],
        files: vec![],
        predicted_files: vec![],
        review_reason: None,
        conflict_warning: None,
        cost_usd: None,
        agent_ms: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_starts_a_pinned_task_in_its_worktree_slot() {
    let spec = vec![task("one", &[], &["one.txt"], 10), task("two", &[], &["two.txt"], 10)];
    let f = fixture(spec).await;
    planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    // Both tasks are ready at once; unpinned, the first would take slot 0. Pin it to the second worktree.
    let first = planner::get(&f.db, &f.project_id).await.unwrap().unwrap().batches[0].task_ids[0].clone();
    let (plan, slot) = overrides::move_to_worktree(&f.db, &f.project_id, &first, "wt-2", false).await.unwrap();
    assert_eq!(slot, 1, "{plan:#?}");
    let other = if first == "one" { "two" } else { "one" };
    let agent =
        f.agent(json!({ "default": { "action": "ok", "sleep_ms": 200 }, "tasks": { other: { "action": "crash-after-commit" } } }));
    let (tx, mut rx) = events::channel();
    let collector = tokio::spawn(async move {
        let mut slots = Vec::new();
        while let Ok(ev) = rx.recv().await {
            match ev {
                Event::TaskStatusChanged { task_id, status: TaskStatus::InProgress, slot: Some(s), .. } => {
                    slots.push((task_id, s))
                }
                Event::RunFinished { .. } => break,
                _ => {}
            }
        }
        slots
    });
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(agent),
        agent_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert_eq!((report.tasks_done, f.status_of(other).await), (1, TaskStatus::Review), "{report:#?}");
    let slots = collector.await.unwrap();
    assert!(slots.contains(&(first.clone(), 1)), "`{first}` was not started in wt-2: {slots:?}");

    // What the lanes' buttons open: the kept worktree of the Review task, and each task's agent log.
    let kept = locations::worktree_dir(&f.db, &f.project_id, other).await.unwrap();
    assert!(kept.join(".git").exists(), "{kept:?} is not a worktree");
    let e = locations::worktree_dir(&f.db, &f.project_id, &first).await.unwrap_err();
    assert_eq!(e.code(), "not_found", "a merged task's worktree is gone");
    let log = locations::latest_log(&f.db, &f.project_id, other).await.unwrap();
    assert!(std::fs::read_to_string(&log).unwrap().contains("the script tells task"), "{log:?}");

    // Its commit is only on its branch: Done by hand is refused (it would never reach the target); Backlog is fine.
    let e = overrides::set_status(&f.db, &f.project_id, other, TaskStatus::Done, false).await.unwrap_err();
    let reason = refused(e);
    assert!(reason.starts_with(&format!("`{other}` has 1 commit(s) on `yokeflow/{other}-")), "{reason}");
    assert_eq!(f.status_of(other).await, TaskStatus::Review);
    overrides::set_status(&f.db, &f.project_id, other, TaskStatus::Backlog, false).await.unwrap();
    // In the Backlog its branch is still kept: Done by hand is refused from there too.
    let e = overrides::set_status(&f.db, &f.project_id, other, TaskStatus::Done, false).await.unwrap_err();
    assert!(refused(e).contains("1 commit(s)"));
    assert_eq!(f.status_of(other).await, TaskStatus::Backlog);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_the_run_cannot_honour_is_announced() {
    let spec = vec![task("one", &[], &["one.txt"], 10), task("two", &[], &["two.txt"], 10)];
    let f = fixture(spec).await;
    planner::build(&f.db, &f.project_id, Some(2)).await.unwrap();
    overrides::move_to_worktree(&f.db, &f.project_id, "one", "wt-2", false).await.unwrap();
    let (tx, rx) = events::channel();
    let collector = support::collect_warnings(rx);
    let opts = RunOptions {
        sequential: true,
        agent_command: Some(f.agent(json!({}))),
        agent_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    };
    assert!(orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap().all_done());
    let warnings = collector.await.unwrap();
    let want = "`one` is pinned to wt-2, but this run has 1 worker(s): it runs wherever a slot is free";
    assert_eq!(warnings, vec![want.to_string()]);
}
