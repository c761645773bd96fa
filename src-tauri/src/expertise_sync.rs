//! Live expertise sync for the projects the window has opened: the first time a project's board is shown, its
//! `.claude/` expert files are reconciled with the database and a watcher keeps both in sync while the app runs.
//! Expertise events are forwarded to the webview as `yokeflow://expertise`.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;
use yokeflow_core::expertise::{WatchHandle, Watcher};
use yokeflow_core::model::Project;
use yokeflow_core::store::db::Db;

/// The webview event expertise sync is forwarded on.
pub const EVENT: &str = yokeflow_core::bindings::channels::EXPERTISE;

/// One watcher per opened project, stopped when the app exits.
#[derive(Default)]
pub struct Watchers {
    active: Mutex<HashMap<String, WatchHandle>>,
}

impl Watchers {
    /// Starts live sync for `project` unless it is already running. A failure is logged and forwarded, never
    /// fatal: the board works without it.
    pub async fn ensure(&self, app: &AppHandle, db: &Db, project: &Project) {
        if self.active.lock().expect("watchers lock").contains_key(&project.id) {
            return;
        }
        let (tx, mut rx) = broadcast::channel(256);
        let forward = app.clone();
        tauri::async_runtime::spawn(async move {
            while let Ok(event) = rx.recv().await {
                let _ = forward.emit(EVENT, &event);
            }
        });
        match Watcher::start(db, project, tx).await {
            Ok(handle) => {
                self.active.lock().expect("watchers lock").entry(project.id.clone()).or_insert(handle);
            }
            Err(e) => tracing::warn!(code = e.code(), "no live expertise sync for {}: {e}", project.repo_path),
        }
    }
}
