//! What a project asks for: its tasks file (parse, validate, import), the cards edited from the window and the CLI,
//! its settings, registering a repository, and the demo project.

pub mod cards;
pub mod demo;
pub mod file_watch;
pub mod import;
pub mod register;
pub mod settings;
pub mod taskfile;
