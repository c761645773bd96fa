fn main() {
    // Only the desktop build embeds the frontend and the Tauri context; the headless CLI needs neither.
    #[cfg(feature = "desktop")]
    tauri_build::build();
}
