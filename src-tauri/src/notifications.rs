//! Desktop notifications for a run: the core's [`Notifier`] decides which events deserve one and what it says;
//! this shows them through tauri-plugin-notification. A desktop without a notification service only loses them.

use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use yokeflow_core::run::events::Event;
use yokeflow_core::run::notices::Notifier;

/// Shows what `event` calls for.
pub fn on_event(app: &AppHandle, notifier: &mut Notifier, event: &Event) {
    for notice in notifier.on_event(event) {
        tracing::info!(title = notice.title, body = notice.body, "notification");
        if let Err(e) = app.notification().builder().title(&notice.title).body(&notice.body).show() {
            tracing::warn!("notification not shown: {e}");
        }
    }
}
