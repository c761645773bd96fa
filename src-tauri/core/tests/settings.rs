//! Project settings from the command line (the window's panel calls the same service): read, checked before
//! anything is stored, commands approved as a person sets them, the tasks file kept in step in place, and runs
//! taking the project's timeout and budget. Real SQLite files and repositories.

mod support;

use serde_json::json;
use support::{cli, init_repo};
use yokeflow_core::run::runs::{RunRequest, Runs};
use yokeflow_core::{store::approvals, store::db::Db, store::project, tasks::settings};

const TASKS: &str = "# Shop tasks.\ntest_command: [\"true\"]   # fast\ntasks:\n  - id: a\n    title: A\n";

/// A repository `shop` with its tasks file, registered and imported from the command line: (folder, repo, db).
async fn shop() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    init_repo(&repo, &[("yokeflow.yaml", TASKS)]);
    let db_path = dir.path().join("yokeflow.db");
    assert_eq!(cli(&db_path, &repo, &["init"]).await.code, 0);
    assert_eq!(cli(&db_path, &repo, &["import", repo.join("yokeflow.yaml").to_str().unwrap()]).await.code, 0);
    (dir, repo, db_path)
}

#[tokio::test]
async fn settings_are_checked_stored_approved_and_kept_in_the_tasks_file() {
    let (_dir, repo, db_path) = shop().await;
    let db = Db::open(&db_path).await.unwrap();
    let p = project::find_by_repo(&db, &repo).await.unwrap();

    let all = cli(&db_path, &repo, &["--json", "config"]).await.json();
    assert_eq!(all["test_command"], json!(["true"]));
    assert_eq!((all["max_worktrees"].clone(), all["max_cost_usd"].clone()), (json!(4), json!(null)));
    // The gate's: pre-flights on, as many test runs at once as the machine has cores, batches of up to 8.
    assert_eq!(
        (&all["preflight"], &all["parallel_tests"], &all["batch_size"]),
        (&json!(true), &json!(null), &json!(8))
    );

    // Refused, naming the setting; nothing stored.
    let refusals = [
        (vec!["config", "set", "setup", r#"["no-such-program-xyz"]"#], "not installed"),
        (vec!["config", "set", "worktree_include", r#"["../secrets"]"#], "inside the repository"),
        (vec!["config", "set", "max_worktrees", "0"], "between 1 and 64"),
        (vec!["config", "set", "max_cost_usd", "-1"], "positive"),
        (vec!["config", "set", "batch_size", "0"], "between 1 and 64"),
        (vec!["config", "set", "parallel_tests", "65"], "between 1 and 64"),
        (vec!["config", "set", "preflight", "maybe"], "on or off"),
        (vec!["config", "set", "colour", "blue"], "there is no setting"),
    ];
    for (args, says) in refusals {
        let mut argv = vec!["--json"];
        argv.extend(args.iter().copied());
        let out = cli(&db_path, &repo, &argv).await;
        assert_eq!(out.error_code(), "invalid_input", "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert_eq!(settings::get(&db, &p.id).await.unwrap(), serde_json::from_value(all).unwrap(), "nothing stored");

    // Set by a person: stored, approved as set; the tasks file's own key follows in place.
    for (key, value) in [
        ("test_command", r#"["sh", "-c", "exit 0"]"#),
        ("setup", r#"["true"]"#),
        ("max_worktrees", "2"),
        ("max_cost_usd", "2.5"),
        ("agent_timeout_secs", "60"),
        ("agent", r#"["true", "{prompt}"]"#),
        ("preflight", "off"),
        ("parallel_tests", "3"),
        ("batch_size", "2"),
    ] {
        let out = cli(&db_path, &repo, &["config", "set", key, value]).await;
        assert_eq!(out.code, 0, "{key}: {}", out.stderr);
    }
    let p = project::get(&db, &p.id).await.unwrap();
    assert!(approvals::pending(&db, &p).await.unwrap().is_empty(), "a person's commands are approved as set");
    let text = std::fs::read_to_string(repo.join("yokeflow.yaml")).unwrap();
    let file = yokeflow_core::tasks::taskfile::parse(&text, false).unwrap();
    assert_eq!(file.test_command, Some(vec!["sh".into(), "-c".into(), "exit 0".into()]), "{text}");
    assert!(text.contains("]   # fast\n"), "the comment on that line stays: {text}");
    assert!(text.starts_with("# Shop tasks.\n"), "the person's comment stays: {text}");
    assert!(!text.contains("setup"), "a key the file did not have stays out of it: {text}");
    // A re-import does not undo it.
    assert_eq!(cli(&db_path, &repo, &["import", repo.join("yokeflow.yaml").to_str().unwrap()]).await.code, 0);
    let after = settings::get(&db, &p.id).await.unwrap();
    assert_eq!(after.test_command, Some(vec!["sh".into(), "-c".into(), "exit 0".into()]));
    assert_eq!(after.setup, Some(vec!["true".into()]));

    // Runs take the project's timeout and budget unless asked otherwise.
    let resolved = Runs::new(db.clone()).resolve(&p.id, &RunRequest::default()).await.unwrap();
    assert_eq!((resolved.agent_timeout, resolved.max_cost_usd), (Some(std::time::Duration::from_secs(60)), Some(2.5)));
    assert_eq!(resolved.workers, 2);
    assert_eq!((resolved.preflight, resolved.parallel_tests, resolved.batch_size), (false, 3, 2));
    assert_eq!(cli(&db_path, &repo, &["config", "set", "parallel_tests", "none"]).await.code, 0);
    let cores = std::thread::available_parallelism().unwrap().get() as u32;
    let resolved = Runs::new(db.clone()).resolve(&p.id, &RunRequest::default()).await.unwrap();
    assert_eq!(resolved.parallel_tests, cores, "none: the machine's cores");
    // A caller that starts the run loop itself is resolved the same way, its own choices standing: its run id, no
    // timeout when it asks for none, one worker when sequential, the project's budget when it sets none.
    let opts = yokeflow_core::run::orchestrator::RunOptions {
        run_id: Some("r1".into()),
        sequential: true,
        agent_timeout: None,
        ..Default::default()
    };
    let (run_id, direct) = opts.resolve(&db, &p.id).await.unwrap();
    assert_eq!((run_id.as_str(), direct.workers, direct.agent_timeout), ("r1", 1, None));
    assert_eq!((direct.max_cost_usd, &direct.test_command), (Some(2.5), &resolved.test_command));
    assert_eq!(direct.agent_command, resolved.agent_command);
    let one = cli(&db_path, &repo, &["config", "get", "max_cost_usd"]).await;
    assert_eq!(one.stdout.trim(), "max_cost_usd = 2.5");
}

#[test]
fn the_presets_name_claude_code_codex_and_aider() {
    let ids: Vec<String> = settings::presets().into_iter().map(|p| p.id).collect();
    assert_eq!(ids, vec!["claude", "codex", "aider"]);
}

#[tokio::test]
async fn linking_a_folder_the_setup_command_remakes_is_refused_and_says_what_to_do() {
    let (_dir, repo, db_path) = shop().await;
    // The setup would replace the link in every worktree: one of the two is a mistake.
    let out = cli(&db_path, &repo, &["config", "set", "setup", r#"["npm", "ci"]"#]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = cli(&db_path, &repo, &["--json", "config", "set", "worktree_link", r#"["node_modules"]"#]).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert!(out.stderr.contains("it would replace the link in every worktree"), "{}", out.stderr);
    assert!(out.stderr.contains("reuse_worktrees"), "{}", out.stderr);
    // The other way round too, and a link the setup leaves alone is fine.
    assert_eq!(cli(&db_path, &repo, &["config", "set", "setup", "none"]).await.code, 0);
    assert_eq!(cli(&db_path, &repo, &["config", "set", "worktree_link", r#"["node_modules"]"#]).await.code, 0);
    let out = cli(&db_path, &repo, &["--json", "config", "set", "setup", r#"["npm", "install"]"#]).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert_eq!(cli(&db_path, &repo, &["config", "set", "setup", r#"["make", "deps"]"#]).await.code, 0);
}

#[tokio::test]
async fn a_pattern_whose_matches_would_never_be_copied_is_refused_when_set() {
    let (_dir, repo, db_path) = shop().await;
    std::fs::write(repo.join(".gitignore"), "node_modules\n.env\n").unwrap();
    std::fs::write(repo.join("notes.txt"), "untracked, not ignored\n").unwrap();
    std::fs::write(repo.join(".env"), "SECRET=1\n").unwrap();
    let set = |key: &'static str, value: &'static str| {
        let (db_path, repo) = (db_path.clone(), repo.clone());
        async move { cli(&db_path, &repo, &["--json", "config", "set", key, value]).await }
    };
    // Tracked: a worktree has it from git already.
    let out = set("worktree_include", r#"["yokeflow.yaml"]"#).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert!(out.stderr.contains("`yokeflow.yaml`") && out.stderr.contains("git tracks it"), "{}", out.stderr);
    // Not ignored: it would be committed with the task's work.
    let out = set("worktree_link", r#"["*.txt"]"#).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert!(out.stderr.contains("matches `notes.txt`") && out.stderr.contains("does not ignore it"), "{}", out.stderr);
    // Ignored, or nothing installed yet: fine.
    assert_eq!(set("worktree_include", r#"[".env"]"#).await.code, 0);
    assert_eq!(set("worktree_link", r#"["node_modules"]"#).await.code, 0);
    // A setting left as it was is not checked again when another one changes.
    std::fs::remove_file(repo.join(".gitignore")).unwrap();
    assert_eq!(set("max_worktrees", "3").await.code, 0);
}
