//! Where YokeFlow's folders are: the work home beside the checkout (`work_home`, `work_dir`), the repository's own
//! `.yokeflow/` (`state_dir`), never through a link; which worktrees are YokeFlow's (`is_ours`); names (`slug`,
//! `slot_name`); creating and removing folders so a crash never leaves half of one; disk usage.

use std::path::{Path, PathBuf};

use git2::Repository;
use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};

/// Lower-case ASCII letters, digits and single dashes; at most 40 characters; `task` when nothing is left.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 40 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "task".to_string()
    } else {
        out
    }
}

/// Adds `/.yokeflow/` to the repository's `info/exclude` unless a line already says so.
pub(crate) fn ensure_excluded(repo: &Repository) -> CoreResult<()> {
    let info = repo.commondir().join("info");
    create_dir(&info)?;
    let path = info.join("exclude");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current.lines().any(|l| l.trim() == EXCLUDE_LINE) {
        return Ok(());
    }
    let sep = if current.is_empty() || current.ends_with('\n') { "" } else { "\n" };
    let text = format!("{current}{sep}# YokeFlow's worktrees, logs and integration checkout\n{EXCLUDE_LINE}\n");
    std::fs::write(&path, text).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
}

/// What YokeFlow's own folders under `<repo>/.yokeflow/` take on disk (sizes of regular files; links not followed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
pub struct DiskUsage {
    /// Task worktrees now (free slots not counted).
    pub worktrees: u32,
    /// Free worker slot folders kept for the next task with their build outputs ([`Worktrees::acquire_slot`]).
    pub free_slots: u32,
    #[ts(type = "number")]
    pub worktree_bytes: u64,
    /// The merge gate's worktrees (integration, conflict resolutions).
    #[ts(type = "number")]
    pub gate_bytes: u64,
    /// Agent logs, transcripts and test logs.
    #[ts(type = "number")]
    pub log_bytes: u64,
    /// The package caches of the project's sandboxes (npm, pip, cargo…; [`crate::workspace::sandbox`]).
    #[ts(type = "number")]
    pub cache_bytes: u64,
}

/// What the repository's YokeFlow folders use on disk ([`DiskUsage`]).
pub fn disk_usage(repo_path: &Path) -> CoreResult<DiskUsage> {
    pub(super) fn size(path: &Path) -> u64 {
        let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
        if meta.is_dir() {
            std::fs::read_dir(path).map(|d| d.flatten().map(|e| size(&e.path())).sum()).unwrap_or(0)
        } else if meta.is_file() {
            meta.len()
        } else {
            0
        }
    }
    let root = repo_path.join(".yokeflow");
    let home = work_home(repo_path);
    let wts = home.join("worktrees");
    let (mut worktrees, mut free_slots) = (0, 0);
    for e in std::fs::read_dir(&wts).into_iter().flatten().flatten().filter(|e| e.path().is_dir()) {
        let slot = e.file_name().to_str().is_some_and(is_slot_name);
        if slot && Repository::open(e.path()).and_then(|r| r.head_detached()).unwrap_or(false) {
            free_slots += 1;
        } else {
            worktrees += 1;
        }
    }
    Ok(DiskUsage {
        worktrees,
        free_slots,
        worktree_bytes: size(&wts),
        gate_bytes: size(&home.join("integration")) + size(&home.join("resolve")),
        log_bytes: size(&root.join("logs")),
        cache_bytes: size(&home.join("cache")),
    })
}

/// [`disk_usage`] off the async threads (it walks folders).
pub async fn disk_usage_of(repo_path: &Path) -> CoreResult<DiskUsage> {
    let repo = repo_path.to_path_buf();
    crate::sys::concurrency::blocking(move || disk_usage(&repo)).await
}

/// `bytes` for a person: `812 KiB`, `1.4 GiB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// The folder (and git worktree) name of worker slot `slot`'s reused worktree.
pub fn slot_name(slot: u32) -> String {
    format!("slot-{slot}")
}

pub(super) fn is_slot_name(name: &str) -> bool {
    name.strip_prefix("slot-").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The folder, outside the checkout, that holds YokeFlow's work trees of the repository at `repo_path` (its task
/// worktrees, the merge gate's, conflict resolutions): `<parent>/.<name>.yokeflow/` beside the checkout, so that
/// nothing above a work tree is the person's (Node's `node_modules`, a Python `.venv`, a Cargo workspace or a config
/// file found by searching upwards would otherwise leak the person's files into the tests). Where that parent cannot
/// take it (not writable), `<data dir>/worktrees/<name>-<hash of the path>`; `YOKEFLOW_WORKTREES_DIR` puts every
/// repository's under that folder (`<dir>/<name>-<hash>`).
pub fn work_home(repo_path: &Path) -> PathBuf {
    let repo = repo_path.canonicalize().unwrap_or_else(|_| repo_path.to_path_buf());
    let name = repo.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "repository".into());
    let hashed = |base: PathBuf| {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(repo.as_os_str().as_encoded_bytes());
        let hex: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        base.join(format!("{}-{hex}", slug(&name)))
    };
    if let Some(dir) = std::env::var_os("YOKEFLOW_WORKTREES_DIR").filter(|d| !d.is_empty()) {
        return hashed(PathBuf::from(dir));
    }
    let beside = repo.parent().map(|p| p.join(format!(".{name}.yokeflow")));
    match beside {
        Some(home) if home.is_dir() || std::fs::create_dir(&home).is_ok() => home,
        _ => hashed(crate::sys::paths::data_dir().join("worktrees")),
    }
}

/// `<work home>/<sub>` ([`work_home`]): created when `create` and missing, refused like [`state_dir`] when the home or
/// the folder is a symbolic link or not a folder.
pub fn work_dir(repo_path: &Path, sub: &str, create: bool) -> CoreResult<PathBuf> {
    own_folder(&work_home(repo_path), sub, create, "the repository's worktrees", |_| Ok(()))
}

/// `top/sub`, each checked to be a real folder (never a symbolic link or a file), created when missing (`sub` only
/// when `create`); `made_top` runs once `top` was created here. `what` names what YokeFlow keeps there.
pub(super) fn own_folder(
    top: &Path,
    sub: &str,
    create: bool,
    what: &str,
    made_top: impl FnOnce(&Path) -> CoreResult<()>,
) -> CoreResult<PathBuf> {
    let dir = top.join(sub);
    let mut made_top = Some(made_top);
    for path in [top, dir.as_path()] {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                return Err(CoreError::InvalidInput(format!(
                    "{} is a symbolic link or a file, not a folder: YokeFlow keeps {what} there and will not work \
                     through it (remove it; it belongs to YokeFlow)",
                    path.display()
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !create && path == dir {
                    break;
                }
                std::fs::create_dir_all(path)
                    .map_err(|e| CoreError::io(format!("cannot create {}", path.display()), e))?;
                if path == top {
                    if let Some(f) = made_top.take() {
                        f(path)?;
                    }
                }
            }
            Err(e) => return Err(CoreError::io(format!("cannot read {}", path.display()), e)),
        }
    }
    Ok(dir)
}

/// Whether `path` lies in one of YokeFlow's own folders of the repository at `repo_path`: its work home
/// ([`work_home`]) or `<repo>/.yokeflow/` (where older versions kept their worktrees). A person's worktree never does.
pub fn is_ours(repo_path: &Path, path: &Path) -> bool {
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (home, dot) = (work_home(repo_path), repo_path.join(".yokeflow"));
    let path_c = canon(path);
    [home, dot].iter().any(|root| path.starts_with(root) || path_c.starts_with(canon(root)))
}

/// `<repo>/.yokeflow/<sub>`, YokeFlow's own folder for worktrees, logs and merges; created when `create` and
/// missing. Refused when `.yokeflow` or that folder is a symbolic link or not a folder: a repository could commit
/// one to send YokeFlow's worktrees, logs and deletions outside itself.
pub fn state_dir(repo_path: &Path, sub: &str, create: bool) -> CoreResult<PathBuf> {
    // Whoever makes the folder first (a run, a card edit's lock), git's status never shows it.
    let exclude = |_: &Path| match Repository::open(repo_path) {
        Ok(repo) => ensure_excluded(&repo),
        Err(_) => Ok(()),
    };
    own_folder(
        &repo_path.join(".yokeflow"),
        sub,
        create,
        "its logs, locks and worktree records (.yokeflow/, excluded from git)",
        exclude,
    )
}

pub(crate) fn create_dir(path: &Path) -> CoreResult<()> {
    std::fs::create_dir_all(path).map_err(|e| CoreError::io(format!("cannot create {}", path.display()), e))
}

pub(crate) fn remove_dir(path: &Path) -> CoreResult<()> {
    // Out of the way first, in one step: a removal cut short (a crash, a kill) must not leave a folder that still
    // looks like a worktree whose files were deleted, which the next start would take for work and commit.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let trash = path.with_file_name(format!(".removing-{name}-{}", uuid::Uuid::new_v4()));
    let path = match std::fs::rename(path, &trash) {
        Ok(()) => trash.as_path(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(_) => path,
    };
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(CoreError::io(format!("cannot remove {}", path.display()), e))
        }
        _ => Ok(()),
    }
}

/// The line added to `.git/info/exclude`.
pub(super) const EXCLUDE_LINE: &str = "/.yokeflow/";

#[cfg(test)]
mod tests {
    use super::slug;

    #[test]
    fn slugs() {
        assert_eq!(slug("Add login page!"), "add-login-page");
        assert_eq!(slug("  --  "), "task");
        assert_eq!(slug("T-12_x"), "t-12-x");
        assert!(slug(&"a".repeat(100)).len() <= 40);
    }
}
