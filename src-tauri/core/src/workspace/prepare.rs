//! Worktrees ready to build: the ignored files a fresh worktree lacks, and the project's setup command.
//!
//! [`include_files`] copies (`worktree_include`) or links (`worktree_link`) files and folders of the main checkout
//! that git ignores (`.env`, `node_modules/`, local config) into a worktree, at the same relative path. Only ignored
//! ones: an untracked file git does not ignore would be committed with the task's work. A copy already in the
//! worktree (a reused slot's, the gate's) is brought up to date: files whose size differs or whose source is newer
//! are copied again, so an edited `.env` reaches every worktree.
//!
//! Nothing done in a worktree reaches the checkout's files through them. Folders are always the worktree's own (a
//! link is never a symlink to the checkout's folder): `npm ci` or `rm -rf` there empties the worktree's, never the
//! person's. A copy is a copy-on-write clone where the file system can, else a plain copy; a linked file is a clone,
//! else a hard link (cheap: the storage is shared), else a copy. A hard link is the same file: a program writing
//! into it in place would change the checkout's too, which package managers do not do to installed packages (they
//! replace them) but do to their own bookkeeping, so the dot-files at the top of a linked folder
//! (`node_modules/.package-lock.json`) are copied. A dependency folder (`node_modules`, `.venv`) is left out, and an
//! earlier copy removed, when a lockfile beside it differs between the worktree and the checkout: the checkout's was
//! installed for another one, and a tree is tested with what it declares.
//!
//! Patterns are `/`-separated paths relative to the repository whose levels may use `*`, `?` and `[...]`
//! ([`crate::workspace::prepare::pattern_problem`] refuses the rest). It never copies anything git tracks (a file in the
//! index, or a folder holding one), never follows a symlink out of the repository, never writes over anything in
//! the worktree but an older copy of an included file, and never looks into `.git` or `.yokeflow`.
//! [`never_included`] says at `config set` which matches would always be left out.
//!
//! [`run_command`] runs a setup or cleanup command (argv, never a shell) in a worktree with a clean git environment
//! and the slot's variables ([`crate::workspace::ports`]), its output in a log file, killed with its process group after its
//! timeout or on cancel.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::GlobBuilder;
use serde::Serialize;

use crate::error::{CoreError, CoreResult};
use crate::sys::concurrency::Cancel;

/// What [`include_files`] did, paths relative to the repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Included {
    pub copied: Vec<String>,
    pub linked: Vec<String>,
    /// Matches left out, with the reason (tracked, a symlink, already there, installed for another lockfile).
    pub skipped: Vec<(String, String)>,
}

/// How the files of a match reach the worktree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Share {
    /// `worktree_include`: a private copy (a copy-on-write clone where the file system can).
    Copy,
    /// `worktree_link`: the same files (a clone where the file system can, else hard links), in folders of the
    /// worktree's own. `top`: at the first level of the linked folder, whose dot-files (a package manager's own
    /// bookkeeping, like npm's `node_modules/.package-lock.json`, rewritten in place) are copied.
    Link { top: bool },
}

impl Share {
    /// How the entry `name` inside a folder shared this way is shared: a dot-file at the top of a linked folder is
    /// copied; below the top a link is a plain link.
    fn for_entry(self, name: &std::ffi::OsStr) -> Share {
        match self {
            Share::Link { top: true } if name.to_string_lossy().starts_with('.') => Share::Copy,
            Share::Link { .. } => Share::Link { top: false },
            Share::Copy => Share::Copy,
        }
    }
}

/// Copies the `include` matches and links the `link` matches of the main checkout `root` into `dest` (module docs).
pub fn include_files(root: &Path, dest: &Path, include: &[String], link: &[String]) -> CoreResult<Included> {
    let mut out = Included::default();
    if include.is_empty() && link.is_empty() {
        return Ok(out);
    }
    let tracked = tracked_paths(root)?;
    let git = git2::Repository::open(root)?;
    for (patterns, share) in [(include, Share::Copy), (link, Share::Link { top: true })] {
        let linked = share != Share::Copy;
        for pattern in patterns {
            if let Some(why) = crate::workspace::prepare::pattern_problem(pattern) {
                return Err(CoreError::InvalidInput(format!("the worktree pattern `{pattern}` {why}")));
            }
            for rel in matches(root, pattern)? {
                let (source, target) = (root.join(&rel), dest.join(&rel));
                let stale = installed_for_another_lockfile(root, dest, &rel);
                let skip = if let Some(why) = leaves_out(&tracked, &rel, &source, ignored(&git, root, &rel)) {
                    Some(why.to_string())
                } else if through_link(dest, &rel) {
                    Some(
                        "a folder on its way in the worktree is a symbolic link, and nothing is written through one"
                            .into(),
                    )
                } else if let Some(why) = stale {
                    // What an earlier task's copy left is as wrong for this tree as the checkout's.
                    if drop_stale(&source, &target)? {
                        Some(format!("{why}; the copy from before was removed from the worktree"))
                    } else {
                        Some(why)
                    }
                } else if std::fs::symlink_metadata(&target).is_ok() {
                    if std::fs::read_link(&target).is_ok_and(|l| l == source) {
                        // A link to the checkout's own folder (as YokeFlow made them before): replaced by a tree.
                        std::fs::remove_file(&target)
                            .map_err(|e| CoreError::io(format!("cannot remove {}", target.display()), e))?;
                        None
                    } else if same_kind(&source, &target) {
                        // A copy from before (a reused worktree, the gate's): brought up to date.
                        if refresh_tree(root, &source, &target, share)? {
                            if linked {
                                out.linked.push(rel)
                            } else {
                                out.copied.push(rel)
                            }
                        } else {
                            out.skipped.push((rel, "the worktree has it already, up to date".to_string()));
                        }
                        continue;
                    } else {
                        Some("the worktree has it already".into())
                    }
                } else {
                    None
                };
                if let Some(why) = skip {
                    out.skipped.push((rel, why));
                    continue;
                }
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
                }
                copy_tree(root, &source, &target, share)?;
                if linked {
                    out.linked.push(rel)
                } else {
                    out.copied.push(rel)
                }
            }
        }
    }
    Ok(out)
}

/// Whether git ignores the checkout's path `rel` (a folder also by a `rel/` rule).
fn ignored(git: &git2::Repository, root: &Path, rel: &str) -> bool {
    let is = |p: &str| git.is_path_ignored(p).unwrap_or(false);
    is(rel) || (root.join(rel).is_dir() && is(&format!("{rel}/")))
}

/// Why the checkout's match `rel` is never copied or linked, if it is not: git tracks it (or a file in it), it is
/// a symlink, or git does not ignore it (`ignored`).
fn leaves_out(tracked: &BTreeSet<String>, rel: &str, source: &Path, ignored: bool) -> Option<&'static str> {
    let prefix = format!("{rel}/");
    if tracked.contains(rel) || tracked.range(prefix.clone()..).next().is_some_and(|t| t.starts_with(&prefix)) {
        Some("git tracks it")
    } else if std::fs::symlink_metadata(source).is_ok_and(|m| m.file_type().is_symlink()) {
        Some("a symlink is not followed")
    } else if !ignored {
        Some("git does not ignore it, so it would be committed with the task's work (add it to .gitignore)")
    } else {
        None
    }
}

/// Why the matches of `include` and `link` in the checkout `root` as it is now would be left out of every worktree
/// (git tracks them, they are symlinks, git does not ignore them), as `(key, message)`: `config set` refuses them.
/// A pattern that matches nothing yet (`node_modules` before the first install) is no problem.
pub fn never_included(root: &Path, include: &[String], link: &[String]) -> CoreResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    if include.is_empty() && link.is_empty() {
        return Ok(out);
    }
    let tracked = tracked_paths(root)?;
    let git = git2::Repository::open(root)?;
    for (key, patterns) in [("worktree_include", include), ("worktree_link", link)] {
        for pattern in patterns {
            if crate::workspace::prepare::pattern_problem(pattern).is_some() {
                continue;
            }
            for rel in matches(root, pattern)? {
                let source = root.join(&rel);
                if let Some(why) = leaves_out(&tracked, &rel, &source, ignored(&git, root, &rel)) {
                    out.push((key.to_string(), format!("`{pattern}` matches `{rel}`, which is never copied: {why}")));
                }
            }
        }
    }
    Ok(out)
}

/// The folders package managers install into, which belong to the lockfiles beside them.
const DEPENDENCY_FOLDERS: &[&str] = &["node_modules", ".venv", "venv"];

/// For a dependency folder (`node_modules`, `.venv`): why the checkout's copy does not fit the worktree, when a
/// lockfile beside it differs between the two (the checkout's was installed for another one: a tree must be tested
/// with what it declares).
fn installed_for_another_lockfile(root: &Path, dest: &Path, rel: &str) -> Option<String> {
    let (parent, name) = match rel.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, rel),
    };
    if !DEPENDENCY_FOLDERS.contains(&name) {
        return None;
    }
    let at = |base: &Path, file: &str| match parent {
        Some(p) => base.join(p).join(file),
        None => base.join(file),
    };
    let differs =
        LOCKFILES.iter().find(|file| std::fs::read(at(root, file)).ok() != std::fs::read(at(dest, file)).ok())?;
    let shown = parent.map(|p| format!("{p}/{differs}")).unwrap_or_else(|| differs.to_string());
    Some(format!(
        "the worktree's {shown} differs from your checkout's, so your `{rel}` (installed for yours) does not fit \
         it; a setup command (or the agent) installs what the tree declares"
    ))
}

/// Removes `target` when it is an earlier copy or link of `source` (a folder, or a link to the checkout's); true
/// when it did.
fn drop_stale(source: &Path, target: &Path) -> CoreResult<bool> {
    let io = |e| CoreError::io(format!("cannot remove {}", target.display()), e);
    match std::fs::symlink_metadata(target) {
        Ok(m) if m.file_type().is_symlink() && std::fs::read_link(target).is_ok_and(|l| l == source) => {
            std::fs::remove_file(target).map_err(io)?;
            Ok(true)
        }
        Ok(m) if m.is_dir() => {
            std::fs::remove_dir_all(target).map_err(io)?;
            Ok(true)
        }
        _ => Ok(false),
    }
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

/// Copies (or links, `share`) `source` (a file or a folder) to `target`, which does not exist. Inside a folder, a
/// symlink is copied as a link when its target is relative and stays inside the repository `root`; others are left
/// out. Folders are always the worktree's own: deleting or replacing anything in them never reaches the checkout.
fn copy_tree(root: &Path, source: &Path, target: &Path, share: Share) -> CoreResult<()> {
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
            let inner = share.for_entry(&entry.file_name());
            copy_tree(root, &entry.path(), &target.join(entry.file_name()), inner)?;
        }
        return Ok(());
    }
    if meta.is_file() {
        place_file(source, target, share != Share::Copy).map_err(|e| io(source, e))?;
    }
    Ok(())
}

/// Puts the regular file `source` at `target` (which does not exist): a copy-on-write clone where the file system
/// can (btrfs, XFS, ...: as cheap as a link and private); else, when `link`, a hard link (the same file: removing or
/// replacing it in the worktree leaves the checkout's alone, writing into it in place would not); else a copy.
fn place_file(source: &Path, target: &Path, link: bool) -> std::io::Result<()> {
    if clone_file(source, target)? {
        return Ok(());
    }
    if link && std::fs::hard_link(source, target).is_ok() {
        return Ok(());
    }
    std::fs::copy(source, target).map(|_| ())
}

/// A copy-on-write clone of `source` at the new file `target` (`FICLONE`); false (and no `target`) where the file
/// system cannot make one.
#[cfg(target_os = "linux")]
fn clone_file(source: &Path, target: &Path) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let from = std::fs::File::open(source)?;
    let perms = from.metadata()?.permissions();
    let to = std::fs::OpenOptions::new().write(true).create_new(true).open(target)?;
    // SAFETY: both descriptors are open files owned here; FICLONE reads one and writes the other, nothing else.
    if unsafe { libc::ioctl(to.as_raw_fd(), libc::FICLONE, from.as_raw_fd()) } == 0 {
        to.set_permissions(perms)?;
        return Ok(true);
    }
    drop(to);
    std::fs::remove_file(target)?;
    Ok(false)
}

#[cfg(not(target_os = "linux"))]
fn clone_file(_source: &Path, _target: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Whether `a` and `b` are both folders or both regular files (symlinks not followed).
fn same_kind(a: &Path, b: &Path) -> bool {
    match (std::fs::symlink_metadata(a), std::fs::symlink_metadata(b)) {
        (Ok(a), Ok(b)) => (a.is_dir() && b.is_dir()) || (a.is_file() && b.is_file()),
        _ => false,
    }
}

/// Brings the copy (or linked tree) `target` of `source` up to date: a file that is not the same file (a hard
/// link of it) and whose size differs or whose source is newer is placed again, removed first (writing over it
/// could write into a linked file of the checkout); what `target` lacks is added; nothing else in it is touched.
/// True when anything was written.
fn refresh_tree(root: &Path, source: &Path, target: &Path, share: Share) -> CoreResult<bool> {
    use std::os::unix::fs::MetadataExt;
    let io = |what: &Path, e| CoreError::io(format!("cannot copy {}", what.display()), e);
    let meta = std::fs::symlink_metadata(source).map_err(|e| io(source, e))?;
    let Ok(there) = std::fs::symlink_metadata(target) else {
        copy_tree(root, source, target, share)?;
        // A symlink leaving the repository is not copied.
        return Ok(std::fs::symlink_metadata(target).is_ok());
    };
    if meta.is_dir() && there.is_dir() {
        let mut wrote = false;
        for entry in std::fs::read_dir(source).map_err(|e| io(source, e))?.flatten() {
            let inner = share.for_entry(&entry.file_name());
            wrote |= refresh_tree(root, &entry.path(), &target.join(entry.file_name()), inner)?;
        }
        return Ok(wrote);
    }
    let same_file = meta.dev() == there.dev() && meta.ino() == there.ino();
    let newer = match (meta.modified(), there.modified()) {
        (Ok(s), Ok(t)) => s > t,
        _ => true,
    };
    // A hard link that is no longer the checkout's file: the checkout's was replaced (package managers keep the
    // archive's old times, so only the link tells).
    let relink = share != Share::Copy && there.nlink() > 1;
    if meta.is_file() && there.is_file() && !same_file && (relink || meta.len() != there.len() || newer) {
        std::fs::remove_file(target).map_err(|e| io(target, e))?;
        place_file(source, target, share != Share::Copy).map_err(|e| io(source, e))?;
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
    /// The first port of the project's block ([`crate::workspace::ports::project_base`]).
    pub port_base: u16,
    pub task_id: Option<&'a str>,
    pub log_path: &'a Path,
    pub timeout: Duration,
    /// Confined as this says ([`crate::workspace::sandbox`]); `None`: not confined.
    pub sandbox: Option<&'a crate::workspace::sandbox::SandboxPolicy>,
}

/// Runs a setup or cleanup command (module docs); its output goes to `log_path` after a header.
pub async fn run_command(run: CommandRun<'_>, header: &str, cancel: &Cancel) -> CoreResult<CommandEnd> {
    let CommandRun { argv, dir, root, slot, port_base, task_id, log_path, timeout, sandbox } = run;
    let io = |e| CoreError::io(format!("cannot write {}", log_path.display()), e);
    let mut log = std::fs::File::create(log_path).map_err(io)?;
    writeln!(log, "# {header}\n$ {}", serde_json::to_string(argv).unwrap_or_default()).map_err(io)?;
    let Some(program) = argv.first() else {
        return Err(CoreError::InvalidInput("the command is empty".into()));
    };
    let mut cmd = crate::workspace::sandbox::command(sandbox, root, argv, dir)?;
    cmd.stdout(log.try_clone().map_err(io)?)
        .stderr(log.try_clone().map_err(io)?)
        .env("YOKEFLOW_ROOT", root)
        .env("YOKEFLOW_WORKTREE", dir)
        .kill_on_drop(true);
    if let Some(id) = task_id {
        cmd.env("YOKEFLOW_TASK_ID", id);
    }
    if let Some(slot) = slot {
        cmd.env("YOKEFLOW_SLOT", slot.to_string()).envs(crate::workspace::ports::env(port_base, slot));
    }
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
            crate::sys::process::kill_group(pgid, libc::SIGKILL);
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

/// Why a worktree pattern (`worktree_include`, `worktree_link`) is refused, if it is: it must name paths inside the
/// repository (relative, `/`-separated, no `..`), never `.git` or `.yokeflow`.
pub fn pattern_problem(p: &str) -> Option<&'static str> {
    let p = p.trim();
    if p.is_empty() {
        return Some("is empty");
    }
    if p.starts_with('/') || p.contains('\\') || p.contains(':') {
        return Some("must be a path relative to the repository, with `/` between folders");
    }
    let parts: Vec<&str> = p.split('/').collect();
    if parts.iter().any(|c| *c == ".." || c.is_empty() || *c == ".") {
        return Some("must stay inside the repository (no `..`, `.` or empty folder names)");
    }
    if parts[0] == ".git" || parts[0] == ".yokeflow" {
        return Some("must not name `.git` or `.yokeflow`");
    }
    if parts.iter().any(|c| c.contains("**")) {
        return Some("`**` is not supported: name each folder level (`*` matches within one)");
    }
    None
}
