//! Native Claude Code skills: once a domain's expertise is trusted enough ([`SkillThresholds`]), its patterns
//! are written as `.claude/skills/{domain}-expert/SKILL.md` (YAML frontmatter `name` and `description`, then
//! markdown instructions), which Claude Code loads by itself. The text depends only on the domain and its
//! patterns, so usage counts ticking up do not churn the file in git; it is rewritten when the patterns change.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::files::Layout;
use super::Expertise;
use crate::error::CoreResult;

/// When a domain earns a native skill: confidence and usage strictly above these.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS)]
pub struct SkillThresholds {
    pub min_confidence: f64,
    pub min_usage: u32,
}

impl Default for SkillThresholds {
    fn default() -> Self {
        SkillThresholds { min_confidence: 0.8, min_usage: 10 }
    }
}

impl SkillThresholds {
    pub fn qualifies(&self, e: &Expertise) -> bool {
        e.confidence > self.min_confidence && e.usage_count > self.min_usage
    }
}

/// The skill's name: `{domain}-expert`.
pub fn skill_name(domain: &str) -> String {
    format!("{domain}-expert")
}

/// The `SKILL.md` text for `e`.
pub fn render_skill(e: &Expertise) -> String {
    let d = &e.domain;
    let mut out = format!(
        "---\nname: {}\ndescription: Applies this project's learned conventions for the {d} domain. Use when a task \
         touches {d}.\n---\n\n# {d} expert\n\nThese patterns were learned from earlier work on this repository \
         (kept in `.claude/commands/experts/{d}/expertise.yaml`). Follow them when working on `{d}`:\n\n",
        skill_name(d)
    );
    for p in &e.patterns {
        let mut lines = p.trim().lines();
        out.push_str("- ");
        out.push_str(lines.next().unwrap_or_default().trim_end());
        out.push('\n');
        for more in lines {
            out.push_str("  ");
            out.push_str(more.trim_end());
            out.push('\n');
        }
    }
    if e.patterns.is_empty() {
        out.push_str("- (no patterns recorded yet)\n");
    }
    out
}

/// Writes the skill if `e` qualifies and the file differs; returns whether it wrote. A skill is never deleted
/// here (people may rely on it); it simply stops being refreshed.
pub fn sync_skill(layout: &Layout, e: &Expertise, thresholds: &SkillThresholds) -> CoreResult<bool> {
    if !thresholds.qualifies(e) {
        return Ok(false);
    }
    layout.write_if_changed(&layout.skill_file(&e.domain), render_skill(e).as_bytes())
}

/// The instructions (list items) of a domain's native skill, or `None` when it has no readable skill.
pub fn read_skill(layout: &Layout, domain: &str) -> Option<Vec<String>> {
    let bytes = layout.read(&layout.skill_file(domain)).ok()??;
    let text = String::from_utf8(bytes).ok()?;
    let body = match text.strip_prefix("---\n").and_then(|rest| rest.split_once("\n---")) {
        Some((_, body)) => body.to_string(),
        None => text,
    };
    Some(body.lines().filter_map(|l| l.trim_start().strip_prefix("- ")).map(|l| l.trim().to_string()).collect())
}

/// The domains that have a native skill folder (`.claude/skills/{domain}-expert/SKILL.md`).
pub fn skill_domains(layout: &Layout) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(layout.claude_dir().join("skills")) else { return Vec::new() };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.strip_suffix("-expert")).map(str::to_string))
        .filter(|d| super::validate_domain(d).is_ok() && layout.skill_file(d).is_file())
        .collect();
    out.sort();
    out
}
