//! The agent runner against real processes: failures and timeouts go to Review with their logs while the other
//! tasks finish; task text full of shell syntax reaches the agent as plain text and runs nothing; a missing
//! agent program gives a helpful `AgentNotFound`.

mod support;

use std::time::Duration;

use serde_json::json;
use support::{fixture, task, SCRIPTED_AGENT};
use yokeflow_core::agents::command::ArgvVars;
use yokeflow_core::model::{Epic, TaskStatus};
use yokeflow_core::run::agent::{self, PromptContext};
use yokeflow_core::run::events;
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::{cli, error::CoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_and_hanging_agents_go_to_review_while_others_finish() {
    let spec = vec![
        task("bad", &[], &["bad.txt"], 5),
        task("stuck", &[], &["stuck.txt"], 5),
        task("good", &[], &["good.txt"], 5),
        task("after-good", &["good"], &["after.txt"], 5),
        task("nocommit", &[], &["nocommit.txt"], 5),
        task("idle", &[], &["idle.txt"], 5),
        task("after-bad", &["bad"], &["after-bad.txt"], 5),
    ];
    let f = fixture(spec).await;
    let agent = f.agent(json!({
        "default": { "sleep_ms": 50 },
        "tasks": {
            "bad": { "action": "fail" },
            "stuck": { "action": "hang" },
            "nocommit": { "action": "no-commit" },
            "idle": { "action": "no-change" }
        }
    }));
    let opts = RunOptions {
        max_worktrees: Some(4),
        agent_command: Some(agent),
        // Only `stuck` should reach it: long enough for the others on a loaded machine.
        agent_timeout: Some(Duration::from_secs(8)),
        kill_grace: Duration::from_millis(200),
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    println!("{}", report.to_text());

    let by_id = |id: &str| report.review.iter().find(|r| r.task_id == id).map(|r| r.reason.clone());
    let bad = by_id("bad").expect("bad in review");
    assert!(bad.contains("exited with code 3"), "{bad}");
    let log = bad.split("(log: ").nth(1).unwrap().trim_end_matches(')');
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("error: the script tells task bad to fail"), "{text}");
    assert!(text.contains("# exit code 3"), "{text}");

    let stuck = by_id("stuck").expect("stuck in review");
    assert!(stuck.contains("timed out"), "{stuck}");
    let log = stuck.split("(log: ").nth(1).unwrap().trim_end_matches(')');
    assert!(std::fs::read_to_string(log).unwrap().contains("hanging"));

    let idle = by_id("idle").expect("idle in review");
    assert!(idle.contains("the agent made no change"), "{idle}");

    for id in ["good", "after-good", "nocommit"] {
        assert_eq!(f.status_of(id).await, TaskStatus::Done, "{id}");
    }
    // Uncommitted work is committed for the agent (with the task title) and merged.
    assert!(f.target_file("nocommit.txt").unwrap().contains("- nocommit: done"));
    // A task behind a task in Review does not start.
    assert_eq!(f.status_of("after-bad").await, TaskStatus::Backlog);
    assert_eq!(report.tasks_review, 3);
    assert!(!report.all_done());
    assert!(f.marked_processes().is_empty(), "the hung agent's process group survived");
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM sessions ORDER BY task_id").fetch_all(f.db.pool()).await.unwrap();
    assert!(outcomes.contains(&"timed_out".to_string()) && outcomes.contains(&"failed".to_string()), "{outcomes:?}");
    assert!(outcomes.contains(&"no_changes".to_string()), "{outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_syntax_in_task_text_reaches_the_agent_as_plain_text() {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let pwned = format!("/tmp/pwned-{tag}");
    let pwned_bt = format!("/tmp/pwned-bt-{tag}");
    let mut t = task("evil", &[], &["evil.txt"], 5);
    t["title"] = json!("\"; rm -rf ~ #");
    t["description"] = json!(format!("$(touch {pwned}) and `touch {pwned_bt}`; echo hi > /tmp/x-{tag} & wait"));
    let f = fixture(vec![t]).await;
    let script = f.dir.path().join("script.json");
    std::fs::write(&script, json!({ "default": { "sleep_ms": 10 } }).to_string()).unwrap();
    // The prompt goes straight into argv, where a shell would have interpreted it.
    let agent = vec![
        SCRIPTED_AGENT.to_string(),
        "--task-id".into(),
        "{task_id}".into(),
        "--script".into(),
        script.display().to_string(),
        "--prompt".into(),
        "{prompt}".into(),
        "--marker".into(),
        f.marker.clone(),
    ];
    let (tx, _rx) = events::channel();
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert!(!std::path::Path::new(&pwned).exists(), "$(...) was executed");
    assert!(!std::path::Path::new(&pwned_bt).exists(), "backticks were executed");
    assert!(!std::path::Path::new(&format!("/tmp/x-{tag}")).exists(), "a redirection was executed");
    assert!(dirs::home_dir().is_none_or(|h| h.exists()), "the home folder is still there");
    let log: String = sqlx::query_scalar("SELECT log_path FROM sessions").fetch_one(f.db.pool()).await.unwrap();
    let text = std::fs::read_to_string(log).unwrap();
    assert!(text.contains("> # Task evil: \"; rm -rf ~ #"), "{text}");
    assert!(
        text.contains(&format!("> $(touch {pwned}) and `touch {pwned_bt}`; echo hi > /tmp/x-{tag} & wait")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatty_agent_is_logged_whole_with_long_lines_cut_and_its_footer() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    // A 3 MB line without a newline in between, 100,000 short lines, a last line without a newline.
    let script = "head -c 3000000 /dev/zero | tr '\\0' x; echo; seq 1 100000; printf 'the end'";
    let (tx, _rx) = events::channel();
    let opts = RunOptions {
        agent_command: Some(vec!["sh".into(), "-c".into(), script.into()]),
        learn: false,
        ..Default::default()
    };
    orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    let log: String = sqlx::query_scalar("SELECT log_path FROM sessions").fetch_one(f.db.pool()).await.unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let long = text.lines().find(|l| l.starts_with("xxx")).expect("the long line");
    assert!(long.len() < agent::MAX_LINE_BYTES + 100, "{} bytes kept", long.len());
    assert!(long.ends_with(&format!("[... {} more bytes of this line not kept]", 3_000_000 - agent::MAX_LINE_BYTES)));
    assert!(text.contains("\n99999\n100000\nthe end\n"), "no line lost at the end");
    assert_eq!(text.lines().last(), Some("# exit code 0"), "the footer closes the log");
}

#[tokio::test]
async fn a_missing_test_program_is_refused_before_any_agent_runs() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let (tx, _rx) = events::channel();
    let opts = RunOptions {
        agent_command: Some(f.agent(json!({}))),
        test_command: Some(vec!["yokeflow-no-such-test-runner".into()]),
        ..Default::default()
    };
    let err = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap_err();
    assert_eq!(err.code(), "test_command_not_found", "{err}");
    assert!(err.to_string().contains("`yokeflow-no-such-test-runner` was not found"), "{err}");
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog, "nothing started");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(sessions, 0, "no agent ran");
}

#[tokio::test]
async fn an_empty_repository_is_refused_before_any_task_starts() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("empty");
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    git2::Repository::init_opts(&repo, &opts).unwrap();
    let db = yokeflow_core::store::db::Db::open(&dir.path().join("y.db")).await.unwrap();
    let p = yokeflow_core::store::project::init(&db, &repo).await.unwrap();
    let file = dir.path().join("tasks.json");
    std::fs::write(&file, json!({ "tasks": [{ "id": "a", "title": "A" }] }).to_string()).unwrap();
    yokeflow_core::tasks::import::import_file(&db, &p.id, &file).await.unwrap();
    let (tx, _rx) = events::channel();
    let opts = RunOptions { agent_command: Some(vec![SCRIPTED_AGENT.into()]), ..Default::default() };
    let err = orchestrator::run(&db, &p.id, opts, tx).await.unwrap_err();
    assert!(err.to_string().contains("has no commit yet"), "{err}");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(db.pool()).await.unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn a_missing_agent_program_is_a_clear_error() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let (tx, _rx) = events::channel();
    let opts = RunOptions {
        agent_command: Some(vec!["yokeflow-no-such-agent".into(), "-p".into(), "{prompt}".into()]),
        ..Default::default()
    };
    let err = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap_err();
    assert!(matches!(&err, CoreError::AgentNotFound { program } if program == "yokeflow-no-such-agent"));
    assert_eq!(err.code(), "agent_not_found");
    let msg = err.to_string();
    assert!(msg.contains("`yokeflow-no-such-agent` was not found"), "{msg}");
    assert!(msg.contains("yokeflow run --agent '[\"aider\",\"--message\",\"{prompt}\"]'"), "{msg}");
    assert_eq!(f.status_of("a").await, TaskStatus::Backlog, "nothing started");

    // Through the CLI: the same message, exit code 1, and the bad command is not saved.
    let argv = [
        "yokeflow",
        "--db",
        f.db_path.to_str().unwrap(),
        "--repo",
        f.repo.to_str().unwrap(),
        "run",
        "--agent",
        r#"["yokeflow-no-such-agent","{prompt}"]"#,
    ];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run_args(argv, &mut out, &mut err).await;
    let stderr = String::from_utf8(err).unwrap();
    assert_eq!(code, 1);
    assert!(stderr.contains("was not found on PATH") && stderr.contains("--agent"), "{stderr}");
    let saved: Option<String> =
        sqlx::query_scalar("SELECT agent_command FROM projects").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(saved, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_run_saves_the_agent_prints_progress_and_exits_zero() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &["a"], &["b.txt"], 5)]).await;
    let agent = serde_json::to_string(&f.agent(json!({ "default": { "sleep_ms": 10 } }))).unwrap();
    let base = ["yokeflow", "--db", f.db_path.to_str().unwrap(), "--repo", f.repo.to_str().unwrap()];
    let mut argv: Vec<&str> = base.to_vec();
    argv.extend(["run", "--agent", &agent, "--max-worktrees", "2", "--timeout", "30"]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cli::run_args(argv, &mut out, &mut err).await;
    let stdout = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{stdout}\n{}", String::from_utf8_lossy(&err));
    assert!(stdout.contains("[####################] 2/2 done"), "{stdout}");
    assert!(stdout.contains("efficiency gain"), "{stdout}");
    let saved: Option<String> =
        sqlx::query_scalar("SELECT agent_command FROM projects").fetch_one(f.db.pool()).await.unwrap();
    assert_eq!(saved.as_deref(), Some(agent.as_str()));

    // Nothing left to do, with the saved agent and JSON output.
    let mut argv: Vec<&str> = base.to_vec();
    argv.extend(["--json", "run"]);
    let (mut out, mut err) = (Vec::new(), Vec::new());
    assert_eq!(cli::run_args(argv, &mut out, &mut err).await, 0);
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["tasks_done"], 2);
    assert_eq!(report["tasks_run"], 0);
}

#[test]
fn argv_fields_are_substituted_once_per_item() {
    let template: Vec<String> = [
        "agent",
        "-p",
        "{prompt}",
        "--in={worktree}",
        "{task_id}:{task_id}",
        "@{prompt_file}",
        "--tools={allowed_tools}",
        "--allowedTools",
        "{allowed_tools}",
    ]
    .map(String::from)
    .into();
    let tools: Vec<String> = vec!["Bash(git add:*)".into(), "Bash(cut -d, -f1:*)".into()];
    let argv = yokeflow_core::agents::command::render_argv(
        &template,
        &ArgvVars {
            prompt: "say {task_id} {allowed_tools} $(x)",
            task_id: "t1",
            worktree: std::path::Path::new("/w"),
            prompt_file: std::path::Path::new("/p.md"),
            allowed_tools: &tools,
        },
    )
    .unwrap();
    assert_eq!(
        argv,
        [
            "agent",
            "-p",
            "say {task_id} {allowed_tools} $(x)",
            "--in=/w",
            "t1:t1",
            "@/p.md",
            "--tools=Bash(git add:*),Bash(cut -d, -f1:*)",
            "--allowedTools",
            "Bash(git add:*)",
            "Bash(cut -d, -f1:*)",
        ]
    );
    assert!(yokeflow_core::agents::command::render_argv(
        &[],
        &ArgvVars { prompt: "", task_id: "", worktree: "/".as_ref(), prompt_file: "/".as_ref(), allowed_tools: &[] }
    )
    .is_err());
    // Claude Code, printing its transcript, with edits and the project's allowed tools (always last: the option
    // takes every argument after it).
    assert_eq!(
        yokeflow_core::agents::claude::DEFAULT_ARGV,
        [
            "claude",
            "-p",
            "{prompt}",
            "--output-format",
            "stream-json",
            "--verbose",
            "--permission-mode",
            "acceptEdits",
            "--allowedTools",
            "{allowed_tools}"
        ]
    );
}

#[test]
fn the_prompt_holds_the_task_epic_files_claude_md_and_expertise() {
    let t = yokeflow_core::model::Task {
        id: "login".into(),
        title: "Add login".into(),
        description: "A login form.".into(),
        epic: Some("web".into()),
        status: TaskStatus::Backlog,
        depends_on: vec![],
        files: vec!["web/login.html".into(), "src/auth.rs".into()],
        predicted_files: vec![],
        effort_minutes: 10,
        priority: 0,
        review_reason: None,
        conflict_warning: None,
        cost_usd: None,
        agent_ms: None,
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("CLAUDE.md"), "x".repeat(20_000)).unwrap();
    let md = agent::read_claude_md(dir.path()).unwrap();
    assert!(md.len() < 8 * 1024 + 100);
    // A link (here to an endless device) or a folder is not read at all.
    let linked = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", linked.path().join("CLAUDE.md")).unwrap();
    assert_eq!(agent::read_claude_md(linked.path()), None);
    std::fs::create_dir(linked.path().join("sub")).unwrap();
    std::fs::create_dir(linked.path().join("sub/CLAUDE.md")).unwrap();
    assert_eq!(agent::read_claude_md(&linked.path().join("sub")), None);
    // A multi-byte character at the limit is not split.
    let wide = tempfile::tempdir().unwrap();
    std::fs::write(wide.path().join("CLAUDE.md"), format!("{}é{}", "x".repeat(8 * 1024 - 1), "y".repeat(10))).unwrap();
    let md = agent::read_claude_md(wide.path()).unwrap();
    assert!(md.starts_with(&"x".repeat(8 * 1024 - 1)) && !md.contains('é') && !md.contains('\u{FFFD}'), "{md}");
    let ctx = PromptContext {
        epic: Some(Epic { id: "web".into(), title: "Storefront".into(), description: String::new() }),
        claude_md: Some(md),
        extra_context: Some("Use the session cookie helper.".into()),
        sandbox: None,
    };
    let p = agent::build_prompt(&t, &ctx);
    assert!(p.starts_with("# Task login: Add login\n\nA login form."));
    assert!(p.contains("Epic: Storefront (web)"));
    assert!(p.contains("Files:\n- web/login.html\n- src/auth.rs\n"));
    assert!(p.contains("## Project instructions (CLAUDE.md)"));
    assert!(p.contains("## Routed expertise\n\nUse the session cookie helper."));
    assert!(!p.contains("sandbox"));
    let bare = agent::build_prompt(&t, &PromptContext::default());
    assert!(!bare.contains("Routed expertise") && !bare.contains("CLAUDE.md"));
    // Inside the sandbox it is told what it may do.
    let policy = yokeflow_core::workspace::sandbox::SandboxPolicy { no_network: true, ..Default::default() };
    let boxed = agent::build_prompt(&t, &PromptContext { sandbox: Some(policy), ..PromptContext::default() });
    assert!(boxed.contains("You run in a sandbox: you may run any command"), "{boxed}");
    assert!(boxed.contains("You can write only in this folder and /tmp;") && boxed.contains("There is no network."));
}

#[test]
fn each_cli_resumes_its_own_way_and_a_plain_program_not_at_all() {
    use yokeflow_core::agents::{resume_argv, AgentKind};
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let claude = s(&["claude", "-p", "do it", "--output-format", "stream-json", "--allowedTools", "Edit"]);
    assert_eq!(
        resume_argv(AgentKind::ClaudeCode, &claude, "abc").unwrap(),
        s(&["claude", "-p", "do it", "--resume", "abc", "--output-format", "stream-json", "--allowedTools", "Edit"])
    );
    // Codex's `exec resume` takes no `--sandbox`: the same setting goes as config.
    let codex =
        s(&["env", "A=1", "/opt/codex", "exec", "--json", "--sandbox", "workspace-write", "-c", "x=1", "do it"]);
    assert_eq!(AgentKind::detect(&codex), AgentKind::Codex);
    assert_eq!(
        resume_argv(AgentKind::Codex, &codex, "019a").unwrap(),
        s(&[
            "env",
            "A=1",
            "/opt/codex",
            "exec",
            "resume",
            "019a",
            "--json",
            "-c",
            "sandbox_mode=\"workspace-write\"",
            "-c",
            "x=1",
            "do it"
        ])
    );
    assert_eq!(resume_argv(AgentKind::Codex, &codex, "--last"), None, "an id that reads as an option is refused");
    assert_eq!(resume_argv(AgentKind::PlainText, &s(&["aider", "--message", "x"]), "abc"), None);
}
