//! Agent transcripts: what an agent said and did, in one normalized shape whatever CLI it was.
//!
//! The agents' output lines become [`Entry`]s (assistant text, tool calls, tool results, permission denials and the
//! final result) and a [`SessionFacts`] summary (the agent's own session id, cost, tokens, turns, the tools it was
//! refused) through each CLI's parser in [`crate::agents`]; this module holds those shapes, the bounds, and the
//! JSONL file beside the raw log (which stays). The runner ([`crate::run::agent`]) streams the entries as
//! [`crate::run::events::Event::AgentTranscript`] and stores the summary on the session's row.
//!
//! Invariants: every entry's text is cut to a bound ([`MAX_TEXT`], [`MAX_RESULT`]), so memory per entry is bounded
//! whatever the agent prints.

use std::io::{BufRead, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};

/// The longest assistant text or final result kept in one entry.
pub const MAX_TEXT: usize = 8 * 1024;
/// The longest tool result kept in one entry.
pub const MAX_RESULT: usize = 2 * 1024;
/// The longest tool input summary kept in one entry.
pub const MAX_INPUT: usize = 300;

/// What one transcript entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The agent's own words.
    Text,
    /// The agent called a tool (`tool`; `text` is a short form of its input).
    ToolCall,
    /// What the tool gave back (`is_error` when it failed or was refused), cut.
    ToolResult,
    /// The agent's CLI refused the tool (`tool`; `text` is the input it was refused for).
    PermissionDenied,
    /// The session's end as the agent reports it (`is_error` for a failed one); `text` is its last message.
    Result,
}

/// One step of a transcript. The JSON shape is a contract (`yokeflow log --json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Entry {
    pub kind: EntryKind,
    /// The tool's name, for tool calls, results and denials.
    pub tool: Option<String>,
    pub text: String,
    pub is_error: bool,
}

impl Entry {
    pub fn text(text: &str) -> Entry {
        Entry { kind: EntryKind::Text, tool: None, text: cut(text, MAX_TEXT), is_error: false }
    }

    pub fn call(tool: &str, input: &str) -> Entry {
        Entry { kind: EntryKind::ToolCall, tool: Some(tool.to_string()), text: cut(input, MAX_INPUT), is_error: false }
    }

    pub fn result(tool: Option<&str>, text: &str, is_error: bool) -> Entry {
        Entry { kind: EntryKind::ToolResult, tool: tool.map(str::to_string), text: cut(text, MAX_RESULT), is_error }
    }

    /// One line for people: "Edit src/api.rs", "Bash: cargo test", the first line of a text.
    pub fn headline(&self) -> String {
        let first = self.text.lines().next().unwrap_or_default();
        match (self.kind, self.tool.as_deref()) {
            (EntryKind::ToolCall, Some(tool)) if first.is_empty() => tool.to_string(),
            (EntryKind::ToolCall, Some(tool)) => format!("{tool}: {first}"),
            (EntryKind::PermissionDenied, Some(tool)) => format!("refused {tool}: {first}"),
            (EntryKind::ToolResult, _) if self.is_error => format!("error: {first}"),
            _ => first.to_string(),
        }
    }
}

/// A tool the agent's CLI refused, as `Tool(input)` for people and for `--allowedTools`-style rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Denial {
    pub tool: String,
    /// The short form of the input it was refused for (a Bash command, a file path).
    pub input: String,
}

impl Denial {
    /// `Bash(npm install)`.
    pub fn describe(&self) -> String {
        if self.input.is_empty() {
            self.tool.clone()
        } else {
            format!("{}({})", self.tool, self.input)
        }
    }
}

/// What a session's transcript tells about it as a whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SessionFacts {
    /// The agent CLI's own session (Claude Code's `session_id`, Codex's `thread_id`): what a follow-up resumes.
    pub agent_session_id: Option<String>,
    pub cost_usd: Option<f64>,
    #[ts(type = "number | null")]
    pub input_tokens: Option<u64>,
    #[ts(type = "number | null")]
    pub output_tokens: Option<u64>,
    pub turns: Option<u32>,
    #[ts(type = "number | null")]
    pub duration_ms: Option<u64>,
    /// The agent reported its session as failed (an API error, a turn limit).
    pub failed: bool,
    /// Tools the CLI refused, in order, without repeats.
    pub denials: Vec<Denial>,
    /// The agent's last message (its final result, else its last text).
    pub last_text: Option<String>,
}

impl SessionFacts {
    pub(crate) fn deny(&mut self, denial: Denial) {
        if !self.denials.contains(&denial) && self.denials.len() < 100 {
            self.denials.push(denial);
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, saying how much was left out.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &text[..end], text.len() - end)
}

/// Appends entries to a session's transcript file (JSONL, one entry a line).
pub struct TranscriptFile {
    file: std::io::BufWriter<std::fs::File>,
}

impl TranscriptFile {
    pub fn create(path: &Path) -> CoreResult<TranscriptFile> {
        let file =
            std::fs::File::create(path).map_err(|e| CoreError::io(format!("cannot create {}", path.display()), e))?;
        Ok(TranscriptFile { file: std::io::BufWriter::new(file) })
    }

    pub fn append(&mut self, entries: &[Entry]) {
        for entry in entries {
            if let Ok(json) = serde_json::to_string(entry) {
                let _ = writeln!(self.file, "{json}");
            }
        }
    }

    pub fn flush(&mut self) {
        let _ = self.file.flush();
    }
}

/// Reads a transcript file back. A missing file is an empty transcript; a line that does not parse (a crash in
/// the middle of a write) is skipped.
pub fn read(path: &Path) -> CoreResult<Vec<Entry>> {
    Ok(read_last(path, usize::MAX)?.0)
}

/// The newest `max` entries of a transcript file and how many it holds, reading it once with at most `max` entries
/// in memory.
pub fn read_last(path: &Path, max: usize) -> CoreResult<(Vec<Entry>, usize)> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
        Err(e) => return Err(CoreError::io(format!("cannot read {}", path.display()), e)),
    };
    let mut kept = std::collections::VecDeque::with_capacity(max.min(1024));
    let mut total = 0;
    for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
        let Ok(entry) = serde_json::from_str::<Entry>(&line) else { continue };
        total += 1;
        if max == 0 {
            continue;
        }
        if kept.len() == max {
            kept.pop_front();
        }
        kept.push_back(entry);
    }
    Ok((kept.into(), total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutting_keeps_characters_whole_and_says_how_much_went() {
        assert_eq!(cut("short", 10), "short");
        let cut_text = cut("ééééé", 3);
        assert_eq!(cut_text, "é… [8 more bytes]");
    }

    #[test]
    fn headlines_read_like_what_the_agent_did() {
        assert_eq!(Entry::call("Bash", "cargo test\nmore").headline(), "Bash: cargo test");
        assert_eq!(Entry::call("TodoWrite", "").headline(), "TodoWrite");
        assert_eq!(Entry::result(Some("Bash"), "boom", true).headline(), "error: boom");
        let denied = Entry {
            kind: EntryKind::PermissionDenied,
            tool: Some("Bash".into()),
            text: "npm i".into(),
            is_error: true,
        };
        assert_eq!(denied.headline(), "refused Bash: npm i");
    }

    #[test]
    fn a_transcript_file_reads_back_and_survives_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.jsonl");
        let mut f = TranscriptFile::create(&path).unwrap();
        f.append(&[Entry::text("a"), Entry::call("Bash", "ls")]);
        f.flush();
        drop(f);
        std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"{\"kind\":\"te").unwrap();
        assert_eq!(read(&path).unwrap(), vec![Entry::text("a"), Entry::call("Bash", "ls")]);
        assert_eq!(read_last(&path, 1).unwrap(), (vec![Entry::call("Bash", "ls")], 2));
        assert_eq!(read_last(&path, 0).unwrap(), (vec![], 2));
        assert_eq!(read(&dir.path().join("missing")).unwrap(), Vec::<Entry>::new());
    }
}
