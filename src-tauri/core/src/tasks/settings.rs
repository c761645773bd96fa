//! A project's settings in one place, for the window's settings panel and `yokeflow config get|set`: the agent
//! (with presets for Claude Code, the Codex CLI and Aider), the test command, setup and cleanup, the files included
//! in worktrees, how many worktrees, the agent's timeout and a default budget per run, the sandbox, and the merge
//! gate's pre-flight, test runs at once and batch size.
//!
//! Every value is checked before anything is stored ([`check`]: the programs exist, the argv is not empty, the
//! patterns stay in the repository, the numbers are in range), each problem naming its key. A person setting a
//! command approves it as set (see [`crate::store::approvals`]). Settings that belong to the repository (agent, test,
//! setup, cleanup, included and linked files) live in its tasks file when it has one: a change is made to that file
//! too, in place ([`crate::tasks::cards`]' lossless editing), so the next import does not undo it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::CommandKind;
use crate::store::approvals;
use crate::store::db::Db;
use crate::{model::now_ms, store::project};

/// A project's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ProjectSettings {
    /// The agent's argv template; `None`: Claude Code's default command.
    pub agent: Option<Vec<String>>,
    pub test_command: Option<Vec<String>>,
    pub setup: Option<Vec<String>>,
    pub cleanup: Option<Vec<String>>,
    pub worktree_include: Vec<String>,
    pub worktree_link: Vec<String>,
    /// Agents at once.
    pub max_worktrees: u32,
    /// Each worker slot keeps one worktree and resets it to the next task's base, ignored build outputs
    /// (`target/`, `node_modules/`, caches) kept ([`crate::workspace::worktree::Worktrees::acquire_slot`]).
    pub reuse_worktrees: bool,
    /// An agent is stopped after this long (its task goes to Review); `None`: 30 minutes.
    #[ts(type = "number | null")]
    pub agent_timeout_secs: Option<u64>,
    /// The budget of each run, in US dollars; `None`: no limit.
    pub max_cost_usd: Option<f64>,
    /// Agents, tests, setup and cleanup run confined by bubblewrap ([`crate::workspace::sandbox`]): on for a project
    /// a person adds where bubblewrap works.
    pub sandbox: bool,
    /// The network is shared inside the sandbox (an agent needs its model's API).
    pub sandbox_network: bool,
    /// More folders writable inside the sandbox (`~/` is the home folder), shared with the person's own tools; the
    /// package managers' caches inside are the project's own without them.
    pub sandbox_caches: Vec<String>,
    /// A finished branch is tested merged with the target in its own worktree while it waits for the gate; a
    /// branch that fails there never holds up the others (off: for tests that cannot run twice side by side).
    pub preflight: bool,
    /// How many test runs may go at once, the gate's included (it always has one); `None`: the machine's cores.
    pub parallel_tests: Option<u32>,
    /// The most branches one test run of the gate lands together.
    pub batch_size: u32,
}

/// One problem with a setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SettingIssue {
    pub key: SettingKey,
    pub message: String,
}

/// A ready-made agent command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AgentPreset {
    pub id: String,
    pub name: String,
    pub argv: Vec<String>,
    /// Whether its program is installed (on `PATH`).
    pub installed: bool,
}

/// The agents YokeFlow knows how to drive: Claude Code (its stream-json transcript, permissions, resume), the Codex
/// CLI (`exec --json`), Aider (plain text).
pub fn presets() -> Vec<AgentPreset> {
    crate::agents::presets()
        .into_iter()
        .map(|(id, name, argv)| AgentPreset {
            id: id.into(),
            name: name.into(),
            installed: crate::agents::command::find_program(&argv[0]).is_some(),
            argv,
        })
        .collect()
}

/// The project's settings now.
pub async fn get(db: &Db, project_id: &str) -> CoreResult<ProjectSettings> {
    of(db, project::get(db, project_id).await?).await
}

/// The settings of a project already read (the two columns the project type does not carry are read here).
pub async fn of(db: &Db, p: crate::model::Project) -> CoreResult<ProjectSettings> {
    type Row = (Option<i64>, Option<f64>, bool, bool, Option<String>, bool, Option<i64>, i64);
    let (timeout, budget, sandbox, network, caches, preflight, parallel, batch): Row = sqlx::query_as(
        "SELECT agent_timeout_secs, max_cost_usd, sandbox, sandbox_network, sandbox_caches, preflight, \
         parallel_tests, batch_size FROM projects WHERE id = ?",
    )
    .bind(&p.id)
    .fetch_one(db.pool())
    .await?;
    Ok(ProjectSettings {
        agent: p.agent_command,
        test_command: p.test_command,
        setup: p.setup_command,
        cleanup: p.cleanup_command,
        worktree_include: p.worktree_include,
        worktree_link: p.worktree_link,
        max_worktrees: p.max_worktrees,
        reuse_worktrees: p.reuse_worktrees,
        agent_timeout_secs: timeout.map(|t| t.max(0) as u64),
        max_cost_usd: budget,
        sandbox,
        sandbox_network: network,
        sandbox_caches: caches.and_then(|c| serde_json::from_str(&c).ok()).unwrap_or_default(),
        preflight,
        parallel_tests: parallel.map(|n| n.clamp(1, 64) as u32),
        batch_size: batch.clamp(1, 64) as u32,
    })
}

/// How many test runs go at once for settings `s`: the setting, else the machine's cores (at least 1).
pub fn parallel_tests(s: &ProjectSettings) -> u32 {
    s.parallel_tests.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u32)).max(1)
}

/// The sandbox of a project a person adds (the window, `yokeflow init`, the demo): on where bubblewrap works, with
/// no folder of the person's writable (the package managers use the project's own caches inside,
/// [`crate::workspace::sandbox::PRIVATE_CACHES`]).
pub async fn adopt_sandbox_defaults(db: &Db, project_id: &str) -> CoreResult<()> {
    let on = crate::sys::concurrency::blocking(|| Ok(crate::sys::sandbox::available())).await?;
    sqlx::query("UPDATE projects SET sandbox = ? WHERE id = ?").bind(on).bind(project_id).execute(db.pool()).await?;
    Ok(())
}

/// The sandbox a run of a project with settings `s` uses, YokeFlow's database `db` hidden in it: `None` when off;
/// refused when on and bubblewrap cannot confine a program here (nothing runs unconfined in its place).
pub fn sandbox_policy(
    s: &ProjectSettings,
    db: &std::path::Path,
) -> CoreResult<Option<crate::workspace::sandbox::SandboxPolicy>> {
    if !s.sandbox {
        return Ok(None);
    }
    if !crate::sys::sandbox::available() {
        return Err(CoreError::SandboxUnavailable {
            why: "bubblewrap (`bwrap`) is not installed, or cannot make namespaces on this machine".into(),
        });
    }
    let caches = s.sandbox_caches.iter().map(|c| crate::workspace::sandbox::expand_home(c)).collect();
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let hidden = ["", "-wal", "-shm", "-journal"].iter().map(|end| db.with_file_name(format!("{name}{end}"))).collect();
    Ok(Some(crate::workspace::sandbox::SandboxPolicy { no_network: !s.sandbox_network, caches, hidden }))
}

/// What is wrong with `s` (empty: it can be saved).
pub fn check(s: &ProjectSettings) -> Vec<SettingIssue> {
    let mut out = Vec::new();
    let mut issue = |key: SettingKey, message: String| out.push(SettingIssue { key, message });
    // The agent's argv is a template (`{prompt}` …): checked as the runs check it.
    for (key, argv, template) in [
        (SettingKey::Agent, &s.agent, true),
        (SettingKey::TestCommand, &s.test_command, false),
        (SettingKey::Setup, &s.setup, false),
        (SettingKey::Cleanup, &s.cleanup, false),
    ] {
        let Some(argv) = argv else { continue };
        let Some(program) = argv.first().filter(|p| !p.trim().is_empty()) else {
            issue(key, "is empty: give the program, then its arguments".into());
            continue;
        };
        if template {
            if let Err(e) = crate::agents::command::check_agent(argv) {
                issue(key, e.to_string());
            }
        } else if crate::agents::command::find_program(program).is_none() {
            issue(key, format!("`{program}` is not installed (not found on PATH)"));
        }
    }
    for (key, list) in
        [(SettingKey::WorktreeInclude, &s.worktree_include), (SettingKey::WorktreeLink, &s.worktree_link)]
    {
        for p in list {
            if let Some(why) = crate::workspace::prepare::pattern_problem(p) {
                issue(key, format!("`{p}` {why}"));
            }
        }
    }
    // The setup remaking a linked folder in each worktree undoes the link: one of the two is a mistake.
    if let Some(setup) = &s.setup {
        for p in &s.worktree_link {
            if let Some(why) = crate::workspace::prepare::rewritten_by(setup, p) {
                issue(
                    SettingKey::WorktreeLink,
                    format!(
                        "`{p}` is a folder the setup command {} {why}: it would replace the link in every worktree \
                         (your checkout's copy stays as it is). Let the setup make it (reuse_worktrees keeps it \
                         between tasks), or leave the setup out and link it",
                        serde_json::to_string(setup).unwrap_or_default()
                    ),
                );
            }
        }
    }
    if !(1..=64).contains(&s.max_worktrees) {
        issue(SettingKey::MaxWorktrees, format!("must be between 1 and 64, not {}", s.max_worktrees));
    }
    if !(1..=64).contains(&s.batch_size) {
        issue(SettingKey::BatchSize, format!("must be between 1 and 64, not {}", s.batch_size));
    }
    if s.parallel_tests.is_some_and(|n| !(1..=64).contains(&n)) {
        issue(SettingKey::ParallelTests, "must be between 1 and 64, or none (the machine's cores)".into());
    }
    if s.agent_timeout_secs.is_some_and(|t| !(10..=7 * 24 * 3600).contains(&t)) {
        issue(SettingKey::AgentTimeoutSecs, "must be between 10 seconds and a week".into());
    }
    if s.max_cost_usd.is_some_and(|b| !(b.is_finite() && b > 0.0)) {
        issue(SettingKey::MaxCostUsd, "must be a positive amount of US dollars".into());
    }
    if s.sandbox && !crate::sys::sandbox::available() {
        issue(
            SettingKey::Sandbox,
            "needs bubblewrap, which is not installed or cannot run here (apt-get install bubblewrap)".into(),
        );
    }
    for c in &s.sandbox_caches {
        let path = crate::workspace::sandbox::expand_home(c);
        if !path.is_absolute() || path.components().any(|p| matches!(p, std::path::Component::ParentDir)) {
            issue(
                SettingKey::SandboxCaches,
                format!("`{c}` must be a folder under ~/ or an absolute path, without `..`"),
            );
        } else if path.parent().is_none() || Some(path.as_path()) == dirs::home_dir().as_deref() {
            issue(
                SettingKey::SandboxCaches,
                format!("`{c}` would open your whole home folder (or the machine) to writes"),
            );
        }
    }
    out
}

/// Stores `s` after [`check`] (refused with `invalid_input` naming the first problem, nothing stored); commands are
/// approved as set; the repository's settings are written to its tasks file too when it has one (module docs).
/// Refused while a run of the project goes in another process.
pub async fn save(db: &Db, project_id: &str, s: &ProjectSettings) -> CoreResult<ProjectSettings> {
    if let Some(first) = check(s).into_iter().next() {
        return Err(CoreError::InvalidInput(format!("setting `{}` {}", first.key, first.message)));
    }
    let p = project::get(db, project_id).await?;
    // Patterns set now that match what the checkout has but would never be copied (tracked, not ignored).
    let before = get(db, project_id).await?;
    let changed = |now: &Vec<String>, was: &Vec<String>| if now == was { Vec::new() } else { now.clone() };
    let (include, link) =
        (changed(&s.worktree_include, &before.worktree_include), changed(&s.worktree_link, &before.worktree_link));
    let repo = PathBuf::from(&p.repo_path);
    let never =
        crate::sys::concurrency::blocking(move || crate::workspace::prepare::never_included(&repo, &include, &link))
            .await?;
    if let Some((key, message)) = never.into_iter().next() {
        return Err(CoreError::InvalidInput(format!("setting `{key}` {message}")));
    }
    if let Some(path) = p.tasks_file.as_deref().map(PathBuf::from).filter(|f| f.is_file()) {
        crate::tasks::cards::write_settings(db, project_id, &path, |next| {
            let list = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
            if next.agent.is_some() {
                next.agent = s.agent.clone();
            }
            if next.test_command.is_some() {
                next.test_command = s.test_command.clone();
            }
            let w = &mut next.worktree;
            if w.setup.is_some() {
                w.setup = s.setup.clone();
            }
            if w.cleanup.is_some() {
                w.cleanup = s.cleanup.clone();
            }
            if w.include.is_some() {
                w.include = list(&s.worktree_include);
            }
            if w.link.is_some() {
                w.link = list(&s.worktree_link);
            }
        })
        .await?;
    }
    let json = |v: &Option<Vec<String>>| v.as_ref().map(|a| serde_json::to_string(a).unwrap_or_default());
    let list = |v: &Vec<String>| (!v.is_empty()).then(|| serde_json::to_string(v).unwrap_or_default());
    sqlx::query(
        "UPDATE projects SET agent_command = ?, test_command = ?, setup_command = ?, cleanup_command = ?, \
           worktree_include = ?, worktree_link = ?, max_worktrees = ?, reuse_worktrees = ?, agent_timeout_secs = ?, \
           max_cost_usd = ?, sandbox = ?, sandbox_network = ?, sandbox_caches = ?, preflight = ?, parallel_tests = ?, \
           batch_size = ?, updated_at = ? WHERE id = ?",
    )
    .bind(json(&s.agent))
    .bind(json(&s.test_command))
    .bind(json(&s.setup))
    .bind(json(&s.cleanup))
    .bind(list(&s.worktree_include))
    .bind(list(&s.worktree_link))
    .bind(i64::from(s.max_worktrees))
    .bind(s.reuse_worktrees)
    .bind(s.agent_timeout_secs.map(|t| t as i64))
    .bind(s.max_cost_usd)
    .bind(s.sandbox)
    .bind(s.sandbox_network)
    .bind(serde_json::to_string(&s.sandbox_caches).unwrap_or_default())
    .bind(s.preflight)
    .bind(s.parallel_tests.map(i64::from))
    .bind(i64::from(s.batch_size))
    .bind(now_ms())
    .bind(project_id)
    .execute(db.pool())
    .await?;
    if !s.reuse_worktrees {
        // Worktrees are no longer reused: the free slot folders and their build outputs go now.
        let repo = PathBuf::from(&p.repo_path);
        let dropped = crate::sys::concurrency::blocking(move || {
            crate::workspace::worktree::Worktrees::open(&repo)?.drop_free_slots(0)
        });
        if let Err(e) = dropped.await {
            tracing::warn!("the free worktree slots could not be removed: {e}");
        }
    }
    // A person chose them: approved as they are. Only those set now: a command the tasks file gave, which the person
    // left as it was while changing another setting, still waits to be shown and approved.
    for (kind, argv, was) in [
        (CommandKind::Agent, &s.agent, &before.agent),
        (CommandKind::Test, &s.test_command, &before.test_command),
        (CommandKind::Setup, &s.setup, &before.setup),
        (CommandKind::Cleanup, &s.cleanup, &before.cleanup),
    ] {
        if let Some(argv) = argv.as_ref().filter(|a| Some(*a) != was.as_ref()) {
            approvals::approve(db, project_id, kind, argv).await?;
        }
    }
    get(db, project_id).await
}

/// A setting's key, as `config get|set`, [`SettingIssue::key`] and the window's fields name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum SettingKey {
    Agent,
    TestCommand,
    Setup,
    Cleanup,
    WorktreeInclude,
    WorktreeLink,
    MaxWorktrees,
    ReuseWorktrees,
    AgentTimeoutSecs,
    MaxCostUsd,
    Sandbox,
    SandboxNetwork,
    SandboxCaches,
    Preflight,
    ParallelTests,
    BatchSize,
}

impl SettingKey {
    /// Every key, in the settings' order.
    pub const ALL: [SettingKey; 16] = [
        SettingKey::Agent,
        SettingKey::TestCommand,
        SettingKey::Setup,
        SettingKey::Cleanup,
        SettingKey::WorktreeInclude,
        SettingKey::WorktreeLink,
        SettingKey::MaxWorktrees,
        SettingKey::ReuseWorktrees,
        SettingKey::AgentTimeoutSecs,
        SettingKey::MaxCostUsd,
        SettingKey::Sandbox,
        SettingKey::SandboxNetwork,
        SettingKey::SandboxCaches,
        SettingKey::Preflight,
        SettingKey::ParallelTests,
        SettingKey::BatchSize,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Agent => "agent",
            SettingKey::TestCommand => "test_command",
            SettingKey::Setup => "setup",
            SettingKey::Cleanup => "cleanup",
            SettingKey::WorktreeInclude => "worktree_include",
            SettingKey::WorktreeLink => "worktree_link",
            SettingKey::MaxWorktrees => "max_worktrees",
            SettingKey::ReuseWorktrees => "reuse_worktrees",
            SettingKey::AgentTimeoutSecs => "agent_timeout_secs",
            SettingKey::MaxCostUsd => "max_cost_usd",
            SettingKey::Sandbox => "sandbox",
            SettingKey::SandboxNetwork => "sandbox_network",
            SettingKey::SandboxCaches => "sandbox_caches",
            SettingKey::Preflight => "preflight",
            SettingKey::ParallelTests => "parallel_tests",
            SettingKey::BatchSize => "batch_size",
        }
    }

    /// The key named `text`; an error listing every key when there is none.
    pub fn parse(text: &str) -> CoreResult<SettingKey> {
        SettingKey::ALL.into_iter().find(|k| k.as_str() == text).ok_or_else(|| {
            let all: Vec<&str> = SettingKey::ALL.iter().map(|k| k.as_str()).collect();
            CoreError::InvalidInput(format!("there is no setting `{text}` (settings: {})", all.join(", ")))
        })
    }
}

impl std::fmt::Display for SettingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `s` with `key` set from its text form (`config set`): a JSON list for commands and patterns, a number, or
/// `none` to clear (commands: back to the default; patterns: none).
pub fn set_from_text(mut s: ProjectSettings, key: &str, value: &str) -> CoreResult<ProjectSettings> {
    let key = SettingKey::parse(key)?;
    let v = value.trim();
    let none = v.eq_ignore_ascii_case("none") || v.is_empty();
    let bad = |what: &str| CoreError::InvalidInput(format!("`{key}` takes {what}, not `{v}`"));
    let argv = || -> CoreResult<Option<Vec<String>>> {
        if none {
            return Ok(None);
        }
        crate::agents::command::parse_argv_json(key.as_str(), v).map(Some)
    };
    let patterns = || -> CoreResult<Vec<String>> {
        if none {
            return Ok(Vec::new());
        }
        serde_json::from_str(v).map_err(|_| bad("a JSON list of patterns, e.g. '[\".env\"]'"))
    };
    let switch = || match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Ok(true),
        "false" | "no" | "off" => Ok(false),
        _ => Err(bad("on or off")),
    };
    match key {
        SettingKey::Agent => s.agent = argv()?,
        SettingKey::TestCommand => s.test_command = argv()?,
        SettingKey::Setup => s.setup = argv()?,
        SettingKey::Cleanup => s.cleanup = argv()?,
        SettingKey::WorktreeInclude => s.worktree_include = patterns()?,
        SettingKey::WorktreeLink => s.worktree_link = patterns()?,
        SettingKey::MaxWorktrees => s.max_worktrees = v.parse().map_err(|_| bad("a whole number"))?,
        SettingKey::ReuseWorktrees => s.reuse_worktrees = switch()?,
        SettingKey::Sandbox => s.sandbox = switch()?,
        SettingKey::SandboxNetwork => s.sandbox_network = switch()?,
        SettingKey::SandboxCaches => s.sandbox_caches = patterns()?,
        SettingKey::Preflight => s.preflight = switch()?,
        SettingKey::BatchSize => s.batch_size = v.parse().map_err(|_| bad("a whole number"))?,
        SettingKey::ParallelTests => {
            s.parallel_tests = if none { None } else { Some(v.parse().map_err(|_| bad("a whole number or none"))?) }
        }
        SettingKey::AgentTimeoutSecs => {
            s.agent_timeout_secs = if none { None } else { Some(v.parse().map_err(|_| bad("seconds or none"))?) }
        }
        SettingKey::MaxCostUsd => {
            s.max_cost_usd = if none { None } else { Some(v.parse().map_err(|_| bad("US dollars or none"))?) }
        }
    }
    Ok(s)
}

/// `key`'s value in `s` as JSON (`config get KEY`).
pub fn value_of(s: &ProjectSettings, key: &str) -> CoreResult<serde_json::Value> {
    let key = SettingKey::parse(key)?;
    let all = serde_json::to_value(s).expect("settings serialize");
    Ok(all.get(key.as_str()).cloned().unwrap_or(serde_json::Value::Null))
}

/// Saves the project's test command (argv, run by the merge gate on every merged tree); `None` clears it.
pub async fn set_test_command(db: &Db, project_id: &str, argv: Option<&[String]>) -> CoreResult<()> {
    if argv.is_some_and(|a| a.first().is_none_or(|p| p.trim().is_empty())) {
        return Err(CoreError::InvalidInput("the test command is empty; give at least the program to run".into()));
    }
    let json = argv.map(|a| serde_json::to_string(a).unwrap_or_default());
    let done = sqlx::query("UPDATE projects SET test_command = ?, updated_at = ? WHERE id = ?")
        .bind(json)
        .bind(now_ms())
        .bind(project_id)
        .execute(db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(CoreError::NotFound { what: "project", id: project_id.to_string() });
    }
    if let Some(argv) = argv {
        // A person chose it: approved as it is (see `approvals`).
        crate::store::approvals::approve(db, project_id, crate::model::CommandKind::Test, argv).await?;
    }
    Ok(())
}
