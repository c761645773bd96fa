//! What every agent CLI adapter answers ([`AgentCli`]) and the transcript formats they speak ([`AgentKind`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One agent CLI: what YokeFlow knows of it (module docs).
pub trait AgentCli: Sync {
    /// The format of its output, as [`Parser`] reads it.
    fn kind(&self) -> AgentKind;
    /// Whether the argv template runs this CLI.
    fn detects(&self, argv: &[String]) -> bool;
    /// Its ready-made command for the settings (`id`, name, argv template), if it has one.
    fn preset(&self) -> Option<(&'static str, &'static str, Vec<String>)> {
        None
    }
    /// `argv` continuing the CLI's conversation `agent_session_id` (checked not to read as an option), or `None`
    /// when this CLI cannot resume one.
    fn resume_argv(&self, _argv: &[String], _agent_session_id: &str) -> Option<Vec<String>> {
        None
    }
    /// Whether it loads the repository's `.claude/` (skills, agents) itself, so the experts are named rather than
    /// put into the prompt.
    fn loads_claude_folder(&self) -> bool {
        false
    }
}

/// Which parser reads an agent's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    /// Claude Code's `--output-format stream-json` (one JSON object a line).
    ClaudeCode,
    /// `codex exec --json` (one JSON event a line).
    Codex,
    /// Any other program: each output line is text.
    PlainText,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::ClaudeCode => "claude_code",
            AgentKind::Codex => "codex",
            AgentKind::PlainText => "plain_text",
        }
    }

    pub fn parse(s: &str) -> Option<AgentKind> {
        [AgentKind::ClaudeCode, AgentKind::Codex, AgentKind::PlainText].into_iter().find(|k| k.as_str() == s)
    }
}

/// Which stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}
