//! Pre-flights (issue 30), against real repositories, real processes and a real SQLite file: a finished branch is
//! tested merged with the target in its own worktree while it waits for the gate; one that fails there never lands
//! and goes to Review with its own log; the folder is back on its branch after (also after a crash); folders on
//! disk stay within the workers and the test slots.

mod support;

use std::path::Path;

use git2::{Oid, Repository};
use serde_json::json;
use support::init_repo;
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events::{self, Event, PreflightResult};
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::workspace::worktree::{PreflightTree, Worktrees};

/// Commits `path` = `text` in the work tree `dir` onto `branch_ref` (moving it).
fn commit_file(dir: &Path, branch_ref: &str, path: &str, text: &str) -> Oid {
    std::fs::write(dir.join(path), text).unwrap();
    let r = Repository::open(dir).unwrap();
    let mut index = r.index().unwrap();
    index.add_path(Path::new(path)).unwrap();
    index.write().unwrap();
    let tree = r.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("t", "t@example.com").unwrap();
    let parent = r.find_reference(branch_ref).unwrap().peel_to_commit().unwrap();
    r.commit(Some(branch_ref), &sig, &sig, path, &tree, &[&parent]).unwrap()
}

fn status_clean(dir: &Path) -> bool {
    let r = Repository::open(dir).unwrap();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(false);
    let clean = r.statuses(Some(&mut opts)).unwrap().is_empty();
    clean
}

/// The folder holds the branch merged with the moved target while the pre-flight tests it (HEAD still on the
/// branch, so it is never taken for a free slot), and is back on the branch after; a crash in between is undone by
/// recovery; a conflict touches nothing.
#[test]
fn a_folder_holds_the_merged_tree_for_its_preflight_and_is_put_back_on_its_branch() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let repo = init_repo(&root, &[("shared.txt", "base\n")]);
    let base = repo.head().unwrap().peel_to_commit().unwrap().id();
    let wts = Worktrees::open(&root).unwrap();
    let info = wts.create("a", base).unwrap();
    commit_file(&info.path, "HEAD", "a.txt", "a\n");
    // The target moves on meanwhile.
    commit_file(&root, "refs/heads/main", "main.txt", "main\n");
    let onto = repo.find_reference("refs/heads/main").unwrap().peel_to_commit().unwrap().id();

    let tree = wts.preflight_checkout(&info, onto, &[]).unwrap();
    let PreflightTree::Merged { commit } = tree else { panic!("{tree:?}") };
    let merged = repo.find_commit(Oid::from_str(&commit).unwrap()).unwrap();
    assert_eq!(merged.parent_ids().collect::<Vec<_>>().len(), 2);
    assert!(info.path.join("main.txt").is_file() && info.path.join("a.txt").is_file());
    let wt = Repository::open(&info.path).unwrap();
    assert_eq!(wt.head().unwrap().shorthand(), Some(info.branch.as_str()), "HEAD stays on the branch");
    assert!(!status_clean(&info.path), "the index holds the merged tree");
    let branch_tip = wt.head().unwrap().peel_to_commit().unwrap().id();

    wts.end_preflight(&info).unwrap();
    assert!(!info.path.join("main.txt").exists(), "the target's file went with the merged tree");
    assert!(info.path.join("a.txt").is_file() && status_clean(&info.path));
    assert_eq!(wt.head().unwrap().peel_to_commit().unwrap().id(), branch_tip, "the branch did not move");

    // A crash while the merged tree is out: recovery puts the folder back.
    assert!(matches!(wts.preflight_checkout(&info, onto, &[]).unwrap(), PreflightTree::Merged { .. }));
    assert!(info.path.join("main.txt").exists());
    wts.finish_resets().unwrap();
    assert!(!info.path.join("main.txt").exists() && status_clean(&info.path));

    // A branch that already holds the target is tested as it is; one that conflicts touches nothing.
    let as_is = wts.preflight_checkout(&info, base, &[]).unwrap();
    assert_eq!(as_is, PreflightTree::AsIs { commit: branch_tip.to_string() });
    // The target changed a lockfile: with a setup command the folder's dependencies are the old ones, so the
    // pre-flight leaves it to the gate (which installs again); without one the merged tree is tested.
    commit_file(&root, "refs/heads/main", "package-lock.json", "{}\n");
    let locked = repo.find_reference("refs/heads/main").unwrap().peel_to_commit().unwrap().id();
    let changed = wts.preflight_checkout(&info, locked, &["Cargo.lock", "package-lock.json"]).unwrap();
    assert_eq!(changed, PreflightTree::LockfileChanged { file: "package-lock.json".into() });
    assert!(!info.path.join("package-lock.json").exists() && status_clean(&info.path), "nothing touched");
    assert!(matches!(wts.preflight_checkout(&info, locked, &[]).unwrap(), PreflightTree::Merged { .. }));
    wts.end_preflight(&info).unwrap();
    commit_file(&info.path, "HEAD", "shared.txt", "branch\n");
    commit_file(&root, "refs/heads/main", "shared.txt", "main\n");
    let onto = repo.find_reference("refs/heads/main").unwrap().peel_to_commit().unwrap().id();
    assert_eq!(wts.preflight_checkout(&info, onto, &[]).unwrap(), PreflightTree::Conflict);
    assert!(status_clean(&info.path));
    assert_eq!(std::fs::read_to_string(info.path.join("shared.txt")).unwrap(), "branch\n");
}

/// Four tasks side by side, one of which breaks the tests: it goes to Review and never lands; the three others land;
/// the target only ever holds trees without the breaking file. The gate's runs take longer than the pre-flights
/// (the test command sleeps only where the gate runs it), so the pre-flights end first: the breaking branch is left
/// out by its pre-flight (withdrawn, or left out of a failing batch) unless the gate took it alone when it arrived
/// (then the gate's own run of it, alone, failed): a log of its own either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_branch_that_breaks_the_tests_is_left_out_by_its_preflight_and_the_others_land() {
    let spec = vec![
        support::task("a", &[], &["a.txt"], 5),
        support::task("b", &[], &["b.txt"], 5),
        support::task("bad", &[], &["broken"], 5),
        support::task("c", &[], &["c.txt"], 5),
    ];
    let f = support::fixture(spec).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.parallel_tests = Some(5);
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let start = Repository::open(&f.repo).unwrap().find_reference("refs/heads/main").unwrap().target().unwrap();
    let test = r#"case "$YOKEFLOW_GATE_TESTS" in *'#preflight-'*) ;; *) sleep 0.3 ;; esac; test ! -e broken"#;
    let opts = RunOptions {
        max_worktrees: Some(4),
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 50 } }))),
        test_command: Some(vec!["sh".into(), "-c".into(), test.into()]),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let events = seen.await.unwrap();
    for t in ["a", "b", "c"] {
        assert_eq!(f.status_of(t).await, TaskStatus::Done, "{t}: {report:#?}");
    }
    assert_eq!(f.status_of("bad").await, TaskStatus::Review);
    let bad = f.tasks().await.into_iter().find(|t| t.id == "bad").unwrap();
    let reason = bad.review_reason.unwrap_or_default();
    let ended = |task: &str| {
        events.iter().rev().find_map(|e| match e {
            Event::PreflightEnded { task_id, result, .. } if task_id == task => Some(*result),
            _ => None,
        })
    };
    let log = yokeflow_core::store::locations::test_log(&f.db, &f.project_id, "bad").await.unwrap();
    if reason.contains("pre-flight") {
        // Left out by its pre-flight: that log is the task's.
        assert!(reason.contains("preflight-bad-test.log"), "{reason}");
        assert!(log.tail.contains("yokeflow pre-flight:"), "{}", log.tail);
        assert_eq!(ended("bad"), Some(PreflightResult::Failed));
        assert_eq!(report.preflights_failed, 1, "{report:#?}");
    } else {
        // The gate had taken it alone on arrival: its own run of it failed (its word wins over the pre-flight's).
        assert!(reason.contains("the tests failed"), "{reason}");
        assert!(log.tail.contains("yokeflow merge gate:"), "{}", log.tail);
    }
    for t in ["a", "b", "c"] {
        assert!(ended(t).is_some(), "{t} had a pre-flight (passed, or stopped when the gate decided first)");
    }
    assert!(report.to_text().contains("pre-flights in the tasks' worktrees"), "{}", report.to_text());
    // Every value the target took held no breaking file (the reflog since the run began).
    let repo = Repository::open(&f.repo).unwrap();
    let moves: Vec<Oid> = repo.reflog("refs/heads/main").unwrap().iter().map(|e| e.id_new()).collect();
    assert!(moves.len() > 1 && moves.contains(&start));
    for m in moves {
        let tree = repo.find_commit(m).unwrap().tree().unwrap();
        assert!(tree.get_path(Path::new("broken")).is_err(), "the target held a failing tree at {m}");
    }
    assert!(f.target_file("broken").is_none());
}

/// Six tasks, two workers, one pre-flight slot (`parallel_tests` 2: the gate's and one more); the tests (the
/// gate's and the pre-flight's) hold until every agent has finished. A branch finding the pre-flight slot busy
/// skips its pre-flight and gives its folder up at once, so the agents never see more than the workers' folders
/// and the one pre-flight's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn folders_stay_within_the_workers_and_the_preflight_slots_while_work_waits() {
    let spec: Vec<_> = (0..6).map(|i| support::task(&format!("t{i}"), &[], &[&format!("t{i}.txt")], 5)).collect();
    let f = support::fixture(spec).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.parallel_tests = Some(2);
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let (counts, done) = (f.dir.path().join("counts"), f.dir.path().join("done"));
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(support::folder_counting_agent(&counts, &done)),
        test_command: Some(support::gate_held_until(&done, 6)),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let counts = support::folder_counts(&counts);
    assert_eq!(counts.len(), 6);
    assert!(counts.iter().all(|&n| n <= 3), "task folders seen by the agents: {counts:?}");
    let skipped = seen
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e, Event::PreflightEnded { result: PreflightResult::Skipped, .. }))
        .count();
    assert!(skipped >= 1, "a branch found the one pre-flight slot busy");
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
}
