//! What the sandbox costs a program's start (a plain binary, `harness = false`): `cargo bench -p yokeflow-core
//! --bench sandbox_start`.
//!
//! Starts `true` 20 times directly and 20 times inside bubblewrap (the [`Bubblewrap`] launcher with a worktree
//! writable and the credentials hidden, as an agent would get), alternating, each through tokio's process API as
//! the agent runner does, and prints the median start-to-exit time of each and the difference (target: the sandbox
//! adds at most 50 ms, issue 29).

use std::time::{Duration, Instant};

use yokeflow_core::sys::process::{Direct, Launcher};
use yokeflow_core::sys::sandbox::{self, Bubblewrap, Confinement};

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

#[tokio::main]
async fn main() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = tempfile::Builder::new().prefix("sandbox-bench-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let home = std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default();
    let confined = Bubblewrap(Confinement {
        writable: vec![dir.path().to_path_buf()],
        hidden: Confinement::credentials(&home),
        no_network: false,
    });
    let (mut direct, mut boxed) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        direct.push(time(&Direct, dir.path()).await);
        boxed.push(time(&confined, dir.path()).await);
    }
    let (d, b) = (median(direct), median(boxed));
    println!("start of `true`, median of {ROUNDS}: direct {d:.1?}, in bubblewrap {b:.1?}");
    println!(
        "the sandbox adds {:.1?} (target: at most 50 ms); ratio {:.1}",
        b.saturating_sub(d),
        b.as_secs_f64() / d.as_secs_f64()
    );
}
