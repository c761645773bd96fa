//! The tray icon and its menu: show the window, how many tasks are running, pause/resume every run, quit. The
//! count follows the runs' events ([`on_event`]); pause and resume go through the same run handles as the window.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Wry};
use yokeflow_core::events::Event;
use yokeflow_core::model::TaskStatus;

use crate::runs::Runs;

/// The menu items that change, and the running tasks by project.
pub struct TrayState {
    count: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    running: Mutex<HashMap<String, HashSet<String>>>,
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
                let runs = app.state::<Runs>();
                let paused = runs.any_paused();
                runs.set_paused_all(!paused);
                refresh(app);
            }
            "quit" => app.exit(0),
            _ => {}
        })
        .build(app)?;
    app.manage(TrayState { count, pause, running: Mutex::new(HashMap::new()) });
    Ok(())
}

/// Follows one project's run events: the running count and the pause item.
pub fn on_event(app: &AppHandle, project_id: &str, event: &Event) {
    let Some(tray) = app.try_state::<TrayState>() else { return };
    {
        let mut running = tray.running.lock().unwrap_or_else(|e| e.into_inner());
        let tasks = running.entry(project_id.to_string()).or_default();
        match event {
            Event::TaskStatusChanged { task_id, status: TaskStatus::InProgress, .. } => {
                tasks.insert(task_id.clone());
            }
            Event::TaskStatusChanged { task_id, .. } => {
                tasks.remove(task_id);
            }
            Event::RunFinished { .. } => tasks.clear(),
            Event::RunPaused { .. } | Event::RunResumed { .. } | Event::RunStarted { .. } => {}
            _ => return,
        }
        running.retain(|_, tasks| !tasks.is_empty());
    }
    refresh(app);
}

/// Rewrites the count, the tooltip and the pause item from the current state.
fn refresh(app: &AppHandle) {
    let Some(tray) = app.try_state::<TrayState>() else { return };
    let (tasks, projects) = {
        let running = tray.running.lock().unwrap_or_else(|e| e.into_inner());
        (running.values().map(HashSet::len).sum::<usize>(), running.len())
    };
    let text = count_text(tasks, projects);
    let _ = tray.count.set_text(&text);
    if let Some(icon) = app.tray_by_id("main") {
        let _ = icon.set_tooltip(Some(format!("YokeFlow: {}", text.to_lowercase())));
    }
    let runs = app.state::<Runs>();
    let _ = tray.pause.set_enabled(runs.any_active());
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
