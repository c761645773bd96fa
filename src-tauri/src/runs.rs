//! Forwards the core's run service to the window: every run event goes to the webview as `yokeflow://event` (with
//! its project) and through the notifier to the desktop, every run's snapshot that changed goes to the webview as
//! `yokeflow://run`, and every change of the live runs refreshes the tray. The runs
//! themselves (registry, control, snapshot) are the core's [`yokeflow_core::run::runs::Runs`].

use std::collections::HashMap;

use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;
use yokeflow_core::run::events::Event;
use yokeflow_core::run::notices::Notifier;
use yokeflow_core::run::runs::Runs;
use yokeflow_core::{plan::planner, store::tasks};

/// The webview event every core event is forwarded on.
pub const EVENT: &str = yokeflow_core::bindings::channels::EVENT;

/// The webview event every changed run snapshot is sent on.
pub const RUN: &str = yokeflow_core::bindings::channels::RUN;

/// Sent to the webview when it missed events (a burst it could not keep up with): it re-reads what it shows.
pub const RESYNC: &str = yokeflow_core::bindings::channels::RESYNC;

/// Starts the three forwarders; they live as long as the app.
pub fn forward(app: &AppHandle, runs: &Runs) {
    let (events_app, db, mut events) = (app.clone(), runs.db().clone(), runs.subscribe());
    tauri::async_runtime::spawn(async move {
        // One notifier per project's run, made when the run starts (it knows the plan's batches).
        let mut notifiers: HashMap<String, Notifier> = HashMap::new();
        loop {
            let ev = match events.recv().await {
                Ok(ev) => ev,
                Err(RecvError::Lagged(missed)) => {
                    // Never stop following: tell the window to re-read the database and the runs' state.
                    tracing::warn!("the window missed {missed} run events; it resyncs");
                    let _ = events_app.emit(RESYNC, missed);
                    continue;
                }
                Err(RecvError::Closed) => break,
            };
            if let Event::RunStarted { project_id, .. } = &ev.event {
                let plan = planner::get(&db, project_id).await.ok().flatten();
                let list = tasks::list(&db, project_id).await.unwrap_or_default();
                notifiers.insert(project_id.clone(), Notifier::new(plan.as_ref(), &list));
            }
            match notifiers.get_mut(&ev.project_id) {
                Some(notifier) => crate::notifications::on_event(&events_app, notifier, &ev.event),
                // A run that failed before it started still says why.
                None if matches!(ev.event, Event::RunFailed { .. }) => {
                    crate::notifications::on_event(&events_app, &mut Notifier::new(None, &[]), &ev.event)
                }
                None => {}
            }
            let ended = matches!(ev.event, Event::RunFinished { .. } | Event::RunFailed { .. });
            if ended {
                notifiers.remove(&ev.project_id);
            }
            let _ = events_app.emit(EVENT, &ev);
            if ended {
                // The tasks file may have changed while the run owned the tasks.
                crate::tasks_sync::after_run(&events_app, &db, &ev.project_id).await;
            }
        }
    });
    let (views_app, mut views) = (app.clone(), runs.subscribe_views());
    tauri::async_runtime::spawn(async move {
        loop {
            match views.recv().await {
                Ok(view) => {
                    let _ = views_app.emit(RUN, &view);
                }
                Err(RecvError::Lagged(missed)) => {
                    // The window re-reads each run's snapshot (and the rest) when it resyncs.
                    tracing::warn!("the window missed {missed} run snapshots; it resyncs");
                    let _ = views_app.emit(RESYNC, missed);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    let (tray_app, mut snapshot) = (app.clone(), runs.watch());
    tauri::async_runtime::spawn(async move {
        loop {
            let now = snapshot.borrow_and_update().clone();
            crate::tray::refresh(&tray_app, &now);
            if snapshot.changed().await.is_err() {
                break;
            }
        }
    });
}
