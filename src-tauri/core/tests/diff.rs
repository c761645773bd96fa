//! A task's diff from the core: read from its worktree while one exists (untracked and uncommitted work
//! included), from the landed commit once it is Done; bounded and read-only.

mod support;

use serde_json::json;
use support::{cli, fixture, task};
use yokeflow_core::gate::diff::{self, DiffSource, FileChange};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events;
use yokeflow_core::run::orchestrator::{self, RunOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tasks_diff_follows_it_from_review_to_done() {
    let f = fixture(vec![task("a", &[], &["src/a.txt"], 1)]).await;
    let agent = f.agent(json!({ "default": { "action": "ok", "sleep_ms": 1 } }));
    // The gate's tests fail: the task waits in Review with its worktree.
    let opts = RunOptions {
        agent_command: Some(agent.clone()),
        test_command: Some(vec!["false".into()]),
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Review);

    let d = diff::task_diff(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(d.source, DiffSource::Worktree);
    assert_eq!(d.files.len(), 1, "{d:#?}");
    assert_eq!((d.files[0].path.as_str(), d.files[0].change), ("src/a.txt", FileChange::Added));
    assert!(d.files[0].patch.as_deref().unwrap().contains("+- a: done by the scripted agent"));
    assert_eq!(d.additions, d.files[0].additions);

    // A person (or a feedback session) edits in the worktree: the diff shows it before any commit.
    let wt = yokeflow_core::store::locations::worktree_dir(&f.db, &f.project_id, "a").await.unwrap();
    std::fs::write(wt.join("notes.md"), "uncommitted\n").unwrap();
    std::fs::write(wt.join("README.md"), "changed readme\n").unwrap();
    let d = diff::task_diff(&f.db, &f.project_id, "a").await.unwrap();
    let mut files: Vec<_> = d.files.iter().map(|f| (f.path.as_str(), f.change)).collect();
    files.sort_by_key(|(path, _)| *path);
    assert_eq!(
        files,
        [("README.md", FileChange::Modified), ("notes.md", FileChange::Added), ("src/a.txt", FileChange::Added)]
    );
    // Read-only: nothing was committed or staged by looking.
    let repo = git2::Repository::open(&wt).unwrap();
    assert!(repo.statuses(None).unwrap().iter().any(|s| s.path() == Some("notes.md") && s.status().is_wt_new()));

    // Landed (tests pass now): the diff is what the landing changed on the target, though the branch is gone.
    std::fs::remove_file(wt.join("notes.md")).unwrap();
    std::fs::write(wt.join("README.md"), "test repo\n").unwrap();
    yokeflow_core::store::tasks::set_status(&f.db, &f.project_id, "a", TaskStatus::Backlog, None).await.unwrap();
    let opts = RunOptions { agent_command: Some(agent), test_command: Some(vec!["true".into()]), ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert!(f.task_branches().is_empty());
    let d = diff::task_diff(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(d.source, DiffSource::Landed);
    let paths: Vec<_> = d.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["src/a.txt"]);

    // The command line: a stat, and the patch.
    let stat = cli(&f.db_path, &f.repo, &["diff", "a", "--stat"]).await;
    assert!(stat.stdout.contains("src/a.txt") && stat.stdout.contains("1 file(s) changed"), "{}", stat.stdout);
    let patch = cli(&f.db_path, &f.repo, &["diff", "a"]).await;
    assert!(patch.stdout.contains("+++ b/src/a.txt"), "{}", patch.stdout);
    let json = cli(&f.db_path, &f.repo, &["--json", "diff", "a"]).await.json();
    assert_eq!(json["source"], "landed");
    assert_eq!(json["files"][0]["change"], "added");
    assert_eq!(cli(&f.db_path, &f.repo, &["--json", "diff", "nope"]).await.error_code(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_file_is_folded_not_sent() {
    let f = fixture(vec![task("big", &[], &["big.txt"], 1)]).await;
    let agent = f.agent(json!({ "default": { "action": "ok", "sleep_ms": 1 } }));
    let opts =
        RunOptions { agent_command: Some(agent), test_command: Some(vec!["false".into()]), ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let wt = yokeflow_core::store::locations::worktree_dir(&f.db, &f.project_id, "big").await.unwrap();
    let line = "x".repeat(99);
    std::fs::write(wt.join("huge.txt"), format!("{line}\n").repeat(5_000)).unwrap();
    let d = diff::task_diff(&f.db, &f.project_id, "big").await.unwrap();
    let huge = d.files.iter().find(|f| f.path == "huge.txt").unwrap();
    assert!(huge.folded && huge.patch.is_none());
    assert_eq!(huge.additions, 5_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discarding_a_tasks_work_asks_first_and_keeps_its_commits_out_of_sight() {
    let f = fixture(vec![task("a", &[], &["src/a.txt"], 1), task("b", &[], &["src/b.txt"], 1)]).await;
    let agent = f.agent(json!({ "default": { "action": "ok", "sleep_ms": 1 } }));
    let opts =
        RunOptions { agent_command: Some(agent), test_command: Some(vec!["false".into()]), ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Review);
    let wt = yokeflow_core::store::locations::worktree_dir(&f.db, &f.project_id, "a").await.unwrap();
    let branch = git2::Repository::open(&wt).unwrap().head().unwrap().shorthand().unwrap().to_string();
    let tip = git2::Repository::open(&f.repo).unwrap().revparse_single(&branch).unwrap().id();

    // A remark no session took yet: discarding the work drops it too (it was about that work).
    sqlx::query("INSERT INTO task_feedback (project_id, task_id, remark, created_at) VALUES (?, 'a', 'x', 1)")
        .bind(&f.project_id)
        .execute(f.db.pool())
        .await
        .unwrap();

    // Without --yes: says what would go, touches nothing.
    let asked = cli(&f.db_path, &f.repo, &["discard", "a"]).await;
    assert_eq!(asked.code, 1);
    assert!(asked.stderr.contains("1 file(s) changed") && asked.stderr.contains("--yes"), "{}", asked.stderr);
    assert!(wt.exists());

    let done = cli(&f.db_path, &f.repo, &["--json", "discard", "a", "--yes"]).await.json();
    assert_eq!(done["branch"], branch.as_str());
    let kept = done["kept_at"].as_str().unwrap();
    assert!(kept.starts_with("refs/yokeflow/discarded/"));
    let git = git2::Repository::open(&f.repo).unwrap();
    assert_eq!(git.refname_to_id(kept).unwrap(), tip, "the commits are kept, out of the branch list");
    assert!(git.find_branch(&branch, git2::BranchType::Local).is_err());
    assert!(!wt.exists(), "the worktree folder is gone");
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog);
    assert!(yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap().is_empty());
    assert_eq!(diff::task_diff(&f.db, &f.project_id, "a").await.unwrap_err().code(), "not_found");
    // The other task's work is untouched; a landed or running task's work cannot be discarded.
    assert_eq!(f.status_of("b").await, TaskStatus::Review);
    yokeflow_core::store::tasks::set_status(&f.db, &f.project_id, "b", TaskStatus::Done, None).await.unwrap();
    assert_eq!(cli(&f.db_path, &f.repo, &["--json", "discard", "b", "--yes"]).await.error_code(), "move_refused");
    assert_eq!(cli(&f.db_path, &f.repo, &["--json", "discard", "nope", "--yes"]).await.error_code(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feedback_on_a_running_task_is_taken_only_while_its_agent_works() {
    let f = fixture(vec![task("a", &[], &["src/a.txt"], 1)]).await;
    let runs = yokeflow_core::run::runs::Runs::new(f.db.clone());
    // A task In Progress whose worktree row says its agent works (as a run records it), then that it is merging.
    yokeflow_core::store::tasks::set_status(&f.db, &f.project_id, "a", TaskStatus::InProgress, None).await.unwrap();
    let row = |status: &'static str| {
        let (db, pid) = (f.db.clone(), f.project_id.clone());
        async move {
            sqlx::query(
                "INSERT INTO worktrees (id, project_id, branch_name, path, task_id, status, created_at) \
                 VALUES (?, ?, 'yokeflow/a-1', '/nowhere', 'a', ?, 1)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&pid)
            .bind(status)
            .execute(db.pool())
            .await
            .unwrap();
        }
    };
    row("active").await;
    let (remark, route, started) =
        runs.feedback(&f.project_id, "a", "also the empty cart", Default::default()).await.unwrap();
    assert_eq!(route, yokeflow_core::run::runs::FeedbackRoute::Queued);
    assert!(started.is_none());
    assert_eq!(yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap(), vec![remark]);

    sqlx::query("UPDATE worktrees SET status = 'merging' WHERE task_id = 'a'").execute(f.db.pool()).await.unwrap();
    let Err(refused) = runs.feedback(&f.project_id, "a", "one more thing", Default::default()).await else {
        panic!("feedback was taken while the work was merging")
    };
    assert_eq!(refused.code(), "move_refused", "{refused}");
    assert_eq!(
        yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap().len(),
        1,
        "nothing stored"
    );
    let Err(empty) = runs.feedback(&f.project_id, "a", "  ", Default::default()).await else {
        panic!("empty feedback taken")
    };
    assert_eq!(empty.code(), "invalid_input");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn each_task_landed_in_a_batch_shows_only_its_own_change() {
    let spec: Vec<_> = (0..4).map(|i| task(&format!("t{i}"), &[], &[&format!("src/t{i}.txt")], 1)).collect();
    let f = fixture(spec).await;
    // The gate's first test run holds until every agent is done: the other three land together, as one batch.
    let done = f.dir.path().join("done");
    let agent = format!(
        "mkdir -p src && echo \"$YOKEFLOW_TASK_ID\" > \"src/$YOKEFLOW_TASK_ID.txt\" && echo x >> '{}'",
        done.display()
    );
    let opts = RunOptions {
        max_worktrees: Some(4),
        agent_command: Some(vec!["sh".into(), "-c".into(), agent]),
        test_command: Some(support::gate_held_until(&done, 4)),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let batches: Vec<usize> = seen
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            events::Event::MergeBatch { task_ids, .. } => Some(task_ids.len()),
            _ => None,
        })
        .collect();
    assert!(batches.iter().any(|&n| n >= 2), "no batch landed: {batches:?}");
    for i in 0..4 {
        let id = format!("t{i}");
        let d = diff::task_diff(&f.db, &f.project_id, &id).await.unwrap();
        assert_eq!(d.source, DiffSource::Landed);
        let files: Vec<&str> = d.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(files, vec![format!("src/{id}.txt")], "{id}: {d:#?}");
    }
}
