//! YokeFlow's headless core: everything the app does, with no user interface.
//!
//! The desktop layer (the root crate) and the CLI ([`cli`]) are thin adapters over these modules. Nothing in
//! this crate knows the window or its framework; see ARCHITECTURE.md for the code map and the invariants.

pub mod agents;
pub mod api;
pub mod bindings;
pub mod cli;
pub mod error;
pub mod expertise;
pub mod gate;
pub mod model;
pub mod plan;
pub mod run;
pub mod store;
pub mod sys;
pub mod tasks;
pub mod workspace;

pub use error::{CoreError, CoreResult};
pub use store::db::Db;
