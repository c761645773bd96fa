//! The Tauri layer: a thin adapter over `yokeflow_core`. Each command takes its input, calls one core function
//! and converts the result; errors cross as `{code, message}` (`ErrorDto`). This is the only code that knows
//! tauri. Everything here is behind the `desktop` feature; without it the crate is empty and the binary is the
//! headless CLI.

#[cfg(feature = "desktop")]
mod commands;
#[cfg(feature = "desktop")]
mod expertise_sync;
#[cfg(feature = "desktop")]
mod notifications;
#[cfg(feature = "desktop")]
mod quit;
#[cfg(feature = "desktop")]
mod runs;
#[cfg(feature = "desktop")]
mod tasks_sync;
#[cfg(feature = "desktop")]
mod tray;

#[cfg(feature = "desktop")]
pub use app::run;

#[cfg(feature = "desktop")]
mod app {
    use std::path::PathBuf;

    use tauri::Manager;
    use yokeflow_core::api::Service;
    use yokeflow_core::{store::db::Db, sys::paths};

    /// What every command can reach.
    pub struct AppState {
        /// The core's one surface, as the CLI uses it (its `runs()`: the one owner of this process's runs).
        pub api: Service,
    }

    /// Opens the database and the window; returns when the window is closed.
    pub fn run(db_path: Option<PathBuf>) {
        let db_path = db_path.unwrap_or_else(paths::default_db_path);
        let db = match tauri::async_runtime::block_on(Db::open(&db_path)) {
            Ok(db) => db,
            Err(e) => {
                eprintln!("error: cannot open the database {}: {e}", db_path.display());
                std::process::exit(1);
            }
        };
        tauri::Builder::default()
            .plugin(tauri_plugin_shell::init())
            .plugin(tauri_plugin_notification::init())
            .manage(AppState { api: Service::new(db, paths::data_dir()) })
            .manage(crate::expertise_sync::Watchers::default())
            .manage(crate::tasks_sync::TasksWatchers::default())
            .setup(|app| {
                if let Err(e) = crate::tray::install(app.handle()) {
                    tracing::warn!("no tray icon: {e}");
                }
                crate::runs::forward(app.handle(), app.state::<AppState>().api.runs());
                crate::quit::quit_on_signals(app.handle());
                if let Some(window) = app.get_webview_window("main") {
                    let _ = window.set_title("YokeFlow");
                }
                Ok(())
            })
            .invoke_handler(tauri::generate_handler![
                crate::commands::list_projects,
                crate::commands::get_board,
                crate::commands::create_demo_project,
                crate::commands::add_project,
                crate::commands::get_plan,
                crate::commands::build_plan,
                crate::commands::start_run,
                crate::commands::pending_commands,
                crate::commands::approve_commands,
                crate::commands::run_view,
                crate::commands::pause_run,
                crate::commands::resume_run,
                crate::commands::cancel_run,
                crate::commands::force_sequential,
                crate::commands::retry_task,
                crate::commands::retry_merge,
                crate::commands::merge_now,
                crate::commands::set_task_status,
                crate::commands::task_drop_targets,
                crate::commands::move_task_to_worktree,
                crate::commands::open_worktree,
                crate::commands::open_task_log,
                crate::commands::task_test_log,
                crate::commands::task_places,
                crate::commands::task_log,
                crate::commands::task_diff,
                crate::commands::send_feedback,
                crate::commands::discard_work,
                crate::commands::tool_permissions,
                crate::commands::allow_tool,
                crate::commands::revoke_tool,
                crate::commands::check_card_edit,
                crate::commands::edit_tasks,
                crate::commands::init_project,
                crate::commands::get_settings,
                crate::commands::disk_usage,
                crate::commands::expertise_overview,
                crate::commands::resolve_expertise_conflict,
                crate::commands::check_settings,
                crate::commands::save_settings,
                crate::commands::agent_presets,
                crate::commands::draft_tasks,
                crate::commands::accept_draft,
                crate::commands::discard_draft,
            ])
            .build(tauri::generate_context!())
            .expect("error while building the YokeFlow window")
            .run(|app, event| {
                // The last window closed during a run: cancel the runs, wait for their agents, then quit.
                if let tauri::RunEvent::ExitRequested { code: None, api, .. } = &event {
                    let live = !app.state::<AppState>().api.runs().watch().borrow().runs.is_empty();
                    if live && !crate::quit::quitting() {
                        api.prevent_exit();
                        crate::quit::quit(app);
                    }
                }
            });
    }
}
