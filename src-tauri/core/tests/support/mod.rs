//! Shared fixtures for the orchestrator, agent and crash tests: a real temporary git repository, a real SQLite
//! file, a tasks file imported through the core, and the scripted agent's argv template.

#![allow(dead_code)]

pub mod cargo_project;
pub mod fake_api;
pub mod rng;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use yokeflow_core::model::{Task, TaskStatus};
use yokeflow_core::{store::db::Db, store::project, store::tasks, tasks::import};

pub const SCRIPTED_AGENT: &str = env!("CARGO_BIN_EXE_yokeflow-scripted-agent");

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub repo: PathBuf,
    pub db_path: PathBuf,
    pub db: Db,
    pub project_id: String,
    /// A unique tag passed to every scripted agent (`--marker`), to find its processes in /proc.
    pub marker: String,
}

/// A task for [`fixture`]: id, dependencies, files, effort.
pub fn task(id: &str, deps: &[&str], files: &[&str], effort: u32) -> Value {
    json!({ "id": id, "title": format!("Task {id}"), "description": format!("Do {id}."),
            "depends_on": deps, "files": files, "effort": effort })
}

/// A git repository at `path` (created) on branch `main`, whose first commit holds a README and `files`
/// (path, content).
pub fn init_repo(path: &Path, files: &[(&str, &str)]) -> git2::Repository {
    std::fs::create_dir_all(path).unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let r = git2::Repository::init_opts(path, &opts).unwrap();
    std::fs::write(path.join("README.md"), "test repo\n").unwrap();
    for (rel, content) in files {
        let p = path.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    yokeflow_core::sys::git::commit_all(&r, "init").unwrap();
    r
}

/// What one in-process run of the `yokeflow` command line printed.
pub struct CliOut {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CliOut {
    /// The JSON it printed, after checking it succeeded.
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// The `--json` error code it printed, after checking it failed.
    pub fn error_code(&self) -> String {
        assert_eq!(self.code, 1, "stdout: {}", self.stdout);
        let e: Value = serde_json::from_str(self.stderr.trim()).unwrap_or_else(|e| panic!("{e}: {}", self.stderr));
        e["error"]["code"].as_str().unwrap().to_string()
    }
}

/// Runs `yokeflow --db <db> --repo <repo> <args>` in-process.
pub async fn cli(db: &Path, repo: &Path, args: &[&str]) -> CliOut {
    let mut argv = vec!["yokeflow".to_string(), "--db".into(), db.display().to_string(), "--repo".into()];
    argv.push(repo.display().to_string());
    argv.extend(args.iter().map(|s| s.to_string()));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = yokeflow_core::cli::run_args(argv, &mut out, &mut err).await;
    CliOut { code, stdout: String::from_utf8(out).unwrap(), stderr: String::from_utf8(err).unwrap() }
}

/// A repository on `main` with one commit, a database, a project, and `tasks` imported.
pub async fn fixture(tasks_json: Vec<Value>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    init_repo(&repo, &[]);
    let db_path = dir.path().join("data/yokeflow.db");
    let db = Db::open(&db_path).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    let file = dir.path().join("tasks.json");
    std::fs::write(&file, serde_json::to_string_pretty(&json!({ "project": "t", "tasks": tasks_json })).unwrap())
        .unwrap();
    import::import_file(&db, &p.id, &file).await.unwrap();
    let marker = format!("yf-test-{}", uuid::Uuid::new_v4());
    Fixture { repo: PathBuf::from(p.repo_path), dir, db_path, db, project_id: p.id, marker }
}

impl Fixture {
    /// Writes the scripted agent's script and returns the argv template that runs it.
    pub fn agent(&self, script: Value) -> Vec<String> {
        let mut argv = scripted_agent(&self.dir.path().join("script.json"), script);
        argv.extend(["--marker".into(), self.marker.clone()]);
        argv
    }

    pub async fn tasks(&self) -> Vec<Task> {
        tasks::list(&self.db, &self.project_id).await.unwrap()
    }

    pub async fn status_of(&self, id: &str) -> TaskStatus {
        self.tasks().await.into_iter().find(|t| t.id == id).unwrap().status
    }

    /// The text of `path` in the tree of the target branch `main`, if present.
    pub fn target_file(&self, path: &str) -> Option<String> {
        target_file(&self.repo, path)
    }

    /// `yokeflow/*` branches left in the repository.
    pub fn task_branches(&self) -> Vec<String> {
        task_branches(&self.repo)
    }

    /// Task worktree folders left in the repository's work home (`worktree::work_home`).
    pub fn worktree_dirs(&self) -> Vec<String> {
        worktree_dirs(&self.repo)
    }

    /// Live processes whose command line contains this fixture's marker.
    pub fn marked_processes(&self) -> Vec<i32> {
        marked_processes(&self.marker)
    }
}

/// Writes `script` to `path` and returns the argv template of the scripted agent that plays it.
pub fn scripted_agent(path: &Path, script: Value) -> Vec<String> {
    std::fs::write(path, script.to_string()).unwrap();
    let argv = [SCRIPTED_AGENT, "--task-id", "{task_id}", "--prompt-file", "{prompt_file}", "--script"];
    argv.iter().map(|s| s.to_string()).chain([path.display().to_string()]).collect()
}

pub fn target_file(repo: &Path, path: &str) -> Option<String> {
    let r = git2::Repository::open(repo).unwrap();
    let tree = r.find_reference("refs/heads/main").unwrap().peel_to_tree().unwrap();
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(&r).ok()?.peel_to_blob().ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

pub fn task_branches(repo: &Path) -> Vec<String> {
    let r = git2::Repository::open(repo).unwrap();
    let mut out = Vec::new();
    for b in r.branches(Some(git2::BranchType::Local)).unwrap() {
        let (b, _) = b.unwrap();
        let name = b.name().unwrap().unwrap_or_default().to_string();
        if name.starts_with("yokeflow/") {
            out.push(name);
        }
    }
    out
}

pub fn worktree_dirs(repo: &Path) -> Vec<String> {
    std::fs::read_dir(yokeflow_core::workspace::worktree::work_home(repo).join("worktrees"))
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

pub fn marked_processes(marker: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else { continue };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else { continue };
        // Zombies have an empty cmdline; a process being torn down is not an orphan.
        if String::from_utf8_lossy(&cmd).contains(marker) {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit_once(')').map(|(_, r)| r.trim_start().chars().next().unwrap_or('?'));
            if state != Some('Z') && state != Some('X') {
                out.push(pid);
            }
        }
    }
    out
}

/// Collects a run's warnings until its `RunFinished`.
#[allow(dead_code)] // not every test binary that includes this module uses it
/// Every event of a run, up to and including its `run_finished`.
pub fn collect_events(
    mut rx: yokeflow_core::run::events::EventReceiver,
) -> tokio::task::JoinHandle<Vec<yokeflow_core::run::events::Event>> {
    tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Ok(ev) = rx.recv().await {
            let done = matches!(ev, yokeflow_core::run::events::Event::RunFinished { .. });
            seen.push(ev);
            if done {
                break;
            }
        }
        seen
    })
}

pub fn collect_warnings(mut rx: yokeflow_core::run::events::EventReceiver) -> tokio::task::JoinHandle<Vec<String>> {
    tokio::spawn(async move {
        let mut warnings = Vec::new();
        while let Ok(ev) = rx.recv().await {
            match ev {
                yokeflow_core::run::events::Event::Warning { message, .. } => warnings.push(message),
                yokeflow_core::run::events::Event::RunFinished { .. } => break,
                _ => {}
            }
        }
        warnings
    })
}

/// An agent (argv) that appends how many task folders sit beside its own to `counts`, writes `<task>.txt` and
/// then appends its task id to `done` (with [`gate_held_until`] on `done`: tests hold until every agent finished).
pub fn folder_counting_agent(counts: &Path, done: &Path) -> Vec<String> {
    let script = format!(
        "ls \"$(dirname \"$YOKEFLOW_WORKTREE\")\" | wc -l >> '{}' && echo x > \"$YOKEFLOW_TASK_ID.txt\" && \
         echo \"$YOKEFLOW_TASK_ID\" >> '{}'",
        counts.display(),
        done.display()
    );
    vec!["sh".into(), "-c".into(), script]
}

/// The numbers [`folder_counting_agent`] wrote, one per agent.
pub fn folder_counts(counts: &Path) -> Vec<usize> {
    std::fs::read_to_string(counts).unwrap().lines().map(|l| l.trim().parse().unwrap()).collect()
}

/// A gate test command that passes once `done` has `n` lines (each agent adds one as it finishes): the gate's first
/// test run holds until every agent has finished, so the others' work waits at the gate meanwhile (and lands as a
/// batch). It waits for that event, not for a time.
pub fn gate_held_until(done: &Path, n: usize) -> Vec<String> {
    let script = format!("until [ \"$(cat '{}' 2>/dev/null | wc -l)\" -ge {n} ]; do sleep 0.05; done", done.display());
    vec!["sh".into(), "-c".into(), script]
}
