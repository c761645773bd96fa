//! Expertise: what the project has learned per domain (patterns, metrics, confidence, usage), kept both in the
//! database (for queries) and in the repository's `.claude/` files (portable, reviewed in git).
//!
//! - [`files`]: the on-disk layout and stable text format, hashing, guarded reads and writes.
//! - [`sync`]: export, import and the two-way reconciliation with per-side hashes and recorded conflicts.
//! - [`watch`]: live sync while a project is open (a debounced `notify` watcher on `.claude/`, plus a DB poll).
//! - [`skills`]: native Claude Code skills for trusted domains.
//! - [`router`]: picking the expert for a task, logging every decision, and the reuse ratio.
//!
//! Every change goes through [`sync`], which serializes work (a process lock and an immediate SQLite
//! transaction) and records the hash of each side after each sync, so a write never echoes back.

pub mod bootstrap;
pub mod candidate;
pub mod document;
pub mod domain;
pub mod files;
pub mod learn;
pub mod overview;
pub mod router;
pub mod skills;
pub mod sync;
pub mod watch;

use serde::Serialize;
use sqlx::Row;

use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::store::db::Db;

pub use candidate::{Candidate, RouteSource};
pub use domain::{get, list, validate_domain, ConflictResolution, Expertise, ExpertiseEvent};
pub use files::{Layout, MAX_FILE_BYTES};
pub use overview::{overview, DomainView, ExpertiseOverview, RoutingLogEntry, SkillView};
pub use router::{
    candidates, path_domains, reuse_stats, route, route_input, route_task, terms, ReuseStats, RouteInput,
    RoutingDecision,
};
pub use skills::SkillThresholds;
pub use sync::{
    conflicts, export_all, export_all_with, export_domains_to, import_all, import_all_with, resolve_conflict,
    sync_domain, update_in_db, upsert, upsert_with, ExpertiseConflict, Keep, SyncIssue, SyncOptions, SyncReport,
};
pub use watch::{WatchHandle, WatchOptions, WatchStats, Watcher};

/// Creates an empty expertise for `domain` (database and files); fails if the domain exists.
pub async fn add(db: &Db, project: &Project, domain: &str) -> CoreResult<SyncReport> {
    validate_domain(domain)?;
    let exists: Option<i64> = sqlx::query("SELECT 1 FROM expertise WHERE project_id = ? AND domain = ?")
        .bind(&project.id)
        .bind(domain)
        .fetch_optional(db.pool())
        .await?
        .map(|r| r.get(0));
    if exists.is_some() {
        return Err(CoreError::InvalidInput(format!("expertise `{domain}` already exists")));
    }
    upsert(db, project, Expertise::new(domain)).await
}

/// What [`add_committed`] did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    #[serde(flatten)]
    pub report: SyncReport,
    /// The commit that put the domain's new files on the checked-out branch (full hash); `None` when there was
    /// nothing new to commit or HEAD is detached.
    pub committed: Option<String>,
    /// The branch it was committed on.
    pub branch: Option<String>,
}

/// [`add`], then commits exactly the domain's new files on the branch checked out in the project's work tree (as
/// `init` does: the person's other changes and staged files stay out). Left untracked, they would stop every
/// landing that teaches the domain: the task's branch adds the same file, and a checkout of the target with an
/// untracked file in the way cannot follow ([`crate::workspace::user_checkout`]). A detached HEAD gets no commit.
pub async fn add_committed(db: &Db, project: &Project, domain: &str) -> CoreResult<Added> {
    let report = add(db, project, domain).await?;
    let root = std::path::PathBuf::from(&project.repo_path);
    let layout = Layout::new(&root);
    let files = [layout.expertise_file(domain), layout.question_file(domain), layout.self_improve_file(domain)];
    let domain = domain.to_string();
    let (committed, branch) = crate::sys::concurrency::blocking(move || {
        let repo = git2::Repository::open(&root)?;
        let Ok(branch) = crate::sys::git::current_branch(&repo) else { return Ok((None, None)) };
        let mut rel: Vec<String> = Vec::new();
        for f in files.iter().filter(|f| f.is_file()) {
            let path = f.strip_prefix(&root).unwrap_or(f).to_string_lossy().replace('\\', "/");
            let tracked = repo.status_file(std::path::Path::new(&path)).map(|s| !s.is_wt_new()).unwrap_or(false);
            if !tracked {
                rel.push(path);
            }
        }
        let message = format!("YokeFlow: add the `{domain}` expert");
        let oid = crate::sys::git::commit_paths(&repo, &root, &rel, &message)?;
        Ok((oid.map(|o| o.to_string()), oid.map(|_| branch)))
    })
    .await?;
    Ok(Added { report, committed, branch })
}
