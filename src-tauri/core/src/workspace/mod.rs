//! Where agents work: git worktrees in the work home beside the checkout, their preparation (included files, setup
//! and cleanup), port blocks, and the person's own checkout that follows each landing.

pub mod ports;
pub mod prepare;
pub mod sandbox;
pub mod user_checkout;
pub mod worktree;
