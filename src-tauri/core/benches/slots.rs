//! Reused worktree slots, fresh vs reused (a plain binary, `harness = false`):
//! `cargo bench -p yokeflow-core --bench slots`.
//!
//! A Rust workspace (`tests/support/cargo_project.rs`: a generated library of 3,000 functions and a binary using
//! it) lands `ROUNDS` tasks one after the other, each changing the binary's source, twice: once with a fresh
//! worktree per task (`Worktrees::create`, removed after), once in one reused slot (`Worktrees::acquire_slot`,
//! released after). Each task's setup is `cargo build --offline` in its worktree. Prints the median build time of
//! each way (the reused way's first task, which makes the slot, left out: every later task finds the slot's
//! `target/`), the median time to get the worktree, and the ratio fresh ÷ reused (target: ≥ 2, the point of reuse).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use git2::{Repository, RepositoryInitOptions};
use yokeflow_core::workspace::worktree::{WorktreeInfo, Worktrees};

#[path = "../tests/support/cargo_project.rs"]
mod cargo_project;

const ROUNDS: usize = 5;
const FUNCTIONS: usize = 3000;

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The repository in a folder of its own: YokeFlow keeps its worktrees beside it, inside the temporary folder.
    let dir = Dir(tmp.path().join("repo"));
    std::fs::create_dir(dir.path()).expect("repo folder");
    let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main")).unwrap();
    repo.config().unwrap().set_str("user.name", "Bench").unwrap();
    repo.config().unwrap().set_str("user.email", "bench@example.com").unwrap();
    for (path, text) in cargo_project::files(FUNCTIONS) {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    yokeflow_core::sys::git::commit_all(&repo, "workspace").unwrap();
    let wts = Worktrees::open(dir.path()).unwrap();
    println!("workspace: a library of {FUNCTIONS} functions and a binary; {ROUNDS} tasks each way, one at a time");

    let (mut fresh_get, mut fresh_build) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let t0 = Instant::now();
        let info = wts.create(&format!("fresh-{round}"), main_tip(&repo)).unwrap();
        fresh_get.push(t0.elapsed());
        fresh_build.push(build(&info.path));
        land(&repo, &info, round);
        wts.remove(&info, "main").unwrap();
    }
    let (mut reused_get, mut reused_build) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        let t0 = Instant::now();
        let got = wts.acquire_slot(&format!("reused-{round}"), main_tip(&repo), 0).unwrap();
        let took = t0.elapsed();
        let built = build(&got.info.path);
        assert_eq!(got.reused, round > 0);
        if round > 0 {
            reused_get.push(took);
            reused_build.push(built);
        }
        land(&repo, &got.info, round);
        wts.release(&got.info, "main").unwrap();
    }

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (fb, rb) = (median(&mut fresh_build), median(&mut reused_build));
    println!(
        "worktree ready   fresh {:>9.1} ms   reused {:>9.1} ms",
        ms(median(&mut fresh_get)),
        ms(median(&mut reused_get))
    );
    println!("setup build      fresh {:>9.1} ms   reused {:>9.1} ms   (median of {ROUNDS})", ms(fb), ms(rb));
    let ratio = fb.as_secs_f64() / rb.as_secs_f64();
    println!("fresh / reused build: {ratio:.1}x (target >= 2.0)");
    println!("{}", if ratio >= 2.0 { "PASS" } else { "FAIL" });
    if ratio < 2.0 {
        std::process::exit(1);
    }
}

fn main_tip(repo: &Repository) -> git2::Oid {
    repo.refname_to_id("refs/heads/main").unwrap()
}

/// The task's setup: `cargo build --offline` in its worktree, timed.
fn build(dir: &Path) -> Duration {
    let argv = cargo_project::build_argv();
    let t0 = Instant::now();
    let out = Command::new(&argv[0]).args(&argv[1..]).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    t0.elapsed()
}

/// The task's work (a changed binary source), committed and landed by moving `main` to it.
fn land(repo: &Repository, info: &WorktreeInfo, round: usize) {
    let main_rs = info.path.join("app/src/main.rs");
    std::fs::write(&main_rs, format!("fn main() {{\n    println!(\"{{}} {round}\", dep::all({round}));\n}}\n"))
        .unwrap();
    let commit = Worktrees::open(repo.workdir().unwrap()).unwrap().commit_all(info, "task").unwrap().unwrap();
    repo.reference("refs/heads/main", commit, true, "land").unwrap();
}

fn median(xs: &mut [Duration]) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The benchmark repository's folder.
struct Dir(std::path::PathBuf);

impl Dir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}
