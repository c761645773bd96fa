//! The edges to the operating system and git that everything else uses: the git program and git2 helpers, the
//! processes YokeFlow starts and the sandbox they may run in, blocking work off the async threads, the app's data
//! folder, YAML it did not write.

pub mod concurrency;
pub mod git;
pub mod paths;
pub mod process;
pub mod sandbox;
pub mod yaml;
