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

/// The menu items that change, and the running tasks.
pub struct TrayState {
    count: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    running: Mutex<Running>,
}

/// The tasks in progress, by project, as the runs' events tell.
#[derive(Debug, Default)]
struct Running(HashMap<String, HashSet<String>>);

impl Running {
    /// Follows one event of `project_id`'s run; false when it does not concern the count.
    fn on_event(&mut self, project_id: &str, event: &Event) -> bool {
        let tasks = self.0.entry(project_id.to_string()).or_default();
        let relevant = match event {
            Event::TaskStatusChanged { task_id, status: TaskStatus::InProgress, .. } => {
                tasks.insert(task_id.clone());
                true
            }
            Event::TaskStatusChanged { task_id, .. } => {
                tasks.remove(task_id);
                true
            }
            // A run starts and ends with nothing of its own running.
            Event::RunStarted { .. } | Event::RunFinished { .. } => {
                tasks.clear();
                true
            }
            Event::RunPaused { .. } | Event::RunResumed { .. } => true,
            _ => false,
        };
        self.0.retain(|_, tasks| !tasks.is_empty());
        relevant
    }

    fn forget(&mut self, project_id: &str) {
        self.0.remove(project_id);
    }

    /// (tasks running, projects with some).
    fn counts(&self) -> (usize, usize) {
        (self.0.values().map(HashSet::len).sum(), self.0.len())
    }
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
    app.manage(TrayState { count, pause, running: Mutex::new(Running::default()) });
    Ok(())
}

/// Follows one project's run events: the running count and the pause item.
pub fn on_event(app: &AppHandle, project_id: &str, event: &Event) {
    let Some(tray) = app.try_state::<TrayState>() else { return };
    let relevant = tray.running.lock().unwrap_or_else(|e| e.into_inner()).on_event(project_id, event);
    if relevant {
        refresh(app);
    }
}

/// The project's run is over (also when it failed without a `RunFinished`): nothing of it runs any more.
pub fn run_ended(app: &AppHandle, project_id: &str) {
    if let Some(tray) = app.try_state::<TrayState>() {
        tray.running.lock().unwrap_or_else(|e| e.into_inner()).forget(project_id);
    }
    refresh(app);
}

/// Rewrites the count, the tooltip and the pause item from the current state.
pub fn refresh(app: &AppHandle) {
    let Some(tray) = app.try_state::<TrayState>() else { return };
    let (tasks, projects) = tray.running.lock().unwrap_or_else(|e| e.into_inner()).counts();
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
    use yokeflow_core::events::Event;
    use yokeflow_core::model::TaskStatus;

    use super::Running;

    fn status(task_id: &str, status: TaskStatus) -> Event {
        Event::TaskStatusChanged { run_id: "r".into(), task_id: task_id.into(), status, reason: None, slot: None }
    }

    #[test]
    fn the_count_follows_the_runs_events() {
        let mut running = Running::default();
        assert!(running.on_event("p1", &status("a", TaskStatus::InProgress)));
        assert!(running.on_event("p1", &status("b", TaskStatus::InProgress)));
        assert!(running.on_event("p2", &status("c", TaskStatus::InProgress)));
        assert_eq!(running.counts(), (3, 2));
        assert!(!running.on_event("p1", &Event::AgentOutput { task_id: "a".into(), line: "x".into() }));
        running.on_event("p1", &status("a", TaskStatus::Done));
        running.on_event("p1", &status("b", TaskStatus::Review));
        assert_eq!(running.counts(), (1, 1));
        running.on_event("p2", &status("c", TaskStatus::InProgress));
        assert_eq!(running.counts(), (1, 1), "a task counts once");
        running.on_event("p2", &Event::RunPaused { run_id: "r".into() });
        assert_eq!(running.counts(), (1, 1));
        running.forget("p2");
        assert_eq!(running.counts(), (0, 0), "a run that ended without RunFinished");
    }

    #[test]
    fn the_count_reads_well() {
        assert_eq!(super::count_text(0, 0), "No tasks running");
        assert_eq!(super::count_text(1, 1), "1 task running");
        assert_eq!(super::count_text(3, 1), "3 tasks running");
        assert_eq!(super::count_text(5, 2), "5 tasks running in 2 projects");
    }
}
