//! The domain router: which expert serves a task. Candidates are the domains with a native skill and the
//! domains in the database; each gets an explainable score from the task's text and paths:
//!
//! - **3 points** when the domain name appears as a word of the title, description or a file path
//!   (`api` in `src/api/users.rs`; for `auth-service`, both `auth` and `service` must appear);
//! - **1 point** per distinct pattern keyword (a word of 4+ letters that is not a stop word) found in the task.
//!
//! A candidate needs [`MIN_SCORE`]. Native skills are tried first, then database expertise, then none; ties go
//! to the alphabetically first domain. Every decision is logged in `expertise_routing`, which gives
//! [`reuse_stats`]: how many routed tasks were served by prior expertise.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::Row;
use ts_rs::TS;

use super::files::Layout;
use super::skills::{read_skill, skill_domains};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::model::{Project, Task};
use crate::{now_ms, tasks};

/// The least score that makes a domain the task's expert.
pub const MIN_SCORE: f64 = 2.0;

const STOP_WORDS: &[&str] = &[
    "about", "after", "always", "before", "each", "every", "from", "have", "into", "keep", "make", "more", "must",
    "never", "only", "should", "than", "that", "their", "them", "then", "there", "these", "they", "this", "those",
    "when", "where", "which", "while", "will", "with", "without", "your",
];

/// Where the chosen expertise comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RouteSource {
    /// A native Claude Code skill (`.claude/skills/{domain}-expert/SKILL.md`).
    Skill,
    /// Expertise in the database (and `.claude/commands/experts/`).
    Db,
    /// No expert matched.
    None,
}

impl RouteSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RouteSource::Skill => "skill",
            RouteSource::Db => "db",
            RouteSource::None => "none",
        }
    }
}

/// The router's answer for one task, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RoutingDecision {
    pub task_id: String,
    pub domain: Option<String>,
    pub source: RouteSource,
    pub score: f64,
    /// Why, in words (e.g. "domain name `api` in the task", "pattern keywords: handler, route").
    pub reasons: Vec<String>,
}

/// How many tasks prior expertise served (each task counted once, by its latest decision).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct ReuseStats {
    pub routed: u32,
    pub served_by_expertise: u32,
    /// `served_by_expertise / routed`, 0 when nothing was routed.
    pub ratio: f64,
}

/// What the router reads of a task.
#[derive(Debug, Clone, Default)]
pub struct RouteInput {
    pub task_id: String,
    pub title: String,
    pub description: String,
    pub files: Vec<String>,
}

/// Lowercase alphanumeric words of `text`.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_ascii_lowercase())
}

fn keywords(patterns: &[String]) -> BTreeSet<String> {
    patterns.iter().flat_map(|p| words(p)).filter(|w| w.len() >= 4 && !STOP_WORDS.contains(&w.as_str())).collect()
}

/// The score of one domain for a task's words, and the reasons.
fn score(domain: &str, patterns: &[String], task_words: &BTreeSet<String>) -> (f64, Vec<String>) {
    let mut score = 0.0;
    let mut reasons = Vec::new();
    if domain.split('-').all(|part| task_words.contains(part)) {
        score += 3.0;
        reasons.push(format!("domain name `{domain}` in the task"));
    }
    let hits: Vec<String> = keywords(patterns).into_iter().filter(|k| task_words.contains(k)).collect();
    if !hits.is_empty() {
        score += hits.len() as f64;
        reasons.push(format!("pattern keywords: {}", hits.join(", ")));
    }
    (score, reasons)
}

/// Picks the expert for `input` without logging: skills first, then database expertise, then none.
pub fn route_input(
    input: &RouteInput,
    skills: &BTreeMap<String, Vec<String>>,
    db: &BTreeMap<String, Vec<String>>,
) -> RoutingDecision {
    let mut text = format!("{} {}", input.title, input.description);
    for f in &input.files {
        text.push(' ');
        text.push_str(f);
    }
    let task_words: BTreeSet<String> = words(&text).collect();
    for (source, candidates) in [(RouteSource::Skill, skills), (RouteSource::Db, db)] {
        let mut best: Option<(f64, &String, Vec<String>)> = None;
        for (domain, patterns) in candidates {
            let (s, reasons) = score(domain, patterns, &task_words);
            if s >= MIN_SCORE && !matches!(&best, Some((b, _, _)) if s <= *b) {
                best = Some((s, domain, reasons));
            }
        }
        if let Some((score, domain, reasons)) = best {
            return RoutingDecision {
                task_id: input.task_id.clone(),
                domain: Some(domain.clone()),
                source,
                score,
                reasons,
            };
        }
    }
    RoutingDecision {
        task_id: input.task_id.clone(),
        domain: None,
        source: RouteSource::None,
        score: 0.0,
        reasons: vec![format!("no skill or expertise scored {MIN_SCORE} or more")],
    }
}

/// Routes the project's task `task_id` and logs the decision.
pub async fn route(db: &Db, project: &Project, task_id: &str) -> CoreResult<RoutingDecision> {
    let task = tasks::list(db, &project.id)
        .await?
        .into_iter()
        .find(|t| t.id == task_id)
        .ok_or_else(|| CoreError::NotFound { what: "task", id: task_id.to_string() })?;
    route_task(db, project, &task, Path::new(&project.repo_path)).await
}

/// Routes `task` and logs the decision, reading native skills from the `.claude/` folder of the work tree
/// `root` (a task's worktree during a run: the skills as they are on the target branch).
pub async fn route_task(db: &Db, project: &Project, task: &Task, root: &Path) -> CoreResult<RoutingDecision> {
    let mut files = task.files.clone();
    files.extend(task.predicted_files.iter().map(|p| p.path.clone()));
    let input = RouteInput {
        task_id: task.id.clone(),
        title: task.title.clone(),
        description: task.description.clone(),
        files,
    };

    let layout = Layout::new(root);
    let db_patterns: BTreeMap<String, Vec<String>> =
        super::list(db, project).await?.into_iter().map(|e| (e.domain, e.patterns)).collect();
    let skills: BTreeMap<String, Vec<String>> = skill_domains(&layout)
        .into_iter()
        .map(|d| {
            let patterns = db_patterns.get(&d).cloned().or_else(|| read_skill(&layout, &d)).unwrap_or_default();
            (d, patterns)
        })
        .collect();
    let decision = route_input(&input, &skills, &db_patterns);
    sqlx::query(
        "INSERT INTO expertise_routing (project_id, task_id, domain, source, score, at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(&project.id)
    .bind(&decision.task_id)
    .bind(&decision.domain)
    .bind(decision.source.as_str())
    .bind(decision.score)
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(decision)
}

/// The `domains` named by a folder of one of `paths`, or by a file's stem (`src/api/users.rs` and
/// `src/api.rs` both name `api`); for `auth-service`, the segment must be `auth-service`.
pub fn path_domains<'a>(paths: &[String], domains: impl IntoIterator<Item = &'a String>) -> BTreeSet<String> {
    let mut segments: BTreeSet<String> = BTreeSet::new();
    for p in paths {
        let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        for (i, part) in parts.iter().enumerate() {
            let seg = if i + 1 == parts.len() { part.split('.').next().unwrap_or(part) } else { part };
            segments.insert(seg.to_ascii_lowercase().replace('_', "-"));
        }
    }
    domains.into_iter().filter(|d| segments.contains(d.as_str())).cloned().collect()
}

/// How many of the project's routed tasks were served by prior expertise (skill or database).
pub async fn reuse_stats(db: &Db, project: &Project) -> CoreResult<ReuseStats> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS routed, COALESCE(SUM(r.source <> 'none'), 0) AS served FROM expertise_routing r \
         WHERE r.project_id = ? AND r.id = \
           (SELECT MAX(id) FROM expertise_routing l WHERE l.project_id = r.project_id AND l.task_id = r.task_id)",
    )
    .bind(&project.id)
    .fetch_one(db.pool())
    .await?;
    let routed = row.try_get::<i64, _>("routed")? as u32;
    let served = row.try_get::<i64, _>("served")? as u32;
    Ok(ReuseStats {
        routed,
        served_by_expertise: served,
        ratio: if routed == 0 { 0.0 } else { served as f64 / routed as f64 },
    })
}
