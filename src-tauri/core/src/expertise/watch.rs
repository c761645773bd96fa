//! Live sync while a project is open: a `notify` watcher on `<repo>/.claude/` picks up edits made by people or
//! agents (debounced: a batch is synced once no event has arrived for [`WatchOptions::debounce`]), and a light
//! database poll picks up rows changed by other code. Both hand domains to the same [`sync`](super::sync), whose
//! hashes make our own writes invisible: the watcher sees the file we wrote, finds its hash equal to the one
//! recorded, and does nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use ts_rs::TS;

use super::domain::ExpertiseEvent;
use super::files::Layout;
use super::{sync, sync::Scope, sync::SyncOptions, sync::SyncReport};
use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::store::db::Db;

/// How the watcher behaves.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub sync: SyncOptions,
    /// Quiet time after the last file event before a batch is synced.
    pub debounce: Duration,
    /// A batch is synced at the latest this long after its first event, even if events keep coming.
    pub max_delay: Duration,
    /// How often the database is checked for rows changed by other code; `None` turns the poll off.
    pub db_poll: Option<Duration>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            sync: SyncOptions::default(),
            debounce: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            db_poll: Some(Duration::from_millis(500)),
        }
    }
}

/// What the watcher has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct WatchStats {
    /// Batches synced because files changed.
    pub file_batches: u32,
    /// Batches synced because database rows changed.
    pub db_batches: u32,
    /// Files written by the watcher's syncs (a file edit alone writes nothing back: no echo).
    pub files_written: u32,
    /// Domains whose `expertise.yaml` was rewritten because their database row changed.
    pub exported: u32,
    /// Domains stored in the database from files.
    pub imported: u32,
    pub conflicts: u32,
    pub issues: u32,
}

/// Starts live sync for a project.
pub struct Watcher;

impl Watcher {
    /// Reconciles the project once ([`sync::import_all`](super::import_all)), then watches. Events go to
    /// `events`. Stops when the handle is dropped.
    pub async fn start(
        db: &Db,
        project: &Project,
        events: broadcast::Sender<ExpertiseEvent>,
    ) -> CoreResult<WatchHandle> {
        Watcher::start_with(db, project, events, WatchOptions::default()).await
    }

    pub async fn start_with(
        db: &Db,
        project: &Project,
        events: broadcast::Sender<ExpertiseEvent>,
        mut opts: WatchOptions,
    ) -> CoreResult<WatchHandle> {
        opts.sync.events = Some(events.clone());
        let layout = Layout::new(&project.repo_path);
        layout.ensure_dir(&layout.experts_dir())?;
        // Watch the resolved path, so event paths match `experts` below however the repository was named.
        let claude = std::fs::canonicalize(layout.claude_dir())
            .map_err(|e| CoreError::io(format!("cannot resolve {}", layout.claude_dir().display()), e))?;
        let experts = claude.join("commands").join("experts");
        let (tx, rx) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            let _ = tx.send(res);
        })
        .map_err(|e| watch_error(&claude, e))?;
        watcher.watch(&claude, RecursiveMode::Recursive).map_err(|e| watch_error(&claude, e))?;
        // Watch first, then reconcile, so an edit made during the initial sync is not missed.
        let initial = sync::run(db, project, &opts.sync, Scope::Import).await?;
        let _ = events
            .send(ExpertiseEvent::WatchStarted { project_id: project.id.clone(), path: claude.display().to_string() });
        let stats = Arc::new(Mutex::new(WatchStats::default()));
        let (stop_tx, stop_rx) = oneshot::channel();
        let task = tokio::spawn(
            Loop { db: db.clone(), project: project.clone(), experts, opts, stats: stats.clone() }.run(rx, stop_rx),
        );
        Ok(WatchHandle { _watcher: watcher, stop: Some(stop_tx), task: Some(task), stats, initial })
    }
}

fn watch_error(path: &Path, e: notify::Error) -> CoreError {
    CoreError::io(format!("cannot watch {}", path.display()), std::io::Error::other(e.to_string()))
}

/// A running watcher. Dropping it stops watching; [`WatchHandle::stop`] also waits for a sync in progress.
pub struct WatchHandle {
    _watcher: RecommendedWatcher,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    stats: Arc<Mutex<WatchStats>>,
    initial: SyncReport,
}

impl WatchHandle {
    pub fn stats(&self) -> WatchStats {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What the initial reconciliation did.
    pub fn initial_report(&self) -> &SyncReport {
        &self.initial
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for WatchHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What a file event asks for.
enum Wanted {
    Nothing,
    Domain(String),
    Everything,
}

struct Loop {
    db: Db,
    project: Project,
    experts: PathBuf,
    opts: WatchOptions,
    stats: Arc<Mutex<WatchStats>>,
}

impl Loop {
    async fn run(
        self,
        mut rx: mpsc::UnboundedReceiver<notify::Result<notify::Event>>,
        mut stop: oneshot::Receiver<()>,
    ) {
        let mut poll = self.opts.db_poll.map(tokio::time::interval);
        loop {
            let mut batch = BTreeSet::new();
            let mut everything = false;
            tokio::select! {
                _ = &mut stop => return,
                ev = rx.recv() => {
                    let Some(ev) = ev else { return };
                    self.collect(ev, &mut batch, &mut everything);
                    let deadline = tokio::time::Instant::now() + self.opts.max_delay;
                    loop {
                        let quiet = tokio::time::Instant::now() + self.opts.debounce;
                        match tokio::time::timeout_at(quiet.min(deadline), rx.recv()).await {
                            Ok(Some(ev)) => self.collect(ev, &mut batch, &mut everything),
                            Ok(None) => return,
                            Err(_) => break,
                        }
                    }
                    if everything || !batch.is_empty() {
                        let scope = if everything { Scope::Import } else { Scope::Domains(batch) };
                        self.sync(scope, true).await;
                    }
                }
                _ = async { poll.as_mut().expect("guarded").tick().await }, if poll.is_some() => {
                    match sync::changed_in_db(&self.db, &self.project.id).await {
                        Ok(domains) if !domains.is_empty() => self.sync(Scope::Domains(domains), false).await,
                        Ok(_) => {}
                        Err(e) => tracing::warn!("expertise: database poll failed: {e}"),
                    }
                }
            }
        }
    }

    fn collect(&self, ev: notify::Result<notify::Event>, batch: &mut BTreeSet<String>, everything: &mut bool) {
        match ev {
            Ok(ev) if ev.need_rescan() => *everything = true,
            Ok(ev) => {
                if matches!(
                    ev.kind,
                    EventKind::Access(AccessKind::Open(_) | AccessKind::Read | AccessKind::Close(AccessMode::Read))
                        | EventKind::Modify(ModifyKind::Metadata(_))
                ) {
                    return;
                }
                for p in &ev.paths {
                    match self.wanted(p) {
                        Wanted::Nothing => {}
                        Wanted::Domain(d) => {
                            batch.insert(d);
                        }
                        Wanted::Everything => *everything = true,
                    }
                }
            }
            Err(e) => {
                tracing::warn!("expertise: watcher error: {e}");
                *everything = true;
            }
        }
    }

    /// `experts/{domain}` and `experts/{domain}/expertise.yaml` name a domain; the experts folder itself (or a
    /// parent) means "look at everything"; anything else (skills, question.md, temporary files) is ignored.
    fn wanted(&self, path: &Path) -> Wanted {
        match path.strip_prefix(&self.experts) {
            Ok(rel) => {
                let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
                match parts.as_slice() {
                    [] => Wanted::Everything,
                    [d] if !d.starts_with('.') => Wanted::Domain(d.to_string()),
                    [d, f] if f == "expertise.yaml" => Wanted::Domain(d.to_string()),
                    _ => Wanted::Nothing,
                }
            }
            Err(_) if self.experts.starts_with(path) => Wanted::Everything,
            Err(_) => Wanted::Nothing,
        }
    }

    async fn sync(&self, scope: Scope, for_files: bool) {
        match sync::run(&self.db, &self.project, &self.opts.sync, scope).await {
            Ok(r) => {
                let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
                if for_files {
                    s.file_batches += 1;
                } else {
                    s.db_batches += 1;
                }
                s.files_written += r.files_written;
                s.exported += r.exported.len() as u32;
                s.imported += r.imported.len() as u32;
                s.conflicts += r.conflicts.len() as u32;
                s.issues += r.issues.len() as u32;
            }
            Err(e) => {
                tracing::warn!("expertise: sync failed: {e}");
                if let Some(tx) = &self.opts.sync.events {
                    let _ = tx.send(ExpertiseEvent::Invalid {
                        project_id: self.project.id.clone(),
                        path: self.experts.display().to_string(),
                        message: e.to_string(),
                    });
                }
            }
        }
    }
}
