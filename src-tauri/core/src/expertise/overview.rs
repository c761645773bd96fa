//! What the window's Expertise view shows of a project, read in one call: every domain (what YokeFlow understood
//! of its file, its description and generated or person's skill), every other skill the router can pick, the
//! latest routing decisions, and the open conflicts with both versions.

use serde::Serialize;
use sqlx::Row;
use ts_rs::TS;

use super::candidate::RouteSource;
use super::files::Layout;
use super::sync::ExpertiseConflict;
use crate::error::CoreResult;
use crate::model::Project;
use crate::store::db::Db;

/// One domain of expertise.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DomainView {
    pub domain: String,
    pub confidence: f64,
    pub usage_count: u32,
    pub patterns: Vec<String>,
    /// The file's own `description`.
    pub description: Option<String>,
    /// `.claude/commands/experts/<domain>/expertise.yaml`, relative to the repository.
    pub file: String,
    /// The file is a person's document (edited in place), not one YokeFlow wrote in its own format.
    pub persons_file: bool,
}

/// A skill the router can pick.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SkillView {
    pub domain: String,
    /// Relative to the repository.
    pub file: String,
    pub description: String,
    /// YokeFlow generated it from a domain's expertise (and rewrites or removes it).
    pub generated: bool,
}

/// One routing decision of the log.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct RoutingLogEntry {
    pub task_id: String,
    pub domain: Option<String>,
    pub source: RouteSource,
    pub score: f64,
    #[ts(type = "number")]
    pub at: i64,
}

/// The Expertise view's data.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ExpertiseOverview {
    pub domains: Vec<DomainView>,
    pub skills: Vec<SkillView>,
    /// Newest first, at most 100.
    pub routing: Vec<RoutingLogEntry>,
    /// Open conflicts (a deletion has an empty `file_version`).
    pub conflicts: Vec<ExpertiseConflict>,
}

/// The project's [`ExpertiseOverview`].
pub async fn overview(db: &Db, project: &Project) -> CoreResult<ExpertiseOverview> {
    let layout = Layout::new(&project.repo_path);
    let rows = sqlx::query(
        "SELECT domain, patterns, metrics, confidence, usage_count, document FROM expertise WHERE project_id = ? \
         ORDER BY domain",
    )
    .bind(&project.id)
    .fetch_all(db.pool())
    .await?;
    let mut domains = Vec::new();
    for r in &rows {
        let e = super::domain::expertise_from_row(r)?;
        let document: Option<String> = r.try_get("document")?;
        let file = layout.expertise_file(&e.domain);
        let description = document
            .as_deref()
            .and_then(|d| super::document::understand(&file, d.as_bytes(), &e.domain).ok())
            .and_then(|u| u.description);
        domains.push(DomainView {
            file: format!(".claude/commands/experts/{}/expertise.yaml", e.domain),
            persons_file: document.is_some(),
            description,
            confidence: e.confidence,
            usage_count: e.usage_count,
            patterns: e.patterns,
            domain: e.domain,
        });
    }
    let skills = super::skills::skill_candidates(&layout)
        .into_iter()
        .map(|c| SkillView {
            generated: c.generated,
            file: c.skill.unwrap_or_default(),
            domain: c.domain,
            description: c.description,
        })
        .collect();
    let routing = sqlx::query(
        "SELECT task_id, domain, source, score, at FROM expertise_routing WHERE project_id = ? ORDER BY id DESC \
         LIMIT 100",
    )
    .bind(&project.id)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        let source: String = r.try_get("source")?;
        Ok(RoutingLogEntry {
            task_id: r.try_get("task_id")?,
            domain: r.try_get("domain")?,
            source: match source.as_str() {
                "skill" => RouteSource::Skill,
                "db" => RouteSource::Db,
                _ => RouteSource::None,
            },
            score: r.try_get("score")?,
            at: r.try_get("at")?,
        })
    })
    .collect::<CoreResult<Vec<_>>>()?;
    Ok(ExpertiseOverview { domains, skills, routing, conflicts: super::sync::conflicts(db, project, true).await? })
}
