//! Merge gate benchmark (a plain binary, `harness = false`): `cargo bench -p yokeflow-core --bench merge`.
//!
//! In a generated repository of 5,000 files (50 folders of 100, built in memory with git2, then packed), prints
//! with PASS/FAIL against each target:
//! - the median time of the in-memory conflict check `MergeGate::conflicts` vs a spawned
//!   `git merge-tree --write-tree A B`, over 20 runs each, and their ratio (target ≤ 1.0);
//! - the median orchestration overhead of `MergeGate::land` with no test command (in-memory merge, merge commit,
//!   compare-and-swap of the target) over 50 landings of real three-way merges (target ≤ 50 ms);
//! - for information, the median `land` time with a trivial test command (`true`), i.e. with the checkout of the
//!   merged tree into the integration worktree and a process spawn.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use git2::build::TreeUpdateBuilder;
use git2::{FileMode, Oid, Repository, RepositoryInitOptions, Signature};
use yokeflow_core::gate::merge::{GateConfig, LandOutcome, MergeGate};

const DIRS: usize = 50;
const FILES_PER_DIR: usize = 100;
const CONFLICT_RUNS: usize = 20;
const LANDINGS: usize = 50;
const TESTED_LANDINGS: usize = 10;

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The repository in a folder of its own: YokeFlow keeps its worktrees beside it, inside the temporary folder.
    let dir = Dir(tmp.path().join("repo"));
    std::fs::create_dir(dir.path()).expect("repo folder");
    let (repo, base) = generate(dir.path());
    println!("repository: {} files in {DIRS} folders", DIRS * FILES_PER_DIR);
    let ok_conflicts = bench_conflicts(dir.path(), &repo, base);
    let ok_land = bench_land(dir.path(), &repo, base);
    bench_tested_land(dir.path(), &repo);
    let all = ok_conflicts && ok_land;
    println!("{}", if all { "PASS" } else { "FAIL" });
    if !all {
        std::process::exit(1);
    }
}

/// A repository on `main` with one commit of `DIRS * FILES_PER_DIR` small files; objects packed like a real clone.
fn generate(path: &Path) -> (Repository, Oid) {
    let repo = Repository::init_opts(path, RepositoryInitOptions::new().initial_head("main")).unwrap();
    repo.config().unwrap().set_str("user.name", "Bench").unwrap();
    repo.config().unwrap().set_str("user.email", "bench@example.com").unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    for d in 0..DIRS {
        let mut folder = repo.treebuilder(None).unwrap();
        for f in 0..FILES_PER_DIR {
            let text =
                format!("// module {d}/{f}\npub fn f{f}() -> usize {{\n    {f}\n}}\n{}", "// filler\n".repeat(8));
            folder.insert(format!("file{f}.rs"), repo.blob(text.as_bytes()).unwrap(), 0o100644).unwrap();
        }
        root.insert(format!("dir{d}"), folder.write().unwrap(), 0o040000).unwrap();
    }
    let tree_id = root.write().unwrap();
    drop(root);
    let base = {
        let tree = repo.find_tree(tree_id).unwrap();
        repo.commit(Some("refs/heads/main"), &sig(), &sig(), "generated", &tree, &[]).unwrap()
    };
    let packed = Command::new("git").arg("-C").arg(path).args(["repack", "-adq"]).status().unwrap();
    assert!(packed.success(), "git repack failed");
    (repo, base)
}

fn sig() -> Signature<'static> {
    Signature::now("Bench", "bench@example.com").unwrap()
}

/// A commit on top of `parent` changing `files` (paths), pointed at by `branch`.
fn commit_on(repo: &Repository, branch: &str, parent: Oid, files: &[String]) -> Oid {
    let parent = repo.find_commit(parent).unwrap();
    let mut update = TreeUpdateBuilder::new();
    for path in files {
        let blob = repo.blob(format!("// changed on {branch}\n").as_bytes()).unwrap();
        update.upsert(path.as_str(), blob, FileMode::Blob);
    }
    let tree = repo.find_tree(update.create_updated(repo, &parent.tree().unwrap()).unwrap()).unwrap();
    let oid = repo.commit(None, &sig(), &sig(), branch, &tree, &[&parent]).unwrap();
    repo.reference(&format!("refs/heads/{branch}"), oid, true, "bench").unwrap();
    oid
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// In-memory `MergeGate::conflicts` vs spawned `git merge-tree --write-tree`.
fn bench_conflicts(path: &Path, repo: &Repository, base: Oid) -> bool {
    let a: Vec<String> = (1..=3).map(|d| format!("dir{d}/file7.rs")).collect();
    let b: Vec<String> = (4..=6).map(|d| format!("dir{d}/file9.rs")).collect();
    commit_on(repo, "bench-a", base, &a);
    commit_on(repo, "bench-b", base, &b);
    let gate = MergeGate::open(path, GateConfig::new("main")).unwrap();
    let ours = time_runs(|| assert!(gate.conflicts("bench-b", "bench-a").unwrap().is_empty()));
    let git = time_runs(|| {
        let mut git = Command::new("git");
        git.arg("-C").arg(path).args(["merge-tree", "--write-tree", "bench-a", "bench-b"]);
        assert!(git.output().unwrap().status.success());
    });
    let ratio = ours.as_secs_f64() / git.as_secs_f64();
    let pass = ratio <= 1.0;
    println!(
        "conflict check: MergeGate::conflicts {:.2} ms, git merge-tree --write-tree {:.2} ms, ratio {ratio:.2} \
         (target <= 1.0) {}",
        ms(ours),
        ms(git),
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

/// Median of `CONFLICT_RUNS` timed runs after two warm-up runs.
fn time_runs(mut run: impl FnMut()) -> Duration {
    run();
    run();
    median(
        (0..CONFLICT_RUNS)
            .map(|_| {
                let start = Instant::now();
                run();
                start.elapsed()
            })
            .collect(),
    )
}

/// `land` with no test command: every landing is a real three-way merge (each branch starts at the base).
fn bench_land(path: &Path, repo: &Repository, base: Oid) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let gate = MergeGate::open(path, GateConfig::new("main")).unwrap();
    let mut samples = Vec::new();
    for i in 0..LANDINGS {
        let branch = format!("task-{i}");
        commit_on(repo, &branch, base, &[format!("dir{}/file{}.rs", i % DIRS, 50 + i / DIRS)]);
        let start = Instant::now();
        let outcome = runtime.block_on(gate.land(&branch, "Merge task")).unwrap();
        samples.push(start.elapsed());
        assert!(matches!(outcome, LandOutcome::Merged { tested: false, attempts: 1, .. }), "{outcome:?}");
    }
    let med = median(samples.clone());
    let max = samples.iter().max().copied().unwrap_or_default();
    let pass = ms(med) <= 50.0;
    println!(
        "land overhead (no test command, {LANDINGS} merges): median {:.2} ms, max {:.2} ms (target <= 50 ms) {}",
        ms(med),
        ms(max),
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

/// For information: `land` with the test command `true` (checkout into the integration worktree + spawn).
fn bench_tested_land(path: &Path, repo: &Repository) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let cfg = GateConfig { test_command: Some(vec!["true".into()]), ..GateConfig::new("main") };
    let gate = MergeGate::open(path, cfg).unwrap();
    let mut samples = Vec::new();
    for i in 0..=TESTED_LANDINGS {
        let branch = format!("tested-{i}");
        let from = repo.find_branch("main", git2::BranchType::Local).unwrap().get().peel_to_commit().unwrap();
        let parent = from.parent_id(0).unwrap_or(from.id());
        commit_on(repo, &branch, parent, &[format!("dir{}/file99.rs", i % DIRS)]);
        let start = Instant::now();
        let outcome = runtime.block_on(gate.land(&branch, "Merge tested")).unwrap();
        if i > 0 {
            samples.push(start.elapsed()); // the first one creates the integration worktree (full checkout)
        }
        assert!(matches!(outcome, LandOutcome::Merged { tested: true, .. }), "{outcome:?}");
    }
    println!(
        "land with test command `true` (incremental checkout + spawn, info): median {:.2} ms over {TESTED_LANDINGS}",
        ms(median(samples))
    );
}

/// The benchmark repository's folder.
struct Dir(std::path::PathBuf);

impl Dir {
    fn path(&self) -> &std::path::Path {
        &self.0
    }
}
