//! The tasks file of each project the window has opened, followed live ([`yokeflow_core::tasks::file_watch::TasksFileWatch`]):
//! a change on disk is imported and announced to the webview as `yokeflow://tasks-file`. A change made while a run
//! goes is refused by the core (the run owns its tasks) and imported when the run ends.

use std::collections::HashMap;
use std::sync::Mutex;

use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast;
use yokeflow_core::model::Project;
use yokeflow_core::store::db::Db;
use yokeflow_core::tasks::cards;
use yokeflow_core::tasks::file_watch::{TasksFileEvent, TasksFileWatch};

/// The webview event tasks-file imports are announced on.
pub const EVENT: &str = yokeflow_core::bindings::channels::TASKS_FILE;

/// One watch per opened project with a tasks file.
#[derive(Default)]
pub struct TasksWatchers {
    active: Mutex<HashMap<String, (String, TasksFileWatch)>>,
}

impl TasksWatchers {
    /// Follows `project`'s tasks file unless that file is already followed. A failure is logged, never fatal.
    pub fn ensure(&self, app: &AppHandle, db: &Db, project: &Project) {
        let Some(file) = project.tasks_file.clone().filter(|f| std::path::Path::new(f).is_file()) else { return };
        let mut active = self.active.lock().expect("tasks watchers lock");
        if active.get(&project.id).is_some_and(|(followed, _)| followed == &file) {
            return;
        }
        let (tx, mut rx) = broadcast::channel(64);
        let forward = app.clone();
        tauri::async_runtime::spawn(async move {
            while let Ok(event) = rx.recv().await {
                let _ = forward.emit(EVENT, &event);
            }
        });
        match TasksFileWatch::start(db, &project.id, std::path::Path::new(&file), tx) {
            Ok(watch) => {
                active.insert(project.id.clone(), (file, watch));
            }
            Err(e) => tracing::warn!(code = e.code(), "the tasks file {file} is not followed: {e}"),
        }
    }
}

/// After a run of `project_id` ended: imports its tasks file if it changed meanwhile, and says so.
pub async fn after_run(app: &AppHandle, db: &Db, project_id: &str) {
    let file = match yokeflow_core::store::project::get(db, project_id).await {
        Ok(p) => p.tasks_file.unwrap_or_default(),
        Err(_) => return,
    };
    let event = match cards::sync_file(db, project_id).await {
        Ok(None) => return,
        Ok(Some(summary)) => TasksFileEvent::Imported { project_id: project_id.to_string(), file, summary },
        Err(e) => TasksFileEvent::Refused { project_id: project_id.to_string(), file, error: e.to_dto() },
    };
    let _ = app.emit(EVENT, &event);
}
