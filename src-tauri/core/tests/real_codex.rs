//! The real Codex CLI in the loop, offline: the project's scripted Responses API (`tests/fake-openai/server.mjs`,
//! on 127.0.0.1) plays the model, the CLI runs the commands it asks for for real (in its workspace-write sandbox) in
//! the task's worktree, and YokeFlow reads the CLI's `exec --json` events. Each task's description carries the
//! script the model follows (a `yokeflow-script` block).
//!
//! The CLI is the version `scripts/setup.sh` installs (pinned) under `~/.cache/yokeflow/agents/`, or
//! `YOKEFLOW_CODEX_BIN`. Without it these tests fail on CI and are skipped elsewhere, saying so.

mod support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::fake_api::FakeApi;
use support::{cli, fixture, Fixture};
use yokeflow_core::agents::sessions::{self, SessionState};
use yokeflow_core::agents::transcript::EntryKind;
use yokeflow_core::agents::AgentKind;
use yokeflow_core::model::TaskStatus;

/// The pinned CLI version (keep in step with `scripts/setup.sh`).
const CODEX_VERSION: &str = "0.169.0";

/// The pinned CLI, or `None` (and a note) when it is not installed outside CI.
fn require_codex() -> Option<PathBuf> {
    support::fake_api::require_cli("YOKEFLOW_CODEX_BIN", &format!("codex-{CODEX_VERSION}"), "codex")
}

/// The Codex preset's argv with the installed CLI, its model provider pointed at `api`, and its own home (outside
/// `/tmp`, where Codex refuses its helper binaries), so no person's config or sessions leak in.
fn codex_agent(codex: &Path, api: &FakeApi, home: &Path) -> Vec<String> {
    let preset = yokeflow_core::tasks::settings::presets().into_iter().find(|p| p.id == "codex").unwrap().argv;
    let mut argv: Vec<String> = vec![
        "env".into(),
        "OPENAI_API_KEY=test-key-not-secret".into(),
        format!("CODEX_HOME={}", home.display()),
        codex.display().to_string(),
    ];
    let (prompt, flags) = preset[1..].split_last().unwrap();
    argv.extend(flags.iter().cloned());
    for c in [
        "model_provider=fake".to_string(),
        "model_providers.fake.name=\"fake\"".into(),
        format!("model_providers.fake.base_url=\"{}/v1\"", api.url),
        "model_providers.fake.wire_api=\"responses\"".into(),
        "model_providers.fake.env_key=\"OPENAI_API_KEY\"".into(),
    ] {
        argv.extend(["-c".to_string(), c]);
    }
    argv.push(prompt.clone());
    argv
}

/// A folder for Codex's home outside the system's temporary folder (Codex refuses its helper binaries under `/tmp`):
/// under the build's own temporary folder, or, when the checkout (and so that folder) is itself under `/tmp`, under
/// the user's cache folder. Removed on drop.
struct CodexHome(PathBuf);

impl CodexHome {
    fn new() -> CodexHome {
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let build = canonical(Path::new(env!("CARGO_TARGET_TMPDIR")));
        let base = if build.starts_with(canonical(&std::env::temp_dir())) || build.starts_with("/tmp") {
            dirs::cache_dir().expect("a cache folder for Codex's home").join("yokeflow/test-codex-homes")
        } else {
            build
        };
        let p = base.join(format!("codex-home-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&p).unwrap();
        CodexHome(p)
    }
}

impl Drop for CodexHome {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn scripted_task(id: &str, steps: Value) -> Value {
    json!({
        "id": id,
        "title": format!("Task {id}"),
        "description": format!("Do {id}.\n\n```yokeflow-script\n{}\n```\n", steps),
        "files": [format!("{id}.txt")],
        "effort": 10,
    })
}

/// `yokeflow run` with `agent` as the project's agent.
async fn run_all(f: &Fixture, agent: &[String]) -> support::CliOut {
    yokeflow_core::agents::command::save_agent_command(&f.db, &f.project_id, Some(agent)).await.unwrap();
    cli(&f.db_path, &f.repo, &["--json", "run", "--max-worktrees", "2"]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_codex_task_lands_with_its_transcript_tokens_and_thread() {
    let Some(codex) = require_codex() else { return };
    let steps = json!([{"shell": "printf 'one by codex\\n' > one.txt"}, {"say": "Task one is done."}]);
    let f = fixture(vec![scripted_task("one", steps)]).await;
    let api = FakeApi::start("fake-openai", f.dir.path());
    let home = CodexHome::new();
    let agent = codex_agent(&codex, &api, &home.0);
    assert_eq!(AgentKind::detect(&agent), AgentKind::Codex);
    let exit = run_all(&f, &agent).await;
    assert_eq!(exit.code, 0, "{}", exit.stderr);
    assert_eq!(f.status_of("one").await, TaskStatus::Done);
    assert_eq!(f.target_file("one.txt").as_deref(), Some("one by codex\n"));

    let log = sessions::task_log(&f.db, &f.project_id, "one").await.unwrap();
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Succeeded);
    assert!(s.agent_session_id.as_deref().is_some_and(|id| !id.is_empty()), "the thread id: {s:?}");
    assert!(s.input_tokens.is_some_and(|n| n > 0) && s.output_tokens.is_some_and(|n| n > 0), "{s:?}");
    assert_eq!(s.cost_usd, None, "Codex reports no cost");
    let call = s.entries.iter().find(|e| e.kind == EntryKind::ToolCall).expect("the command, as a tool call");
    assert!(call.text.contains("one by codex"), "{call:?}");
    assert!(s.entries.iter().any(|e| e.kind == EntryKind::Text && e.text == "Task one is done."), "{:?}", s.entries);
    assert!(s.entries.iter().any(|e| e.kind == EntryKind::Result));
    // The model was asked through the Responses API, with the task's prompt.
    assert!(api.requests().iter().any(|r| r["input"].to_string().contains("Do one.")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn in_the_sandbox_codex_runs_with_its_own_sandbox_off_and_its_own_commit_lands() {
    let Some(codex) = require_codex() else { return };
    // Its own sandbox (workspace-write) keeps git's folder out of reach; YokeFlow's lets it commit.
    let steps = json!([
        {"shell": "printf 'one by codex\\n' > one.txt && git add one.txt && git -c user.name=Codex -c user.email=codex@example.invalid commit -q -m 'Add one'"},
        {"say": "Committed."}
    ]);
    let f = fixture(vec![scripted_task("one", steps)]).await;
    let mut settings = yokeflow_core::tasks::settings::get(&f.db, &f.project_id).await.unwrap();
    settings.sandbox = true;
    yokeflow_core::tasks::settings::save(&f.db, &f.project_id, &settings).await.unwrap();
    let api = FakeApi::start("fake-openai", f.dir.path());
    let home = CodexHome::new();
    let exit = run_all(&f, &codex_agent(&codex, &api, &home.0)).await;
    assert_eq!(exit.code, 0, "{}", exit.stderr);
    assert_eq!(f.status_of("one").await, TaskStatus::Done);
    assert_eq!(f.target_file("one.txt").as_deref(), Some("one by codex\n"));
    let log = sessions::task_log(&f.db, &f.project_id, "one").await.unwrap();
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Succeeded);
    assert!(s.sandboxed, "{s:?}");
    let git = git2::Repository::open(&f.repo).unwrap();
    let mut walk = git.revwalk().unwrap();
    walk.push_ref("refs/heads/main").unwrap();
    let messages: Vec<String> =
        walk.map(|id| git.find_commit(id.unwrap()).unwrap().summary().unwrap_or_default().to_string()).collect();
    assert!(messages.iter().any(|m| m == "Add one"), "its own commit landed: {messages:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn feedback_resumes_the_codex_thread_with_exec_resume_and_lands() {
    let Some(codex) = require_codex() else { return };
    // The first attempt writes a draft, which the project's tests refuse: Review, its work kept in its worktree.
    let steps = json!([{"shell": "printf 'draft\\n' > fb.txt"}, {"say": "Drafted it."}]);
    let f = fixture(vec![scripted_task("fb", steps)]).await;
    let tests: Vec<String> = ["sh", "-c", "grep -q final fb.txt"].iter().map(|s| s.to_string()).collect();
    yokeflow_core::tasks::settings::set_test_command(&f.db, &f.project_id, Some(&tests)).await.unwrap();
    let api = FakeApi::start("fake-openai", f.dir.path());
    let home = CodexHome::new();
    let agent = codex_agent(&codex, &api, &home.0);
    let exit = run_all(&f, &agent).await;
    assert_eq!(exit.code, 1, "{}", exit.stderr);
    assert_eq!(f.status_of("fb").await, TaskStatus::Review);
    let thread = sessions::task_log(&f.db, &f.project_id, "fb").await.unwrap().sessions[0]
        .agent_session_id
        .clone()
        .expect("the thread id");

    let remark = "Write it, please.\n```yokeflow-script\n[{\"shell\": \"printf 'final\\\\n' > fb.txt\"}, {\"say\": \"Written.\"}]\n```";
    let out = cli(&f.db_path, &f.repo, &["feedback", "fb", remark]).await;
    assert_eq!(out.code, 0, "stdout: {}\nstderr: {}", out.stdout, out.stderr);
    assert_eq!(f.status_of("fb").await, TaskStatus::Done);
    assert_eq!(f.target_file("fb.txt").as_deref(), Some("final\n"));
    let log = sessions::task_log(&f.db, &f.project_id, "fb").await.unwrap();
    let last = log.sessions.last().unwrap();
    assert_eq!(last.agent_session_id.as_deref(), Some(thread.as_str()), "the same thread, resumed");
    assert!(last.entries.iter().any(|e| e.kind == EntryKind::Text && e.text == "Written."));
    // The model saw the earlier turn and then the remark, in one conversation.
    let requests = api.requests();
    let resumed = requests.iter().rev().find(|r| r["input"].to_string().contains("Write it, please.")).unwrap();
    let input = resumed["input"].to_string();
    assert!(input.contains("Do fb.") && input.contains("Drafted it."), "{input}");
}
