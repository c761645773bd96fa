//! Where YokeFlow keeps its files: the database and the demo project live in the OS app-data directory
//! unless `--db` / `YOKEFLOW_DB` say otherwise.

use std::path::PathBuf;

/// The app-data directory: `$XDG_DATA_HOME/yokeflow` on Linux (`~/.local/share/yokeflow`).
/// `YOKEFLOW_DATA_DIR` overrides it (tests and the end-to-end suite use this).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("YOKEFLOW_DATA_DIR") {
        return PathBuf::from(dir);
    }
    dirs::data_dir().unwrap_or_else(std::env::temp_dir).join("yokeflow")
}

/// The database file: `YOKEFLOW_DB` if set, else `<data dir>/yokeflow.db`.
pub fn default_db_path() -> PathBuf {
    if let Some(db) = std::env::var_os("YOKEFLOW_DB") {
        return PathBuf::from(db);
    }
    data_dir().join("yokeflow.db")
}
