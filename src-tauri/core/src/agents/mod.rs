//! One place per agent CLI. Each file is one CLI's adapter ([`AgentCli`]): how its argv template is recognised,
//! its preset for the settings, how its output is read (its transcript parser), how a conversation is continued
//! (`--resume`), and whether it loads `.claude/` itself. [`adapter`] resolves an argv template to its adapter:
//! [`claude`] (Claude Code's `--output-format stream-json`), [`codex`] (`codex exec --json`), [`aider`] (plain
//! text), else [`plain`] (any other program, each output line text). The [`Parser`] feeds every output line of a
//! session to its adapter's parser and keeps the session's facts ([`crate::agents::transcript`] holds the shapes).
//!
//! Invariants: parsing never fails (a line an adapter does not understand becomes text, or is dropped when it is
//! protocol noise), and what it keeps is bounded ([`crate::agents::transcript::MAX_TEXT`]); the adapter is chosen from the
//! argv template alone. May use: `transcript` (the entry shapes) only; nothing of the run or the database.

pub mod adapter;
pub mod aider;
pub mod claude;
pub mod codex;
pub mod command;
pub mod feedback;
pub mod permissions;
pub mod plain;
pub mod sessions;
pub mod transcript;

use crate::agents::transcript::{Entry, SessionFacts};
pub use adapter::{AgentCli, AgentKind, Stream};

/// Every adapter, in the order they are asked ([`plain::Plain`] takes the rest).
const ADAPTERS: [&dyn AgentCli; 3] = [&claude::Claude, &codex::Codex, &aider::Aider];

impl AgentKind {
    /// The transcript format of an argv template ([`adapter`]): Claude Code's stream-json when the argv asks for
    /// it (`--output-format stream-json`, whatever the program, so a stand-in can speak it), Codex when it is
    /// `codex exec --json`, else plain text.
    pub fn detect(argv: &[String]) -> AgentKind {
        adapter(argv).kind()
    }
}

/// The adapter of an argv template.
pub fn adapter(argv: &[String]) -> &'static dyn AgentCli {
    ADAPTERS.into_iter().find(|a| a.detects(argv)).unwrap_or(&plain::Plain)
}

/// The CLIs with a preset, in the settings' order: (`id`, name, argv template).
pub fn presets() -> Vec<(&'static str, &'static str, Vec<String>)> {
    ADAPTERS.into_iter().filter_map(|a| a.preset()).collect()
}

/// `argv` continuing the agent CLI's conversation `agent_session_id`, or `None` when this agent cannot resume
/// one or the id reads as an option.
pub fn resume_argv(kind: AgentKind, argv: &[String], agent_session_id: &str) -> Option<Vec<String>> {
    if agent_session_id.is_empty() || agent_session_id.starts_with('-') {
        return None;
    }
    match kind {
        AgentKind::ClaudeCode => claude::Claude.resume_argv(argv, agent_session_id),
        AgentKind::Codex => codex::Codex.resume_argv(argv, agent_session_id),
        AgentKind::PlainText => None,
    }
}

/// Turns an agent's output lines into entries, keeping the session's facts.
pub struct Parser {
    kind: AgentKind,
    facts: SessionFacts,
    claude: claude::State,
    codex: codex::State,
}

impl Parser {
    pub fn new(kind: AgentKind) -> Parser {
        Parser {
            kind,
            facts: SessionFacts::default(),
            claude: claude::State::default(),
            codex: codex::State::default(),
        }
    }

    pub fn kind(&self) -> AgentKind {
        self.kind
    }

    /// The entries one output line makes (often none, sometimes several).
    pub fn line(&mut self, stream: Stream, line: &str) -> Vec<Entry> {
        let mut out = Vec::new();
        if stream == Stream::Stderr {
            // The CLIs keep stdout for their protocol; stderr is diagnostics, shown as such.
            if !line.trim().is_empty() {
                out.push(Entry { is_error: true, ..Entry::text(line) });
            }
            return out;
        }
        if self.kind == AgentKind::PlainText {
            plain::line(line, &mut self.facts, &mut out);
            return out;
        }
        // The JSON-lines protocols: a line that is not JSON is something the CLI printed as text ("No conversation
        // found …"), kept as text.
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return out;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(trimmed) else {
            out.push(Entry::text(trimmed));
            return out;
        };
        match self.kind {
            AgentKind::ClaudeCode => self.claude.event(&v, &mut self.facts, &mut out),
            AgentKind::Codex => self.codex.event(&v, &mut self.facts, &mut out),
            AgentKind::PlainText => {}
        }
        out
    }

    pub fn facts(&self) -> &SessionFacts {
        &self.facts
    }

    pub fn into_facts(self) -> SessionFacts {
        self.facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_adapter_follows_the_argv() {
        assert_eq!(
            AgentKind::detect(&s(&["claude", "-p", "x", "--output-format", "stream-json"])),
            AgentKind::ClaudeCode
        );
        assert_eq!(AgentKind::detect(&s(&["/opt/stand-in", "--output-format=stream-json"])), AgentKind::ClaudeCode);
        assert_eq!(AgentKind::detect(&s(&["claude", "-p", "x", "--output-format", "text"])), AgentKind::PlainText);
        assert_eq!(AgentKind::detect(&s(&["/usr/bin/codex", "exec", "--json", "{prompt}"])), AgentKind::Codex);
        assert_eq!(AgentKind::detect(&s(&["codex", "exec", "{prompt}"])), AgentKind::PlainText);
        assert_eq!(AgentKind::detect(&s(&["aider", "--message", "{prompt}"])), AgentKind::PlainText);
        assert_eq!(AgentKind::detect(&[]), AgentKind::PlainText);
    }

    #[test]
    fn stderr_is_shown_as_an_error_text() {
        let mut p = Parser::new(AgentKind::ClaudeCode);
        let out = p.line(Stream::Stderr, "warning: something");
        assert_eq!(out, vec![Entry { is_error: true, ..Entry::text("warning: something") }]);
        assert!(p.line(Stream::Stderr, "  ").is_empty());
    }

    #[test]
    fn each_cli_is_one_adapter() {
        assert!(adapter(&s(&["claude", "-p", "x", "--output-format", "stream-json"])).loads_claude_folder());
        assert!(!adapter(&s(&["codex", "exec", "--json", "{prompt}"])).loads_claude_folder());
        let ids: Vec<&str> = presets().into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(ids, vec!["claude", "codex", "aider"]);
        for (_, _, argv) in presets() {
            assert_eq!(adapter(&argv).kind(), AgentKind::detect(&argv));
        }
    }

    #[test]
    fn inside_the_sandbox_each_cli_runs_without_its_own_rules() {
        let claude =
            s(&["claude", "-p", "do it", "--output-format", "stream-json", "--permission-mode", "acceptEdits"]);
        let inside = adapter(&claude).sandboxed_argv(claude.clone());
        assert_eq!(inside[5..], s(&["--permission-mode", "bypassPermissions"]));
        assert_eq!(adapter(&claude).sandboxed_env(), &[("IS_SANDBOX", "1")]);
        let bare = s(&["claude", "-p", "x", "--output-format=stream-json"]);
        assert_eq!(adapter(&bare).sandboxed_argv(bare.clone())[1..3], s(&["--permission-mode", "bypassPermissions"]));
        let codex = s(&["codex", "exec", "--json", "--sandbox", "workspace-write", "{prompt}"]);
        assert_eq!(adapter(&codex).sandboxed_argv(codex.clone())[4], "danger-full-access");
        let short = s(&["codex", "exec", "--json", "{prompt}"]);
        assert_eq!(
            adapter(&short).sandboxed_argv(short.clone()),
            s(&["codex", "exec", "--sandbox", "danger-full-access", "--json", "{prompt}"])
        );
        let plain = s(&["aider", "--message", "{prompt}"]);
        assert_eq!(adapter(&plain).sandboxed_argv(plain.clone()), plain);
    }
}
