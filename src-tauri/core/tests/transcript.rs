//! Transcripts through the real runner: a stand-in agent speaking Claude Code's stream-json, chatty enough to
//! print over 10,000 transcript events. Everything is kept on disk and parsed, events go out in bounded batches,
//! and what a view reads back is bounded.

mod support;

use serde_json::json;
use support::{fixture, task};
use yokeflow_core::agents::sessions::{self, SessionState, MAX_ENTRIES_SHOWN};
use yokeflow_core::agents::transcript::EntryKind;
use yokeflow_core::run::events::{self, Event};
use yokeflow_core::run::orchestrator::{self, RunOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chatty_agent_is_parsed_whole_streamed_in_batches_and_read_back_bounded() {
    let f = fixture(vec![task("chat", &[], &["chat.txt"], 1)]).await;
    let mut agent = f.agent(json!({ "default": { "action": "ok", "sleep_ms": 1, "chatty": 5_000 } }));
    agent.extend(["--output-format".to_string(), "stream-json".to_string()]);
    let (tx, mut rx) = events::channel();
    let counter = tokio::spawn(async move {
        let (mut events, mut entries, mut biggest, mut lagged) = (0usize, 0usize, 0usize, false);
        loop {
            match rx.recv().await {
                Ok(Event::AgentTranscript { entries: batch, .. }) => {
                    events += 1;
                    entries += batch.len();
                    biggest = biggest.max(batch.len());
                }
                Ok(Event::RunFinished { .. }) => break,
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => lagged = true,
                Err(_) => break,
            }
        }
        (events, entries, biggest, lagged)
    });
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();
    assert!(report.all_done(), "{report:#?}");
    let (events, entries, biggest, lagged) = counter.await.unwrap();
    assert!(biggest <= 256, "a batch carries at most 256 entries, not {biggest}");
    if !lagged {
        assert!(entries > 10_000, "every entry was streamed: {entries}");
        assert!(events <= entries, "{events} events for {entries} entries");
    }

    let log = sessions::task_log(&f.db, &f.project_id, "chat").await.unwrap();
    let s = &log.sessions[0];
    assert_eq!(s.outcome, SessionState::Succeeded);
    assert_eq!(s.entries.len(), MAX_ENTRIES_SHOWN, "a view reads the newest entries, bounded");
    assert!(s.entries_total as usize > 10_000, "and knows how many there are: {}", s.entries_total);
    let window = sessions::task_log_with(&f.db, &f.project_id, "chat", sessions::WINDOW_ENTRIES).await.unwrap();
    assert_eq!(window.sessions[0].entries.len(), sessions::WINDOW_ENTRIES);
    assert_eq!(window.sessions[0].entries.last(), s.entries.last(), "the newest ones");
    assert_eq!(s.entries.last().unwrap().kind, EntryKind::Result);
    assert_eq!(s.cost_usd, Some(0.0), "the stand-in says it costs nothing");
    assert!(s.agent_session_id.as_deref().unwrap().starts_with("scripted-"));
    // The file has them all.
    let path = std::fs::read_dir(f.repo.join(".yokeflow/logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".transcript.jsonl"))
        .unwrap();
    let all = yokeflow_core::agents::transcript::read(&path).unwrap();
    assert!(all.len() > 10_000, "{}", all.len());
    assert_eq!(
        all.iter().filter(|e| e.kind == EntryKind::ToolCall && e.tool.as_deref() == Some("Read")).count(),
        5_000
    );
}

/// Waits for the first event `pick` accepts (or the run's end), returning it.
async fn wait_for(rx: &mut yokeflow_core::run::events::EventReceiver, pick: impl Fn(&Event) -> bool) -> Event {
    loop {
        match rx.recv().await {
            Ok(ev) if pick(&ev) || matches!(ev, Event::RunFinished { .. }) => return ev,
            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(e) => panic!("the run's events ended: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_session_leaves_its_remark_for_the_next_one() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 1)]).await;
    sqlx::query("INSERT INTO task_feedback (project_id, task_id, remark, created_at) VALUES (?, 'a', 'keep me', 1)")
        .bind(&f.project_id)
        .execute(f.db.pool())
        .await
        .unwrap();
    let agent = f.agent(json!({ "default": { "action": "hang" } }));
    let opts = RunOptions {
        agent_command: Some(agent),
        kill_grace: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let (handle, ctl) = orchestrator::control();
    let (tx, mut rx) = events::channel();
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run_controlled(&db, &pid, opts, tx, ctl).await });
    let seen = wait_for(&mut rx, |e| matches!(e, Event::AgentStarted { .. })).await;
    assert!(matches!(seen, Event::AgentStarted { .. }), "{seen:?}");
    assert!(handle.cancel());
    run.await.unwrap().unwrap();
    let log = sessions::task_log(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(log.sessions[0].outcome, SessionState::Cancelled);
    assert_eq!(log.sessions[0].remark.as_deref(), Some("keep me"), "the session was given the remark");
    let pending = yokeflow_core::agents::feedback::pending(&f.db, &f.project_id, "a").await.unwrap();
    assert_eq!(pending.len(), 1, "a cancelled session answered nothing: the remark waits for the next one");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_allowed_during_a_run_reaches_the_next_session() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 1), task("b", &["a"], &["b.txt"], 1)]).await;
    let go = f.dir.path().join("go");
    let script =
        json!({ "tasks": { "a": { "action": "ok", "sleep_ms": 1, "wait_file": go } }, "default": { "sleep_ms": 1 } });
    let mut agent = f.agent(script);
    agent.extend(["--allowedTools".to_string(), "{allowed_tools}".to_string()]);
    let (tx, mut rx) = events::channel();
    let opts = RunOptions { agent_command: Some(agent), ..Default::default() };
    let (db, pid) = (f.db.clone(), f.project_id.clone());
    let run = tokio::spawn(async move { orchestrator::run(&db, &pid, opts, tx).await });
    let seen = wait_for(&mut rx, |e| matches!(e, Event::AgentStarted { task_id, .. } if task_id == "a")).await;
    assert!(matches!(seen, Event::AgentStarted { .. }), "{seen:?}");
    // While `a`'s agent works, a person allows a tool; `b`'s agent, started later in the same run, gets it.
    yokeflow_core::agents::permissions::allow(&f.db, &f.project_id, "Bash(make lint:*)").await.unwrap();
    std::fs::write(&go, "").unwrap();
    let report = run.await.unwrap().unwrap();
    assert!(report.all_done(), "{report:#?}");
    let argv_of = |task: &str| {
        let log = std::fs::read_dir(f.repo.join(".yokeflow/logs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                name.starts_with(&format!("{task}-")) && name.ends_with(".log")
            })
            .unwrap();
        std::fs::read_to_string(log).unwrap().lines().find(|l| l.starts_with("# argv:")).unwrap().to_string()
    };
    assert!(!argv_of("a").contains("make lint"), "{}", argv_of("a"));
    assert!(argv_of("b").contains("Bash(make lint:*)"), "{}", argv_of("b"));
    assert!(argv_of("b").contains("Bash(git commit:*)"), "{}", argv_of("b"));
}
