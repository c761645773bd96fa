//! The experts learn from every task and every task runs in its expert's context: real temporary repositories,
//! a real SQLite file and the scripted agent, through the real merge gate.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::{fixture, task, Fixture};
use yokeflow_core::expertise::{self, Expertise};
use yokeflow_core::model::{Project, TaskStatus};
use yokeflow_core::run::events;
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::{store::project, sys::git};

const API_YAML: &str = ".claude/commands/experts/api/expertise.yaml";

/// The fixture's project with an `api` expert committed on `main` (as `yokeflow init` leaves it).
async fn with_api_expert(tasks: Vec<serde_json::Value>) -> (Fixture, Project) {
    let f = fixture(tasks).await;
    let p = project::get(&f.db, &f.project_id).await.unwrap();
    let mut e = Expertise::new("api");
    e.patterns.push("Validate request bodies in the handler".into());
    expertise::upsert(&f.db, &p, e).await.unwrap();
    git::commit_all(&git2::Repository::open(&f.repo).unwrap(), "add the api expert").unwrap();
    (f, p)
}

fn opts(f: &Fixture, script: serde_json::Value) -> RunOptions {
    RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(f.agent(script)),
        agent_timeout: Some(Duration::from_secs(60)),
        ..Default::default()
    }
}

/// The prompt files the agent sessions of `task_id` were given.
fn prompts(repo: &Path, task_id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(repo.join(".yokeflow/logs")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(&format!("{task_id}-")) && name.ends_with(".prompt.md") {
            out.push(std::fs::read_to_string(e.path()).unwrap());
        }
    }
    out
}

/// `(message, paths changed against the first parent)` of every commit on `main`, newest first.
fn history(repo: &Path) -> Vec<(String, Vec<String>)> {
    let r = git2::Repository::open(repo).unwrap();
    let mut walk = r.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    walk.map(|oid| {
        let c = r.find_commit(oid.unwrap()).unwrap();
        let parent = c.parent(0).ok().map(|p| p.tree().unwrap());
        let diff = r.diff_tree_to_tree(parent.as_ref(), Some(&c.tree().unwrap()), None).unwrap();
        let files = diff.deltas().map(|d| d.new_file().path().unwrap().display().to_string()).collect();
        (c.message().unwrap_or_default().trim().to_string(), files)
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_teaches_its_expert_through_the_gate_and_the_next_task_reads_it() {
    let mut spec =
        vec![task("users", &[], &["src/api/users.rs"], 5), task("orders", &["users"], &["src/api/orders.rs"], 5)];
    spec[0]["title"] = json!("Add the users endpoint");
    let (f, p) = with_api_expert(spec).await;
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts(&f, json!({})), tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    // Both tasks were routed to the api expert: the report says so.
    assert_eq!((report.expertise_reuse.routed, report.expertise_reuse.served_by_expertise), (2, 2), "{report:#?}");
    assert!(report.to_text().contains("expertise: 2 of 2 routed tasks served by prior expertise (100%)"));

    // The database learned: usage, patterns, confidence, metrics.
    let api = expertise::get(&f.db, &p, "api").await.unwrap().unwrap();
    assert_eq!(api.usage_count, 2, "{api:#?}");
    for want in ["Validate request bodies in the handler", "files: src/api/*.rs", "language: rust"] {
        assert!(api.patterns.iter().any(|x| x == want), "{want} missing: {api:#?}");
    }
    assert_eq!(api.patterns.iter().filter(|x| x.as_str() == "files: src/api/*.rs").count(), 1, "deduplicated");
    assert!((api.confidence - 0.54).abs() < 1e-9, "{api:#?}");
    assert_eq!(api.metrics.get("tasks"), Some(&2.0));

    // The files landed through the gate, in a commit of their own right after the task's code.
    let on_main = f.target_file(API_YAML).unwrap();
    assert!(on_main.contains("files: src/api/*.rs") && on_main.contains("usage: 2"), "{on_main}");
    let log = history(&f.repo);
    let i = log.iter().position(|(m, _)| m == "expertise: Add the users endpoint").expect("expertise commit on main");
    assert!(log[i].1.iter().all(|p| p.starts_with(".claude/")), "only expertise files: {:?}", log[i].1);
    assert!(log[i].1.contains(&API_YAML.to_string()));
    assert!(log[i + 1].1.contains(&"src/api/users.rs".to_string()), "the code commit precedes it: {log:#?}");
    // The user's clean checkout of main followed the landings (never written to by learning itself).
    let checkout = std::fs::read_to_string(f.repo.join(API_YAML)).unwrap();
    assert_eq!(checkout, on_main);

    // Both prompts name the expert's file; the second one was written after the first task taught it.
    for t in ["users", "orders"] {
        let prompts = prompts(&f.repo, t);
        assert_eq!(prompts.len(), 1);
        assert!(
            prompts[0].contains(&format!("Expert context: read `{API_YAML}` before you start; domain api (source db")),
            "{}",
            prompts[0]
        );
    }
    // Every routing decision was logged.
    let stats = expertise::reuse_stats(&f.db, &p).await.unwrap();
    assert_eq!((stats.routed, stats.served_by_expertise), (2, 2));
    assert!(f.task_branches().is_empty() && f.worktree_dirs().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_tasks_of_one_expert_both_land() {
    let spec = vec![
        task("users", &[], &["src/api/users.rs"], 5),
        task("orders", &[], &["src/api/orders.py"], 5),
        task("carts", &[], &["src/api/carts.go"], 5),
    ];
    let (f, p) = with_api_expert(spec).await;
    let mut o = opts(&f, json!({ "default": { "sleep_ms": 200 } }));
    o.max_worktrees = Some(3);
    o.resolve_conflicts = false;
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, o, tx).await.unwrap();
    assert!(report.all_done(), "the expertise files must not make parallel tasks conflict: {report:#?}");
    let api = expertise::get(&f.db, &p, "api").await.unwrap().unwrap();
    assert_eq!(api.usage_count, 3);
    let on_main = f.target_file(API_YAML).unwrap();
    for want in ["language: rust", "language: python", "language: go", "usage: 3"] {
        assert!(on_main.contains(want), "{want} missing on main: {on_main}");
    }
    // All three started from the same commit: the later ones brought the target in for their expertise files.
    let r = git2::Repository::open(&f.repo).unwrap();
    let mut walk = r.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    let merged_in = walk
        .map(|o| r.find_commit(o.unwrap()).unwrap())
        .filter(|c| c.message().unwrap_or_default().starts_with("expertise:") && c.parent_count() == 2)
        .count();
    assert!(merged_in >= 1, "no expertise commit merged the target in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn review_lowers_confidence_in_the_database_only() {
    let (f, p) = with_api_expert(vec![task("broken", &[], &["src/api/broken.rs"], 5)]).await;
    let (tx, _rx) = events::channel();
    let o = opts(&f, json!({ "tasks": { "broken": { "action": "fail" } } }));
    orchestrator::run(&f.db, &f.project_id, o, tx).await.unwrap();
    assert_eq!(f.status_of("broken").await, TaskStatus::Review);
    let api = expertise::get(&f.db, &p, "api").await.unwrap().unwrap();
    assert!((api.confidence - 0.45).abs() < 1e-9, "{api:#?}");
    assert_eq!(api.metrics.get("review"), Some(&1.0));
    assert_eq!(api.usage_count, 1);
    // Nothing of it reached the target.
    assert!(f.target_file(API_YAML).unwrap().contains("confidence: 0.5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_experts_nothing_is_committed_and_learning_can_be_turned_off() {
    let f = fixture(vec![task("a", &[], &["src/api/a.rs"], 5)]).await;
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts(&f, json!({})), tx).await.unwrap();
    assert!(report.all_done());
    assert!(history(&f.repo).iter().all(|(m, _)| !m.starts_with("expertise:")));
    assert!(f.target_file(API_YAML).is_none());
    let p = project::get(&f.db, &f.project_id).await.unwrap();
    // Routed (and logged) even with no expert: it counts as not served.
    assert_eq!(expertise::reuse_stats(&f.db, &p).await.unwrap().routed, 1);

    let (f, p) = with_api_expert(vec![task("b", &[], &["src/api/b.rs"], 5)]).await;
    let (tx, _rx) = events::channel();
    let o = RunOptions { learn: false, ..opts(&f, json!({})) };
    assert!(orchestrator::run(&f.db, &f.project_id, o, tx).await.unwrap().all_done());
    assert_eq!(expertise::get(&f.db, &p, "api").await.unwrap().unwrap().usage_count, 0);
    assert_eq!(expertise::reuse_stats(&f.db, &p).await.unwrap().routed, 0);
    assert!(!prompts(&f.repo, "b")[0].contains("Expert context"));
}

/// `git status --porcelain` of `repo` (what the person sees).
fn porcelain(repo: &Path) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(repo).args(["status", "--porcelain"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_documented_expertise_add_then_run_flow_lands_and_the_checkout_follows() {
    let mut spec = vec![task("users", &[], &["src/api/users.rs"], 5)];
    spec[0]["title"] = json!("Add the users endpoint");
    let f = support::fixture(spec).await;
    let out = support::cli(&f.db_path, &f.repo, &["expertise", "add", "api"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("committed the expert's files on `main`"), "{}", out.stdout);
    assert_eq!(porcelain(&f.repo), "", "the expert's files are committed, nothing else is touched");
    assert!(f.target_file(API_YAML).is_some());

    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts(&f, json!({})), tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let on_main = f.target_file(API_YAML).unwrap();
    assert!(on_main.contains("usage: 1"), "the expert learned on main: {on_main}");
    assert_eq!(std::fs::read_to_string(f.repo.join(API_YAML)).unwrap(), on_main, "the checkout followed");
    assert!(f.repo.join("src/api/users.rs").exists());
    assert_eq!(porcelain(&f.repo), "", "no landed work shows as a pending revert");
}
