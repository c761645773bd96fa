//! Runs started from the window: one per project, each with its control handle, its events forwarded to the
//! webview as `yokeflow://event`. The run itself is the core's orchestrator; this only keeps the handles.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tauri::{AppHandle, Emitter, Manager};
use yokeflow_core::error::ErrorDto;
use yokeflow_core::events::{self, Event};
use yokeflow_core::notices::Notifier;
use yokeflow_core::orchestrator::{self, ActiveRunState, RunHandle, RunOptions};
use yokeflow_core::{agent, planner, project, tasks, Db};

/// The webview event every core event is forwarded on.
pub const EVENT: &str = "yokeflow://event";

/// A run this window started: its control handle and whether it was paused from here.
pub struct ActiveRun {
    pub handle: RunHandle,
    pub paused: bool,
    /// Which start this is, so that a finished run never removes a newer one of the same project.
    generation: u64,
}

/// The runs this window started, by project id.
#[derive(Default)]
pub struct Runs {
    active: Mutex<HashMap<String, ActiveRun>>,
    starts: AtomicU64,
}

fn no_active_run() -> ErrorDto {
    ErrorDto { code: "no_active_run".into(), message: "no run of this project is in progress".into() }
}

impl Runs {
    /// Starts a run in the background. Errors that can be known up front (an agent that is not installed, a run
    /// already going) are returned here; everything after goes out as events.
    pub async fn start(&self, app: AppHandle, db: Db, project_id: String, sequential: bool) -> Result<(), ErrorDto> {
        let p = project::get(&db, &project_id).await.map_err(|e| e.to_dto())?;
        let given = agent::demo_fallback(&p);
        agent::check_agent(&agent::effective_command(&p, given.as_deref())).map_err(|e| e.to_dto())?;
        let opts = RunOptions { sequential, agent_command: given, ..Default::default() };
        let plan = planner::get(&db, &project_id).await.ok().flatten();
        let mut notifier = Notifier::new(plan.as_ref(), &tasks::list(&db, &project_id).await.unwrap_or_default());
        let (tx, mut rx) = events::channel();
        let (handle, ctl) = orchestrator::control();
        let generation = self.starts.fetch_add(1, Ordering::Relaxed);
        {
            let mut active = self.active.lock().expect("runs lock");
            if active.contains_key(&project_id) {
                return Err(ErrorDto {
                    code: "run_in_progress".into(),
                    message: "a run of this project is already in progress".into(),
                });
            }
            active.insert(project_id.clone(), ActiveRun { handle, paused: false, generation });
        }
        crate::tray::refresh(&app);

        let (forward, forward_project) = (app.clone(), project_id.clone());
        tauri::async_runtime::spawn(async move {
            while let Ok(event) = rx.recv().await {
                // The run is over for the window before it hears so: a Start right after is accepted.
                if matches!(event, Event::RunFinished { .. }) {
                    forward.state::<Runs>().finish(&forward_project, generation);
                }
                crate::tray::on_event(&forward, &forward_project, &event);
                crate::notifications::on_event(&forward, &mut notifier, &event);
                let _ = forward.emit(EVENT, &event);
            }
        });
        tauri::async_runtime::spawn(async move {
            let result = orchestrator::run_controlled(&db, &project_id, opts, tx, ctl).await;
            app.state::<Runs>().finish(&project_id, generation);
            // Also after a run that failed without a RunFinished: the tray must not count its tasks any more.
            crate::tray::run_ended(&app, &project_id);
            if let Err(e) = result {
                tracing::warn!(code = e.code(), "run of {project_id} failed: {e}");
                let _ =
                    app.emit(EVENT, &Event::Warning { run_id: String::new(), task_id: None, message: e.to_string() });
            }
        });
        Ok(())
    }

    /// Applies `f` to the project's active run.
    pub fn with<R>(&self, project_id: &str, f: impl FnOnce(&mut ActiveRun) -> R) -> Result<R, ErrorDto> {
        let mut map = self.active.lock().expect("runs lock");
        map.get_mut(project_id).map(f).ok_or_else(no_active_run)
    }

    /// Whether any project has a run going.
    pub fn any_active(&self) -> bool {
        !self.active.lock().expect("runs lock").is_empty()
    }

    /// Whether any active run was paused from here.
    pub fn any_paused(&self) -> bool {
        self.active.lock().expect("runs lock").values().any(|r| r.paused)
    }

    /// Pauses (or resumes) every active run; each reports it through its events.
    pub fn set_paused_all(&self, paused: bool) {
        for run in self.active.lock().expect("runs lock").values_mut() {
            if paused {
                run.handle.pause();
            } else {
                run.handle.resume();
            }
            run.paused = paused;
        }
    }

    pub fn state(&self, project_id: &str) -> ActiveRunState {
        let map = self.active.lock().expect("runs lock");
        map.get(project_id).map(|r| ActiveRunState { active: true, paused: r.paused }).unwrap_or_default()
    }

    /// Forgets the project's run started as `generation` (not a newer one).
    fn finish(&self, project_id: &str, generation: u64) {
        let mut active = self.active.lock().expect("runs lock");
        if active.get(project_id).is_some_and(|r| r.generation == generation) {
            active.remove(project_id);
        }
    }
}
