//! The processes YokeFlow started, found by the marker variable each carries in its environment
//! (`YOKEFLOW_SESSION=<session id>` for an agent, `YOKEFLOW_GATE_TESTS=<repository>` for the gate's tests), also
//! after they left their process group (`setsid`, a double fork): `/proc/<pid>/environ` keeps what a process was
//! started with, and every child inherits it. Linux only (elsewhere nothing is found). A process that starts a
//! program with an emptied environment (`env -i`) is not found this way: only a sandbox (a cgroup or a namespace)
//! holds such a one.
//!
//! Also how such programs are started ([`Launcher`], the seam for a sandbox) and ended (process groups).

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// How YokeFlow starts a program that runs code from a repository: an agent, the gate's tests, a setup or cleanup
/// command. The one place where a sandbox (bubblewrap), a container or a runner on another machine goes: each
/// caller picks one ([`Direct`], or confined: [`crate::sys::sandbox::Bubblewrap`]) and adds its own environment and
/// output; what started it is ended with [`kill_group`] / [`terminate_group`] and, outside its group, by its marker
/// ([`kill_marked`]).
pub trait Launcher: Send + Sync {
    /// A command that runs `argv` (not empty) in `dir`: its own process group, no input, a clean git environment.
    fn command(&self, argv: &[String], dir: &Path) -> tokio::process::Command;
}

/// Runs the program directly on this machine, as the person's user.
pub struct Direct;

impl Launcher for Direct {
    fn command(&self, argv: &[String], dir: &Path) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&argv[0]);
        cmd.args(&argv[1..]).current_dir(dir).process_group(0).stdin(Stdio::null());
        crate::sys::git::clean_env(cmd.as_std_mut());
        cmd
    }
}

/// Sends `sig` to the process group `pgid`; false when there is none (or `pgid` is not a group YokeFlow made).
pub fn kill_group(pgid: i32, sig: i32) -> bool {
    if pgid <= 1 {
        return false;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
    unsafe { libc::kill(-pgid, sig) == 0 }
}

/// SIGTERM to the group, up to `grace` for the child to exit, then SIGKILL; reaps the child.
pub async fn terminate_group(pgid: i32, child: &mut tokio::process::Child, grace: Duration) {
    kill_group(pgid, libc::SIGTERM);
    if tokio::time::timeout(grace, child.wait()).await.is_err() {
        kill_group(pgid, libc::SIGKILL);
        let _ = child.wait().await;
    }
}

/// Whether a process with this pid exists (it may belong to another user).
pub fn pid_alive(pid: i64) -> bool {
    if pid <= 1 || pid > i32::MAX as i64 {
        return false;
    }
    // SAFETY: signal 0 only checks for existence.
    let r = unsafe { libc::kill(pid as i32, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// The variable naming the session in every agent process (and in all it starts).
pub const SESSION_ENV: &str = "YOKEFLOW_SESSION";

/// The variable `var` of a process, read from `/proc/<pid>/environ` (Linux).
pub fn process_env(pid: i32, var: &str) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    let key = format!("{var}=");
    env.split(|&b| b == 0)
        .find_map(|kv| kv.strip_prefix(key.as_bytes()).map(|v| String::from_utf8_lossy(v).into_owned()))
}

/// Every process that carries the variable `var`, by its value (Linux; empty elsewhere).
pub fn processes_with(var: &str) -> HashMap<String, Vec<i32>> {
    let mut out: HashMap<String, Vec<i32>> = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return out };
    let me = std::process::id() as i32;
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        if pid == me {
            continue;
        }
        if let Some(value) = process_env(pid, var) {
            out.entry(value).or_default().push(pid);
        }
    }
    out
}

/// Ends every process that carries `var=value`: each found one is stopped first (so it cannot fork a new one
/// between the look and the kill), then killed; looked for again until none is left (at most 20 rounds). Returns
/// how many were killed.
pub fn kill_marked(var: &str, value: &str) -> u32 {
    let mut killed = 0;
    for _ in 0..20 {
        let pids = processes_with(var).remove(value).unwrap_or_default();
        // A zombie keeps its environment readable until it is reaped: only live ones count.
        let live: Vec<i32> = pids.into_iter().filter(|&p| !is_zombie(p)).collect();
        if live.is_empty() {
            break;
        }
        for &pid in &live {
            // SAFETY: kill(2) has no memory effects.
            unsafe { libc::kill(pid, libc::SIGSTOP) };
        }
        for &pid in &live {
            // SAFETY: as above.
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                killed += 1;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    killed
}

/// The agent session this process runs in, if any: its own `YOKEFLOW_SESSION`, or that of the nearest process it
/// descends from that was started with one (an agent can unset the variable for a child, not change what its own
/// process was started with). `None` for a person's shell, the window, a test.
pub fn agent_session() -> Option<String> {
    const VAR: &str = SESSION_ENV;
    if let Some(v) = std::env::var(VAR).ok().filter(|v| !v.is_empty()) {
        return Some(v);
    }
    let mut pid = std::process::id() as i32;
    for _ in 0..64 {
        pid = parent_of(pid)?;
        if pid <= 1 {
            return None;
        }
        if let Some(v) = process_env(pid, VAR).filter(|v| !v.is_empty()) {
            return Some(v);
        }
    }
    None
}

/// The parent of a process, from `/proc/<pid>/stat`.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Whether the process is a zombie (ended, not yet reaped).
fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(true)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_daemon_that_left_its_group_is_found_by_its_marker_and_killed() {
        let marker = format!("test-{}", uuid::Uuid::new_v4());
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        // setsid: its own session and group, as a daemon an agent leaves behind would be.
        let status = std::process::Command::new("setsid")
            .args(["-f", "sh", "-c", "echo $$ > \"$1\"; exec sleep 600", "sh"])
            .arg(&pidfile)
            .env("YOKEFLOW_TEST_MARK", &marker)
            .status()
            .unwrap();
        assert!(status.success());
        let pid = loop {
            if let Some(p) = std::fs::read_to_string(&pidfile).ok().and_then(|s| s.trim().parse::<i32>().ok()) {
                break p;
            }
            std::thread::yield_now();
        };
        // Its environment is read once it is the daemon (`sleep`): during the shell's exec it may read as empty.
        let proc = std::path::PathBuf::from(format!("/proc/{pid}"));
        while proc.exists() && !std::fs::read(proc.join("cmdline")).unwrap_or_default().starts_with(b"sleep") {
            std::thread::yield_now();
        }
        assert!(processes_with("YOKEFLOW_TEST_MARK").get(&marker).is_some_and(|p| p.contains(&pid)));
        assert_eq!(kill_marked("YOKEFLOW_TEST_MARK", &marker), 1);
        assert!(processes_with("YOKEFLOW_TEST_MARK").get(&marker).is_none_or(|p| p.iter().all(|&p| is_zombie(p))));
    }
}

/// A word as a shell would need it written to mean exactly this argument (also for commands shown to copy).
pub fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
