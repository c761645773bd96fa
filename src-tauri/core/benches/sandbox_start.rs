//! What the sandbox costs a program's start (a plain binary, `harness = false`): `cargo bench -p yokeflow-core
//! --bench sandbox_start`.
//!
//! Starts `true` 20 times directly and 20 times as a task's agent starts inside the sandbox (its own git folder made,
//! the confinement a run gives it, bubblewrap, then its branch taken back), alternating, each through tokio's
//! process API as the agent runner does, and prints the median start-to-exit time of each and the difference
//! (target: the sandbox adds at most 50 ms, issue 29).

use std::time::{Duration, Instant};

use yokeflow_core::sys::process::{Direct, Launcher};
use yokeflow_core::sys::sandbox::{self, Bubblewrap};
use yokeflow_core::workspace::sandbox::{confinement, PrivateGit, SandboxPolicy};
use yokeflow_core::workspace::worktree::WorktreeInfo;

const ROUNDS: usize = 20;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn time(launcher: &dyn Launcher, dir: &std::path::Path) -> Duration {
    let argv = vec!["true".to_string()];
    let started = Instant::now();
    let status = launcher.command(&argv, dir).status().await.expect("the program starts");
    assert!(status.success());
    started.elapsed()
}

/// A task agent's start in the sandbox, all of it: its git folder, its confinement, the program, its branch back.
async fn time_sandboxed(repo: &std::path::Path, info: &WorktreeInfo) -> Duration {
    let argv = vec!["true".to_string()];
    let started = Instant::now();
    let private = PrivateGit::prepare(repo, info, "main").unwrap();
    let c = confinement(&SandboxPolicy::default(), repo, &info.path, Vec::new(), vec![private.bind()]).unwrap();
    let status = Bubblewrap(c).command(&argv, &info.path).status().await.expect("the program starts");
    assert!(status.success());
    private.bring_back().unwrap();
    started.elapsed()
}

#[tokio::main]
async fn main() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = tempfile::Builder::new().prefix("sandbox-bench-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let repo = dir.path().join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let git = git2::Repository::init_opts(&repo, &opts).unwrap();
    std::fs::write(repo.join("README.md"), "bench\n").unwrap();
    let base = yokeflow_core::sys::git::commit_all(&git, "init").unwrap();
    let wt = dir.path().join("wt-1");
    let out = std::process::Command::new("git")
        .args(["-C", repo.to_str().unwrap(), "worktree", "add", "-q", "-b", "yokeflow/t1", wt.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let info = WorktreeInfo {
        id: "bench".into(),
        task_id: "t1".into(),
        branch: "yokeflow/t1".into(),
        path: wt.canonicalize().unwrap(),
        base_commit: base.to_string(),
    };
    let (mut direct, mut boxed) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        direct.push(time(&Direct, &info.path).await);
        boxed.push(time_sandboxed(&repo, &info).await);
    }
    let (d, b) = (median(direct), median(boxed));
    println!("start of `true`, median of {ROUNDS}: direct {d:.1?}, in the sandbox (with its git folder) {b:.1?}");
    println!(
        "the sandbox adds {:.1?} (target: at most 50 ms); ratio {:.1}",
        b.saturating_sub(d),
        b.as_secs_f64() / d.as_secs_f64()
    );
}
