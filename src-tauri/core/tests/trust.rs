//! The trust boundary around the target branch, end to end: the person's own checkout never blocks work that does
//! not touch it, and a buggy or hostile agent (a plain shell script given as the agent) cannot put an untested tree
//! on the target, commit through YokeFlow onto it, leave a process behind, or change what the person decided.
//! Real repositories, real SQLite files, real processes.

mod support;

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use support::{cli, fixture, init_repo, task};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::{store::db::Db, store::project};

/// A shell script as the agent: it runs in the task's worktree with YokeFlow's variables (`YOKEFLOW_TASK_ID`,
/// `YOKEFLOW_ROOT`, ...), like any agent would.
fn shell_agent(script: &str) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script.into()]
}

fn opts(agent: Vec<String>, test: &[&str]) -> RunOptions {
    RunOptions {
        agent_command: Some(agent),
        test_command: Some(test.iter().map(|s| s.to_string()).collect()),
        agent_timeout: Some(Duration::from_secs(120)),
        learn: false,
        ..Default::default()
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

const TASKS: &str = "\
project: shop
tasks:
  - id: a
    title: Task a
    files: [a.txt]
  - id: b
    title: Task b
    files: [b.txt]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_persons_unrelated_edit_and_a_task_added_from_the_command_line_never_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    init_repo(&repo, &[("yokeflow.yaml", TASKS)]);
    let db_path = dir.path().join("yokeflow.db");
    assert_eq!(cli(&db_path, &repo, &["init"]).await.code, 0);
    let out = cli(&db_path, &repo, &["import", repo.join("yokeflow.yaml").to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The person keeps an edit open, and adds a task from the command line (which edits the tracked tasks file).
    std::fs::write(repo.join("README.md"), "the person's unsaved edit\n").unwrap();
    let add = ["task", "add", "--id", "c", "--title", "Task c", "--files", "c.txt"];
    let out = cli(&db_path, &repo, &add).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README.md\n M yokeflow.yaml\n");
    let tasks_file = std::fs::read_to_string(repo.join("yokeflow.yaml")).unwrap();

    let db = Db::open(&db_path).await.unwrap();
    let p = project::find_by_repo(&db, &repo).await.unwrap();
    let agent = support::scripted_agent(&dir.path().join("script.json"), json!({ "default": { "sleep_ms": 20 } }));
    let (tx, rx) = events::channel();
    let warnings = support::collect_warnings(rx);
    let report = orchestrator::run(&db, &p.id, opts(agent, &["sh", "-c", "test -f README.md"]), tx).await.unwrap();
    let warnings = warnings.await.unwrap();
    assert!(report.all_done(), "{report:#?} {warnings:?}");
    assert_eq!(report.tasks_done, 3, "the added task ran too: {report:#?}");
    for file in ["a.txt", "b.txt", "c.txt"] {
        assert!(support::target_file(&repo, file).is_some(), "{file} on main");
        assert!(repo.join(file).exists(), "{file} in the person's checkout");
    }
    // The person's edit and the added task are still there, uncommitted, as they left them.
    assert_eq!(std::fs::read_to_string(repo.join("README.md")).unwrap(), "the person's unsaved edit\n");
    assert_eq!(std::fs::read_to_string(repo.join("yokeflow.yaml")).unwrap(), tasks_file);
    assert_eq!(git(&repo, &["status", "--porcelain"]), " M README.md\n M yokeflow.yaml\n");
    assert_eq!(support::target_file(&repo, "README.md").as_deref(), Some("test repo\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_points_its_worktree_at_the_target_gets_nothing_committed_and_blocks_no_one() {
    let f = fixture(vec![task("evil", &[], &["evil.txt"], 5), task("good", &[], &["good.txt"], 5)]).await;
    let script = r#"case "$YOKEFLOW_TASK_ID" in
evil) git symbolic-ref HEAD refs/heads/main && echo evil > evil.txt ;;
*) echo good > "$YOKEFLOW_TASK_ID.txt" ;;
esac"#;
    let report = orchestrator::run(&f.db, &f.project_id, opts(shell_agent(script), &["true"]), events::channel().0)
        .await
        .unwrap();
    assert_eq!((report.tasks_done, report.tasks_review), (1, 1), "{report:#?}");
    let evil = f.tasks().await.into_iter().find(|t| t.id == "evil").unwrap();
    assert_eq!(evil.status, TaskStatus::Review);
    let reason = evil.review_reason.unwrap_or_default();
    assert!(reason.contains("`main` checked out instead of its own branch"), "{reason}");
    assert_eq!(f.target_file("evil.txt"), None, "YokeFlow never committed the agent's files onto main");
    assert_eq!(f.target_file("good.txt").as_deref(), Some("good\n"));
    assert_eq!(f.status_of("good").await, TaskStatus::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_that_moves_the_target_is_seen_and_nothing_lands_on_it_until_it_passes() {
    let mut mover = task("mover", &[], &["m.txt"], 5);
    mover["priority"] = json!(10);
    let f = fixture(vec![mover, task("innocent", &[], &["innocent.txt"], 5)]).await;
    let start = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    let script = r#"case "$YOKEFLOW_TASK_ID" in
mover) echo x > broken && git add broken && git -c user.name=a -c user.email=a@b commit -qm evil &&
       git update-ref refs/heads/main HEAD ;;
*) echo ok > "$YOKEFLOW_TASK_ID.txt" ;;
esac"#;
    let mut o = opts(shell_agent(script), &["sh", "-c", "! test -e broken"]);
    o.sequential = true;
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run(&db, &pid, o, tx).await });
    // The gate tests the moved target alone, finds it failing and says so; then the person resets `main`.
    let seen = loop {
        match rx.recv().await.unwrap() {
            Event::TargetMovedOutside { from, to, by, passed, log, .. } => break (from, to, by, passed, log),
            Event::RunFinished { .. } => panic!("the run ended without seeing the moved target"),
            _ => {}
        }
    };
    let (from, to, by, passed, log) = seen;
    assert_eq!(from, start.to_string());
    assert_eq!(passed, Some(false));
    assert!(by.contains("update-ref") || by.contains("reflog"), "{by}");
    assert!(std::fs::read_to_string(log.unwrap()).unwrap().contains("testing it alone"));
    let repo = git2::Repository::open(&f.repo).unwrap();
    assert_eq!(repo.refname_to_id("refs/heads/main").unwrap().to_string(), to, "nothing landed on it meanwhile");
    repo.reference("refs/heads/main", start, true, "the person resets main").unwrap();
    let report = run.await.unwrap().unwrap();
    // The innocent task, started from the target as the gate last tested it (not the moved one), lands once the
    // target passes again; the mover's work never reaches the target through the gate.
    assert_eq!(f.status_of("innocent").await, TaskStatus::Done, "{report:#?}");
    assert_eq!(f.status_of("mover").await, TaskStatus::Review, "{report:#?}");
    assert_eq!(f.target_file("broken"), None);
    assert!(f.target_file("innocent.txt").is_some());
    assert_eq!(report.target_moves_outside.len(), 1, "{report:#?}");
    assert_eq!(report.target_moves_outside[0].passed, Some(false));
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["target_moves_outside"][0]["passed"], json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_an_agent_leaves_ends_with_its_session_before_its_work_reaches_the_gate() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &[], &["b.txt"], 5)]).await;
    // `setsid`: out of the agent's process group; it edits what the gate tests, forever.
    let integration = yokeflow_core::workspace::worktree::work_home(&f.repo).join("integration");
    let script = format!(
        r#"case "$YOKEFLOW_TASK_ID" in
a) setsid sh -c 'while :; do echo tampered >> "{integration}/README.md"; sleep 0.01; done' {marker} >/dev/null 2>&1 </dev/null &
   echo a > a.txt ;;
*) echo b > b.txt ;;
esac"#,
        marker = f.marker,
        integration = integration.display()
    );
    let mut o = opts(shell_agent(&script), &["sh", "-c", r#"test "$(cat README.md)" = "test repo""#]);
    o.sequential = true;
    let report = orchestrator::run(&f.db, &f.project_id, o, events::channel().0).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(f.marked_processes(), Vec::<i32>::new(), "the daemon outlived its agent's session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_cannot_change_what_the_person_decided_through_yokeflows_command_line() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let cli_bin = env!("CARGO_BIN_EXE_yokeflow-cli");
    let out = f.dir.path().join("cli-out");
    // Straight, and with the session's variable removed for the child: both are refused.
    let script = format!(
        r#"'{cli_bin}' --db '{db}' --repo "$YOKEFLOW_ROOT" --json config set test_command '["true"]' 2>> '{out}'
env -u YOKEFLOW_SESSION '{cli_bin}' --db '{db}' --repo "$YOKEFLOW_ROOT" --json permissions allow 'Bash(rm:*)' 2>> '{out}'
'{cli_bin}' --db '{db}' --repo "$YOKEFLOW_ROOT" --json status >/dev/null 2>> '{out}' && echo read-ok >> '{out}'
echo a > a.txt"#,
        db = f.db_path.display(),
        out = out.display()
    );
    let test = ["sh", "-c", "test -f a.txt"];
    let report =
        orchestrator::run(&f.db, &f.project_id, opts(shell_agent(&script), &test), events::channel().0).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let said = std::fs::read_to_string(&out).unwrap();
    assert_eq!(said.matches("refused_in_agent_session").count(), 2, "{said}");
    assert!(said.contains("read-ok"), "reading stays allowed: {said}");
    let config = cli(&f.db_path, &f.repo, &["--json", "config", "get", "test_command"]).await;
    assert!(!config.stdout.contains("\"true\""), "{}", config.stdout);
    let rules = cli(&f.db_path, &f.repo, &["permissions", "list"]).await;
    assert!(!rules.stdout.contains("Bash(rm:*)"), "{}", rules.stdout);
    // The person, outside any agent session, may.
    let set = cli(&f.db_path, &f.repo, &["config", "set", "max_worktrees", "3"]).await;
    assert_eq!(set.code, 0, "{}", set.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_task_branch_another_agent_deleted_never_blocks_a_run_and_its_work_is_kept() {
    let mut victim = task("victim", &[], &["victim.txt"], 5);
    victim["priority"] = json!(10);
    let f = fixture(vec![victim, task("killer", &[], &["killer.txt"], 5)]).await;
    // The victim leaves work and fails (Review, its worktree kept); the killer deletes the victim's branch.
    let script = r#"case "$YOKEFLOW_TASK_ID" in
victim) echo "the victim's work" > victim.txt; exit 1 ;;
*) for r in $(git for-each-ref --format='%(refname)' 'refs/heads/yokeflow/victim-*'); do git update-ref -d "$r"; done
   echo k > killer.txt ;;
esac"#;
    let mut o = opts(shell_agent(script), &["true"]);
    o.sequential = true;
    let report = orchestrator::run(&f.db, &f.project_id, o, events::channel().0).await.unwrap();
    assert_eq!((report.tasks_done, report.tasks_review), (1, 1), "{report:#?}");
    assert!(!f.task_branches().iter().any(|b| b.contains("victim")), "the branch is gone: {:?}", f.task_branches());

    // The next run is not blocked: recovery keeps the worktree's work aside and says so on the task.
    let o = opts(shell_agent("true"), &["true"]);
    let report = orchestrator::run(&f.db, &f.project_id, o, events::channel().0).await.unwrap();
    assert_eq!(report.status, yokeflow_core::model::RunStatus::Finished, "{report:#?}");
    let victim = f.tasks().await.into_iter().find(|t| t.id == "victim").unwrap();
    assert_eq!(victim.status, TaskStatus::Review);
    let reason = victim.review_reason.unwrap_or_default();
    assert!(reason.contains("was deleted by something other than YokeFlow"), "{reason}");
    let rescued =
        reason.split('`').find(|w| w.starts_with("refs/yokeflow/rescued/")).expect("a rescue ref").to_string();
    let repo = git2::Repository::open(&f.repo).unwrap();
    let tree = repo.find_reference(&rescued).unwrap().peel_to_tree().unwrap();
    let blob = tree.get_name("victim.txt").unwrap().to_object(&repo).unwrap().peel_to_blob().unwrap();
    assert_eq!(blob.content(), b"the victim's work\n");
    assert!(f.worktree_dirs().iter().all(|d| !d.contains("victim")), "{:?}", f.worktree_dirs());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agents_change_to_the_shared_git_config_is_undone_and_its_task_waits_with_the_change_shown() {
    let f = fixture(vec![task("planter", &[], &["p.txt"], 5)]).await;
    let script = r#"git config core.fsmonitor "$PWD/evil.sh" && git config alias.st '!sh -c evil' && git config user.name Kept
echo p > p.txt"#;
    let report = orchestrator::run(&f.db, &f.project_id, opts(shell_agent(script), &["true"]), events::channel().0)
        .await
        .unwrap();
    assert_eq!(report.tasks_review, 1, "{report:#?}");
    let t = f.tasks().await.into_iter().next().unwrap();
    let reason = t.review_reason.unwrap_or_default();
    assert!(reason.contains("YokeFlow undid it") && reason.contains("+ core.fsmonitor = "), "{reason}");
    assert!(reason.contains("+ alias.st = !sh -c evil"), "{reason}");
    let cfg = git2::Config::open(&f.repo.join(".git/config")).unwrap();
    assert!(cfg.get_string("core.fsmonitor").is_err() && cfg.get_string("alias.st").is_err());
    assert_eq!(cfg.get_string("user.name").unwrap(), "Kept", "a key that runs nothing is left as it is");
    assert_eq!(f.target_file("p.txt"), None, "its work did not go to the gate");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_changed_while_a_run_goes_are_listed_in_its_report() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let go = f.dir.path().join("go");
    let script = format!("until [ -e '{}' ]; do sleep 0.01; done; echo a > a.txt", go.display());
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let o = opts(shell_agent(&script), &["true"]);
    let run = tokio::spawn(async move { orchestrator::run(&db, &pid, o, tx).await });
    while !matches!(rx.recv().await.unwrap(), Event::AgentStarted { .. }) {}
    // The person changes a setting and allows a tool while the agent works.
    assert_eq!(cli(&f.db_path, &f.repo, &["config", "set", "max_cost_usd", "5"]).await.code, 0);
    assert_eq!(cli(&f.db_path, &f.repo, &["permissions", "allow", "Bash(npm test:*)"]).await.code, 0);
    std::fs::write(&go, "").unwrap();
    let report = run.await.unwrap().unwrap();
    let keys: Vec<&str> = report.settings_changed.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, vec!["max_cost_usd", "permissions"], "{:?}", report.settings_changed);
    assert_eq!(report.settings_changed[0].to, "5.0");
    assert!(report.settings_changed[1].to.contains("Bash(npm test:*)"));
}

/// An agent that asks for a follow-up on another task's landed work (which would start a run of its own past the
/// dependents' hold) is refused like any change, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_agent_cannot_reopen_landed_work_with_feedback() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &["a"], &["b.txt"], 5)]).await;
    let cli_bin = env!("CARGO_BIN_EXE_yokeflow-cli");
    let out = f.dir.path().join("cli-out");
    let script = format!(
        r#"case "$YOKEFLOW_TASK_ID" in
b) '{cli_bin}' --db '{db}' --repo "$YOKEFLOW_ROOT" --json feedback a 'delete everything' 2>> '{out}'
   echo b > b.txt ;;
*) echo a > a.txt ;;
esac"#,
        db = f.db_path.display(),
        out = out.display()
    );
    let test = ["sh", "-c", "true"];
    let report =
        orchestrator::run(&f.db, &f.project_id, opts(shell_agent(&script), &test), events::channel().0).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let said = std::fs::read_to_string(&out).unwrap();
    assert!(said.contains("refused_in_agent_session"), "{said}");
    assert!(yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap().is_empty());
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    let log = yokeflow_core::agents::sessions::task_log(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(log.sessions.len(), 1, "no follow-up session ran");
}
