//! The tasks file followed live while a project is open: a `notify` watcher on the file's folder (an editor, or
//! [`super::cards::apply`] itself, replaces the file by renaming a new one over it, so the folder is what is watched);
//! once no event has come for a moment, [`super::cards::sync_file`] imports the file if it differs from what is stored.
//! A write of our own is no change and imports nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use serde::Serialize;
use tokio::sync::{broadcast, mpsc};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult, ErrorDto};
use crate::store::db::Db;
use crate::tasks::import::ImportSummary;

/// Quiet time after the last file event before the file is read.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// What following the tasks file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TasksFileEvent {
    /// The file changed and was imported.
    Imported { project_id: String, file: String, summary: ImportSummary },
    /// The file changed but could not be imported (invalid, or a run is going); nothing changed.
    Refused { project_id: String, file: String, error: ErrorDto },
}

/// A running watch; dropping it stops it.
pub struct TasksFileWatch {
    _watcher: RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TasksFileWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TasksFileWatch {
    /// Watches `path`, the tasks file of `project_id`; what it does goes to `events`.
    pub fn start(
        db: &Db,
        project_id: &str,
        path: &Path,
        events: broadcast::Sender<TasksFileEvent>,
    ) -> CoreResult<TasksFileWatch> {
        let path =
            std::fs::canonicalize(path).map_err(|e| CoreError::io(format!("cannot resolve {}", path.display()), e))?;
        let (dir, watched) = match (path.parent(), path.file_name()) {
            (Some(d), Some(n)) => (d.to_path_buf(), n.to_os_string()),
            _ => return Err(CoreError::InvalidInput(format!("{} is not a file", path.display()))),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            if let Ok(ev) = res {
                if ev.paths.iter().any(|p| p.file_name() == Some(watched.as_os_str())) {
                    let _ = tx.send(());
                }
            }
        })
        .map_err(|e| watch_error(&dir, e))?;
        watcher.watch(&dir, RecursiveMode::NonRecursive).map_err(|e| watch_error(&dir, e))?;
        let task = tokio::spawn(follow(db.clone(), project_id.to_string(), path, rx, events));
        Ok(TasksFileWatch { _watcher: watcher, task })
    }
}

fn watch_error(path: &Path, e: notify::Error) -> CoreError {
    CoreError::io(format!("cannot watch {}", path.display()), std::io::Error::other(e.to_string()))
}

async fn follow(
    db: Db,
    project_id: String,
    path: PathBuf,
    mut rx: mpsc::UnboundedReceiver<()>,
    events: broadcast::Sender<TasksFileEvent>,
) {
    while rx.recv().await.is_some() {
        // Wait for the writes to settle: an editor may write the file in several steps.
        while let Ok(Some(())) = tokio::time::timeout(DEBOUNCE, rx.recv()).await {}
        if !path.is_file() {
            continue;
        }
        let file = path.display().to_string();
        let event = match super::cards::sync_file(&db, &project_id).await {
            Ok(None) => continue,
            Ok(Some(summary)) => TasksFileEvent::Imported { project_id: project_id.clone(), file, summary },
            Err(e) => TasksFileEvent::Refused { project_id: project_id.clone(), file, error: e.to_dto() },
        };
        let _ = events.send(event);
    }
}
