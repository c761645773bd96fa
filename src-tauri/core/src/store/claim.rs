//! A project's run claim: an exclusive lock on `<repo>/.yokeflow/locks/run.lock`, taken before recovery and
//! held for the whole run. Taking it is atomic, so two processes (or two callers in one process) can never run one
//! project at once; the kernel releases it when its holder dies, so a crashed run never blocks the next one,
//! whatever became of its PID (a PID that another program reused is no claim). The holder writes its PID into the
//! file, for the message that names it.

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::{CoreError, CoreResult};

/// The project's run that is going right now (in this process or another): whoever holds the project's run claim
/// ([`holder`]). The one answer to "is a run of this project going".
pub async fn live_run(db: &crate::store::db::Db, project_id: &str) -> CoreResult<Option<crate::model::LiveRun>> {
    let project = crate::store::project::get(db, project_id).await?;
    let repo = std::path::PathBuf::from(&project.repo_path);
    let Some(pid) = crate::sys::concurrency::blocking(move || holder(&repo)).await? else { return Ok(None) };
    let run_id: Option<String> = sqlx::query_scalar(&format!(
        "SELECT id FROM runs WHERE project_id = ? AND status IN {} ORDER BY started_at DESC LIMIT 1",
        crate::store::records::run_sql(&crate::model::RunStatus::LIVE)
    ))
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(Some(crate::model::LiveRun { run_id, pid }))
}

/// Whether a run of a project goes, and where: what every "may this change now" asks ([`going`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunGoing {
    /// No run of the project goes.
    No,
    /// This process runs it: its commands reach the run.
    Here,
    /// Another process runs it (the CLI, another window): it cannot hear this process's orders.
    Elsewhere(crate::model::LiveRun),
}

/// The one guard: `here` says whether this process's runs service holds a run of the project (it knows before the
/// run has taken its claim); otherwise whoever holds the claim ([`live_run`]) runs it elsewhere.
pub async fn going(db: &crate::store::db::Db, project_id: &str, here: bool) -> CoreResult<RunGoing> {
    if here {
        return Ok(RunGoing::Here);
    }
    Ok(match live_run(db, project_id).await? {
        Some(run) => RunGoing::Elsewhere(run),
        None => RunGoing::No,
    })
}

/// Held while a run of the project goes; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct RunClaim {
    _file: std::fs::File,
}

fn lock_path(repo: &Path) -> CoreResult<PathBuf> {
    Ok(crate::workspace::worktree::state_dir(repo, "locks", true)?.join("run.lock"))
}

fn open(path: &Path) -> CoreResult<std::fs::File> {
    // Rust opens files close-on-exec: agents and tests started by the holder never inherit the claim.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| CoreError::io(format!("cannot open {}", path.display()), e))
}

/// A whole-file write lock on `file`'s open file description (Linux OFD locks: like `flock`, two opens conflict
/// even in one process; unlike `flock`, [`is_locked`] can test it without taking it).
#[cfg(target_os = "linux")]
fn lock_request(kind: libc::c_int) -> libc::flock {
    // SAFETY: a plain C struct; all-zero is a valid value (whole file from offset 0, pid 0 as OFD locks need).
    let mut l: libc::flock = unsafe { std::mem::zeroed() };
    l.l_type = kind as libc::c_short;
    l.l_whence = libc::SEEK_SET as libc::c_short;
    l
}

/// Takes the lock without waiting: true when taken, false when someone else holds it.
fn try_lock(file: &std::fs::File, path: &Path) -> CoreResult<bool> {
    #[cfg(target_os = "linux")]
    // SAFETY: fcntl(2) on a file descriptor we own with a valid `flock` struct.
    let rc = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &lock_request(libc::F_WRLCK)) };
    #[cfg(not(target_os = "linux"))]
    // SAFETY: flock(2) on a file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(code) if code == libc::EWOULDBLOCK || code == libc::EAGAIN || code == libc::EACCES => Ok(false),
        _ => Err(CoreError::io(format!("cannot lock {}", path.display()), err)),
    }
}

/// Whether someone holds the lock, without taking it (on Linux; elsewhere by taking it for an instant).
fn is_locked(file: &std::fs::File, path: &Path) -> CoreResult<bool> {
    #[cfg(target_os = "linux")]
    {
        let mut l = lock_request(libc::F_WRLCK);
        // SAFETY: fcntl(2) F_OFD_GETLK fills the struct we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut l) } != 0 {
            let err = std::io::Error::last_os_error();
            return Err(CoreError::io(format!("cannot test the lock on {}", path.display()), err));
        }
        Ok(l.l_type != libc::F_UNLCK as libc::c_short)
    }
    #[cfg(not(target_os = "linux"))]
    {
        // Free: the lock taken just to look is released when `file` closes.
        Ok(!try_lock(file, path)?)
    }
}

impl RunClaim {
    /// Claims the project of the work tree `repo` for a run; `None` when a run holds it already.
    pub fn try_acquire(repo: &Path) -> CoreResult<Option<RunClaim>> {
        let path = lock_path(repo)?;
        let mut file = open(&path)?;
        if !try_lock(&file, &path)? {
            return Ok(None);
        }
        let io = |e| CoreError::io(format!("cannot write {}", path.display()), e);
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(Some(RunClaim { _file: file }))
    }
}

/// The PID of the process whose run holds the project's claim (0 if it has not written it yet), or `None` when no
/// run holds it.
pub fn holder(repo: &Path) -> CoreResult<Option<i64>> {
    let path = lock_path(repo)?;
    let mut file = open(&path)?;
    if !is_locked(&file, &path)? {
        return Ok(None);
    }
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    Ok(Some(text.trim().parse().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_at_a_time_and_free_again_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(holder(dir.path()).unwrap(), None);
        let claim = RunClaim::try_acquire(dir.path()).unwrap().expect("free");
        assert!(RunClaim::try_acquire(dir.path()).unwrap().is_none(), "a second claim, even in the same process");
        assert_eq!(holder(dir.path()).unwrap(), Some(i64::from(std::process::id())));
        drop(claim);
        assert_eq!(holder(dir.path()).unwrap(), None);
        assert!(RunClaim::try_acquire(dir.path()).unwrap().is_some());
    }
}
