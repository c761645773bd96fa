use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where the chosen expertise comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RouteSource {
    /// A Claude Code skill (`.claude/skills/<name>/SKILL.md`), a person's or one YokeFlow generated.
    Skill,
    /// Expertise in the database (and `.claude/commands/experts/`).
    Db,
    /// No expert matched.
    None,
}

/// One expert the router may pick.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The domain it serves (a skill's folder, without YokeFlow's `-expert`).
    pub domain: String,
    pub source: RouteSource,
    /// A skill's file, relative to the repository.
    pub skill: Option<String>,
    /// Its name as words (`google-calendar`, a skill's `name`).
    pub name: String,
    pub description: String,
    /// Everything else: patterns, the expertise file's text, the skill's instructions.
    pub body: String,
    /// A skill YokeFlow generated from a domain's expertise (not a person's).
    pub generated: bool,
}
