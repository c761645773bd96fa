//! Worktrees ready to build: the ignored files a fresh worktree lacks, and the project's setup command.
//!
//! [`include_files`] copies (`worktree_include`) or links (`worktree_link`) files and folders of the main checkout
//! that git ignores (`.env`, `node_modules/`, local config) into a worktree, at the same relative path. Only ignored
//! ones: an untracked file git does not ignore would be committed with the task's work. A copy already in the
//! worktree (a reused slot's, the gate's) is brought up to date: files whose size differs or whose source is newer
//! are copied again, so an edited `.env` reaches every worktree.
//! Patterns are `/`-separated paths relative to the repository whose levels may use `*`, `?` and `[...]`
//! ([`crate::taskfile::pattern_problem`] refuses the rest). It never copies anything git tracks (a file in the
//! index, or a folder holding one), never follows a symlink out of the repository, never writes over anything in
//! the worktree but an older copy of an included file, and never looks into `.git` or `.yokeflow`.
//!
//! [`run_command`] runs a setup or cleanup command (argv, never a shell) in a worktree with a clean git environment
//! and the slot's variables ([`crate::ports`]), its output in a log file, killed with its process group after its
//! timeout or on cancel.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use globset::GlobBuilder;
use serde::Serialize;

use crate::concurrency::Cancel;
use crate::error::{CoreError, CoreResult};

/// What [`include_files`] did, paths relative to the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Included {
    pub copied: Vec<String>,
    pub linked: Vec<String>,
    /// Matches left out, with the reason (tracked, a symlink, already there).
    pub skipped: Vec<(String, String)>,
}

/// Copies the `include` matches and links the `link` matches of the main checkout `root` into `dest` (module docs).
pub fn include_files(root: &Path, dest: &Path, include: &[String], link: &[String]) -> CoreResult<Included> {
    let mut out = Included::default();
    if include.is_empty() && link.is_empty() {
        return Ok(out);
    }
    let tracked = tracked_paths(root)?;
    let git = git2::Repository::open(root)?;
    let ignored = |rel: &str| {
        let is = |p: &str| git.is_path_ignored(p).unwrap_or(false);
        is(rel) || (root.join(rel).is_dir() && is(&format!("{rel}/")))
    };
    for (patterns, linked) in [(include, false), (link, true)] {
        for pattern in patterns {
            if let Some(why) = crate::taskfile::pattern_problem(pattern) {
                return Err(CoreError::InvalidInput(format!("the worktree pattern `{pattern}` {why}")));
            }
            for rel in matches(root, pattern)? {
                let (source, target) = (root.join(&rel), dest.join(&rel));
                let skip = if tracked.contains(&rel)
                    || tracked.range(format!("{rel}/")..).next().is_some_and(|t| t.starts_with(&format!("{rel}/")))
                {
                    Some("git tracks it")
                } else if std::fs::symlink_metadata(&source).is_ok_and(|m| m.file_type().is_symlink()) {
                    Some("a symlink is not followed")
                } else if !ignored(&rel) {
                    Some("git does not ignore it, so it would be committed with the task's work (add it to .gitignore)")
                } else if through_link(dest, &rel) {
                    Some("a folder on its way in the worktree is a symbolic link, and nothing is written through one")
                } else if std::fs::symlink_metadata(&target).is_ok() {
                    if !linked && same_kind(&source, &target) {
                        // A copy from before (a reused worktree): brought up to date.
                        if refresh_tree(root, &source, &target)? {
                            out.copied.push(rel);
                        } else {
                            out.skipped.push((rel, "the worktree has it already, up to date".to_string()));
                        }
                        continue;
                    }
                    Some("the worktree has it already")
                } else {
                    None
                };
                if let Some(why) = skip {
                    out.skipped.push((rel, why.to_string()));
                    continue;
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
                }
                if linked {
                    std::os::unix::fs::symlink(&source, &target)
                        .map_err(|e| CoreError::io(format!("cannot link {}", target.display()), e))?;
                    // `node_modules/` ignores a folder, not a link of that name: ask git itself in the worktree (an
                    // agent's `git add -A` goes by git's rules, and libgit2 follows the link here), and take the
                    // link back when it would be committed.
                    if dest.join(".git").exists() && !git_ignores(dest, &rel) {
                        let _ = std::fs::remove_file(&target);
                        let why = "git ignores it only as a folder, and a link of that name would be committed \
                                   (ignore it without the trailing `/`)";
                        out.skipped.push((rel, why.to_string()));
                        continue;
                    }
                    out.linked.push(rel);
                } else {
                    copy_tree(root, &source, &target)?;
                    out.copied.push(rel);
                }
            }
        }
    }
    Ok(out)
}

/// Whether a folder between `dest` and `dest/rel` (`dest` itself included) is a symbolic link (or not a folder): a
/// link an agent left there would send the copy outside the worktree.
fn through_link(dest: &Path, rel: &str) -> bool {
    let mut path = dest.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (k, part) in std::iter::once("").chain(parts[..parts.len().saturating_sub(1)].iter().copied()).enumerate() {
        if k > 0 {
            path.push(part);
        }
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// Whether git (the command, with a clean environment) ignores `rel` in the work tree `dir`.
fn git_ignores(dir: &Path, rel: &str) -> bool {
    let mut cmd = crate::git::command(dir);
    cmd.args(["check-ignore", "-q", "--", rel]).stdout(Stdio::null());
    cmd.stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Every path git tracks in `root` (its index), `/`-separated.
fn tracked_paths(root: &Path) -> CoreResult<BTreeSet<String>> {
    let repo = git2::Repository::open(root)?;
    let index = repo.index()?;
    Ok(index.iter().map(|e| String::from_utf8_lossy(&e.path).into_owned()).collect())
}

/// The relative paths under `root` that `pattern` names, level by level (no descent into `.git`/`.yokeflow`, and
/// never through a symlinked folder).
fn matches(root: &Path, pattern: &str) -> CoreResult<Vec<String>> {
    let levels: Vec<&str> = pattern.split('/').collect();
    let mut current: Vec<String> = vec![String::new()];
    for (depth, level) in levels.iter().enumerate() {
        let glob = GlobBuilder::new(level)
            .literal_separator(true)
            .build()
            .map_err(|e| CoreError::InvalidInput(format!("the worktree pattern `{pattern}` is not valid: {e}")))?
            .compile_matcher();
        let last = depth + 1 == levels.len();
        let mut next = Vec::new();
        for dir in &current {
            let folder = if dir.is_empty() { root.to_path_buf() } else { root.join(dir) };
            let Ok(entries) = std::fs::read_dir(&folder) else { continue };
            let mut names: Vec<String> =
                entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            for name in names {
                if dir.is_empty() && (name == ".git" || name == ".yokeflow") {
                    continue;
                }
                if !glob.is_match(&name) {
                    continue;
                }
                let rel = if dir.is_empty() { name.clone() } else { format!("{dir}/{name}") };
                let is_dir = std::fs::symlink_metadata(root.join(&rel)).is_ok_and(|m| m.is_dir());
                if last || is_dir {
                    next.push(rel);
                }
            }
        }
        current = next;
    }
    Ok(current)
}

/// Copies `source` (a file or a folder) to `target`. Inside a folder, a symlink is copied as a link when its target
/// is relative and stays inside the repository `root`; others are left out.
fn copy_tree(root: &Path, source: &Path, target: &Path) -> CoreResult<()> {
    let io = |what: &Path, e| CoreError::io(format!("cannot copy {}", what.display()), e);
    let meta = std::fs::symlink_metadata(source).map_err(|e| io(source, e))?;
    if meta.file_type().is_symlink() {
        let link = std::fs::read_link(source).map_err(|e| io(source, e))?;
        let resolved = source.parent().map(|p| lexical(&p.join(&link)));
        if link.is_relative() && resolved.is_some_and(|r| r.starts_with(lexical(root))) {
            std::os::unix::fs::symlink(&link, target).map_err(|e| io(target, e))?;
        }
        return Ok(());
    }
    if meta.is_dir() {
        std::fs::create_dir_all(target).map_err(|e| io(target, e))?;
        for entry in std::fs::read_dir(source).map_err(|e| io(source, e))?.flatten() {
            copy_tree(root, &entry.path(), &target.join(entry.file_name()))?;
        }
        return Ok(());
    }
    std::fs::copy(source, target).map_err(|e| io(source, e))?;
    Ok(())
}

/// Whether `a` and `b` are both folders or both regular files (symlinks not followed).
fn same_kind(a: &Path, b: &Path) -> bool {
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => (a.is_dir() && b.is_dir()) || (a.is_file() && b.is_file()),
        _ => false,
    }
}

/// Brings the copy `target` of `source` up to date: a file whose size differs or whose source is newer is copied
/// again; what `target` lacks is copied; nothing else in it is touched. True when anything was written.
fn refresh_tree(root: &Path, source: &Path, target: &Path) -> CoreResult<bool> {
    let io = |what: &Path, e| CoreError::io(format!("cannot copy {}", what.display()), e);
    let meta = std::fs::symlink_metadata(source).map_err(|e| io(source, e))?;
    let Ok(there) = std::fs::symlink_metadata(target) else {
        copy_tree(root, source, target)?;
        // A symlink leaving the repository is not copied.
        return Ok(std::fs::symlink_metadata(target).is_ok());
    };
    if meta.is_dir() && there.is_dir() {
        let mut wrote = false;
        for entry in std::fs::read_dir(source).map_err(|e| io(source, e))?.flatten() {
            wrote |= refresh_tree(root, &entry.path(), &target.join(entry.file_name()))?;
        }
        return Ok(wrote);
    }
    let newer = match (meta.modified(), there.modified()) {
        (Ok(s), Ok(t)) => s > t,
        _ => true,
    };
    if meta.is_file() && there.is_file() && (meta.len() != there.len() || newer) {
        std::fs::copy(source, target).map_err(|e| io(source, e))?;
        return Ok(true);
    }
    Ok(false)
}

/// `path` with `.` and `..` resolved without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// How a command run by [`run_command`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandEnd {
    Succeeded,
    /// It exited with this code (`None`: a signal ended it).
    Failed {
        code: Option<i32>,
    },
    /// The program does not exist.
    NotFound,
    TimedOut,
    Cancelled,
}

impl CommandEnd {
    /// `None` on success; else what happened, for a person.
    pub fn problem(&self) -> Option<String> {
        match self {
            CommandEnd::Succeeded => None,
            CommandEnd::Failed { code: Some(c) } => Some(format!("exited with code {c}")),
            CommandEnd::Failed { code: None } => Some("was ended by a signal".into()),
            CommandEnd::NotFound => Some("was not found".into()),
            CommandEnd::TimedOut => Some("ran past its timeout and was stopped".into()),
            CommandEnd::Cancelled => Some("was stopped: the run was cancelled".into()),
        }
    }
}

/// Where and how [`run_command`] runs a command.
pub struct CommandRun<'a> {
    pub argv: &'a [String],
    pub dir: &'a Path,
    /// The main checkout (`YOKEFLOW_ROOT`).
    pub root: &'a Path,
    /// The worker slot, for `YOKEFLOW_SLOT` and its ports.
    pub slot: Option<u32>,
    /// The first port of the project's block ([`crate::ports::project_base`]).
    pub port_base: u16,
    pub task_id: Option<&'a str>,
    pub log_path: &'a Path,
    pub timeout: Duration,
}

/// Runs a setup or cleanup command (module docs); its output goes to `log_path` after a header.
pub async fn run_command(run: CommandRun<'_>, header: &str, cancel: &Cancel) -> CoreResult<CommandEnd> {
    let CommandRun { argv, dir, root, slot, port_base, task_id, log_path, timeout } = run;
    let io = |e| CoreError::io(format!("cannot write {}", log_path.display()), e);
    let mut log = std::fs::File::create(log_path).map_err(io)?;
    writeln!(log, "# {header}\n$ {}", serde_json::to_string(argv).unwrap_or_default()).map_err(io)?;
    let Some(program) = argv.first() else {
        return Err(CoreError::InvalidInput("the command is empty".into()));
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(&argv[1..])
        .current_dir(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(io)?)
        .stderr(log.try_clone().map_err(io)?)
        .env("YOKEFLOW_ROOT", root)
        .env("YOKEFLOW_WORKTREE", dir)
        .kill_on_drop(true);
    if let Some(id) = task_id {
        cmd.env("YOKEFLOW_TASK_ID", id);
    }
    if let Some(slot) = slot {
        cmd.env("YOKEFLOW_SLOT", slot.to_string()).envs(crate::ports::env(port_base, slot));
    }
    crate::git::clean_env(cmd.as_std_mut());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = writeln!(log, "# the program `{program}` was not found");
            return Ok(CommandEnd::NotFound);
        }
        Err(e) => return Err(CoreError::io(format!("cannot start `{program}`"), e)),
    };
    let pgid = child.id().map(|p| p as i32);
    let end = tokio::select! {
        status = child.wait() => {
            let status = status.map_err(|e| CoreError::io(format!("cannot wait for `{program}`"), e))?;
            if status.success() { CommandEnd::Succeeded } else { CommandEnd::Failed { code: status.code() } }
        }
        _ = tokio::time::sleep(timeout) => CommandEnd::TimedOut,
        _ = cancel.cancelled() => CommandEnd::Cancelled,
    };
    if matches!(end, CommandEnd::TimedOut | CommandEnd::Cancelled) {
        if let Some(pgid) = pgid {
            crate::agent::kill_group(pgid, libc::SIGKILL);
        }
        let _ = child.wait().await;
    }
    let _ = writeln!(log, "# {}", end.problem().unwrap_or_else(|| "succeeded".into()));
    Ok(end)
}

/// Lockfiles whose change makes the gate run the setup command again in its worktree.
pub const LOCKFILES: &[&str] = &[
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "uv.lock",
    "requirements.txt",
    "go.sum",
    "Gemfile.lock",
    "composer.lock",
];

/// Whether the setup command `argv` rewrites the folder `pattern` names (its last level): package managers that
/// install into `node_modules` (`npm ci`/`install`, `yarn`, `pnpm install`, `bun install`) or a virtual environment
/// (`uv sync`, `poetry install`, `pipenv install` into `.venv`). `Some(why)` says how.
pub fn rewritten_by(argv: &[String], pattern: &str) -> Option<&'static str> {
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    let program = argv.first().map(|p| p.rsplit('/').next().unwrap_or(p)).unwrap_or("");
    let sub = argv.get(1).map(String::as_str).unwrap_or("");
    let node = matches!(
        (program, sub),
        ("npm", "ci" | "install" | "i" | "clean-install")
            | ("yarn", "" | "install")
            | ("pnpm", "install" | "i")
            | ("bun", "install" | "i")
    );
    let venv = matches!((program, sub), ("uv", "sync") | ("poetry", "install") | ("pipenv", "install" | "sync"));
    match last {
        "node_modules" if node => Some("installs into (npm ci even deletes it first)"),
        ".venv" | "venv" if venv => Some("installs into"),
        _ => None,
    }
}

/// [`setup_fingerprint`] of the folder `dir` itself too (its inode): a folder made afresh has none of the setup's
/// output, whatever its lockfiles say.
pub fn folder_fingerprint(argv: &[String], dir: &Path) -> CoreResult<String> {
    let meta = std::fs::metadata(dir).map_err(|e| CoreError::io(format!("cannot read {}", dir.display()), e))?;
    Ok(format!("{}:{}", std::os::unix::fs::MetadataExt::ino(&meta), setup_fingerprint(argv, dir)))
}

/// A fingerprint of what the setup depends on in `dir`: its argv and the lockfiles at the top of `dir`.
pub fn setup_fingerprint(argv: &[String], dir: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(serde_json::to_string(argv).unwrap_or_default().as_bytes());
    for name in LOCKFILES {
        if let Ok(bytes) = std::fs::read(dir.join(name)) {
            h.update(name.as_bytes());
            h.update(Sha256::digest(&bytes));
        }
    }
    format!("{:x}", h.finalize())
}
