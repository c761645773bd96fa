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
    /// The files and folders where the CLI run by `argv` keeps its own state (conversations, so they can be
    /// resumed; its settings), under `home` unless `argv` or YokeFlow's environment moves them: writable inside the
    /// sandbox.
    fn state(&self, _home: &std::path::Path, _argv: &[String]) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
    /// What in its state the agent may read but not change inside the sandbox: what the CLI runs or obeys on its
    /// next start, confined or not (settings with hooks, plugins, commands, its own instructions).
    fn locked_state(&self, _home: &std::path::Path, _argv: &[String]) -> Vec<std::path::PathBuf> {
        Vec::new()
    }
    /// `argv` (rendered) for a run inside YokeFlow's sandbox, which confines the agent instead of the CLI's own
    /// rules: no tool rule or sandbox of its own left to refuse a command.
    fn sandboxed_argv(&self, argv: Vec<String>) -> Vec<String> {
        argv
    }
    /// The environment the CLI needs to run that way (e.g. to accept it as root).
    fn sandboxed_env(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
}

/// The folder the variable `var` names for a program run by `argv`: set on its command line (`env VAR=…`), else in
/// YokeFlow's own environment (which the program inherits).
pub(crate) fn env_dir(argv: &[String], var: &str) -> Option<std::path::PathBuf> {
    let key = format!("{var}=");
    argv.iter()
        .find_map(|a| a.strip_prefix(&key).map(std::path::PathBuf::from))
        .or_else(|| std::env::var_os(var).map(std::path::PathBuf::from))
        .filter(|p| p.is_absolute())
}

/// `argv` with the option `name`'s value made `value` (`name value` or `name=value`), or both added after the
/// program when it has none.
pub(crate) fn with_option(mut argv: Vec<String>, name: &str, value: &str) -> Vec<String> {
    let joined = format!("{name}=");
    if let Some(i) = argv.iter().position(|a| a == name) {
        if i + 1 < argv.len() {
            argv[i + 1] = value.to_string();
        } else {
            argv.push(value.to_string());
        }
    } else if let Some(i) = argv.iter().position(|a| a.starts_with(&joined)) {
        argv[i] = format!("{joined}{value}");
    } else {
        let at = 1.min(argv.len());
        argv.splice(at..at, [name.to_string(), value.to_string()]);
    }
    argv
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
