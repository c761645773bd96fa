//! Any other agent: each non-empty output line is text, and the last one is the agent's last word.

use crate::agents::transcript::{Entry, SessionFacts};

/// Any other program.
pub struct Plain;

impl super::adapter::AgentCli for Plain {
    fn kind(&self) -> super::adapter::AgentKind {
        super::adapter::AgentKind::PlainText
    }

    fn detects(&self, _argv: &[String]) -> bool {
        true
    }
}

pub fn line(line: &str, facts: &mut SessionFacts, out: &mut Vec<Entry>) {
    let text = line.trim_end();
    if text.trim().is_empty() {
        return;
    }
    let entry = Entry::text(text);
    facts.last_text = Some(entry.text.clone());
    out.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agents::{AgentKind, Parser, Stream};

    #[test]
    fn lines_are_text_and_the_last_one_is_kept() {
        let mut p = Parser::new(AgentKind::PlainText);
        assert_eq!(p.line(Stream::Stdout, "writing a.txt"), vec![Entry::text("writing a.txt")]);
        assert!(p.line(Stream::Stdout, "   ").is_empty());
        p.line(Stream::Stdout, "{\"type\":\"result\"}");
        assert_eq!(p.facts().last_text.as_deref(), Some("{\"type\":\"result\"}"));
        assert_eq!(p.facts().agent_session_id, None);
    }
}
