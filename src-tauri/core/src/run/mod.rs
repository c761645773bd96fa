//! A run: the service that owns a process's runs (`runs`), a run's options resolved once (`resolve`), the run
//! loop (`orchestrator`), the agent session runner, the event stream and snapshot, the report, desktop notices, manual moves from the board, and Session 0's draft.

pub mod agent;
pub mod draft;
pub mod events;
pub mod notices;
pub mod orchestrator;
pub mod overrides;
pub mod report;
pub mod resolve;
pub mod runs;
