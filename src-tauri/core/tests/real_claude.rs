//! The real Claude Code CLI in the loop, offline: the project's scripted Messages API
//! (`tests/fake-anthropic/server.mjs`, on 127.0.0.1) plays the model, the CLI runs the tools it asks for for real
//! in the task's worktree, and YokeFlow reads the CLI's stream-json transcript. Each task's description carries the
//! script the model follows (a `yokeflow-script` block).
//!
//! The CLI is the version `scripts/setup.sh` installs (pinned) under `~/.cache/yokeflow/agents/`, or
//! `YOKEFLOW_CLAUDE_BIN`. Without it these tests fail on CI and are skipped elsewhere, saying so.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use support::fake_api::FakeApi;
use support::{cli, fixture, Fixture};
use yokeflow_core::agents::sessions::{self, SessionState};
use yokeflow_core::agents::transcript::EntryKind;
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};

/// The pinned CLI version (keep in step with `scripts/setup.sh`).
const CLAUDE_VERSION: &str = "2.1.197";

/// The pinned CLI, or `None` (and a note) when it is not installed outside CI.
fn require_claude() -> Option<PathBuf> {
    support::fake_api::require_cli("YOKEFLOW_CLAUDE_BIN", &format!("claude-code-{CLAUDE_VERSION}"), "claude")
}

/// The default agent argv with the installed CLI, its model service pointed at `api`, its own config folder
/// (no person's settings, hooks or credentials), and a git identity for the commits it makes.
fn claude_agent(claude: &Path, api: &FakeApi, f: &Fixture) -> Vec<String> {
    claude_agent_in(claude, api, f.dir.path())
}

/// [`claude_agent`] with its config folder under `dir`.
fn claude_agent_in(claude: &Path, api: &FakeApi, dir: &Path) -> Vec<String> {
    let config = dir.join("claude-config");
    std::fs::create_dir_all(&config).unwrap();
    let mut argv: Vec<String> = vec![
        "env".into(),
        format!("ANTHROPIC_BASE_URL={}", api.url),
        "ANTHROPIC_API_KEY=test-key-not-secret".into(),
        format!("CLAUDE_CONFIG_DIR={}", config.display()),
        // A home of its own too: the login shell of its Bash tool reads no person's profile (a machine's pyenv hook
        // there waits up to a minute on a lock a killed shell can leave behind).
        format!("HOME={}", dir.display()),
        "DISABLE_AUTOUPDATER=1".into(),
        "GIT_AUTHOR_NAME=Agent".into(),
        "GIT_AUTHOR_EMAIL=agent@example.invalid".into(),
        "GIT_COMMITTER_NAME=Agent".into(),
        "GIT_COMMITTER_EMAIL=agent@example.invalid".into(),
        claude.display().to_string(),
    ];
    argv.extend(yokeflow_core::agents::claude::DEFAULT_ARGV[1..].iter().map(|s| s.to_string()));
    argv
}

/// A task whose description holds the model's script.
fn scripted_task(id: &str, deps: &[&str], steps: Value) -> Value {
    json!({
        "id": id,
        "title": format!("Task {id}"),
        "description": format!("Do {id}.\n\n```yokeflow-script\n{}\n```\n", steps),
        "depends_on": deps,
        "files": [format!("{id}.txt")],
        "effort": 10,
    })
}

fn write_and_commit(id: &str) -> Vec<Value> {
    vec![
        json!({"tool": "Write", "input": {"file_path": format!("{id}.txt"), "content": format!("{id} by claude\n")}}),
        json!({"tool": "Bash", "input": {"command": format!("git add {id}.txt && git commit -m 'Add {id}'")}}),
    ]
}

async fn run(f: &Fixture, agent: Vec<String>) -> (yokeflow_core::run::report::RunReport, Vec<Event>) {
    let (tx, rx) = events::channel();
    let collector = support::collect_events(rx);
    let opts = RunOptions {
        max_worktrees: Some(2),
        agent_command: Some(agent),
        agent_timeout: Some(Duration::from_secs(300)),
        ..Default::default()
    };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    (report, collector.await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tasks_done_with_write_and_a_commit_through_bash_land_with_their_transcript_and_cost() {
    let Some(claude) = require_claude() else { return };
    let mut one = write_and_commit("one");
    one.push(json!({"say": "Task one is done."}));
    let mut two = write_and_commit("two");
    two.push(json!({"say": "Task two is done."}));
    let f = fixture(vec![scripted_task("one", &[], json!(one)), scripted_task("two", &["one"], json!(two))]).await;
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let (report, seen) = run(&f, claude_agent(&claude, &api, &f)).await;

    assert!(report.all_done(), "{report:#?}");
    assert_eq!(f.target_file("one.txt").as_deref(), Some("one by claude\n"));
    assert_eq!(f.target_file("two.txt").as_deref(), Some("two by claude\n"));
    // The agent's own commit landed (its message, not YokeFlow's catch-all commit).
    let git = git2::Repository::open(&f.repo).unwrap();
    let mut walk = git.revwalk().unwrap();
    walk.push_head().unwrap();
    let messages: Vec<String> =
        walk.map(|id| git.find_commit(id.unwrap()).unwrap().summary().unwrap_or_default().to_string()).collect();
    assert!(messages.iter().any(|m| m == "Add one"), "{messages:?}");

    // The transcript streamed live, as entries.
    let streamed: Vec<_> = seen
        .iter()
        .filter_map(|e| match e {
            Event::AgentTranscript { task_id, entries, .. } if task_id == "one" => Some(entries.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert!(streamed.iter().any(|e| e.kind == EntryKind::ToolCall && e.tool.as_deref() == Some("Write")));
    assert!(streamed.iter().any(|e| e.kind == EntryKind::ToolCall && e.text.contains("git commit")));
    // And it was stored: the sessions, their entries, the agent's session id, cost and tokens.
    let log = sessions::task_log(&f.db, &f.project_id, "one").await.unwrap();
    assert_eq!(log.sessions.len(), 1);
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Succeeded);
    assert!(s.agent_session_id.as_deref().is_some_and(|id| !id.is_empty()));
    assert!(s.cost_usd.is_some_and(|c| c > 0.0), "{s:?}");
    assert!(s.input_tokens.is_some_and(|n| n > 0) && s.output_tokens.is_some_and(|n| n > 0));
    let kinds: Vec<EntryKind> = s.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EntryKind::ToolCall,
            EntryKind::ToolResult,
            EntryKind::ToolCall,
            EntryKind::ToolResult,
            EntryKind::Text,
            EntryKind::Result
        ],
        "{:#?}",
        s.entries
    );
    assert!(s.entries.iter().all(|e| !e.is_error), "{:#?}", s.entries);
    assert!(s.denials.is_empty());
    // The task's cost is the sum of its sessions, on the board and in `status --json`.
    let status = cli(&f.db_path, &f.repo, &["--json", "status"]).await.json();
    let cost = status.as_array().unwrap().iter().find(|t| t["id"] == "one").unwrap()["cost_usd"].as_f64();
    assert_eq!(cost, s.cost_usd);

    let table = cli(&f.db_path, &f.repo, &["status"]).await;
    assert!(table.stdout.contains("COST") && table.stdout.contains("agent cost so far: $"), "{}", table.stdout);

    // `yokeflow log --json` keeps its contract.
    let out = cli(&f.db_path, &f.repo, &["--json", "log", "one"]).await.json();
    assert_eq!(out["task_id"], "one");
    let session = &out["sessions"][0];
    for key in ["session_id", "agent_session_id", "outcome", "cost_usd", "input_tokens", "output_tokens", "entries"] {
        assert!(session.get(key).is_some(), "{key} missing: {session}");
    }
    assert_eq!(session["outcome"], "succeeded");
    let first = &session["entries"][0];
    assert_eq!(
        (first["kind"].as_str(), first["tool"].as_str(), first["is_error"].as_bool()),
        (Some("tool_call"), Some("Write"), Some(false))
    );
    assert_eq!(first["text"], "one.txt");
    let text = cli(&f.db_path, &f.repo, &["log", "one"]).await;
    assert!(text.stdout.contains("▸ Bash git add one.txt && git commit"), "{}", text.stdout);

    // The CLI was given the project's tool rules: git, and nothing broader.
    let requests = api.requests();
    assert!(requests.iter().any(|r| r["tools"].as_array().is_some_and(|t| !t.is_empty())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refused_tool_sends_the_task_to_review_with_the_reason_until_a_person_allows_it() {
    let Some(claude) = require_claude() else { return };
    let command = "python3 -c \"open('made.txt','w').write('made by python')\"";
    let steps = json!([
        {"tool": "Write", "input": {"file_path": "gen.txt", "content": "generated\n"}},
        {"tool": "Bash", "input": {"command": command}},
        {"say": "Generated what I could."}
    ]);
    let f = fixture(vec![scripted_task("gen", &[], steps)]).await;
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let agent = claude_agent(&claude, &api, &f);
    let (report, _) = run(&f, agent.clone()).await;

    assert_eq!(report.tasks_done, 0, "{report:#?}");
    let task = f.tasks().await.into_iter().find(|t| t.id == "gen").unwrap();
    assert_eq!(task.status, TaskStatus::Review);
    let reason = task.review_reason.unwrap();
    assert!(reason.contains("the agent was refused `Bash(python3 -c"), "{reason}");
    assert!(reason.contains("yokeflow permissions allow 'Bash(python3:*)'"), "{reason}");
    let log = sessions::task_log(&f.db, &f.project_id, "gen").await.unwrap();
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Refused);
    assert_eq!(s.denials.len(), 1);
    assert_eq!(s.denials[0].tool, "Bash");
    assert!(s.entries.iter().any(|e| e.kind == EntryKind::PermissionDenied && e.text.contains("python3 -c")));
    // Nothing landed, and the work so far is kept on the task's branch.
    assert_eq!(f.target_file("gen.txt"), None);
    assert!(!f.task_branches().is_empty(), "the branch with the agent's work was kept");

    // A person allows it (shown, revocable), and the retried task lands with the command's effect.
    let allowed = cli(&f.db_path, &f.repo, &["--json", "permissions", "allow", "Bash(python3:*)"]).await.json();
    assert_eq!(allowed["allowed"], json!(["Bash(python3:*)"]));
    assert!(allowed["effective"].as_array().unwrap().iter().any(|r| r == "Bash(git commit:*)"));
    let listed = cli(&f.db_path, &f.repo, &["permissions"]).await;
    assert!(listed.stdout.contains("Bash(python3:*)") && listed.stdout.contains("allowed here"), "{}", listed.stdout);
    yokeflow_core::store::tasks::set_status(&f.db, &f.project_id, "gen", TaskStatus::Backlog, None).await.unwrap();
    let (report, _) = run(&f, agent).await;
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(f.target_file("made.txt").as_deref(), Some("made by python"));
    let log = sessions::task_log(&f.db, &f.project_id, "gen").await.unwrap();
    assert_eq!(log.sessions.last().unwrap().outcome, SessionState::Succeeded);
    assert!(log.cost_usd.unwrap() > log.sessions[0].cost_usd.unwrap());

    // Revoked, it is gone from what agents get.
    let revoked = cli(&f.db_path, &f.repo, &["--json", "permissions", "revoke", "Bash(python3:*)"]).await.json();
    assert_eq!(revoked["allowed"], json!([]));
    assert_eq!(
        cli(&f.db_path, &f.repo, &["--json", "permissions", "revoke", "Bash(python3:*)"]).await.error_code(),
        "not_found"
    );
    assert_eq!(
        cli(&f.db_path, &f.repo, &["--json", "permissions", "allow", "Bash("]).await.error_code(),
        "invalid_input"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_the_sandbox_a_command_no_tool_rule_names_runs_and_the_task_lands_without_a_refusal() {
    let Some(claude) = require_claude() else { return };
    let steps = json!([
        {"tool": "Write", "input": {"file_path": "gen.txt", "content": "generated\n"}},
        {"tool": "Bash", "input": {"command": "python3 -c \"open('made.txt','w').write('made by python')\""}},
        {"tool": "Bash", "input": {"command": "git add -A && git commit -m 'Generate it'"}},
        {"say": "Generated."}
    ]);
    let f = fixture(vec![scripted_task("gen", &[], steps)]).await;
    let mut settings = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    settings.sandbox = true;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &settings).await.unwrap();
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let (report, seen) = run(&f, claude_agent(&claude, &api, &f)).await;

    assert!(report.all_done(), "{report:#?}");
    assert!(seen.iter().any(|e| matches!(e, Event::RunStarted { sandboxed: true, .. })));
    assert_eq!(f.target_file("made.txt").as_deref(), Some("made by python"));
    assert_eq!(f.target_file("gen.txt").as_deref(), Some("generated\n"));
    let log = sessions::task_log(&f.db, &f.project_id, "gen").await.unwrap();
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Succeeded);
    assert!(s.sandboxed && s.denials.is_empty(), "{s:#?}");
    // Its own commit came out of the sandbox and landed.
    let git = git2::Repository::open(&f.repo).unwrap();
    let mut walk = git.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    let messages: Vec<String> =
        walk.map(|id| git.find_commit(id.unwrap()).unwrap().summary().unwrap_or_default().to_string()).collect();
    assert!(messages.iter().any(|m| m == "Generate it"), "{messages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feedback_resumes_the_same_conversation_and_lands_through_the_gate() {
    let Some(claude) = require_claude() else { return };
    // The first attempt writes a draft and is refused a tool: Review.
    let steps = json!([
        {"tool": "Write", "input": {"file_path": "fb.txt", "content": "draft\n"}},
        {"tool": "Bash", "input": {"command": "git add fb.txt && git commit -m 'Draft fb'"}},
        {"tool": "Bash", "input": {"command": "python3 -c \"print(1)\""}},
        {"say": "Drafted."}
    ]);
    let f =
        fixture(vec![scripted_task("fb", &[], steps), scripted_task("after", &["fb"], json!([{"say": "x"}]))]).await;
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let agent = claude_agent(&claude, &api, &f);
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&agent)).await.unwrap();
    let out = cli(&f.db_path, &f.repo, &["--json", "run", "--max-worktrees", "1"]).await;
    assert_eq!(out.code, 1, "one task in Review: {}", out.stderr);
    assert_eq!(f.status_of("fb").await, TaskStatus::Review);
    let first = sessions::task_log(&f.db, &f.project_id, "fb").await.unwrap().sessions.remove(0);
    let conversation = first.agent_session_id.clone().unwrap();

    // Feedback that cannot be given: to a task that never ran, or empty.
    assert_eq!(f.status_of("after").await, TaskStatus::Backlog);
    let never = cli(&f.db_path, &f.repo, &["--json", "feedback", "after", "do more"]).await;
    assert_eq!(never.error_code(), "invalid_input", "{}", never.stderr);
    assert_eq!(cli(&f.db_path, &f.repo, &["--json", "feedback", "fb", "   "]).await.error_code(), "invalid_input");
    assert_eq!(cli(&f.db_path, &f.repo, &["--json", "feedback", "nope", "x"]).await.error_code(), "not_found");

    // The remark carries the model's next steps; the agent continues the same conversation and the work lands.
    let remark = "Make it final, please.\n```yokeflow-script\n[{\"tool\": \"Write\", \"input\": {\"file_path\": \"fb.txt\", \"content\": \"final\\n\"}}, {\"tool\": \"Bash\", \"input\": {\"command\": \"git add fb.txt && git commit -m 'Final fb'\"}}, {\"say\": \"Made it final.\"}]\n```";
    let out = cli(&f.db_path, &f.repo, &["feedback", "fb", remark]).await;
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert!(out.stdout.contains("goes back to its agent"), "{}", out.stdout);
    assert_eq!(f.status_of("fb").await, TaskStatus::Done);
    assert_eq!(f.target_file("fb.txt").as_deref(), Some("final\n"));

    let log = sessions::task_log(&f.db, &f.project_id, "fb").await.unwrap();
    let last = log.sessions.last().unwrap();
    assert_eq!(last.outcome, SessionState::Succeeded);
    assert_eq!(last.agent_session_id.as_deref(), Some(conversation.as_str()), "the same conversation, resumed");
    assert_eq!(last.remark.as_deref(), Some(remark));
    assert!(last.entries.iter().any(|e| e.kind == EntryKind::Text && e.text == "Made it final."));
    // The model saw the whole conversation: the task's prompt, its own earlier turns, then the remark.
    let requests = api.requests();
    let resumed = requests
        .iter()
        .rev()
        .find(|r| r["messages"].to_string().contains("Make it final, please."))
        .expect("a request with the remark");
    let messages = resumed["messages"].to_string();
    assert!(messages.contains("Do fb.") && messages.contains("Draft fb") && messages.contains("toolu_yokeflow"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feedback_on_a_task_refused_before_its_first_commit_continues_the_same_conversation() {
    let Some(claude) = require_claude() else { return };
    // Refused at once, nothing written: the task's branch holds nothing of its own.
    let steps = json!([
        {"tool": "Bash", "input": {"command": "python3 -c \"print(1)\""}},
        {"say": "I could not run python."}
    ]);
    let f = fixture(vec![scripted_task("early", &[], steps)]).await;
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let agent = claude_agent(&claude, &api, &f);
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(&agent)).await.unwrap();
    let out = cli(&f.db_path, &f.repo, &["--json", "run"]).await;
    assert_eq!(out.code, 1, "the task waits in Review: {}", out.stderr);
    assert_eq!(f.status_of("early").await, TaskStatus::Review);
    let first = sessions::task_log(&f.db, &f.project_id, "early").await.unwrap().sessions.remove(0);
    assert_eq!(first.outcome, SessionState::Refused);
    let conversation = first.agent_session_id.clone().unwrap();

    let remark = "Do it without python.\n```yokeflow-script\n[{\"tool\": \"Write\", \"input\": {\"file_path\": \"early.txt\", \"content\": \"early\\n\"}}, {\"tool\": \"Bash\", \"input\": {\"command\": \"git add early.txt && git commit -m 'Early'\"}}, {\"say\": \"Done without python.\"}]\n```";
    let out = cli(&f.db_path, &f.repo, &["feedback", "early", remark]).await;
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert_eq!(f.status_of("early").await, TaskStatus::Done);
    assert_eq!(f.target_file("early.txt").as_deref(), Some("early\n"));
    let log = sessions::task_log(&f.db, &f.project_id, "early").await.unwrap();
    let last = log.sessions.last().unwrap();
    assert_eq!(last.agent_session_id.as_deref(), Some(conversation.as_str()), "the same conversation, resumed");
    // The model saw its earlier turns before the remark.
    let requests = api.requests();
    let resumed = requests
        .iter()
        .rev()
        .find(|r| r["messages"].to_string().contains("Do it without python."))
        .expect("a request with the remark");
    let messages = resumed["messages"].to_string();
    assert!(messages.contains("Do early.") && messages.contains("I could not run python."), "{messages}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spent_budget_starts_no_more_tasks_and_the_run_says_why() {
    let Some(claude) = require_claude() else { return };
    let steps = |id: &str| {
        let mut s = write_and_commit(id);
        s.push(json!({"say": "done"}));
        json!(s)
    };
    let f = fixture(vec![
        scripted_task("b1", &[], steps("b1")),
        scripted_task("b2", &["b1"], steps("b2")),
        scripted_task("b3", &["b2"], steps("b3")),
    ])
    .await;
    let api = FakeApi::start("fake-anthropic", f.dir.path());
    let (tx, rx) = events::channel();
    let warnings = support::collect_warnings(rx);
    let opts = RunOptions {
        agent_command: Some(claude_agent(&claude, &api, &f)),
        max_cost_usd: Some(0.000_001),
        ..Default::default()
    };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert_eq!((report.tasks_done, report.tasks_remaining), (1, 2), "{report:#?}");
    assert!(report.stopped_by_budget);
    assert!(report.cost_usd.unwrap() > 0.000_001);
    assert!(report.to_text().contains("spent the run's budget"), "{}", report.to_text());
    let warnings = warnings.await.unwrap();
    assert!(warnings.iter().any(|w| w.contains("budget") && w.contains("no new task starts")), "{warnings:?}");

    // The last task spending the budget kept nothing from starting: the report does not say it did.
    yokeflow_core::store::tasks::set_status(&f.db, &f.project_id, "b2", TaskStatus::Done, None).await.unwrap();
    let (tx, _rx) = events::channel();
    let opts = RunOptions {
        agent_command: Some(claude_agent(&claude, &api, &f)),
        max_cost_usd: Some(0.000_001),
        ..Default::default()
    };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    assert!(report.budget_usd.is_some() && !report.stopped_by_budget, "{report:#?}");
}

const INVALID_DRAFT: &str = "tasks:\n  - id: products\n    title: List products\n    files: [src/products.py]\n  - id: cart\n    title: Add the cart\n    depends_on: [checkout]\n";
const VALID_DRAFT: &str = "# Drafted from the spec.\nepics:\n  - id: shop\n    title: The shop\ntasks:\n  - id: products\n    title: List products\n    epic: shop\n    files: [src/products.py]\n    effort: 20\n  - id: cart\n    title: Add the cart\n    epic: shop\n    depends_on: [products]\n    files: [src/cart.py]\n    effort: 30\n";

/// An app spec whose script has the model write an invalid tasks file first, then (after YokeFlow's list of what is
/// wrong, in the same conversation) read it and write a valid one.
fn spec_with_script(dir: &Path) -> PathBuf {
    let steps = json!([
        {"tool": "Write", "input": {"file_path": "yokeflow.yaml", "content": INVALID_DRAFT}},
        {"say": "I wrote yokeflow.yaml."},
        {"tool": "Read", "input": {"file_path": "yokeflow.yaml"}},
        {"tool": "Write", "input": {"file_path": "yokeflow.yaml", "content": VALID_DRAFT}},
        {"say": "Fixed: cart depends on products."},
    ]);
    let spec = dir.join("app_spec.md");
    std::fs::write(&spec, format!("# Shop\n\nA tiny shop: products and a cart.\n\n```yokeflow-script\n{steps}\n```\n"))
        .unwrap();
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_zero_drafts_the_tasks_fixes_an_invalid_first_file_in_the_same_conversation_and_imports_on_yes() {
    let Some(claude) = require_claude() else { return };
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    support::init_repo(&repo, &[("README.md", "# Shop\n"), ("src/app.py", "print('shop')\n")]);
    let db_path = dir.path().join("yokeflow.db");
    let db = yokeflow_core::store::db::Db::open(&db_path).await.unwrap();
    let p = yokeflow_core::store::project::init(&db, &repo).await.unwrap();
    let api = FakeApi::start("fake-anthropic", dir.path());
    let agent = claude_agent_in(&claude, &api, dir.path());
    let spec = spec_with_script(dir.path());

    // The preview: nothing of the project changes.
    let runs = yokeflow_core::run::runs::Runs::new(db.clone());
    let req = yokeflow_core::run::draft::DraftRequest {
        spec: Some(spec.clone()),
        agent: Some(agent.clone()),
        timeout: Some(Duration::from_secs(300)),
        ..Default::default()
    };
    let preview = runs.draft_tasks(&p.id, req).await.unwrap();
    assert_eq!(preview.attempts, 2, "the first file was refused and fixed: {preview:#?}");
    assert!(preview.issues.is_empty(), "{:?}", preview.issues);
    assert_eq!(preview.text, VALID_DRAFT);
    assert_eq!(preview.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["products", "cart"]);
    assert_eq!(preview.changes.added, vec!["products", "cart"]);
    let plan = preview.plan.as_ref().expect("a plan preview");
    assert_eq!(plan.batches.len(), 2);
    assert_eq!(plan.stats.predicted_makespan, 50);
    assert!(preview.cost_usd.is_some_and(|c| c > 0.0));
    assert!(yokeflow_core::store::tasks::list(&db, &p.id).await.unwrap().is_empty(), "a preview changes nothing");
    assert!(!repo.join("yokeflow.yaml").exists());
    assert!(!repo.join(".yokeflow/drafts").read_dir().unwrap().any(|e| e.unwrap().path().is_dir()), "scratch removed");

    // The fix went back to the same conversation: the request carrying the errors also carries the spec.
    let requests = api.requests();
    let fix = requests
        .iter()
        .find(|r| r.to_string().contains("is not valid") && r.to_string().contains("checkout"))
        .expect("the errors were sent to the agent");
    assert!(fix.to_string().contains("A tiny shop: products and a cart."), "a new conversation, not the same one");

    // Discard leaves nothing; accepting a discarded draft is refused.
    runs.discard_draft(&p.id, &preview.draft_id).await.unwrap();
    assert_eq!(runs.accept_draft(&p.id, &preview.draft_id).await.unwrap_err().code(), "not_found");

    // From the command line with --yes: imported, planned, written as the repository's yokeflow.yaml.
    let argv = serde_json::to_string(&agent).unwrap();
    let out =
        cli(&db_path, &repo, &["plan", "draft", "--spec", spec.to_str().unwrap(), "--agent", &argv, "--yes"]).await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("Accepted: 2 task(s) added"), "{}", out.stdout);
    let stored: Vec<String> =
        yokeflow_core::store::tasks::list(&db, &p.id).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(stored, vec!["products", "cart"]);
    assert_eq!(std::fs::read_to_string(repo.join("yokeflow.yaml")).unwrap(), VALID_DRAFT);
    assert!(yokeflow_core::plan::planner::get(&db, &p.id).await.unwrap().is_some(), "the plan was built");
}
