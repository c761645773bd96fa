//! Nothing from a repository runs unapproved: the agent and test command a tasks file names are stored on import,
//! but a run refuses them (naming them) until a person approved that exact argv; a changed argv needs approval
//! again; commands a person gives directly run at once. Real repository, real SQLite file, the real CLI in-process.

mod support;

use std::path::Path;

use serde_json::json;
use support::SCRIPTED_AGENT;

/// A tasks file whose commands would leave a mark if they ran.
fn tasks_file(repo: &Path, marker: &Path, tests: &str) -> String {
    let agent = json!([SCRIPTED_AGENT, "--task-id", "{task_id}", "--prompt-file", "{prompt_file}", "--sleep-ms", "1"]);
    let test = json!(["sh", "-c", format!("echo {tests} >> '{}'", marker.display())]);
    let text = format!("project: shop\nagent: {agent}\ntest_command: {test}\ntasks:\n  - id: a\n    title: A\n");
    let path = repo.join("yokeflow.yaml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_from_a_tasks_file_run_only_once_approved() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    support::init_repo(&repo, &[]);
    let db = dir.path().join("data/yokeflow.db");
    let marker = dir.path().join("tests-ran.txt");
    let cli = |args: Vec<String>| {
        let (db, repo) = (db.clone(), repo.clone());
        async move { support::cli(&db, &repo, &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(cli(args(&["init"])).await.code, 0);
    // The tests leave their mark outside their worktree, which the sandbox would refuse (tests/sandbox_run.rs).
    assert_eq!(cli(args(&["config", "set", "sandbox", "off"])).await.code, 0);
    // One line in the mark per run of the tests: the gate's alone (no pre-flight runs them a second time).
    assert_eq!(cli(args(&["config", "set", "preflight", "off"])).await.code, 0);
    let file = tasks_file(&repo, &marker, "first");
    cli(args(&["--json", "import", &file])).await.json();

    // Changing another setting approves nothing the file gave.
    assert_eq!(cli(args(&["config", "set", "max_worktrees", "2"])).await.code, 0);
    // Refused before anything runs, naming the command.
    let out = cli(args(&["--json", "run"])).await;
    assert_eq!(out.error_code(), "command_not_approved", "{}", out.stderr);
    let out = cli(args(&["run"])).await;
    assert!(out.stderr.contains(SCRIPTED_AGENT) && out.stderr.contains("yokeflow allow"), "{}", out.stderr);
    assert!(!marker.exists(), "the tests ran without approval");
    let sessions = |db: &Path| {
        let db = db.to_path_buf();
        async move {
            let db = yokeflow_core::store::db::Db::open(&db).await.unwrap();
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(db.pool()).await.unwrap();
            db.close().await;
            n
        }
    };
    assert_eq!(sessions(&db).await, 0, "no agent ran");

    // A dry run shows both and approves nothing.
    let shown = cli(args(&["--json", "allow", "--dry-run"])).await.json();
    assert_eq!(shown["approved"], false);
    let kinds: Vec<&str> = shown["commands"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["agent", "test"]);
    assert_eq!(cli(args(&["--json", "run"])).await.error_code(), "command_not_approved");

    // Approved: the run goes, with the file's agent and tests.
    let out = cli(args(&["allow"])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("approved: the agent command") && out.stdout.contains("approved: the test command"));
    let out = cli(args(&["run"])).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "first\n");
    assert_eq!(cli(args(&["--json", "allow", "--dry-run"])).await.json()["commands"], json!([]));

    // The file changes its test command: that argv needs approval again; the agent's stays approved.
    let file = tasks_file(&repo, &marker, "second");
    cli(args(&["--json", "import", &file])).await.json();
    let out = cli(args(&["--json", "allow", "--dry-run"])).await.json();
    assert_eq!(out["commands"].as_array().unwrap().len(), 1);
    assert_eq!(out["commands"][0]["kind"], "test");
    assert_eq!(cli(args(&["--json", "run"])).await.error_code(), "command_not_approved");

    // A command the person gives on the command line runs at once (and is approved from then on).
    let given = json!(["sh", "-c", format!("echo given >> '{}'", marker.display())]).to_string();
    cli(args(&["--json", "import", &file])).await.json();
    let out = cli(args(&["run", "--test-cmd", &given])).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
}
