//! Small git queries the rest of the core shares: finding a repository's work tree and its current branch, and the
//! clean git environment every program YokeFlow starts gets ([`repository_env`]).

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

/// The variables that make git work on another repository, index, object store or configuration than the one of
/// its working folder: git's own list (`git rev-parse --local-env-vars`) plus the namespace, quarantine and
/// `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` pairs.
const REPOSITORY_ENV: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
];

/// The variables of this process's environment to remove from every program YokeFlow starts (agents, test
/// commands, git itself), so that git in it works on the repository of its folder and nothing else: with `GIT_DIR`
/// inherited, an agent's `git commit` in its worktree would land straight on the user's branch.
pub fn repository_env() -> Vec<String> {
    let mut out: Vec<String> = REPOSITORY_ENV.iter().map(|v| v.to_string()).collect();
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("GIT_CONFIG_KEY_") || key.starts_with("GIT_CONFIG_VALUE_") {
            out.push(key.to_string());
        }
    }
    out
}

/// `cmd` without the [`repository_env`] variables: every program YokeFlow starts goes through this (for a
/// `tokio::process::Command`, pass `as_std_mut()`).
pub fn clean_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in repository_env() {
        cmd.env_remove(var);
    }
    cmd
}

/// Commits exactly `paths` (relative to `root`, as they are on disk) on top of HEAD with `message`, leaving every
/// other file and the user's staged changes out; then stages those paths in the real index so `git status` agrees.
/// `None` when the resulting tree equals HEAD's.
pub fn commit_paths(repo: &Repository, root: &Path, paths: &[String], message: &str) -> CoreResult<Option<git2::Oid>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let mut index = git2::Index::new()?;
    if let Some(h) = &head {
        index.read_tree(&h.tree()?)?;
    }
    for rel in paths {
        let bytes = std::fs::read(root.join(rel)).map_err(|e| CoreError::io(format!("cannot read {rel}"), e))?;
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: bytes.len() as u32,
            id: repo.blob(&bytes)?,
            flags: 0,
            flags_extended: 0,
            path: rel.as_bytes().to_vec(),
        };
        index.add(&entry)?;
    }
    let tree_id = index.write_tree_to(repo)?;
    if head.as_ref().is_some_and(|h| h.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let sig = signature(repo)?;
    let parents: Vec<&git2::Commit> = head.iter().collect();
    let oid = repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    let mut real = repo.index()?;
    for rel in paths {
        real.add_path(Path::new(rel))?;
    }
    real.write()?;
    Ok(Some(oid))
}
