//! A repository's folder inside a temporary folder, for tests that make a repository of their own: YokeFlow keeps its
//! worktrees beside the checkout (`worktree::work_home`), so they go with the temporary folder.

use std::path::{Path, PathBuf};

pub struct RepoDir {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl RepoDir {
    pub fn new() -> RepoDir {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        RepoDir { _tmp: tmp, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
