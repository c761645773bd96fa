//! What YokeFlow keeps: the SQLite database, the registered projects, approved commands, task rows and queries, the
//! records of runs and worktrees, and the project's run claim (the one answer to "is a run of this project going").

pub mod approvals;
pub mod claim;
pub mod db;
pub mod locations;
pub mod project;
pub mod records;
pub mod tasks;
