//! YokeFlow's headless core: everything the app does, with no user interface.
//!
//! The desktop layer (the root crate) and the CLI ([`cli`]) are thin adapters over these modules. Nothing in
//! this crate knows the window or its framework; see ARCHITECTURE.md for the code map and the invariants.

pub mod agent;
pub mod agents;
pub mod approvals;
pub mod bindings;
pub mod bootstrap;
pub mod cards;
pub mod cli;
pub mod concurrency;
pub mod db;
pub mod demo;
pub mod diff;
pub mod draft;
pub mod error;
pub mod events;
pub mod expertise;
pub mod feedback;
pub mod git;
pub mod import;
pub mod learn;
pub mod locations;
pub mod merge;
pub mod model;
pub mod notices;
pub mod orchestrator;
pub mod overrides;
pub mod paths;
pub mod permissions;
pub mod plan;
pub mod planner;
pub mod ports;
pub mod predict;
pub mod prepare;
pub mod process;
pub mod project;
pub mod register;
pub mod report;
pub mod runs;
pub mod sessions;
pub mod settings;
pub mod taskfile;
pub mod tasks;
pub mod transcript;
pub mod user_checkout;
pub mod worktree;
pub mod yaml;

pub use db::Db;
pub use error::{CoreError, CoreResult};

/// Milliseconds since the Unix epoch: the unit of every timestamp in the database.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}
