//! One run of the project's test command on a merged tree: argv in the integration worktree, its log, its process
//! group and whatever it left behind killed; the mark held while the target's ref is updated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{CoreError, CoreResult};
use crate::workspace::worktree::state_dir;

/// Runs `argv` in `dir` with output to `log_path`; `Ok(true)` when it exits 0 within `timeout`. The command gets its
/// own process group, killed as a whole after the timeout (and after exit, so nothing it started lingers). A
/// command that cannot be started counts as failed, with the reason in the log.
/// The file (in `.yokeflow/locks/`) that says the gate is updating the target ref right now: a crash in between
/// leaves git's `refs/heads/<target>.lock` behind, which recovery then removes; without it, that lock is someone
/// else's (a person's `git commit`) and is left alone.
pub const TARGET_UPDATE_MARK: &str = "target-ref-update";

/// [`TARGET_UPDATE_MARK`] for as long as it lives.
pub(super) struct TargetUpdateMark(pub(super) PathBuf);

impl TargetUpdateMark {
    pub(super) fn new(repo_path: &Path) -> CoreResult<TargetUpdateMark> {
        let path = state_dir(repo_path, "locks", true)?.join(TARGET_UPDATE_MARK);
        std::fs::write(&path, b"").map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))?;
        Ok(TargetUpdateMark(path))
    }
}

impl Drop for TargetUpdateMark {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The variable that marks the gate's test processes with the work tree they test for: after a crash, recovery
/// (holding the project's run claim) kills whatever still carries it for its repository.
pub const GATE_TESTS_ENV: &str = "YOKEFLOW_GATE_TESTS";

/// One run of the test command.
pub(crate) struct TestRun<'a> {
    pub(crate) argv: &'a [String],
    /// Where it runs (the integration worktree, or a task's own for its pre-flight).
    pub(crate) dir: &'a Path,
    /// The repository's work tree.
    pub(crate) repo: &'a Path,
    pub(crate) log_path: &'a Path,
    /// The project's port block.
    pub(crate) port_base: u16,
    /// The range of the block the tests get ([`crate::workspace::ports::GATE_SLOT`] for the gate's).
    pub(crate) ports: u32,
    /// The value of [`GATE_TESTS_ENV`] every process of this run carries, and by which what it left is killed: the
    /// repository's work tree for the gate's runs, [`preflight_mark`] for a pre-flight.
    pub(crate) mark: &'a str,
    /// Who runs it, for the log's first line ("merge gate", "pre-flight").
    pub(crate) who: &'a str,
    /// Confined as this says; `None`: not confined.
    pub(crate) sandbox: Option<&'a crate::workspace::sandbox::SandboxPolicy>,
}

/// [`GATE_TESTS_ENV`]'s value for task `task_id`'s pre-flight in repository `repo`: the repository's mark and more,
/// so recovery finds it ([`is_marked_for`]) while ending one run's processes leaves the others alone.
pub fn preflight_mark(repo: &Path, task_id: &str) -> String {
    format!("{}#preflight-{task_id}", repo.display())
}

/// Whether a process carrying `value` in [`GATE_TESTS_ENV`] tests for repository `repo` (the gate's or a pre-flight).
pub fn is_marked_for(value: &str, repo: &str) -> bool {
    value == repo || value.strip_prefix(repo).is_some_and(|rest| rest.starts_with("#preflight-"))
}

/// How one run of the test command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Passed,
    Failed,
    /// Killed after the timeout.
    TimedOut,
    /// The program could not be started (the reason is in the log).
    NotStarted,
}

pub(crate) async fn run_tests(run: TestRun<'_>, header: &str, timeout: Duration) -> CoreResult<Verdict> {
    let TestRun { argv, dir, repo, log_path, port_base, ports, mark, who, sandbox } = run;
    let io = |e| CoreError::io(format!("cannot write {}", log_path.display()), e);
    let mut log = std::fs::File::create(log_path).map_err(io)?;
    writeln!(log, "# yokeflow {who}: {header}\n$ {}", argv.join(" ")).map_err(io)?;
    let mut cmd = crate::workspace::sandbox::command(sandbox, repo, argv, dir)?;
    cmd.stdout(log.try_clone().map_err(io)?)
        .stderr(log.try_clone().map_err(io)?)
        .env(GATE_TESTS_ENV, mark)
        .env("YOKEFLOW_ROOT", repo)
        .env("YOKEFLOW_WORKTREE", dir)
        .envs(crate::workspace::ports::env(port_base, ports))
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(child) => child,
        Err(e) => {
            writeln!(log, "# cannot start `{}`: {e}", argv[0]).map_err(io)?;
            return Ok(Verdict::NotStarted);
        }
    };
    let group = GroupKiller(child.id());
    let waited = tokio::time::timeout(timeout, child.wait()).await;
    drop(group);
    // And whatever the tests started outside their group (a daemon), found by the marker they all carry.
    let mark = mark.to_string();
    let _ =
        crate::sys::concurrency::blocking(move || Ok(crate::sys::process::kill_marked(GATE_TESTS_ENV, &mark))).await;
    match waited {
        Ok(status) => {
            let status = status.map_err(|e| CoreError::io("cannot wait for the test command", e))?;
            writeln!(log, "# {status}").map_err(io)?;
            Ok(if status.success() { Verdict::Passed } else { Verdict::Failed })
        }
        Err(_) => {
            let _ = child.wait().await;
            writeln!(log, "# timed out after {timeout:?}; the test command's process group was killed").map_err(io)?;
            Ok(Verdict::TimedOut)
        }
    }
}

/// Kills a process group (SIGKILL) when dropped: on timeout, after exit, and when the landing is cancelled.
pub(super) struct GroupKiller(pub(super) Option<u32>);

impl Drop for GroupKiller {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(pgid) = self.0.and_then(|p| i32::try_from(p).ok()).filter(|p| *p > 0) {
            // SAFETY: kill(2) has no memory effects; a negative pid addresses the group we created.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}
