//! Quitting the window without leaving work behind: the tray's Quit, closing the last window during a run, and
//! SIGTERM/SIGHUP cancel the runs of this process and wait (bounded) for their agents to stop and their rows to close
//! before the app exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager};

/// How long quitting waits for the cancelled runs to stop their agents and close their rows.
const QUIT_GRACE: Duration = Duration::from_secs(30);

/// Set once quitting began (a second request does not start another wait).
static QUITTING: AtomicBool = AtomicBool::new(false);

/// Whether quitting already began.
pub fn quitting() -> bool {
    QUITTING.load(Ordering::SeqCst)
}

/// Quits the app once every run of this process was cancelled and has ended (at most [`QUIT_GRACE`]): no agent
/// outlives the window and no run row is left `running`. For the tray's Quit, closing the window during a run,
/// and SIGTERM/SIGHUP.
pub fn quit(app: &AppHandle) {
    if QUITTING.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let runs = app.state::<crate::app::AppState>().api.runs().clone();
        runs.cancel_all();
        if tokio::time::timeout(QUIT_GRACE, runs.wait_idle()).await.is_err() {
            tracing::warn!("runs still going after {QUIT_GRACE:?}: quitting anyway (the next run recovers them)");
        }
        app.exit(0);
    });
}

/// SIGTERM (a session ending, `kill`) and SIGHUP quit like the tray's Quit.
pub fn quit_on_signals(app: &AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    for kind in [SignalKind::terminate(), SignalKind::hangup()] {
        let app = app.clone();
        tauri::async_runtime::spawn(async move {
            let Ok(mut stream) = signal(kind) else { return };
            if stream.recv().await.is_some() {
                quit(&app);
            }
        });
    }
}
