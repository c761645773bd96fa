//! Transcripts through the real runner: a stand-in agent speaking Claude Code's stream-json, chatty enough to
//! print over 10,000 transcript events. Everything is kept on disk and parsed, events go out in bounded batches,
//! and what a view reads back is bounded.

mod support;

use serde_json::json;
use support::{fixture, task};
use yokeflow_core::events::{self, Event};
use yokeflow_core::orchestrator::{self, RunOptions};
use yokeflow_core::sessions::{self, SessionState, MAX_ENTRIES_SHOWN};
use yokeflow_core::transcript::EntryKind;

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
    let all = yokeflow_core::transcript::read(&path).unwrap();
    assert!(all.len() > 10_000, "{}", all.len());
    assert_eq!(
        all.iter().filter(|e| e.kind == EntryKind::ToolCall && e.tool.as_deref() == Some("Read")).count(),
        5_000
    );
}
