//! Transcript parsing benchmark (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench
//! transcript`.
//!
//! Prints the median time to parse 1,000 lines of Claude Code's stream-json (a realistic mix: tool calls, tool
//! results of a few KB, assistant text) into transcript entries, and the same for `codex exec --json`, over 15
//! rounds of 20,000 lines each; and the entries' size in memory per 1,000 events. Target: parsing adds well under
//! 10 ms per 1,000 events (an agent prints a few events a second).

use std::time::Instant;

use serde_json::json;
use yokeflow_core::agents::{AgentKind, Parser, Stream};

fn claude_lines(n: usize) -> Vec<String> {
    let result = "line of tool output\n".repeat(100);
    (0..n)
        .map(|i| match i % 4 {
            0 => json!({"type": "assistant", "message": {"content": [{"type": "tool_use", "id": format!("t{i}"), "name": "Bash", "input": {"command": format!("cargo test --package p{i}")}}]}, "session_id": "s"}),
            1 => json!({"type": "user", "message": {"content": [{"type": "tool_result", "tool_use_id": format!("t{}", i - 1), "content": result}]}, "session_id": "s"}),
            2 => json!({"type": "assistant", "message": {"content": [{"type": "text", "text": "I will now edit the handler so that the empty cart is handled."}]}, "session_id": "s"}),
            _ => json!({"type": "assistant", "message": {"content": [{"type": "tool_use", "id": format!("t{i}"), "name": "Edit", "input": {"file_path": "src/cart.rs", "old_string": "a".repeat(400), "new_string": "b".repeat(400)}}]}, "session_id": "s"}),
        }.to_string())
        .collect()
}

fn codex_lines(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| match i % 2 {
            0 => json!({"type": "item.completed", "item": {"id": format!("i{i}"), "type": "command_execution", "command": "bash -lc 'cargo test'", "aggregated_output": "ok\n".repeat(500), "exit_code": 0, "status": "completed"}}),
            _ => json!({"type": "item.completed", "item": {"id": format!("i{i}"), "type": "agent_message", "text": "Tests pass; moving on to the next file."}}),
        }.to_string())
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn bench(kind: AgentKind, lines: &[String]) -> (f64, usize, f64) {
    let mut per_thousand = Vec::new();
    let mut entries = 0;
    let mut bytes = 0usize;
    for _ in 0..15 {
        let mut p = Parser::new(kind);
        let t = Instant::now();
        let mut out = Vec::new();
        for l in lines {
            out.extend(p.line(Stream::Stdout, l));
        }
        per_thousand.push(t.elapsed().as_secs_f64() * 1000.0 / (lines.len() as f64 / 1000.0));
        entries = out.len();
        bytes = out.iter().map(|e| e.text.len() + e.tool.as_ref().map_or(0, |t| t.len()) + 64).sum();
    }
    (median(per_thousand), entries, bytes as f64 / (lines.len() as f64 / 1000.0))
}

fn main() {
    let n = 20_000;
    for (name, kind, lines) in [
        ("claude stream-json", AgentKind::ClaudeCode, claude_lines(n)),
        ("codex --json", AgentKind::Codex, codex_lines(n)),
    ] {
        let (ms, entries, bytes) = bench(kind, &lines);
        let verdict = if ms < 10.0 { "PASS" } else { "FAIL" };
        println!(
            "{name}: {ms:.2} ms per 1,000 events (median of 15 rounds of {n} lines, {entries} entries); entries in \
             memory ≈ {:.0} KB per 1,000 events — {verdict} (target < 10 ms)",
            bytes / 1024.0
        );
    }
}
