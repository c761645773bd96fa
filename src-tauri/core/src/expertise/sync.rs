//! Two-way sync between the `expertise` table and `.claude/commands/experts/{domain}/expertise.yaml`.
//!
//! Each row records the content hash of both sides at the last sync (`db_hash`: the canonical text of the row;
//! `file_hash`: the file's bytes). Comparing the current hashes with those tells which side changed:
//!
//! | DB changed | file changed | action |
//! | --- | --- | --- |
//! | no | no | nothing (this is what the watcher sees after our own write: no echo) |
//! | yes | no | write the file (only if its bytes differ) |
//! | no | yes | parse the file and store it (a malformed file changes nothing and is reported with its line) |
//! | yes | yes | equal content: record the hashes; otherwise record a conflict with both versions and touch neither |
//!
//! All sync work is serialized: a process-wide lock, and an immediate (write-locking) SQLite transaction, so a
//! second process (the CLI next to the app) cannot interleave its write between our file write and our hash
//! update. Events are sent after the transaction commits.

use super::domain::{expertise_from_row, ConflictResolution};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use tokio::sync::{broadcast, MutexGuard};
use ts_rs::TS;

use super::files::{
    content_hash, hash, parse_yaml, render_into, render_question, render_self_improve, render_yaml, Layout,
};
use super::skills::{sync_skill, SkillThresholds};
use super::{domain::validate_domain, domain::Expertise, domain::ExpertiseEvent};
use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::model::Project;
use crate::store::db::Db;

static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How sync behaves: the skill thresholds, and where to announce what happened.
#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    pub skills: SkillThresholds,
    /// Events are sent here after each sync commits (the watcher sets it).
    pub events: Option<broadcast::Sender<ExpertiseEvent>>,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncReport {
    /// Domains whose file was stored in the database.
    pub imported: Vec<String>,
    /// Domains whose database row was written to the files.
    pub exported: Vec<String>,
    /// Domains with a (new or updated) unresolved conflict.
    pub conflicts: Vec<String>,
    /// Domains whose native skill was (re)written.
    pub skills_written: Vec<String>,
    /// Domains already in sync.
    pub unchanged: u32,
    /// Files actually written (a write is skipped when the bytes are already there).
    pub files_written: u32,
    /// Files that could not be used; nothing was changed for them.
    pub issues: Vec<SyncIssue>,
}

/// A file that could not be used, and why (the message names the file, and the line for YAML errors).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SyncIssue {
    pub path: String,
    pub message: String,
}

/// A domain whose database row and file both changed since their last sync. Both versions are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ExpertiseConflict {
    #[ts(type = "number")]
    pub id: i64,
    pub domain: String,
    /// `expertise.yaml` as rendered from the database row.
    pub db_version: String,
    /// The file's text as found.
    pub file_version: String,
    #[ts(type = "number")]
    pub detected_at: i64,
    #[ts(type = "number | null")]
    pub resolved_at: Option<i64>,
    /// How it was resolved, once it was.
    pub resolution: Option<ConflictResolution>,
}

/// Which side wins when resolving a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "ExpertiseKeep")]
pub enum Keep {
    Db,
    File,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Reconcile both ways.
    Both,
    /// Database to files only: a file with edits not yet imported is reported, never overwritten.
    Export,
}

/// Which domains a sync covers.
pub(crate) enum Scope {
    /// Every domain in the database and on disk, both ways.
    Import,
    /// Every domain in the database, towards the files.
    Export,
    /// These domains, both ways (the watcher's batches).
    Domains(BTreeSet<String>),
}

/// The `file_hash` of a domain whose file a person deleted (asked about once, see `sync_inner`).
const DELETED: &str = "deleted";

struct Stored {
    e: Expertise,
    db_hash: Option<String>,
    file_hash: Option<String>,
    /// The file's text as last read or written (a person's document is edited in place); `None`: YokeFlow's format.
    document: Option<String>,
}

fn stored_from_row(r: &SqliteRow) -> CoreResult<Stored> {
    Ok(Stored {
        e: expertise_from_row(r)?,
        db_hash: r.try_get("db_hash")?,
        file_hash: r.try_get("file_hash")?,
        document: r.try_get("document")?,
    })
}

const ROW: &str = "domain, patterns, metrics, confidence, usage_count, db_hash, file_hash, document";

/// One serialized sync: the lock, the transaction, and what happened so far.
struct Session<'a> {
    tx: Transaction<'static, Sqlite>,
    project_id: &'a str,
    layout: Layout,
    opts: &'a SyncOptions,
    report: SyncReport,
    events: Vec<ExpertiseEvent>,
    _guard: MutexGuard<'static, ()>,
}

impl<'a> Session<'a> {
    async fn begin(db: &Db, project: &'a Project, opts: &'a SyncOptions) -> CoreResult<Session<'a>> {
        let guard = LOCK.lock().await;
        let tx = db.pool().begin_with("BEGIN IMMEDIATE").await?;
        Ok(Session {
            tx,
            project_id: &project.id,
            layout: Layout::new(&project.repo_path),
            opts,
            report: SyncReport::default(),
            events: Vec::new(),
            _guard: guard,
        })
    }

    async fn commit(self) -> CoreResult<SyncReport> {
        self.tx.commit().await?;
        if let Some(tx) = &self.opts.events {
            for ev in self.events {
                let _ = tx.send(ev);
            }
        }
        Ok(self.report)
    }

    async fn load(&mut self, domain: &str) -> CoreResult<Option<Stored>> {
        let row = sqlx::query(&format!("SELECT {ROW} FROM expertise WHERE project_id = ? AND domain = ?"))
            .bind(self.project_id)
            .bind(domain)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(stored_from_row).transpose()
    }

    async fn load_all(&mut self) -> CoreResult<BTreeMap<String, Stored>> {
        let rows = sqlx::query(&format!("SELECT {ROW} FROM expertise WHERE project_id = ?"))
            .bind(self.project_id)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(|r| stored_from_row(r).map(|s| (s.e.domain.clone(), s))).collect()
    }

    /// Writes the row's content, both hashes, and the file's text it was read from.
    async fn store(&mut self, e: &Expertise, db_hash: &str, file_hash: &str, document: &str) -> CoreResult<()> {
        sqlx::query(
            "INSERT INTO expertise (project_id, domain, patterns, metrics, confidence, usage_count, db_hash, \
             file_hash, updated_at, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (project_id, domain) DO UPDATE SET patterns = excluded.patterns, \
             metrics = excluded.metrics, confidence = excluded.confidence, usage_count = excluded.usage_count, \
             db_hash = excluded.db_hash, file_hash = excluded.file_hash, updated_at = excluded.updated_at, \
             document = excluded.document",
        )
        .bind(self.project_id)
        .bind(&e.domain)
        .bind(serde_json::to_string(&e.patterns).expect("strings serialize"))
        .bind(serde_json::to_string(&e.metrics).expect("finite numbers serialize"))
        .bind(e.confidence)
        .bind(e.usage_count as i64)
        .bind(db_hash)
        .bind(file_hash)
        .bind(now_ms())
        .bind(document)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records the file's text as written or read (what the next export edits in place).
    async fn set_document(&mut self, domain: &str, document: &str) -> CoreResult<()> {
        sqlx::query("UPDATE expertise SET document = ? WHERE project_id = ? AND domain = ?")
            .bind(document)
            .bind(self.project_id)
            .bind(domain)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    async fn set_hashes(&mut self, domain: &str, db_hash: &str, file_hash: &str) -> CoreResult<()> {
        sqlx::query("UPDATE expertise SET db_hash = ?, file_hash = ? WHERE project_id = ? AND domain = ?")
            .bind(db_hash)
            .bind(file_hash)
            .bind(self.project_id)
            .bind(domain)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    fn write(&mut self, path: &Path, bytes: &[u8]) -> CoreResult<bool> {
        let wrote = self.layout.write_if_changed(path, bytes)?;
        self.report.files_written += wrote as u32;
        Ok(wrote)
    }

    /// Records (or refreshes) the open conflict of `domain`; an unchanged conflict is not announced again.
    async fn record_conflict(&mut self, s: &Stored, file_text: &str, file_hash: &str) -> CoreResult<()> {
        let domain = s.e.domain.as_str();
        let path = self.layout.expertise_file(domain);
        let db_text = render_into(&path, s.document.as_deref(), &s.e).unwrap_or_else(|_| render_yaml(&s.e));
        let db_hash = hash(db_text.as_bytes());
        let open = sqlx::query(
            "SELECT id, db_hash, file_hash FROM expertise_conflicts \
             WHERE project_id = ? AND domain = ? AND resolved_at IS NULL",
        )
        .bind(self.project_id)
        .bind(domain)
        .fetch_optional(&mut *self.tx)
        .await?;
        let id = match open {
            Some(r) if r.get::<String, _>(1) == db_hash && r.get::<String, _>(2) == file_hash => return Ok(()),
            Some(r) => {
                let id: i64 = r.get(0);
                sqlx::query(
                    "UPDATE expertise_conflicts SET db_version = ?, file_version = ?, db_hash = ?, file_hash = ?, \
                     detected_at = ? WHERE id = ?",
                )
                .bind(&db_text)
                .bind(file_text)
                .bind(&db_hash)
                .bind(file_hash)
                .bind(now_ms())
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
                id
            }
            None => sqlx::query(
                "INSERT INTO expertise_conflicts (project_id, domain, db_version, file_version, db_hash, file_hash, \
                 detected_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(self.project_id)
            .bind(domain)
            .bind(&db_text)
            .bind(file_text)
            .bind(&db_hash)
            .bind(file_hash)
            .bind(now_ms())
            .execute(&mut *self.tx)
            .await?
            .last_insert_rowid(),
        };
        if file_hash == DELETED {
            sqlx::query("UPDATE expertise SET file_hash = ? WHERE project_id = ? AND domain = ?")
                .bind(DELETED)
                .bind(self.project_id)
                .bind(domain)
                .execute(&mut *self.tx)
                .await?;
        }
        self.report.conflicts.push(domain.to_string());
        self.events.push(ExpertiseEvent::Conflict {
            project_id: self.project_id.to_string(),
            domain: domain.to_string(),
            conflict_id: id,
        });
        Ok(())
    }

    /// Marks the open conflict of `domain` (if any) resolved.
    async fn close_conflict(&mut self, domain: &str, resolution: ConflictResolution) -> CoreResult<bool> {
        let done = sqlx::query(
            "UPDATE expertise_conflicts SET resolved_at = ?, resolution = ? \
             WHERE project_id = ? AND domain = ? AND resolved_at IS NULL",
        )
        .bind(now_ms())
        .bind(resolution.as_str())
        .bind(self.project_id)
        .bind(domain)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            > 0;
        if done {
            self.events.push(ExpertiseEvent::ConflictResolved {
                project_id: self.project_id.to_string(),
                domain: domain.to_string(),
                resolution,
            });
        }
        Ok(done)
    }

    /// Writes `expertise.yaml` from the row (the file's last text edited in place, when it has one) and records the
    /// hashes.
    async fn export(&mut self, e: &Expertise, document: Option<&str>) -> CoreResult<()> {
        let path = self.layout.expertise_file(&e.domain);
        let text = render_into(&path, document, e)?;
        let h = hash(text.as_bytes());
        if self.write(&path, text.as_bytes())? {
            self.report.exported.push(e.domain.clone());
            self.events
                .push(ExpertiseEvent::Exported { project_id: self.project_id.to_string(), domain: e.domain.clone() });
        }
        self.set_hashes(&e.domain, &content_hash(e), &h).await?;
        if document.is_some() {
            self.set_document(&e.domain, &text).await?;
        }
        self.close_conflict(&e.domain, ConflictResolution::Converged).await?;
        self.companions(e, document.is_none())
    }

    fn imported(&mut self, domain: &str) {
        self.report.imported.push(domain.to_string());
        self.events
            .push(ExpertiseEvent::Imported { project_id: self.project_id.to_string(), domain: domain.to_string() });
    }

    /// The files that go with an expertise: `question.md` and `self-improve.md` (written once, then left to
    /// people; only for a domain YokeFlow created, `own`: a person's expert folder is theirs), and the native skill
    /// when the domain qualifies.
    fn companions(&mut self, e: &Expertise, own: bool) -> CoreResult<()> {
        if !own {
            return self.skill(e);
        }
        let q = self.layout.question_file(&e.domain);
        self.report.files_written += self.layout.write_if_absent(&q, render_question(&e.domain).as_bytes())? as u32;
        let s = self.layout.self_improve_file(&e.domain);
        self.report.files_written += self.layout.write_if_absent(&s, render_self_improve(&e.domain).as_bytes())? as u32;
        self.skill(e)
    }

    /// The domain's generated skill, in line with its expertise ([`sync_skill`]).
    fn skill(&mut self, e: &Expertise) -> CoreResult<()> {
        if sync_skill(&self.layout, e, &self.opts.skills)? {
            self.report.files_written += 1;
            self.report.skills_written.push(e.domain.clone());
            self.events.push(ExpertiseEvent::SkillWritten {
                project_id: self.project_id.to_string(),
                domain: e.domain.clone(),
                path: self.layout.skill_file(&e.domain).display().to_string(),
            });
        }
        Ok(())
    }

    /// Syncs one domain. Problems with the files (bad name, malformed YAML, unsafe path, too large) become
    /// [`SyncIssue`]s and leave that domain untouched; database errors abort the whole sync.
    async fn sync_one(&mut self, domain: &str, stored: Option<Stored>, mode: Mode) -> CoreResult<()> {
        let path = self.layout.expertise_file(domain);
        let res = match validate_domain(domain) {
            Ok(()) => self.sync_inner(domain, &path, stored, mode).await,
            Err(e) => Err(e),
        };
        match res {
            Err(e @ (CoreError::InvalidInput(_) | CoreError::Io { .. })) => {
                let message = e.to_string();
                self.events.push(ExpertiseEvent::Invalid {
                    project_id: self.project_id.to_string(),
                    path: path.display().to_string(),
                    message: message.clone(),
                });
                self.report.issues.push(SyncIssue { path: path.display().to_string(), message });
                Ok(())
            }
            other => other,
        }
    }

    async fn sync_inner(&mut self, domain: &str, path: &Path, stored: Option<Stored>, mode: Mode) -> CoreResult<()> {
        let file = self.layout.read(path)?;
        let (s, bytes) = match (stored, file) {
            (None, None) => return Ok(()),
            (None, Some(bytes)) => {
                if mode == Mode::Export {
                    return Ok(());
                }
                let e = parse_yaml(path, &bytes, domain)?;
                self.store(&e, &content_hash(&e), &hash(&bytes), &String::from_utf8_lossy(&bytes)).await?;
                self.imported(domain);
                return self.companions(&e, false);
            }
            // Synced to a file before, and the file is gone: someone deleted the domain. Asked, never silently
            // restored (a conflict whose file side is the deletion; `resolve --keep file` forgets the domain).
            (Some(s), None) if s.file_hash.is_some() && s.file_hash.as_deref() != Some(DELETED) => {
                return self.record_conflict(&s, "", DELETED).await
            }
            (Some(s), None) if s.file_hash.as_deref() == Some(DELETED) => return Ok(()),
            (Some(s), None) => return self.export(&s.e, None).await,
            (Some(s), Some(bytes)) => (s, bytes),
        };
        let db_now = content_hash(&s.e);
        let file_now = hash(&bytes);
        let db_changed = s.db_hash.as_deref() != Some(db_now.as_str());
        let file_changed = s.file_hash.as_deref() != Some(file_now.as_str());
        match (db_changed, file_changed) {
            (false, false) => {
                self.report.unchanged += 1;
                if mode == Mode::Export {
                    self.companions(&s.e, s.document.is_none())?;
                }
                Ok(())
            }
            (true, false) => self.export(&s.e, s.document.as_deref()).await,
            (false, true) if mode == Mode::Export => Err(CoreError::InvalidInput(format!(
                "{} has edits not yet imported; it was not overwritten (run `yokeflow expertise import`)",
                path.display()
            ))),
            (false, true) => {
                let e = parse_yaml(path, &bytes, domain)?;
                let text = String::from_utf8_lossy(&bytes);
                if content_hash(&e) == db_now {
                    self.set_hashes(domain, &db_now, &file_now).await?;
                    self.set_document(domain, &text).await?;
                } else {
                    self.store(&e, &content_hash(&e), &file_now, &text).await?;
                    self.imported(domain);
                }
                self.close_conflict(domain, ConflictResolution::Converged).await?;
                self.companions(&e, false)
            }
            (true, true) => {
                let e = parse_yaml(path, &bytes, domain)?;
                if content_hash(&e) == db_now {
                    self.set_hashes(domain, &db_now, &file_now).await?;
                    self.set_document(domain, &String::from_utf8_lossy(&bytes)).await?;
                    self.close_conflict(domain, ConflictResolution::Converged).await?;
                    self.companions(&e, false)
                } else {
                    self.record_conflict(&s, &String::from_utf8_lossy(&bytes), &file_now).await
                }
            }
        }
    }

    /// The domain folders under `.claude/commands/experts/`; badly named ones become issues.
    fn file_domains(&mut self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.layout.experts_dir()) else { return Vec::new() };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !entry.path().is_dir() {
                continue;
            }
            match validate_domain(&name) {
                Ok(()) => out.push(name),
                Err(e) => self.report.issues.push(SyncIssue {
                    path: entry.path().display().to_string(),
                    message: format!("{}: {e}; ignored", entry.path().display()),
                }),
            }
        }
        out
    }
}

/// Runs one sync over `scope`.
pub(crate) async fn run(db: &Db, project: &Project, opts: &SyncOptions, scope: Scope) -> CoreResult<SyncReport> {
    let mut s = Session::begin(db, project, opts).await?;
    match scope {
        Scope::Import => {
            let mut rows = s.load_all().await?;
            let mut domains: BTreeSet<String> = rows.keys().cloned().collect();
            domains.extend(s.file_domains());
            for d in domains {
                let stored = rows.remove(&d);
                s.sync_one(&d, stored, Mode::Both).await?;
            }
        }
        Scope::Export => {
            for (d, stored) in s.load_all().await? {
                s.sync_one(&d, Some(stored), Mode::Export).await?;
            }
        }
        Scope::Domains(domains) => {
            for d in domains {
                let stored = if validate_domain(&d).is_ok() { s.load(&d).await? } else { None };
                s.sync_one(&d, stored, Mode::Both).await?;
            }
        }
    }
    s.commit().await
}

/// Writes every domain of the database to its files (those already up to date are not touched). A file with
/// edits not yet imported is never overwritten: it is reported, or recorded as a conflict.
pub async fn export_all(db: &Db, project: &Project) -> CoreResult<SyncReport> {
    export_all_with(db, project, &SyncOptions::default()).await
}

pub async fn export_all_with(db: &Db, project: &Project, opts: &SyncOptions) -> CoreResult<SyncReport> {
    run(db, project, opts, Scope::Export).await
}

/// Reconciles every domain both ways (what opening a project does): new and edited files are stored, database
/// changes are written out, conflicts are recorded. Unusable files are listed in [`SyncReport::issues`].
pub async fn import_all(db: &Db, project: &Project) -> CoreResult<SyncReport> {
    import_all_with(db, project, &SyncOptions::default()).await
}

pub async fn import_all_with(db: &Db, project: &Project, opts: &SyncOptions) -> CoreResult<SyncReport> {
    run(db, project, opts, Scope::Import).await
}

/// Syncs one domain both ways; an unusable file is an error here (naming the file and line).
pub async fn sync_domain(db: &Db, project: &Project, domain: &str) -> CoreResult<SyncReport> {
    validate_domain(domain)?;
    let report =
        run(db, project, &SyncOptions::default(), Scope::Domains(BTreeSet::from([domain.to_string()]))).await?;
    match report.issues.first() {
        Some(issue) => Err(CoreError::InvalidInput(issue.message.clone())),
        None => Ok(report),
    }
}

/// Stores `e` in the database and writes its files through the sync (so the file is only written when the
/// file side has no unsynced edits; otherwise a conflict is recorded and both versions are kept).
pub async fn upsert(db: &Db, project: &Project, e: Expertise) -> CoreResult<SyncReport> {
    upsert_with(db, project, e, &SyncOptions::default()).await
}

pub async fn upsert_with(db: &Db, project: &Project, e: Expertise, opts: &SyncOptions) -> CoreResult<SyncReport> {
    e.validate()?;
    let mut s = Session::begin(db, project, opts).await?;
    sqlx::query(
        "INSERT INTO expertise (project_id, domain, patterns, metrics, confidence, usage_count, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, domain) DO UPDATE SET \
         patterns = excluded.patterns, metrics = excluded.metrics, confidence = excluded.confidence, \
         usage_count = excluded.usage_count, updated_at = excluded.updated_at",
    )
    .bind(&project.id)
    .bind(&e.domain)
    .bind(serde_json::to_string(&e.patterns).expect("strings serialize"))
    .bind(serde_json::to_string(&e.metrics).expect("finite numbers serialize"))
    .bind(e.confidence)
    .bind(e.usage_count as i64)
    .bind(now_ms())
    .execute(&mut *s.tx)
    .await?;
    let stored = s.load(&e.domain).await?;
    s.sync_one(&e.domain, stored, Mode::Both).await?;
    s.commit().await
}

/// The project's expertise conflicts (only the unresolved ones if `open_only`), oldest first.
pub async fn conflicts(db: &Db, project: &Project, open_only: bool) -> CoreResult<Vec<ExpertiseConflict>> {
    let rows = sqlx::query(&format!(
        "SELECT id, domain, db_version, file_version, detected_at, resolved_at, resolution \
         FROM expertise_conflicts WHERE project_id = ? {} ORDER BY id",
        if open_only { "AND resolved_at IS NULL" } else { "" }
    ))
    .bind(&project.id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ExpertiseConflict {
                id: r.try_get("id")?,
                domain: r.try_get("domain")?,
                db_version: r.try_get("db_version")?,
                file_version: r.try_get("file_version")?,
                detected_at: r.try_get("detected_at")?,
                resolved_at: r.try_get("resolved_at")?,
                resolution: match r.try_get::<Option<String>, _>("resolution")? {
                    None => None,
                    Some(text) => Some(ConflictResolution::parse(&text).ok_or_else(|| {
                        CoreError::InvalidInput(format!("stored conflict resolution `{text}` is unknown"))
                    })?),
                },
            })
        })
        .collect()
}

/// Resolves the open conflict of `domain`: the chosen side (as it is now) is written to the other one. Both
/// versions stay retrievable in [`conflicts`].
pub async fn resolve_conflict(db: &Db, project: &Project, domain: &str, keep: Keep) -> CoreResult<SyncReport> {
    validate_domain(domain)?;
    let opts = SyncOptions::default();
    let mut s = Session::begin(db, project, &opts).await?;
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM expertise_conflicts WHERE project_id = ? AND domain = ? AND resolved_at IS NULL",
    )
    .bind(&project.id)
    .bind(domain)
    .fetch_optional(&mut *s.tx)
    .await?;
    if open.is_none() {
        return Err(CoreError::NotFound { what: "open expertise conflict for domain", id: domain.to_string() });
    }
    let stored = s.load(domain).await?.ok_or_else(|| CoreError::NotFound { what: "expertise", id: domain.into() })?;
    let path = s.layout.expertise_file(domain);
    let e = match keep {
        Keep::Db => {
            // The file's current text keeps what YokeFlow does not own; the database's values go into it.
            let current = s.layout.read(&path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
            let text = match current.as_deref().map(|doc| render_into(&path, Some(doc), &stored.e)) {
                Some(Ok(text)) => text,
                _ => render_into(&path, stored.document.as_deref(), &stored.e)?,
            };
            let h = hash(text.as_bytes());
            if s.write(&path, text.as_bytes())? {
                s.report.exported.push(domain.to_string());
            }
            s.set_hashes(domain, &content_hash(&stored.e), &h).await?;
            if current.is_some() || stored.document.is_some() {
                s.set_document(domain, &text).await?;
            }
            stored.e
        }
        Keep::File if s.layout.read(&path)?.is_none() => {
            // The file side is its deletion: the domain is forgotten (its routing log stays), with its generated
            // skill.
            sqlx::query("DELETE FROM expertise WHERE project_id = ? AND domain = ?")
                .bind(&project.id)
                .bind(domain)
                .execute(&mut *s.tx)
                .await?;
            let gone = Expertise { confidence: 0.0, usage_count: 0, ..stored.e.clone() };
            sync_skill(&s.layout, &gone, &SkillThresholds::default())?;
            s.close_conflict(domain, ConflictResolution::File).await?;
            return s.commit().await;
        }
        Keep::File => {
            let bytes = s.layout.read(&path)?.ok_or_else(|| {
                CoreError::InvalidInput(format!("{} no longer exists; keep the database version", path.display()))
            })?;
            let e = parse_yaml(&path, &bytes, domain)?;
            s.store(&e, &content_hash(&e), &hash(&bytes), &String::from_utf8_lossy(&bytes)).await?;
            s.imported(domain);
            e
        }
    };
    s.close_conflict(domain, if keep == Keep::Db { ConflictResolution::Db } else { ConflictResolution::File }).await?;
    s.companions(&e, false)?;
    s.commit().await
}

/// The domains whose database row changed since its last sync (and is not already in an open conflict with
/// the same content): what the watcher's database poll hands to the sync.
pub(crate) async fn changed_in_db(db: &Db, project_id: &str) -> CoreResult<BTreeSet<String>> {
    let rows = sqlx::query(
        "SELECT e.domain, e.patterns, e.metrics, e.confidence, e.usage_count, e.db_hash, c.db_hash AS open_hash \
         FROM expertise e LEFT JOIN expertise_conflicts c \
           ON c.project_id = e.project_id AND c.domain = e.domain AND c.resolved_at IS NULL \
         WHERE e.project_id = ?",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let mut out = BTreeSet::new();
    for r in &rows {
        let now = content_hash(&expertise_from_row(r)?);
        let last: Option<String> = r.try_get("db_hash")?;
        let open: Option<String> = r.try_get("open_hash")?;
        if last.as_deref() != Some(now.as_str()) && open.as_deref() != Some(now.as_str()) {
            out.insert(r.try_get("domain")?);
        }
    }
    Ok(out)
}

/// Changes one domain's row in the database only (no file is written, the sync hashes are left as they were),
/// serialized with every other sync. `None` when the project has no such domain. The next sync of the main
/// checkout sees a database change and exports it there as usual; [`export_domains_to`] writes the same state
/// into another work tree (a task's worktree, so the files travel through the merge gate).
pub async fn update_in_db(
    db: &Db,
    project: &Project,
    domain: &str,
    change: impl FnOnce(&mut Expertise),
) -> CoreResult<Option<Expertise>> {
    validate_domain(domain)?;
    let opts = SyncOptions::default();
    let mut s = Session::begin(db, project, &opts).await?;
    let Some(stored) = s.load(domain).await? else { return Ok(None) };
    let mut e = stored.e;
    change(&mut e);
    e.validate()?;
    sqlx::query(
        "UPDATE expertise SET patterns = ?, metrics = ?, confidence = ?, usage_count = ?, updated_at = ? \
         WHERE project_id = ? AND domain = ?",
    )
    .bind(serde_json::to_string(&e.patterns).expect("strings serialize"))
    .bind(serde_json::to_string(&e.metrics).expect("finite numbers serialize"))
    .bind(e.confidence)
    .bind(e.usage_count as i64)
    .bind(now_ms())
    .bind(&project.id)
    .bind(domain)
    .execute(&mut *s.tx)
    .await?;
    s.commit().await?;
    Ok(Some(e))
}

/// Writes the database state of `domains` into the `.claude/` folder of the work tree `root` (a task's
/// worktree, never the project's checkout unless it is given): `expertise.yaml`, `question.md` and
/// `self-improve.md` when absent, and the native skill when the domain qualifies. The sync hashes, which
/// describe the main checkout, are not touched. Domains without a row are skipped.
pub async fn export_domains_to(
    db: &Db,
    project: &Project,
    root: &Path,
    domains: &BTreeSet<String>,
    opts: &SyncOptions,
) -> CoreResult<SyncReport> {
    let layout = Layout::new(root);
    let mut report = SyncReport::default();
    for domain in domains {
        let Some(e) = super::domain::get(db, project, domain).await? else { continue };
        // The work tree's own file edited in place (it may be a person's document), else the last known text.
        let path = layout.expertise_file(domain);
        let here = layout.read(&path)?.map(|b| String::from_utf8_lossy(&b).into_owned());
        let text = match here.as_deref().map(|doc| render_into(&path, Some(doc), &e)) {
            Some(Ok(text)) => text,
            _ => {
                let document: Option<String> =
                    sqlx::query_scalar("SELECT document FROM expertise WHERE project_id = ? AND domain = ?")
                        .bind(&project.id)
                        .bind(domain)
                        .fetch_optional(db.pool())
                        .await?
                        .flatten();
                render_into(&path, document.as_deref(), &e)?
            }
        };
        if layout.write_if_changed(&path, text.as_bytes())? {
            report.files_written += 1;
            report.exported.push(domain.clone());
        } else {
            report.unchanged += 1;
        }
        let q = layout.question_file(domain);
        report.files_written += layout.write_if_absent(&q, render_question(domain).as_bytes())? as u32;
        let si = layout.self_improve_file(domain);
        report.files_written += layout.write_if_absent(&si, render_self_improve(domain).as_bytes())? as u32;
        if sync_skill(&layout, &e, &opts.skills)? {
            report.files_written += 1;
            report.skills_written.push(domain.clone());
        }
    }
    Ok(report)
}
