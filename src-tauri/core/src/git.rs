//! Small git queries the rest of the core shares: finding a repository's work tree and its current branch.

use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{CoreError, CoreResult};

/// The work tree (canonical path) of the repository containing `path`.
pub fn discover_workdir(path: &Path) -> CoreResult<PathBuf> {
    let repo =
        Repository::discover(path).map_err(|_| CoreError::NotARepository { path: path.display().to_string() })?;
    let workdir = repo.workdir().ok_or_else(|| {
        CoreError::InvalidInput(format!("{} is a bare repository; YokeFlow needs a work tree", path.display()))
    })?;
    workdir.canonicalize().map_err(|e| CoreError::io(format!("cannot resolve {}", workdir.display()), e))
}

/// The short name of the branch HEAD points at, also when the branch has no commit yet.
pub fn current_branch(repo: &Repository) -> CoreResult<String> {
    let head = repo.find_reference("HEAD")?;
    match head.symbolic_target() {
        Some(target) => Ok(target.strip_prefix("refs/heads/").unwrap_or(target).to_string()),
        None => {
            Err(CoreError::InvalidInput("HEAD is detached; check out the branch YokeFlow should merge into".into()))
        }
    }
}

/// Commits every file of the work tree on HEAD's branch (used to seed new repositories).
pub fn commit_all(repo: &Repository, message: &str) -> CoreResult<git2::Oid> {
    let mut index = repo.index()?;
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = signature(repo)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    Ok(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?)
}

/// The user's configured identity, or YokeFlow's own when none is configured.
pub fn signature(repo: &Repository) -> CoreResult<git2::Signature<'static>> {
    match repo.signature() {
        Ok(sig) => Ok(sig.to_owned()),
        Err(_) => Ok(git2::Signature::now("YokeFlow", "yokeflow@localhost")?),
    }
}
