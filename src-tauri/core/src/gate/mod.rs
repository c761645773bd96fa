//! The merge gate: merging finished branches in memory, testing the merged tree, landing by compare-and-swap; and a
//! task's diff.

pub mod diff;
pub mod merge;
