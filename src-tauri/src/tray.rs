//! The tray icon and its menu: show the window, how many tasks are running, pause/resume every run, quit. What it
//! shows is read from the core's snapshot of the live runs ([`RunsSnapshot`]); pause and resume go to the same run
//! service as the window's buttons.

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use yokeflow_core::run::runs::RunsSnapshot;

use crate::app::AppState;

/// The menu items that change.
pub struct TrayState {
    count: MenuItem<Wry>,
    pause: MenuItem<Wry>,
}

/// The count line of the menu.
fn count_text(tasks: usize, projects: usize) -> String {
    match (tasks, projects) {
        (0, _) => "No tasks running".to_string(),
        (1, _) => "1 task running".to_string(),
        (n, 0 | 1) => format!("{n} tasks running"),
        (n, p) => format!("{n} tasks running in {p} projects"),
    }
}

pub fn install(app: &AppHandle) -> tauri::Result<()> {
    let show = MenuItem::with_id(app, "show", "Show YokeFlow", true, None::<&str>)?;
    let count = MenuItem::with_id(app, "count", count_text(0, 0), false, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause runs", false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&show, &separator, &count, &pause, &separator, &quit])?;
    let mut builder = TrayIconBuilder::with_id("main").tooltip("YokeFlow").menu(&menu);
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder
        .on_menu_event(|app, event| match event.id.as_ref() {
            "show" => {
                if let Some(w) = app.get_webview_window("main") {
                    let _ = w.show();
                    let _ = w.set_focus();
                }
            }
            "pause" => {
                // The snapshot follows once the runs say they paused (or resumed).
                let state = app.state::<AppState>();
                let runs = state.api.runs();
                let paused = runs.watch().borrow().any_paused();
                runs.pause_all(!paused);
            }
            "quit" => crate::quit::quit(app),
            _ => {}
        })
        .build(app)?;
    app.manage(TrayState { count, pause });
    Ok(())
}

/// Rewrites the count, the tooltip and the pause item from the live runs.
pub fn refresh(app: &AppHandle, runs: &RunsSnapshot) {
    let Some(tray) = app.try_state::<TrayState>() else { return };
    let (tasks, projects) = runs.running_counts();
    let text = count_text(tasks, projects);
    let _ = tray.count.set_text(&text);
    if let Some(icon) = app.tray_by_id("main") {
        let _ = icon.set_tooltip(Some(format!("YokeFlow: {}", text.to_lowercase())));
    }
    let _ = tray.pause.set_enabled(!runs.runs.is_empty());
    let _ = tray.pause.set_text(if runs.any_paused() { "Resume runs" } else { "Pause runs" });
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_count_reads_well() {
        assert_eq!(super::count_text(0, 0), "No tasks running");
        assert_eq!(super::count_text(1, 1), "1 task running");
        assert_eq!(super::count_text(3, 1), "3 tasks running");
        assert_eq!(super::count_text(5, 2), "5 tasks running in 2 projects");
    }
}
