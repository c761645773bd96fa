//! Preparing worktrees for a real npm project: setup time per task, disk, and the run report's gain against the
//! measured one (a plain binary, `harness = false`). It needs a git repository of an npm project with a lockfile and
//! vitest tests, and npm with the registry (or a warm npm cache):
//!
//! `YOKEFLOW_BENCH_NPM_REPO=<repo> [YOKEFLOW_BENCH_NPM_REV=<rev>] cargo bench -p yokeflow-core --bench npm_project`
//!
//! Without the variable it says so and does nothing. `TASKS` independent tasks each add a test file (the agent is
//! a shell script that waits `AGENT_SECS`, as a model's answer would, then writes it); the gate runs the project's
//! tests (`npx --no-install vitest run`); `WORKERS` worktrees. The person's checkout has its own `npm ci`. Ways:
//! - `setup`: `npm ci --ignore-scripts` in each new task worktree;
//! - `reuse`: the same, with reused slots (the setup is skipped while the command and the lockfile are unchanged);
//! - `link`: no setup, `node_modules` linked from the checkout (the worktree's own folders, hard-linked files).
//!
//! For each way: how many task setups ran and their median time (for `link`, the median time to link the folder),
//! the extra disk of YokeFlow's work folder beyond the checkout (the largest an agent saw as it started, and after
//! the run), the wall time and the report's gain with its basis; the checkout's `node_modules` must be unchanged
//! after. Then the `setup` way one task at a time and again in parallel in the same project: the measured gain is
//! 1 − parallel wall ÷ sequential wall, and the second parallel report's basis is the measured sequential run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::run::report::RunReport;
use yokeflow_core::{run::events, store::db::Db, store::project, store::tasks, tasks::import, tasks::settings};

const TASKS: usize = 8;
const WORKERS: u32 = 4;
const AGENT_SECS: u32 = 3;
const NPM_CI: &str = "npm ci --ignore-scripts --no-audit --no-fund";

#[derive(Clone, Copy, PartialEq)]
enum Way {
    Setup,
    Reuse,
    Link,
}

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Setup => "setup",
            Way::Reuse => "reuse",
            Way::Link => "link",
        }
    }
}

struct Bench {
    _dir: tempfile::TempDir,
    root: PathBuf,
    repo: PathBuf,
    db: Db,
    id: String,
}

fn sh(dir: &Path, script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).current_dir(dir).output().expect("sh");
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The project cloned at `rev`, installed in the checkout, registered with its tasks and `way`'s settings.
async fn bench(source: &Path, rev: &str, way: Way) -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    let repo = root.join("project");
    let clone = Command::new("git").arg("clone").arg("-q").arg(source).arg(&repo).status().expect("git");
    assert!(clone.success());
    sh(&repo, &format!("git checkout -q {rev} && git checkout -q -B main && git config user.email b@example.com"));
    sh(&repo, "git config user.name Bench");
    sh(&repo, &format!("{NPM_CI} >/dev/null"));
    let db = Db::open(&root.join("yokeflow.db")).await.expect("db");
    let p = project::init(&db, &repo).await.expect("init");
    let spec: Vec<_> = (0..TASKS)
        .map(|i| json!({ "id": format!("t{i}"), "title": format!("Test {i}"), "files": [format!("src/extra-t{i}.spec.ts")] }))
        .collect();
    let file = root.join("tasks.json");
    std::fs::write(&file, json!({ "project": "npm", "tasks": spec }).to_string()).expect("tasks");
    import::import_file(&db, &p.id, &file).await.expect("import");
    let mut s = settings::get(&db, &p.id).await.expect("settings");
    s.test_command = Some(["npx", "--no-install", "vitest", "run"].map(String::from).to_vec());
    let timed = format!(
        "s=$(date +%s%N); {NPM_CI} >/dev/null 2>&1; r=$?; \
         echo \"${{YOKEFLOW_TASK_ID:-gate}} $(( ($(date +%s%N) - s) / 1000000 ))\" >> '{}'; exit $r",
        root.join("setup-times").display()
    );
    match way {
        Way::Setup | Way::Reuse => s.setup = Some(vec!["sh".into(), "-c".into(), timed]),
        Way::Link => s.worktree_link = vec!["node_modules".into()],
    }
    s.reuse_worktrees = way == Way::Reuse;
    settings::save(&db, &p.id, &s).await.expect("save settings");
    Bench { _dir: dir, root, repo, db, id: p.id }
}

/// Extra disk (KiB) of the folders beside the checkout (YokeFlow's work folder) beyond the checkout itself.
fn extra_kib(root: &Path) -> u64 {
    let total = sh(root, "du -skc project .project.yokeflow 2>/dev/null | tail -1 | cut -f1");
    let own = sh(root, "du -sk project | cut -f1");
    total.trim().parse::<u64>().unwrap_or(0).saturating_sub(own.trim().parse().unwrap_or(0))
}

/// The checkout's `node_modules`: its file count and a digest of every entry's path, size, time and inode.
fn modules(repo: &Path) -> String {
    let count = sh(repo, "find node_modules -type f | wc -l");
    let digest = sh(repo, "find node_modules -printf '%p %s %T@ %i\\n' | sort | md5sum | cut -c1-12");
    format!("{} files, digest {}", count.trim(), digest.trim())
}

struct Sample {
    wall: Duration,
    report: RunReport,
}

async fn run(b: &Bench, sequential: bool) -> Sample {
    let agent = format!(
        "a=$(du -sk \"$YOKEFLOW_ROOT\" | cut -f1); w=$(dirname \"$(dirname \"$YOKEFLOW_WORKTREE\")\"); \
         t=$(du -skc \"$YOKEFLOW_ROOT\" \"$w\" | tail -1 | cut -f1); echo $((t - a)) >> '{}'; sleep {AGENT_SECS}; \
         printf 'import {{ test, expect }} from \"vitest\";\\ntest(\"%s\", () => expect(1).toBe(1));\\n' \
         \"$YOKEFLOW_TASK_ID $(date +%s%N)\" > \"src/extra-$YOKEFLOW_TASK_ID.spec.ts\"",
        b.root.join("disk-seen").display()
    );
    let opts = RunOptions {
        max_worktrees: Some(WORKERS),
        sequential,
        agent_command: Some(vec!["sh".into(), "-c".into(), agent]),
        learn: false,
        ..Default::default()
    };
    let (tx, _rx) = events::channel();
    let t0 = Instant::now();
    let report = orchestrator::run(&b.db, &b.id, opts, tx).await.expect("run");
    let wall = t0.elapsed();
    assert!(report.all_done(), "{report:#?}");
    Sample { wall, report }
}

fn median(mut xs: Vec<f64>) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn numbers(file: &Path, column: usize, keep: impl Fn(&str) -> bool) -> Vec<f64> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .filter(|l| keep(l))
        .filter_map(|l| l.split_whitespace().nth(column).and_then(|n| n.parse().ok()))
        .collect()
}

fn gain(r: &RunReport) -> String {
    format!("{:.0}% ({:?})", r.efficiency_gain * 100.0, r.efficiency_basis)
}

fn main() {
    let Some(source) = std::env::var_os("YOKEFLOW_BENCH_NPM_REPO").map(PathBuf::from) else {
        println!(
            "set YOKEFLOW_BENCH_NPM_REPO to a git repository of an npm project (see the file's docs); nothing run"
        );
        return;
    };
    let rev = std::env::var("YOKEFLOW_BENCH_NPM_REV").unwrap_or_else(|_| "HEAD".into());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        println!("{} at {rev}: {TASKS} tasks, {WORKERS} worktrees, agents {AGENT_SECS} s each", source.display());
        for way in [Way::Setup, Way::Reuse, Way::Link] {
            let b = bench(&source, &rev, way).await;
            let before = (extra_kib(&b.root), modules(&b.repo));
            let s = run(&b, false).await;
            let after = (extra_kib(&b.root), modules(&b.repo));
            assert_eq!(before.1, after.1, "the checkout's node_modules changed");
            let times = b.root.join("setup-times");
            let task_setups = numbers(&times, 1, |l| l.starts_with('t'));
            let setup = if way == Way::Link {
                let mut xs = Vec::new();
                for k in 0..5 {
                    let dest = b.root.join(format!("link-{k}"));
                    std::fs::create_dir_all(&dest).unwrap();
                    std::fs::copy(b.repo.join("package-lock.json"), dest.join("package-lock.json")).unwrap();
                    let t0 = Instant::now();
                    yokeflow_core::workspace::prepare::include_files(&b.repo, &dest, &[], &["node_modules".into()]).unwrap();
                    xs.push(t0.elapsed().as_secs_f64() * 1000.0);
                }
                format!("link median {:.0} ms", median(xs))
            } else {
                format!("setup ran for {} of {TASKS} tasks, median {:.1} s", task_setups.len(), median(task_setups) / 1000.0)
            };
            let seen = numbers(&b.root.join("disk-seen"), 0, |_| true);
            println!(
                "{:>5}: {setup}; extra disk {:.0} MiB before, at most {:.0} MiB seen by an agent, {:.0} MiB after; \
                 wall {:.1} s; reported gain {}; checkout node_modules unchanged: {}",
                way.name(),
                before.0 as f64 / 1024.0,
                seen.iter().copied().fold(0.0, f64::max) / 1024.0,
                after.0 as f64 / 1024.0,
                s.wall.as_secs_f64(),
                gain(&s.report),
                after.1.trim(),
            );
        }
        // Measured: the same tasks one at a time, then in parallel again in the same project.
        let b = bench(&source, &rev, Way::Setup).await;
        let seq = run(&b, true).await;
        for t in 0..TASKS {
            tasks::set_status(&b.db, &b.id, &format!("t{t}"), TaskStatus::Backlog, None).await.unwrap();
        }
        let par = run(&b, false).await;
        let measured = 1.0 - par.wall.as_secs_f64() / seq.wall.as_secs_f64();
        println!(
            "setup, one at a time: wall {:.1} s; in parallel after it: wall {:.1} s, reported gain {}; measured gain {:.0}%",
            seq.wall.as_secs_f64(),
            par.wall.as_secs_f64(),
            gain(&par.report),
            measured * 100.0
        );
    });
}
