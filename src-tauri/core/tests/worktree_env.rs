//! Worktrees ready to build: a Node project whose tests need `node_modules` (ignored, made by the setup command)
//! and `.env` (ignored, copied from the main checkout) lands its tasks; a failing setup sends its task to Review
//! with its log; cleanup runs before a worktree goes; included files never take anything git tracks. Real git,
//! real SQLite, real `npm` and `node` (offline: the one dependency is a local folder).

mod support;

use std::path::Path;

use serde_json::json;
use support::init_repo;
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::{run::events, store::approvals, store::db::Db, store::project, store::tasks, tasks::import};

const LOCKFILE: &str = r#"{
  "name": "shop",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "shop",
      "version": "1.0.0",
      "dependencies": {
        "greeting": "file:vendor/greeting"
      }
    },
    "node_modules/greeting": {
      "resolved": "vendor/greeting",
      "link": true
    },
    "vendor/greeting": {
      "version": "1.0.0"
    }
  }
}
"#;

/// The tests need the dependency (only the setup makes `node_modules`) and the secret (only in the main
/// checkout's ignored `.env`).
const TEST_JS: &str = r#"const fs = require("fs");
const greet = require("greeting");
if (!fs.readFileSync(".env", "utf8").includes("SHOP_SECRET=s3cret")) { console.error("no .env"); process.exit(1); }
console.log(greet("tests"));
"#;

struct Shop {
    _dir: tempfile::TempDir,
    repo: std::path::PathBuf,
    db: Db,
    id: String,
    marks: std::path::PathBuf,
}

async fn shop(setup: serde_json::Value) -> Shop {
    shop_with(json!({ "setup": setup })).await
}

/// [`shop`] with these keys of its tasks file set (`null`: left out).
async fn shop_with(fields: serde_json::Value) -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    let marks = dir.path().join("cleaned");
    std::fs::create_dir_all(&marks).unwrap();
    let mut tasks_file = json!({
        "project": "shop",
        "test_command": ["node", "test.js"],
        "cleanup": ["sh", "-c", "touch \"$0/$YOKEFLOW_TASK_ID\"", marks.display().to_string()],
        "worktree_include": [".env"],
        "tasks": [
            {"id": "a", "title": "A", "files": ["src/a.js"]},
            {"id": "b", "title": "B", "files": ["src/b.js"]},
        ],
    });
    for (key, value) in fields.as_object().unwrap() {
        match value {
            serde_json::Value::Null => tasks_file.as_object_mut().unwrap().remove(key),
            v => tasks_file.as_object_mut().unwrap().insert(key.clone(), v.clone()),
        };
    }
    init_repo(
        &repo,
        &[
            (".gitignore", "node_modules/\n.env\n"),
            (
                "package.json",
                r#"{"name":"shop","version":"1.0.0","private":true,"dependencies":{"greeting":"file:vendor/greeting"}}"#,
            ),
            ("package-lock.json", LOCKFILE),
            ("vendor/greeting/package.json", r#"{"name":"greeting","version":"1.0.0","main":"index.js"}"#),
            ("vendor/greeting/index.js", "module.exports = (n) => `hello ${n}`;\n"),
            ("test.js", TEST_JS),
            ("yokeflow.yaml", &serde_json::to_string_pretty(&tasks_file).unwrap()),
        ],
    );
    std::fs::write(repo.join(".env"), "SHOP_SECRET=s3cret\n").unwrap();
    let db = Db::open(&dir.path().join("yokeflow.db")).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    import::import_file(&db, &p.id, &repo.join("yokeflow.yaml")).await.unwrap();
    // The setup, cleanup and test commands come from the repository's file: a person approves them first.
    let p = project::get(&db, &p.id).await.unwrap();
    let pending = approvals::pending(&db, &p).await.unwrap();
    let kinds: Vec<&str> = pending.iter().map(|c| c.kind.as_str()).collect();
    let setup = tasks_file.get("setup").is_some();
    assert_eq!(kinds, [&["test"][..], if setup { &["setup"] } else { &[] }, &["cleanup"]].concat());
    approvals::approve_shown(&db, &p, &pending).await.unwrap();
    Shop { _dir: dir, repo, db, id: p.id, marks }
}

/// An agent that works only where the setup ran and `.env` was copied.
fn agent() -> Vec<String> {
    let script = "test -e node_modules/greeting && test -f .env && mkdir -p src && \
                  echo \"module.exports = '$YOKEFLOW_TASK_ID';\" > src/$YOKEFLOW_TASK_ID.js";
    vec!["sh".into(), "-c".into(), script.into()]
}

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_node_project_lands_with_setup_and_an_included_env_file_and_cleans_up() {
    let s = shop(json!(["npm", "ci", "--offline", "--no-audit", "--no-fund"])).await;
    let opts = RunOptions { max_worktrees: Some(2), agent_command: Some(agent()), learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&s.db, &s.id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    for t in ["a", "b"] {
        assert!(support::target_file(&s.repo, &format!("src/{t}.js")).is_some(), "{t} landed");
    }
    assert_eq!(support::target_file(&s.repo, ".env"), None, "the secret never reaches a commit");
    // Each task's worktree had its setup; the gate's worktree ran it once (the lockfile did not change after).
    let logs = names(&s.repo.join(".yokeflow/logs"));
    let setups: Vec<&String> = logs.iter().filter(|n| n.ends_with("-setup.log")).collect();
    assert_eq!(setups.iter().filter(|n| n.starts_with("a-") || n.starts_with("b-")).count(), 2, "{logs:?}");
    // The gate's setup log is named for what it tested first: one branch, or a batch when both waited together.
    let gate = |n: &&&String| n.starts_with("yokeflow") || n.starts_with("batch-");
    assert_eq!(setups.iter().filter(gate).count(), 1, "{logs:?}");
    // Cleanup ran in each worktree before it was removed.
    assert_eq!(names(&s.marks), vec!["a", "b"]);
}

/// Runs `npm` with these arguments in `dir`, offline; panics with its output when it fails.
fn npm(dir: &Path, args: &[&str]) {
    let mut cmd = std::process::Command::new("npm");
    let out = cmd.args(args).args(["--offline", "--no-audit", "--no-fund"]).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "npm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_linked_node_modules_survives_an_npm_ci_in_the_worktree() {
    let s = shop_with(json!({ "worktree_link": ["node_modules"] })).await;
    // The person's installed dependencies, and a package file (a plain file, linked not copied) beside them.
    npm(&s.repo, &["ci"]);
    let mine = s.repo.join("node_modules");
    std::fs::create_dir_all(mine.join("extra")).unwrap();
    std::fs::write(mine.join("extra/index.js"), "module.exports = 'extra';\n").unwrap();
    let bookkeeping = std::fs::read_to_string(mine.join(".package-lock.json")).unwrap();
    // Each agent finds the linked folder, writes into npm's bookkeeping in place, then reinstalls from scratch.
    let script = "test -f node_modules/extra/index.js && echo '{}' > node_modules/.package-lock.json && \
                  npm ci --offline --no-audit --no-fund && test -e node_modules/greeting && mkdir -p src && \
                  echo \"module.exports = '$YOKEFLOW_TASK_ID';\" > src/$YOKEFLOW_TASK_ID.js";
    let agent = vec!["sh".to_string(), "-c".to_string(), script.to_string()];
    let opts = RunOptions { max_worktrees: Some(2), agent_command: Some(agent), learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&s.db, &s.id, opts, tx).await.unwrap();
    // The gate tested with the linked folder too (the test needs `greeting`), which resolves in its own tree.
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(std::fs::read_to_string(mine.join("extra/index.js")).unwrap(), "module.exports = 'extra';\n");
    assert_eq!(std::fs::read_to_string(mine.join(".package-lock.json")).unwrap(), bookkeeping);
    assert!(mine.join("greeting").exists() && !std::fs::symlink_metadata(&mine).unwrap().file_type().is_symlink());
    assert_eq!(names(&mine), vec![".package-lock.json", "extra", "greeting"]);
}

#[test]
fn a_dependency_folder_installed_for_another_lockfile_is_left_out_and_an_old_copy_removed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    init_repo(&root, &[(".gitignore", "node_modules/\n"), ("package-lock.json", "{\"v\": 1}\n")]);
    std::fs::create_dir_all(root.join("node_modules/dep")).unwrap();
    std::fs::write(root.join("node_modules/dep/index.js"), "module.exports = 1;\n").unwrap();
    let dest = dir.path().join("wt");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::write(dest.join("package-lock.json"), "{\"v\": 1}\n").unwrap();
    let link = ["node_modules".to_string()];
    let done = yokeflow_core::workspace::prepare::include_files(&root, &dest, &[], &link).unwrap();
    assert_eq!(done.linked, vec!["node_modules"], "{done:?}");
    // The tree now declares other dependencies: the checkout's do not fit it, and the earlier copy goes.
    std::fs::write(dest.join("package-lock.json"), "{\"v\": 2}\n").unwrap();
    let done = yokeflow_core::workspace::prepare::include_files(&root, &dest, &[], &link).unwrap();
    assert!(done.linked.is_empty(), "{done:?}");
    let (path, why) = &done.skipped[0];
    assert_eq!(path, "node_modules");
    assert!(why.contains("package-lock.json differs from your checkout's") && why.contains("was removed"), "{why}");
    assert!(!dest.join("node_modules").exists());
    assert_eq!(std::fs::read_to_string(root.join("node_modules/dep/index.js")).unwrap(), "module.exports = 1;\n");
    // A worktree without the lockfile at all does not fit either; a `.env` beside it is no dependency folder.
    std::fs::remove_file(dest.join("package-lock.json")).unwrap();
    let done = yokeflow_core::workspace::prepare::include_files(&root, &dest, &[], &link).unwrap();
    assert!(done.linked.is_empty() && !dest.join("node_modules").exists(), "{done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_setup_sends_its_task_to_review_with_the_log() {
    let s = shop(json!(["sh", "-c", "echo the registry is down >&2; exit 7"])).await;
    let opts = RunOptions { max_worktrees: Some(1), agent_command: Some(agent()), learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&s.db, &s.id, opts, tx).await.unwrap();
    let all = tasks::list(&s.db, &s.id).await.unwrap();
    for t in &all {
        assert_eq!(t.status, TaskStatus::Review, "{t:?}");
        let reason = t.review_reason.clone().unwrap_or_default();
        assert!(reason.contains("exited with code 7") && reason.contains("-setup.log"), "{reason}");
        let log = reason.rsplit("(log: ").next().unwrap().trim_end_matches(')');
        assert!(std::fs::read_to_string(log).unwrap().contains("the registry is down"), "{log}");
    }
}

#[test]
fn included_files_never_take_what_git_tracks_or_leave_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    init_repo(
        &root,
        &[
            ("config/app.toml", "tracked\n"),
            ("README.md", "hi\n"),
            (".gitignore", "config/local.toml\ncache/\nescape.txt\n"),
        ],
    );
    // Untracked but not ignored: it would be committed with the task's work, so it is not copied.
    std::fs::write(root.join("config/notes.toml"), "not ignored\n").unwrap();
    std::fs::write(root.join("config/local.toml"), "mine\n").unwrap();
    std::fs::create_dir_all(root.join("cache/deep")).unwrap();
    std::fs::write(root.join("cache/deep/blob"), "b\n").unwrap();
    std::os::unix::fs::symlink("/etc", root.join("cache/outside")).unwrap();
    std::os::unix::fs::symlink("deep/blob", root.join("cache/inside")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", root.join("escape.txt")).unwrap();
    let dest = dir.path().join("wt");
    std::fs::create_dir_all(&dest).unwrap();
    let include = ["config/*.toml".to_string(), "cache".to_string(), "escape.txt".to_string()];
    let done = yokeflow_core::workspace::prepare::include_files(&root, &dest, &include, &[]).unwrap();
    assert_eq!(done.copied, vec!["config/local.toml", "cache"]);
    let skipped: Vec<(&str, &str)> = done.skipped.iter().map(|(p, w)| (p.as_str(), w.as_str())).collect();
    assert!(skipped.contains(&("config/app.toml", "git tracks it")), "{skipped:?}");
    assert!(skipped.contains(&("escape.txt", "a symlink is not followed")), "{skipped:?}");
    assert!(
        skipped.iter().any(|(p, w)| *p == "config/notes.toml" && w.contains("git does not ignore it")),
        "{skipped:?}"
    );
    assert!(!dest.join("config/notes.toml").exists());
    assert!(!dest.join("config/app.toml").exists(), "a tracked file is never copied");
    assert_eq!(std::fs::read_to_string(dest.join("cache/deep/blob")).unwrap(), "b\n");
    assert!(dest.join("cache/inside").is_symlink(), "a link inside the repository stays a link");
    assert!(std::fs::symlink_metadata(dest.join("cache/outside")).is_err(), "a link out of it is left out");
    // A second pass brings a copy the main checkout changed since up to date, and writes nothing else.
    std::fs::write(root.join("config/local.toml"), "mine, edited since\n").unwrap();
    let again = yokeflow_core::workspace::prepare::include_files(&root, &dest, &include, &[]).unwrap();
    assert_eq!(again.copied, vec!["config/local.toml"], "{again:?}");
    assert_eq!(std::fs::read_to_string(dest.join("config/local.toml")).unwrap(), "mine, edited since\n");
    assert!(again.skipped.contains(&("cache".into(), "the worktree has it already, up to date".into())), "{again:?}");
    // Linked instead of copied: the worktree's own folders holding the same files (hard links on this file system,
    // or clones); a second pass writes nothing.
    let fresh = dir.path().join("wt2");
    let linked = yokeflow_core::workspace::prepare::include_files(&root, &fresh, &[], &["cache".into()]).unwrap();
    assert_eq!(linked.linked, vec!["cache"]);
    let meta = std::fs::symlink_metadata(fresh.join("cache")).unwrap();
    assert!(meta.is_dir() && !meta.file_type().is_symlink(), "never a symlink to the checkout's folder");
    assert_eq!(std::fs::read_to_string(fresh.join("cache/deep/blob")).unwrap(), "b\n");
    let again = yokeflow_core::workspace::prepare::include_files(&root, &fresh, &[], &["cache".into()]).unwrap();
    assert!(again.linked.is_empty() && again.skipped[0].1.contains("up to date"), "{again:?}");
    // In a real worktree, `cache/` (ignored as a folder) is linked as a folder git ignores.
    let wt = dir.path().join("wt3");
    let add = std::process::Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["worktree", "add", "-q", "--detach"])
        .arg(&wt)
        .status();
    assert!(add.unwrap().success());
    let links = ["cache".to_string(), "config/local.toml".to_string()];
    let done = yokeflow_core::workspace::prepare::include_files(&root, &wt, &[], &links).unwrap();
    assert_eq!(done.linked, vec!["cache", "config/local.toml"], "{done:?}");
    let status = std::process::Command::new("git").arg("-C").arg(&wt).args(["status", "--porcelain"]).output();
    assert_eq!(String::from_utf8_lossy(&status.unwrap().stdout), "", "nothing linked would be committed");
    // Patterns that would leave the repository are refused.
    for bad in ["../x", "/etc/passwd", ".git/config", ".yokeflow/logs", "a/**/b"] {
        assert!(
            yokeflow_core::workspace::prepare::include_files(&root, &fresh, &[bad.to_string()], &[]).is_err(),
            "{bad}"
        );
    }
}

/// A Rust workspace whose setup builds it, with reused worktrees: tasks `a` then `b` (b depends on a), one slot.
async fn reused_rust_project() -> (tempfile::TempDir, std::path::PathBuf, Db, String) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("crate");
    let tasks_file = json!({
        "project": "crate",
        "setup": support::cargo_project::build_argv(),
        "tasks": [
            {"id": "a", "title": "A", "files": ["notes/a.md"]},
            {"id": "b", "title": "B", "files": ["notes/b.md"], "depends_on": ["a"]},
        ],
    });
    let mut files = support::cargo_project::files(150);
    files.push(("yokeflow.yaml".into(), serde_json::to_string_pretty(&tasks_file).unwrap()));
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    init_repo(&repo, &refs);
    let db = Db::open(&dir.path().join("yokeflow.db")).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    import::import_file(&db, &p.id, &repo.join("yokeflow.yaml")).await.unwrap();
    let p = project::get(&db, &p.id).await.unwrap();
    let pending = approvals::pending(&db, &p).await.unwrap();
    approvals::approve_shown(&db, &p, &pending).await.unwrap();
    let mut s = yokeflow_core::tasks::settings::get(&db, &p.id).await.unwrap();
    assert!(!s.reuse_worktrees, "off unless a person turns it on");
    s.reuse_worktrees = true;
    // Not a repository setting: the tasks file is left as it is (the checkout stays clean for the landings).
    yokeflow_core::tasks::settings::save(&db, &p.id, &s).await.unwrap();
    assert_eq!(std::fs::read_to_string(repo.join("yokeflow.yaml")).unwrap(), files.last().unwrap().1);
    (dir, repo, db, p.id)
}

fn setup_log(repo: &Path, task: &str) -> String {
    let logs = repo.join(".yokeflow/logs");
    let name = names(&logs).into_iter().find(|n| n.starts_with(&format!("{task}-")) && n.ends_with("-setup.log"));
    std::fs::read_to_string(logs.join(name.unwrap_or_else(|| panic!("no setup log of {task}")))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_second_task_in_a_reused_slot_builds_incrementally() {
    let (_dir, repo, db, id) = reused_rust_project().await;
    let agent = vec!["sh".into(), "-c".into(), "mkdir -p notes && echo done > notes/$YOKEFLOW_TASK_ID.md".into()];
    let opts = RunOptions { max_worktrees: Some(1), agent_command: Some(agent), learn: false, ..Default::default() };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let report = orchestrator::run(&db, &id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let created: Vec<(String, String)> = seen
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            events::Event::WorktreeCreated { task_id, path, .. } => Some((task_id, path)),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 2, "{created:?}");
    assert!(created.iter().all(|(_, p)| p.ends_with("/slot-0")), "both tasks worked in the slot's folder: {created:?}");
    // The first task's setup built everything; the second's was skipped: same command, same Cargo.lock, and the
    // slot still holds what the first one built.
    let (a, b) = (setup_log(&repo, "a"), setup_log(&repo, "b"));
    assert!(a.contains("Compiling dep") && a.contains("Compiling app"), "{a}");
    assert!(b.contains("skipped, the command and the lockfiles are the same"), "{b}");
    // The slot is free for the next run, its build kept; no task branch or other worktree is left.
    let slot = yokeflow_core::workspace::worktree::work_home(&repo).join("worktrees/slot-0");
    assert!(slot.join("target/debug").is_dir());
    let usage = yokeflow_core::workspace::worktree::disk_usage(&repo).unwrap();
    assert_eq!((usage.worktrees, usage.free_slots), (0, 1));
    assert!(support::task_branches(&repo).is_empty(), "{:?}", support::task_branches(&repo));
    for t in ["a", "b"] {
        assert_eq!(support::target_file(&repo, &format!("notes/{t}.md")).as_deref(), Some("done\n"));
    }

    // Turning reuse off frees the disk at once.
    let mut s = yokeflow_core::tasks::settings::get(&db, &id).await.unwrap();
    s.reuse_worktrees = false;
    yokeflow_core::tasks::settings::save(&db, &id, &s).await.unwrap();
    assert!(!slot.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_reuse_every_task_works_in_a_slot_folder_even_while_others_wait_at_the_gate() {
    let spec: Vec<_> = (0..6).map(|i| support::task(&format!("t{i}"), &[], &[&format!("f{i}.txt")], 5)).collect();
    let f = support::fixture(spec).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.reuse_worktrees = true;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(f.agent(json!({ "default": { "sleep_ms": 50 } }))),
        // Slower than the agents: finished work waits at the gate while the slots take the next tasks.
        test_command: Some(vec!["sleep".into(), "0.3".into()]),
        learn: false,
        ..Default::default()
    };
    let (tx, rx) = events::channel();
    let seen = support::collect_events(rx);
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let paths: Vec<String> = seen
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| match e {
            events::Event::WorktreeCreated { path, .. } => Some(path),
            _ => None,
        })
        .collect();
    assert_eq!(paths.len(), 6);
    let home = yokeflow_core::workspace::worktree::work_home(&f.repo).join("worktrees/slot-");
    assert!(paths.iter().all(|p| p.starts_with(&*home.to_string_lossy())), "{paths:?}");
    let folders = f.worktree_dirs();
    assert!(folders.iter().all(|d| d.starts_with("slot-")) && folders.len() <= 6, "{folders:?}");
    let usage = yokeflow_core::workspace::worktree::disk_usage(&f.repo).unwrap();
    assert_eq!((usage.worktrees, usage.free_slots as usize), (0, folders.len()));
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
    // The next run keeps at most twice its workers of them.
    let agent = Some(f.agent(json!({ "default": { "sleep_ms": 5 } })));
    let opts = RunOptions { max_worktrees: Some(1), agent_command: agent, learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(f.worktree_dirs().len() <= 2, "{:?}", f.worktree_dirs());
}

/// Six independent tasks, two workers; the gate's first test run holds until every agent has finished, so all the
/// other tasks' work waits at the gate meanwhile. Each agent counts the task folders on disk as it works.
async fn worktrees_while_work_waits(reuse: bool) {
    let spec: Vec<_> = (0..6).map(|i| support::task(&format!("t{i}"), &[], &[&format!("t{i}.txt")], 5)).collect();
    let f = support::fixture(spec).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.reuse_worktrees = reuse;
    // The gate's own path: no pre-flight holds a folder (tests/preflight.rs counts those).
    s.preflight = false;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let (counts, done) = (f.dir.path().join("counts"), f.dir.path().join("done"));
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(support::folder_counting_agent(&counts, &done)),
        test_command: Some(support::gate_held_until(&done, 6)),
        learn: false,
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let counts = support::folder_counts(&counts);
    assert_eq!(counts.len(), 6);
    // Work waiting at the gate holds no folder: the gate tests in its own worktree.
    assert!(counts.iter().all(|&n| n <= 2), "task folders seen by the agents: {counts:?}");
    assert!(f.worktree_dirs().len() <= if reuse { 2 } else { 0 }, "{:?}", f.worktree_dirs());
    assert!(f.task_branches().is_empty(), "{:?}", f.task_branches());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn task_folders_stay_within_the_worker_count_while_work_waits_at_the_gate() {
    worktrees_while_work_waits(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reused_slot_folders_stay_within_the_worker_count_while_work_waits_at_the_gate() {
    worktrees_while_work_waits(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_whose_tests_fail_at_the_gate_gets_a_folder_of_its_branch_for_review() {
    let f = support::fixture(vec![support::task("a", &[], &["a.txt"], 5)]).await;
    let mut s = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    s.reuse_worktrees = true;
    // At the gate, not in a pre-flight (which keeps the task's own folder: tests/preflight.rs).
    s.preflight = false;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &s).await.unwrap();
    let opts = RunOptions {
        max_worktrees: Some(1),
        agent_command: Some(vec!["sh".into(), "-c".into(), "echo a > a.txt".into()]),
        test_command: Some(vec!["false".into()]),
        learn: false,
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert_eq!(f.status_of("a").await, TaskStatus::Review);
    // The slot's folder was freed at the gate; the task has a folder of its own branch again to look into.
    let folder = yokeflow_core::store::locations::worktree_dir(&f.db, &f.project_id, "a").await.unwrap();
    assert!(!folder.file_name().unwrap().to_string_lossy().starts_with("slot-"), "{}", folder.display());
    assert_eq!(std::fs::read_to_string(folder.join("a.txt")).unwrap(), "a\n");
    let head = git2::Repository::open(&folder).unwrap().head().unwrap().shorthand().unwrap().to_string();
    assert_eq!(vec![head], f.task_branches());
    let diff = yokeflow_core::gate::diff::task_diff(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(diff.files.iter().map(|d| d.path.as_str()).collect::<Vec<_>>(), vec!["a.txt"]);
}

#[test]
fn an_included_file_is_never_written_through_a_folder_an_agent_replaced_by_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    init_repo(&root, &[("README.md", "hi\n"), (".gitignore", "config/local.toml\n.env\n")]);
    std::fs::create_dir_all(root.join("config")).unwrap();
    std::fs::write(root.join("config/local.toml"), "mine\n").unwrap();
    std::fs::write(root.join(".env"), "SECRET=1\n").unwrap();
    // An earlier agent in a reused worktree left `config` as a link to a folder outside the repository.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let wt = dir.path().join("wt");
    std::fs::create_dir_all(&wt).unwrap();
    std::os::unix::fs::symlink(&outside, wt.join("config")).unwrap();
    let include = ["config/local.toml".to_string(), ".env".to_string()];
    for (copy, link) in [(&include[..], &[][..]), (&[][..], &include[..])] {
        let done = yokeflow_core::workspace::prepare::include_files(&root, &wt, copy, link).unwrap();
        let why = done.skipped.iter().find(|(p, _)| p == "config/local.toml").map(|(_, w)| w.as_str());
        assert!(why.is_some_and(|w| w.contains("symbolic link")), "{done:?}");
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing was written outside the worktree");
    }
    // The worktree folder itself a link: nothing at all is written through it.
    let linked_wt = dir.path().join("wt-link");
    std::os::unix::fs::symlink(&outside, &linked_wt).unwrap();
    let done = yokeflow_core::workspace::prepare::include_files(&root, &linked_wt, &include, &[]).unwrap();
    assert!(done.copied.is_empty() && done.linked.is_empty(), "{done:?}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reused_slot_runs_its_setup_again_only_when_a_lockfile_or_the_command_changed() {
    let f = support::fixture(vec![
        support::task("a", &[], &["a.txt"], 5),
        support::task("b", &["a"], &["b.txt"], 5),
        support::task("c", &["b"], &["c.txt"], 5),
    ])
    .await;
    std::fs::write(f.repo.join("package-lock.json"), "{\"v\": 1}\n").unwrap();
    let git = git2::Repository::open(&f.repo).unwrap();
    yokeflow_core::sys::git::commit_all(&git, "a lockfile").unwrap();
    let count = f.dir.path().join("setup-runs");
    let setup =
        serde_json::to_string(&["sh", "-c", &format!("echo $YOKEFLOW_TASK_ID >> '{}'", count.display())]).unwrap();
    for (key, value) in [("setup", setup.as_str()), ("reuse_worktrees", "true")] {
        let out = support::cli(&f.db_path, &f.repo, &["config", "set", key, value]).await;
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    // Task a changes the lockfile (a dependency bump); b then needs the setup again; c does not.
    let agent = vec![
        "sh".into(),
        "-c".into(),
        r#"echo x > "$YOKEFLOW_TASK_ID.txt"; [ "$YOKEFLOW_TASK_ID" = a ] && echo '{"v": 2}' > package-lock.json; true"#
            .into(),
    ];
    let opts = RunOptions { max_worktrees: Some(1), agent_command: Some(agent), learn: false, ..Default::default() };
    let report = orchestrator::run(&f.db, &f.project_id, opts, events::channel().0).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(std::fs::read_to_string(&count).unwrap(), "a\nb\n", "c's setup was skipped");
    assert!(setup_log(&f.repo, "c").contains("skipped"), "{}", setup_log(&f.repo, "c"));
}
