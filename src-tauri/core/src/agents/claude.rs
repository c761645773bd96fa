//! Claude Code's `--output-format stream-json --verbose`: one JSON object a line. `system` (subtype `init`) names
//! the session; `assistant` carries content blocks (`text`, `tool_use`); `user` carries `tool_result` blocks;
//! `result` ends the session with `num_turns`, `duration_ms`, `total_cost_usd`, `usage` and `permission_denials`.

use std::collections::HashMap;

use serde_json::Value;

use crate::agents::transcript::{Denial, Entry, EntryKind, SessionFacts};

/// The default agent command: Claude Code's CLI in print mode, with the stream-json transcript, allowed to edit
/// files in its worktree and to use the project's allowed tools ([`crate::agents::permissions`]: git add/commit/status/diff/
/// log, the test command, what a person allowed), not every permission. `{allowed_tools}` stays last:
/// `--allowedTools` takes every argument after it.
pub const DEFAULT_ARGV: &[&str] = &[
    "claude",
    "-p",
    "{prompt}",
    "--output-format",
    "stream-json",
    "--verbose",
    "--permission-mode",
    "acceptEdits",
    "--allowedTools",
    "{allowed_tools}",
];

/// Claude Code's CLI, or anything that speaks its stream-json (a stand-in).
pub struct Claude;

impl super::adapter::AgentCli for Claude {
    fn kind(&self) -> super::adapter::AgentKind {
        super::adapter::AgentKind::ClaudeCode
    }

    fn detects(&self, argv: &[String]) -> bool {
        argv.windows(2).any(|w| w[0] == "--output-format" && w[1] == "stream-json")
            || argv.iter().any(|a| a == "--output-format=stream-json")
    }

    fn preset(&self) -> Option<(&'static str, &'static str, Vec<String>)> {
        Some(("claude", "Claude Code", DEFAULT_ARGV.iter().map(|s| s.to_string()).collect()))
    }

    /// Its conversations and settings (`~/.claude`, `~/.claude.json`, or `CLAUDE_CONFIG_DIR`).
    fn state(&self, home: &std::path::Path, argv: &[String]) -> Vec<std::path::PathBuf> {
        let mut out = vec![home.join(".claude"), home.join(".claude.json")];
        out.extend(super::adapter::env_dir(argv, "CLAUDE_CONFIG_DIR"));
        out
    }

    /// Every tool allowed (`--permission-mode bypassPermissions`): the sandbox is what confines it.
    fn sandboxed_argv(&self, argv: Vec<String>) -> Vec<String> {
        super::adapter::with_option(argv, "--permission-mode", "bypassPermissions")
    }

    /// Claude Code refuses to bypass its permissions as root unless told it runs in a sandbox.
    fn sandboxed_env(&self) -> &'static [(&'static str, &'static str)] {
        &[("IS_SANDBOX", "1")]
    }

    /// Its settings (hooks), plugins, commands, agents, skills and instructions, in each state folder.
    fn locked_state(&self, home: &std::path::Path, argv: &[String]) -> Vec<std::path::PathBuf> {
        let folders = std::iter::once(home.join(".claude")).chain(super::adapter::env_dir(argv, "CLAUDE_CONFIG_DIR"));
        let names =
            ["settings.json", "settings.local.json", "hooks", "plugins", "commands", "agents", "skills", "CLAUDE.md"];
        folders.flat_map(|f| names.iter().map(move |n| f.join(n))).collect()
    }

    /// `--resume <id>` before `--output-format`, so it never lands among the arguments of a trailing list option
    /// like `--allowedTools`.
    fn resume_argv(&self, argv: &[String], agent_session_id: &str) -> Option<Vec<String>> {
        let at = argv.iter().position(|a| a == "--output-format" || a.starts_with("--output-format="))?;
        let mut out = argv.to_vec();
        out.splice(at..at, ["--resume".to_string(), agent_session_id.to_string()]);
        Some(out)
    }

    fn loads_claude_folder(&self) -> bool {
        true
    }
}

/// Tool calls whose results have not come back yet (id → tool name); bounded.
#[derive(Default)]
pub struct State {
    pending: HashMap<String, String>,
}

const MAX_PENDING: usize = 1024;

impl State {
    /// The entries of one protocol line.
    pub fn event(&mut self, v: &Value, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
        if let Some(id) = v.get("session_id").and_then(Value::as_str) {
            facts.agent_session_id.get_or_insert_with(|| id.to_string());
        }
        match v.get("type").and_then(Value::as_str) {
            Some("assistant") => self.assistant(v, facts, out),
            Some("user") => self.user(v, out),
            Some("result") => result(v, facts, out),
            _ => {}
        }
    }

    fn assistant(&mut self, v: &Value, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
        for block in blocks(v) {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    let text = block.get("text").and_then(Value::as_str).unwrap_or_default();
                    if !text.trim().is_empty() {
                        out.push(Entry::text(text.trim()));
                        facts.last_text =
                            Some(crate::agents::transcript::cut(text.trim(), crate::agents::transcript::MAX_TEXT));
                    }
                }
                Some("tool_use") => {
                    let name = block.get("name").and_then(Value::as_str).unwrap_or("tool");
                    if let Some(id) = block.get("id").and_then(Value::as_str) {
                        if self.pending.len() >= MAX_PENDING {
                            self.pending.clear();
                        }
                        self.pending.insert(id.to_string(), name.to_string());
                    }
                    out.push(Entry::call(name, &input_summary(name, block.get("input").unwrap_or(&Value::Null))));
                }
                _ => {}
            }
        }
    }

    fn user(&mut self, v: &Value, out: &mut Vec<Entry>) {
        for block in blocks(v) {
            if block.get("type").and_then(Value::as_str) != Some("tool_result") {
                continue;
            }
            let tool = block.get("tool_use_id").and_then(Value::as_str).and_then(|id| self.pending.remove(id));
            let is_error = block.get("is_error").and_then(Value::as_bool).unwrap_or(false);
            out.push(Entry::result(tool.as_deref(), &content_text(block.get("content")), is_error));
        }
    }
}

fn blocks(v: &Value) -> impl Iterator<Item = &Value> {
    v.get("message").and_then(|m| m.get("content")).and_then(Value::as_array).into_iter().flatten()
}

/// A tool result's content: a string, or a list of blocks of which the text ones count.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|b| match b.get("type").and_then(Value::as_str) {
                Some("text") => b.get("text").and_then(Value::as_str).map(str::to_string),
                Some(other) => Some(format!("[{other}]")),
                None => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The part of a tool's input a person wants to see: the command, the file, the pattern.
pub fn input_summary(tool: &str, input: &Value) -> String {
    let field = |key: &str| input.get(key).and_then(Value::as_str).map(str::to_string);
    let picked = match tool {
        "Bash" => field("command"),
        "Write" | "Edit" | "MultiEdit" | "Read" => field("file_path"),
        "NotebookEdit" => field("notebook_path"),
        "Glob" | "Grep" => field("pattern"),
        "WebFetch" => field("url"),
        "WebSearch" => field("query"),
        "Task" | "Agent" => field("description"),
        "TodoWrite" => Some(String::new()),
        _ => None,
    };
    picked.unwrap_or_else(|| match input {
        Value::Null => String::new(),
        Value::Object(map) if map.is_empty() => String::new(),
        other => other.to_string(),
    })
}

fn result(v: &Value, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
    for d in v.get("permission_denials").and_then(Value::as_array).into_iter().flatten() {
        let tool = d.get("tool_name").and_then(Value::as_str).unwrap_or("tool").to_string();
        let input = crate::agents::transcript::cut(
            &input_summary(&tool, d.get("tool_input").unwrap_or(&Value::Null)),
            crate::agents::transcript::MAX_INPUT,
        );
        out.push(Entry {
            kind: EntryKind::PermissionDenied,
            tool: Some(tool.clone()),
            text: input.clone(),
            is_error: true,
        });
        facts.deny(Denial { tool, input });
    }
    let u64_of = |x: Option<&Value>| x.and_then(Value::as_u64);
    if let Some(cost) = v.get("total_cost_usd").and_then(Value::as_f64) {
        facts.cost_usd = Some(facts.cost_usd.unwrap_or(0.0) + cost);
    }
    if let Some(usage) = v.get("usage") {
        let input: u64 = ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]
            .iter()
            .filter_map(|k| u64_of(usage.get(*k)))
            .sum();
        facts.input_tokens = Some(facts.input_tokens.unwrap_or(0) + input);
        if let Some(o) = u64_of(usage.get("output_tokens")) {
            facts.output_tokens = Some(facts.output_tokens.unwrap_or(0) + o);
        }
    }
    if let Some(turns) = u64_of(v.get("num_turns")) {
        facts.turns = Some(facts.turns.unwrap_or(0) + turns as u32);
    }
    if let Some(ms) = u64_of(v.get("duration_ms")) {
        facts.duration_ms = Some(facts.duration_ms.unwrap_or(0) + ms);
    }
    let is_error = v.get("is_error").and_then(Value::as_bool).unwrap_or(false)
        || v.get("subtype").and_then(Value::as_str).is_some_and(|s| s != "success");
    facts.failed |= is_error;
    let text = match v.get("result").and_then(Value::as_str) {
        Some(text) if !text.trim().is_empty() => text.trim().to_string(),
        _ => v.get("subtype").and_then(Value::as_str).unwrap_or("ended").replace('_', " "),
    };
    if !text.is_empty() && !is_error {
        facts.last_text = Some(crate::agents::transcript::cut(&text, crate::agents::transcript::MAX_TEXT));
    }
    out.push(Entry {
        kind: EntryKind::Result,
        tool: None,
        text: crate::agents::transcript::cut(&text, crate::agents::transcript::MAX_TEXT),
        is_error,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, Parser, Stream};

    fn parse(lines: &[&str]) -> (Vec<Entry>, SessionFacts) {
        let mut p = Parser::new(AgentKind::ClaudeCode);
        let entries = lines.iter().flat_map(|l| p.line(Stream::Stdout, l)).collect();
        (entries, p.into_facts())
    }

    /// Lines as Claude Code 2.1.197 printed them against the project's scripted Messages API (shortened).
    const SESSION: &[&str] = &[
        r#"{"type":"system","subtype":"init","cwd":"/tmp/r","session_id":"7256","tools":["Bash","Write"],"model":"claude-opus-4-8[1m]","permissionMode":"acceptEdits"}"#,
        r#"{"type":"assistant","message":{"id":"m1","role":"assistant","content":[{"type":"tool_use","id":"t1","name":"Write","input":{"file_path":"hello.txt","content":"hi\n"}}],"usage":{"input_tokens":2733,"output_tokens":1}},"session_id":"7256"}"#,
        r#"{"type":"user","message":{"role":"user","content":[{"tool_use_id":"t1","type":"tool_result","content":"File created successfully at: hello.txt"}]},"session_id":"7256"}"#,
        r#"{"type":"assistant","message":{"content":[{"type":"tool_use","id":"t3","name":"Bash","input":{"command":"npm install left-pad"}}]},"session_id":"7256"}"#,
        r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"This command requires approval","is_error":true,"tool_use_id":"t3"}]},"session_id":"7256"}"#,
        r#"{"type":"assistant","message":{"content":[{"type":"text","text":"Task one is done."}]},"session_id":"7256"}"#,
        r#"{"type":"result","subtype":"success","is_error":false,"duration_ms":462,"num_turns":4,"result":"Task one is done.","session_id":"7256","total_cost_usd":0.069075,"usage":{"input_tokens":11436,"cache_creation_input_tokens":10,"cache_read_input_tokens":5,"output_tokens":200},"permission_denials":[{"tool_name":"Bash","tool_use_id":"t3","tool_input":{"command":"npm install left-pad"}}]}"#,
    ];

    #[test]
    fn a_session_becomes_calls_results_a_denial_and_its_result() {
        let (entries, facts) = parse(SESSION);
        let kinds: Vec<_> = entries.iter().map(|e| (e.kind, e.tool.as_deref(), e.text.as_str(), e.is_error)).collect();
        assert_eq!(
            kinds,
            vec![
                (EntryKind::ToolCall, Some("Write"), "hello.txt", false),
                (EntryKind::ToolResult, Some("Write"), "File created successfully at: hello.txt", false),
                (EntryKind::ToolCall, Some("Bash"), "npm install left-pad", false),
                (EntryKind::ToolResult, Some("Bash"), "This command requires approval", true),
                (EntryKind::Text, None, "Task one is done.", false),
                (EntryKind::PermissionDenied, Some("Bash"), "npm install left-pad", true),
                (EntryKind::Result, None, "Task one is done.", false),
            ]
        );
        assert_eq!(facts.agent_session_id.as_deref(), Some("7256"));
        assert_eq!(facts.cost_usd, Some(0.069075));
        assert_eq!(facts.input_tokens, Some(11451));
        assert_eq!(facts.output_tokens, Some(200));
        assert_eq!(facts.turns, Some(4));
        assert_eq!(facts.duration_ms, Some(462));
        assert!(!facts.failed);
        assert_eq!(facts.denials, vec![Denial { tool: "Bash".into(), input: "npm install left-pad".into() }]);
        assert_eq!(facts.denials[0].describe(), "Bash(npm install left-pad)");
        assert_eq!(facts.last_text.as_deref(), Some("Task one is done."));
    }

    #[test]
    fn an_error_result_and_text_that_is_not_the_protocol() {
        let (entries, facts) = parse(&[
            "No conversation found with session ID: abc",
            r#"{"type":"result","subtype":"error_max_turns","is_error":true,"num_turns":30,"session_id":"s"}"#,
            "",
        ]);
        assert_eq!(entries[0], Entry::text("No conversation found with session ID: abc"));
        assert_eq!(entries[1].kind, EntryKind::Result);
        assert_eq!(entries[1].text, "error max turns");
        assert!(entries[1].is_error && facts.failed);
        assert_eq!(entries.len(), 2);
    }

    #[test]
    fn results_in_blocks_and_unknown_tools_are_summarised() {
        let (entries, _) = parse(&[
            r#"{"type":"assistant","message":{"content":[{"type":"thinking","thinking":"hm"},{"type":"tool_use","id":"a","name":"mcp__x__y","input":{"q":1}}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"one"},{"type":"image"}]}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"unknown","content":"x"}]}}"#,
        ]);
        assert_eq!(entries[0], Entry::call("mcp__x__y", r#"{"q":1}"#));
        assert_eq!(entries[1], Entry::result(Some("mcp__x__y"), "one\n[image]", false));
        assert_eq!(entries[2], Entry::result(None, "x", false));
    }

    #[test]
    fn huge_outputs_are_cut() {
        let big = "x".repeat(100_000);
        let line = serde_json::json!({"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"a","content": big}]}})
            .to_string();
        let (entries, _) = parse(&[&line]);
        assert!(entries[0].text.len() < crate::agents::transcript::MAX_RESULT + 40);
    }
}
