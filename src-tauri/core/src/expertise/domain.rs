use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::store::db::Db;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;
use std::collections::BTreeMap;
use ts_rs::TS;

/// What the project knows about one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Expertise {
    pub domain: String,
    pub patterns: Vec<String>,
    pub metrics: BTreeMap<String, f64>,
    pub confidence: f64,
    pub usage_count: u32,
}

impl Expertise {
    /// A new, empty expertise (confidence 0.5, never used).
    pub fn new(domain: impl Into<String>) -> Expertise {
        Expertise {
            domain: domain.into(),
            patterns: Vec::new(),
            metrics: BTreeMap::new(),
            confidence: 0.5,
            usage_count: 0,
        }
    }

    /// Checks the domain name, the confidence range and that every metric is a finite number.
    pub fn validate(&self) -> CoreResult<()> {
        validate_domain(&self.domain)?;
        if !(0.0..=1.0).contains(&self.confidence) {
            return Err(CoreError::InvalidInput(format!(
                "confidence of `{}` must be between 0 and 1, not {}",
                self.domain, self.confidence
            )));
        }
        if let Some((k, v)) = self.metrics.iter().find(|(_, v)| !v.is_finite()) {
            return Err(CoreError::InvalidInput(format!(
                "metric `{k}` of `{}` is not a finite number: {v}",
                self.domain
            )));
        }
        Ok(())
    }
}

/// Domain names are folder names: `[a-z0-9][a-z0-9-]*`, at most 64 characters. This refuses `../x`,
/// absolute paths and anything else that could leave `.claude/commands/experts/`.
pub fn validate_domain(domain: &str) -> CoreResult<()> {
    let mut chars = domain.chars();
    let ok = domain.len() <= 64
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(CoreError::InvalidInput(format!(
            "invalid expertise domain `{domain}`: use lowercase letters, digits and `-`, starting with a letter or \
             digit, at most 64 characters"
        )))
    }
}

/// What the core announces about expertise sync. Self-contained so the app's event stream can wrap it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExpertiseEvent {
    /// The watcher is running on `path`.
    WatchStarted { project_id: String, path: String },
    /// A file change was stored in the database.
    Imported { project_id: String, domain: String },
    /// A database change was written to the files.
    Exported { project_id: String, domain: String },
    /// A native skill was (re)generated.
    SkillWritten { project_id: String, domain: String, path: String },
    /// Both sides changed since the last sync: nothing was overwritten; the user must choose.
    Conflict {
        project_id: String,
        domain: String,
        #[ts(type = "number")]
        conflict_id: i64,
    },
    /// A conflict was resolved.
    ConflictResolved { project_id: String, domain: String, resolution: ConflictResolution },
    /// A file could not be used (malformed YAML, bad name, too large, outside `.claude/`); nothing was changed.
    Invalid { project_id: String, path: String, message: String },
}

/// Every expertise of the project, by domain.
pub async fn list(db: &Db, project: &Project) -> CoreResult<Vec<Expertise>> {
    let rows = sqlx::query(
        "SELECT domain, patterns, metrics, confidence, usage_count FROM expertise WHERE project_id = ? ORDER BY domain",
    )
    .bind(&project.id)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(expertise_from_row).collect()
}

/// One domain's expertise, if the project has it.
pub async fn get(db: &Db, project: &Project, domain: &str) -> CoreResult<Option<Expertise>> {
    validate_domain(domain)?;
    let row = sqlx::query(
        "SELECT domain, patterns, metrics, confidence, usage_count FROM expertise WHERE project_id = ? AND domain = ?",
    )
    .bind(&project.id)
    .bind(domain)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(expertise_from_row).transpose()
}

/// How an expertise conflict ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConflictResolution {
    /// The database's version was kept (written to the file).
    Db,
    /// The file's version was kept (imported).
    File,
    /// The two sides became equal by themselves.
    Converged,
}

impl ConflictResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictResolution::Db => "db",
            ConflictResolution::File => "file",
            ConflictResolution::Converged => "converged",
        }
    }

    pub fn parse(s: &str) -> Option<ConflictResolution> {
        [ConflictResolution::Db, ConflictResolution::File, ConflictResolution::Converged]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

pub(crate) fn expertise_from_row(r: &SqliteRow) -> CoreResult<Expertise> {
    let domain: String = r.try_get("domain")?;
    let bad = |what: &str, e: serde_json::Error| CoreError::InvalidInput(format!("stored {what} of `{domain}`: {e}"));
    let patterns: String = r.try_get("patterns")?;
    let metrics: String = r.try_get("metrics")?;
    Ok(Expertise {
        patterns: serde_json::from_str(&patterns).map_err(|e| bad("patterns", e))?,
        metrics: serde_json::from_str(&metrics).map_err(|e| bad("metrics", e))?,
        confidence: r.try_get("confidence")?,
        usage_count: r.try_get::<i64, _>("usage_count")?.max(0) as u32,
        domain,
    })
}
