//! `codex exec --json`: one event a line. `thread.started` names the thread (what `codex exec resume` continues);
//! `item.started` / `item.completed` carry items (`agent_message`, `command_execution`, `file_change`,
//! `mcp_tool_call`, `web_search`, `error`, …); `turn.completed` gives token usage; `turn.failed` and `error` end
//! in failure. Codex reports no cost.

use std::collections::HashSet;

use serde_json::Value;

use crate::agents::transcript::{Entry, EntryKind, SessionFacts};

/// The Codex CLI's `exec --json`.
pub struct Codex;

impl super::adapter::AgentCli for Codex {
    fn kind(&self) -> super::adapter::AgentKind {
        super::adapter::AgentKind::Codex
    }

    /// `codex exec --json …`, also behind a wrapper (`env VAR=… /path/to/codex exec --json …`).
    fn detects(&self, argv: &[String]) -> bool {
        argv.iter().position(|a| a.rsplit('/').next() == Some("codex")).is_some_and(|at| {
            let rest = &argv[at + 1..];
            rest.iter().any(|a| a == "exec") && rest.iter().any(|a| a == "--json")
        })
    }

    /// Edits in the worktree only (Codex's workspace-write sandbox; YokeFlow commits what it leaves, as git's folder
    /// is outside that sandbox). Checked with Codex 0.169, which has no `--full-auto`.
    fn preset(&self) -> Option<(&'static str, &'static str, Vec<String>)> {
        let argv = ["codex", "exec", "--json", "--sandbox", "workspace-write", "{prompt}"];
        Some(("codex", "Codex CLI", argv.iter().map(|s| s.to_string()).collect()))
    }

    /// Its conversations and settings (`~/.codex`, or `CODEX_HOME`).
    fn state(&self, home: &std::path::Path, argv: &[String]) -> Vec<std::path::PathBuf> {
        let mut out = vec![home.join(".codex")];
        out.extend(super::adapter::env_dir(argv, "CODEX_HOME"));
        out
    }

    /// Its own sandbox off (`--sandbox danger-full-access`): the sandbox around it is what confines it (and its own
    /// would not nest inside).
    fn sandboxed_argv(&self, mut argv: Vec<String>) -> Vec<String> {
        const FULL: &str = "danger-full-access";
        if let Some(i) = argv.iter().position(|a| a == "-s" || a == "--sandbox").filter(|i| i + 1 < argv.len()) {
            argv[i + 1] = FULL.to_string();
        } else if let Some(i) = argv.iter().position(|a| a.starts_with("--sandbox=")) {
            argv[i] = format!("--sandbox={FULL}");
        } else {
            let at = argv.iter().position(|a| a == "exec").map_or(1.min(argv.len()), |i| i + 1);
            argv.splice(at..at, ["--sandbox".to_string(), FULL.to_string()]);
        }
        argv
    }

    /// Its configuration (notify programs, MCP servers) and instructions.
    fn locked_state(&self, home: &std::path::Path, argv: &[String]) -> Vec<std::path::PathBuf> {
        let folders = std::iter::once(home.join(".codex")).chain(super::adapter::env_dir(argv, "CODEX_HOME"));
        folders.flat_map(|f| [f.join("config.toml"), f.join("AGENTS.md")]).collect()
    }

    /// `exec resume <id>`; its `resume` takes no `--sandbox`: that option becomes the equivalent
    /// `-c sandbox_mode=…`.
    fn resume_argv(&self, argv: &[String], agent_session_id: &str) -> Option<Vec<String>> {
        let exec = argv.iter().position(|a| a == "exec")?;
        let mut out: Vec<String> = argv[..=exec].to_vec();
        out.extend(["resume".to_string(), agent_session_id.to_string()]);
        let mut rest = argv[exec + 1..].iter();
        while let Some(a) = rest.next() {
            let mode = if a == "-s" || a == "--sandbox" {
                Some(rest.next()?.clone())
            } else {
                a.strip_prefix("--sandbox=").map(str::to_string)
            };
            match mode {
                Some(m) => out.extend(["-c".to_string(), format!("sandbox_mode=\"{m}\"")]),
                None => out.push(a.clone()),
            }
        }
        Some(out)
    }
}

/// Command items already shown as started (so their completion does not repeat the call); bounded.
#[derive(Default)]
pub struct State {
    started: HashSet<String>,
}

impl State {
    /// The entries of one protocol line.
    pub fn event(&mut self, v: &Value, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
        let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match v.get("type").and_then(Value::as_str) {
            Some("thread.started") => {
                if let Some(id) = str_of(v, "thread_id") {
                    facts.agent_session_id.get_or_insert(id);
                }
            }
            Some("item.started") => {
                if let Some(item) = v.get("item") {
                    if item.get("type").and_then(Value::as_str) == Some("command_execution") {
                        if self.started.len() >= 1024 {
                            self.started.clear();
                        }
                        if let Some(id) = str_of(item, "id") {
                            self.started.insert(id);
                        }
                        out.push(Entry::call("shell", &str_of(item, "command").unwrap_or_default()));
                    }
                }
            }
            Some("item.completed") => {
                if let Some(item) = v.get("item") {
                    self.completed(item, facts, out);
                }
            }
            Some("turn.completed") => {
                let usage = v.get("usage");
                let n = |k: &str| usage.and_then(|u| u.get(k)).and_then(Value::as_u64);
                if let Some(i) = n("input_tokens") {
                    facts.input_tokens = Some(facts.input_tokens.unwrap_or(0) + i);
                }
                if let Some(o) = n("output_tokens") {
                    facts.output_tokens = Some(facts.output_tokens.unwrap_or(0) + o);
                }
                facts.turns = Some(facts.turns.unwrap_or(0) + 1);
                let text = facts.last_text.clone().unwrap_or_else(|| "turn completed".into());
                out.push(Entry { kind: EntryKind::Result, tool: None, text, is_error: false });
            }
            // A stream error Codex retries ("Reconnecting… 1/5") is not the end of the session.
            Some("error") => {
                let message = v.get("message").and_then(Value::as_str).unwrap_or("error");
                out.push(Entry { is_error: true, ..Entry::text(message) });
            }
            Some("turn.failed") => {
                let message = v
                    .get("error")
                    .and_then(|e| e.get("message"))
                    .and_then(Value::as_str)
                    .or_else(|| v.get("message").and_then(Value::as_str))
                    .unwrap_or("the turn failed")
                    .to_string();
                facts.failed = true;
                out.push(Entry {
                    kind: EntryKind::Result,
                    tool: None,
                    text: crate::agents::transcript::cut(&message, crate::agents::transcript::MAX_TEXT),
                    is_error: true,
                });
            }
            _ => {}
        }
    }

    fn completed(&mut self, item: &Value, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
        let str_of = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        match item.get("type").and_then(Value::as_str) {
            Some("agent_message") => {
                let text = str_of("text");
                if !text.trim().is_empty() {
                    facts.last_text =
                        Some(crate::agents::transcript::cut(text.trim(), crate::agents::transcript::MAX_TEXT));
                    out.push(Entry::text(text.trim()));
                }
            }
            Some("command_execution") => {
                let seen = self.started.remove(&str_of("id"));
                if !seen {
                    out.push(Entry::call("shell", &str_of("command")));
                }
                let code = item.get("exit_code").and_then(Value::as_i64);
                let failed = code.is_some_and(|c| c != 0) || str_of("status") == "failed";
                let mut text = str_of("aggregated_output");
                if let (Some(c), true) = (code, failed) {
                    text = format!("exit code {c}\n{text}");
                }
                out.push(Entry::result(Some("shell"), text.trim_end(), failed));
            }
            Some("file_change") => {
                let changes: Vec<String> = item
                    .get("changes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|c| {
                        let path = c.get("path").and_then(Value::as_str).unwrap_or("?");
                        match c.get("kind").and_then(Value::as_str) {
                            Some(kind) => format!("{kind} {path}"),
                            None => path.to_string(),
                        }
                    })
                    .collect();
                out.push(Entry::call("edit", &changes.join(", ")));
                let failed = str_of("status") == "failed";
                out.push(Entry::result(Some("edit"), if failed { "failed" } else { "applied" }, failed));
            }
            Some("mcp_tool_call") => {
                out.push(Entry::call(&format!("{}/{}", str_of("server"), str_of("tool")), ""));
                let failed = str_of("status") == "failed";
                out.push(Entry::result(None, &str_of("status"), failed));
            }
            Some("web_search") => out.push(Entry::call("web_search", &str_of("query"))),
            Some("error") => out.push(Entry { is_error: true, ..Entry::text(&str_of("message")) }),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, Parser, Stream};

    #[test]
    fn a_codex_session_becomes_entries_and_facts() {
        let mut p = Parser::new(AgentKind::Codex);
        let lines = [
            r#"{"type":"thread.started","thread_id":"0199a213"}"#,
            r#"{"type":"turn.started"}"#,
            r#"{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","status":"in_progress"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"bash -lc ls","aggregated_output":"a.txt\n","exit_code":0,"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_2","type":"file_change","changes":[{"path":"b.txt","kind":"add"}],"status":"completed"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_3","type":"command_execution","command":"false","aggregated_output":"","exit_code":1,"status":"failed"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_4","type":"agent_message","text":"Done."}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":1200,"cached_input_tokens":200,"output_tokens":345}}"#,
        ];
        let entries: Vec<Entry> = lines.iter().flat_map(|l| p.line(Stream::Stdout, l)).collect();
        let facts = p.into_facts();
        let shown: Vec<_> = entries.iter().map(|e| (e.kind, e.tool.as_deref(), e.text.as_str(), e.is_error)).collect();
        assert_eq!(
            shown,
            vec![
                (EntryKind::ToolCall, Some("shell"), "bash -lc ls", false),
                (EntryKind::ToolResult, Some("shell"), "a.txt", false),
                (EntryKind::ToolCall, Some("edit"), "add b.txt", false),
                (EntryKind::ToolResult, Some("edit"), "applied", false),
                (EntryKind::ToolCall, Some("shell"), "false", false),
                (EntryKind::ToolResult, Some("shell"), "exit code 1", true),
                (EntryKind::Text, None, "Done.", false),
                (EntryKind::Result, None, "Done.", false),
            ]
        );
        assert_eq!(facts.agent_session_id.as_deref(), Some("0199a213"));
        assert_eq!((facts.input_tokens, facts.output_tokens, facts.turns), (Some(1200), Some(345), Some(1)));
        assert_eq!(facts.cost_usd, None);
        assert!(!facts.failed);
    }

    #[test]
    fn a_failed_turn_fails_the_session() {
        let mut p = Parser::new(AgentKind::Codex);
        let out = p.line(Stream::Stdout, r#"{"type":"turn.failed","error":{"message":"stream disconnected"}}"#);
        assert_eq!(out[0].text, "stream disconnected");
        assert!(out[0].is_error && p.facts().failed);
        let mut p = Parser::new(AgentKind::Codex);
        let out = p.line(Stream::Stdout, r#"{"type":"error","message":"Reconnecting... 1/5"}"#);
        assert_eq!((out[0].kind, out[0].is_error, p.facts().failed), (EntryKind::Text, true, false));
    }
}
