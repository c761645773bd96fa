//! Aider: its output is plain text ([`super::plain`]); it cannot continue a conversation by id, so a remark runs in
//! a new session with the task's prompt. It commits on its own unless told not to: YokeFlow commits what it leaves.

/// Aider's CLI.
pub struct Aider;

impl super::adapter::AgentCli for Aider {
    fn kind(&self) -> super::adapter::AgentKind {
        super::adapter::AgentKind::PlainText
    }

    fn detects(&self, argv: &[String]) -> bool {
        argv.first().is_some_and(|p| p.rsplit('/').next() == Some("aider"))
    }

    fn preset(&self) -> Option<(&'static str, &'static str, Vec<String>)> {
        let argv = ["aider", "--yes-always", "--no-auto-commits", "--message", "{prompt}"];
        Some(("aider", "Aider", argv.iter().map(|s| s.to_string()).collect()))
    }
}
