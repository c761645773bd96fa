//! Session 0: the plan drafted by an agent. The configured agent runs once with a planning prompt (the tasks-file
//! format and its rules, the app spec or a short goal, the repository's layout and the tasks it already has) in a
//! scratch worktree of the repository (detached at the target, under `.yokeflow/drafts/`), and writes
//! `yokeflow.yaml` there. YokeFlow validates the file like an import; when it is invalid the errors go back to the
//! same conversation once (where the agent's CLI can resume it) to fix. The result is a [`DraftPreview`]: the
//! tasks, the plan they would make (batches, makespan, conflicts) and what would change against the current tasks.
//! Nothing of the project changes until [`accept`]: the drafted file becomes the project's tasks file (atomically;
//! a tasks file changed since its import is never overwritten) and is imported, which rebuilds the plan.
//! [`discard`] leaves everything as it was. The scratch worktree is removed once the agent is done; the drafted
//! file waits in `.yokeflow/drafts/<id>.yaml` until accepted or discarded.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use ts_rs::TS;

use crate::agents::AgentKind;
use crate::error::TaskFileIssue;
use crate::error::{CoreError, CoreResult};
use crate::model::{Epic, SessionOutcome, Task, TaskStatus};
use crate::plan::{ExecutionPlan, PlanOptions, PlanTask};
use crate::run::agent::{self, SessionSpec};
use crate::run::events::EventSender;
use crate::store::db::Db;
use crate::sys::concurrency::{blocking, Cancel};
use crate::tasks::cards::{self, TaskDraft};
use crate::tasks::import::ImportSummary;
use crate::tasks::taskfile::{self, TaskFile};
use crate::workspace::worktree::WorktreeInfo;
use crate::{store::project, store::tasks};

/// The task id the drafting agent's session is recorded under (not a valid task id, so it never names a task).
pub const DRAFT_SESSION_TASK: &str = "@plan-draft";
/// The file the agent writes in its folder.
pub const DRAFT_FILE: &str = "yokeflow.yaml";
/// The most tracked paths the prompt lists.
const LAYOUT_PATHS: usize = 400;

/// What to draft.
#[derive(Debug, Clone, Default)]
pub struct DraftRequest {
    /// The app spec (Markdown) to turn into tasks.
    pub spec: Option<PathBuf>,
    /// A short goal for an existing project ("add OAuth login"), instead of or beside the spec.
    pub goal: Option<String>,
    /// Draft tasks for this epic only (it must exist, or be created by the draft).
    pub epic: Option<String>,
    /// The agent's argv template; default: the project's, else Claude Code's.
    pub agent: Option<Vec<String>>,
    /// Stop the agent after this long; default 30 minutes.
    pub timeout: Option<Duration>,
}

/// What the changes of a draft would do to the current tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct DraftChanges {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    /// Backlog tasks the draft leaves out: accepting removes them.
    pub removed: Vec<String>,
    /// Started tasks the draft leaves out: accepting keeps them.
    pub kept: Vec<String>,
}

/// A drafted tasks file and what it would mean, before anything of the project changes.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DraftPreview {
    /// Names the draft for [`accept`] and [`discard`].
    pub draft_id: String,
    /// The drafted file's text, as the agent wrote it.
    pub text: String,
    /// Empty when the file is valid; else what is still wrong after the agent's fix (it cannot be accepted).
    pub issues: Vec<TaskFileIssue>,
    /// How many times the agent wrote the file (2 when it fixed its first version).
    pub attempts: u32,
    pub epics: Vec<Epic>,
    pub tasks: Vec<TaskDraft>,
    /// The plan the tasks would make (declared files only); `None` when the file is invalid.
    pub plan: Option<ExecutionPlan>,
    pub changes: DraftChanges,
    /// What the agent cost, when it says.
    pub cost_usd: Option<f64>,
    /// The agent's raw output.
    pub log_path: String,
}

/// Drafts the project's tasks with its agent (module docs); returns the preview. Nothing of the project changes.
pub async fn draft(db: &Db, project_id: &str, req: DraftRequest, events: EventSender) -> CoreResult<DraftPreview> {
    let p = project::get(db, project_id).await?;
    if req.spec.is_none() && req.goal.as_deref().is_none_or(|g| g.trim().is_empty()) {
        return Err(CoreError::InvalidInput(
            "give an app spec (--spec FILE) or a goal (--goal TEXT) to draft from".into(),
        ));
    }
    // A relative spec path is the repository's; `~/` is the person's home.
    let spec_path = req.spec.as_ref().map(|path| {
        let text = path.to_string_lossy();
        match (text.strip_prefix("~/"), dirs::home_dir()) {
            (Some(rest), Some(home)) => home.join(rest),
            _ if path.is_relative() => Path::new(&p.repo_path).join(path),
            _ => path.clone(),
        }
    });
    let spec = match &spec_path {
        Some(path) => Some(crate::expertise::bootstrap::read_spec(path)?),
        None => None,
    };
    let agent_command = crate::agents::command::effective_command(&p, req.agent.as_deref());
    if req.agent.is_none() && p.agent_command.is_some() {
        crate::store::approvals::require(db, project_id, crate::model::CommandKind::Agent, &agent_command).await?;
    }
    crate::agents::command::check_agent(&agent_command)?;
    // Confined like the project's runs: it writes only its scratch folder.
    let settings = crate::tasks::settings::of(db, p.clone()).await?;
    let sandbox = crate::tasks::settings::sandbox_policy(&settings, db.path())?;
    let stored = tasks::list(db, project_id).await?;
    let epics = tasks::epics(db, project_id).await?;
    if let Some(e) = &req.epic {
        if !taskfile::is_valid_id(e) {
            return Err(CoreError::InvalidInput(format!("`{e}` is not a valid epic id")));
        }
    }
    let current = current_text(&p, &stored, &epics)?;

    // The scratch worktree: the repository at the target, with the current tasks as `yokeflow.yaml`.
    let draft_id = uuid::Uuid::new_v4().to_string();
    let repo = PathBuf::from(&p.repo_path);
    let drafts = crate::workspace::worktree::state_dir(&repo, "drafts", true)?;
    forget_old_drafts(&drafts);
    let folder = drafts.join(&draft_id);
    let name = format!("yokeflow-draft-{}", &draft_id[..8]);
    let (target, r2, f2, n2) = (p.target_branch.clone(), repo.clone(), folder.clone(), name.clone());
    let (base, layout) = blocking(move || {
        let git = git2::Repository::open(&r2)?;
        let at = git.find_reference(&format!("refs/heads/{target}"))?.peel_to_commit()?.id();
        let layout = tracked_paths(&git, at)?;
        crate::gate::merge::detached_worktree(&git, &n2, &f2, at)?;
        Ok((at, layout))
    })
    .await?;
    let result = async {
        let file = folder.join(DRAFT_FILE);
        match &current {
            Some(text) => write(&file, text)?,
            None => {
                let _ = std::fs::remove_file(&file);
            }
        }
        let prompt =
            planning_prompt(spec.as_deref(), req.goal.as_deref(), req.epic.as_deref(), &layout, current.is_some());
        let info = WorktreeInfo {
            id: draft_id.clone(),
            task_id: DRAFT_SESSION_TASK.into(),
            branch: String::new(),
            path: folder.clone(),
            base_commit: base.to_string(),
        };
        let mut spec = SessionSpec {
            project_id: project_id.to_string(),
            repo_path: repo.clone(),
            target_branch: p.target_branch.clone(),
            task: draft_task(),
            run_id: String::new(),
            batch_id: None,
            worktree_id: None,
            worktree: info,
            agent_command: agent_command.clone(),
            prompt,
            timeout: Some(req.timeout.unwrap_or(Duration::from_secs(30 * 60))),
            kill_grace: Duration::from_secs(3),
            collect_changes: false,
            allowed_tools: vec!["Read".into(), "Glob".into(), "Grep".into(), "LS".into()],
            resume: None,
            remark: None,
            slot: None,
            port_base: crate::workspace::ports::BASE_PORT,
            sandbox: sandbox.clone(),
        };
        let first = agent::run_session(db, &spec, &events, Cancel::new()).await?;
        let mut cost = first.facts.cost_usd;
        let mut log_path = first.log_path.clone();
        ended_well(&first.outcome, &log_path)?;
        let mut attempts = 1;
        let mut parsed = read_draft(&file);
        if let Err(issues) = &parsed {
            // Once: the errors go back to the same conversation (where the CLI can resume it).
            let kind = AgentKind::detect(&agent_command);
            let resume = first
                .facts
                .agent_session_id
                .clone()
                .filter(|id| crate::agents::resume_argv(kind, &agent_command, id).is_some());
            spec.prompt = fix_prompt(issues, resume.is_none());
            spec.resume = resume;
            let second = agent::run_session(db, &spec, &events, Cancel::new()).await?;
            cost = match (cost, second.facts.cost_usd) {
                (Some(a), Some(b)) => Some(a + b),
                (a, b) => a.or(b),
            };
            log_path = second.log_path.clone();
            ended_well(&second.outcome, &log_path)?;
            attempts = 2;
            parsed = read_draft(&file);
        }
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        write(&drafts.join(format!("{draft_id}.yaml")), &text)?;
        let (issues, file) = match parsed {
            Ok(f) => (Vec::new(), Some(f)),
            Err(issues) => (issues, None),
        };
        Ok(preview(draft_id.clone(), text, issues, attempts, file.as_ref(), &stored, cost, &log_path))
    }
    .await;
    let (r3, n3, f3) = (repo.clone(), name.clone(), folder.clone());
    let _ = blocking(move || crate::gate::merge::drop_worktree(&git2::Repository::open(&r3)?, &n3, &f3)).await;
    result
}

/// Drafts nobody accepted or discarded (a window closed on its preview) are dropped after a day.
fn forget_old_drafts(drafts: &Path) {
    let Ok(entries) = std::fs::read_dir(drafts) else { return };
    let day = Duration::from_secs(24 * 3600);
    for e in entries.flatten() {
        let old = e
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if old && e.path().extension().is_some_and(|x| x == "yaml") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// A session that did not end well stops the draft, naming its log.
fn ended_well(outcome: &SessionOutcome, log: &Path) -> CoreResult<()> {
    match outcome {
        // Refused: a tool it wanted was not allowed; what it wrote is still read (and validated).
        SessionOutcome::Changed | SessionOutcome::NoChange | SessionOutcome::Refused => Ok(()),
        other => Err(CoreError::InvalidInput(format!(
            "the drafting agent ended as {} (log: {}); nothing was changed",
            other.as_str(),
            log.display()
        ))),
    }
}

/// The drafted file, validated; its problems otherwise (a missing file is one).
fn read_draft(file: &Path) -> Result<TaskFile, Vec<TaskFileIssue>> {
    let issue = |message: String| vec![TaskFileIssue { task: None, location: None, field: None, line: None, message }];
    match std::fs::metadata(file) {
        Ok(m) if m.is_file() && m.len() <= taskfile::MAX_FILE_BYTES => {}
        Ok(m) if m.is_file() => return Err(issue(format!("{DRAFT_FILE} is {} bytes, too large", m.len()))),
        _ => return Err(issue(format!("{DRAFT_FILE} was not written in the current folder"))),
    }
    let text = std::fs::read_to_string(file).map_err(|e| issue(format!("{DRAFT_FILE} cannot be read: {e}")))?;
    taskfile::parse(&text, false)
}

#[allow(clippy::too_many_arguments)]
fn preview(
    draft_id: String,
    text: String,
    issues: Vec<TaskFileIssue>,
    attempts: u32,
    file: Option<&TaskFile>,
    stored: &[Task],
    cost_usd: Option<f64>,
    log_path: &Path,
) -> DraftPreview {
    let (epics, tasks, plan, changes) = match file {
        Some(f) => {
            let plan_tasks: Vec<PlanTask> = f
                .tasks
                .iter()
                .map(|t| PlanTask {
                    id: t.id.clone(),
                    epic: t.epic.clone(),
                    depends_on: t.depends_on.clone(),
                    effort_minutes: t.effort_minutes,
                    priority: t.priority,
                    predicted_files: t.files.clone(),
                })
                .collect();
            let plan = crate::plan::build_plan(&plan_tasks, &PlanOptions::default()).ok();
            (f.epics.clone(), f.tasks.clone(), plan, changes(f, stored))
        }
        None => (Vec::new(), Vec::new(), None, DraftChanges::default()),
    };
    DraftPreview {
        draft_id,
        text,
        issues,
        attempts,
        epics,
        tasks,
        plan,
        changes,
        cost_usd,
        log_path: log_path.display().to_string(),
    }
}

/// What importing `file` would do to the stored tasks.
fn changes(file: &TaskFile, stored: &[Task]) -> DraftChanges {
    let mut out = DraftChanges::default();
    for t in &file.tasks {
        match stored.iter().find(|s| s.id == t.id) {
            None => out.added.push(t.id.clone()),
            Some(s) => {
                let mut a = t.clone();
                let mut b = cards::spec_of(s);
                a.depends_on.sort();
                b.depends_on.sort();
                if a != b {
                    out.changed.push(t.id.clone());
                }
            }
        }
    }
    for s in stored.iter().filter(|s| !file.tasks.iter().any(|t| t.id == s.id)) {
        if s.status == TaskStatus::Backlog { &mut out.removed } else { &mut out.kept }.push(s.id.clone());
    }
    out
}

/// The project's current tasks as the agent sees them: its tasks file's text (YAML), else the stored tasks written
/// as YAML; `None` when it has no task.
fn current_text(p: &crate::model::Project, stored: &[Task], epics: &[Epic]) -> CoreResult<Option<String>> {
    if stored.is_empty() {
        return Ok(None);
    }
    if let Some(path) = p.tasks_file.as_deref().map(Path::new).filter(|f| f.is_file()) {
        let is_yaml = !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
        if is_yaml {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
            return Ok(Some(text));
        }
    }
    let file = TaskFile {
        project: Some(p.name.clone()),
        epics: epics.to_vec(),
        tasks: stored.iter().map(cards::spec_of).collect(),
        test_command: None,
        agent: None,
        worktree: Default::default(),
    };
    Ok(Some(cards::to_yaml(&file)))
}

/// The tracked paths at `at`, sorted, at most [`LAYOUT_PATHS`] (then the count of the rest).
fn tracked_paths(git: &git2::Repository, at: git2::Oid) -> CoreResult<Vec<String>> {
    let tree = git.find_commit(at)?.tree()?;
    let mut paths = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            paths.push(format!("{dir}{}", entry.name().unwrap_or("?")));
        }
        git2::TreeWalkResult::Ok
    })?;
    paths.sort();
    if paths.len() > LAYOUT_PATHS {
        let rest = paths.len() - LAYOUT_PATHS;
        paths.truncate(LAYOUT_PATHS);
        paths.push(format!("... and {rest} more files"));
    }
    Ok(paths)
}

/// The pseudo task the drafting session runs as.
fn draft_task() -> Task {
    Task {
        id: DRAFT_SESSION_TASK.into(),
        title: "Draft the task plan".into(),
        description: String::new(),
        epic: None,
        status: TaskStatus::InProgress,
        depends_on: Vec::new(),
        files: vec![DRAFT_FILE.into()],
        predicted_files: Vec::new(),
        effort_minutes: 0,
        priority: 0,
        review_reason: None,
        conflict_warning: None,
        cost_usd: None,
        agent_ms: None,
    }
}

const FORMAT: &str = r#"```yaml
project: shop                 # optional: the project's name
epics:                        # optional: groups of tasks by feature
  - id: backend
    title: Backend API
    description: The REST API and its database.   # optional
tasks:
  - id: db-schema             # required, unique
    title: Create the database schema              # required
    description: Tables for products, users and orders, with migrations.   # optional
    epic: backend             # optional: an id from `epics`
    depends_on: []            # optional: ids of tasks that must be merged first
    files: [src/db/schema.sql, src/db/migrations/*.sql]   # optional but important: paths or globs it will touch
    effort: 30                # optional: minutes an agent needs (default 30)
    priority: 0               # optional: higher starts first among tasks ready together
```"#;

/// The planning prompt (module docs).
pub fn planning_prompt(
    spec: Option<&str>,
    goal: Option<&str>,
    epic: Option<&str>,
    layout: &[String],
    has_tasks: bool,
) -> String {
    let mut p = String::from("# Draft the project's task plan (YokeFlow Session 0)\n\n");
    p.push_str(
        "You are planning, not implementing. Read what is asked below and the repository (the current folder is a \
         checkout of it), then write the file `yokeflow.yaml` in the current folder: the tasks that coding agents \
         will carry out in parallel, each in its own git worktree, merged one by one after the project's tests. \
         Change no other file and run no command.\n\n",
    );
    p.push_str("## The tasks file format\n\n");
    p.push_str(FORMAT);
    p.push_str("\n\n## Rules\n\n");
    p.push_str(
        "- Ids: lowercase letters, digits and dashes, starting with a letter or digit, at most 64 characters, \
         unique across tasks (and across epics).\n\
         - `depends_on` names only tasks of the file, with no cycle: a task depends on the tasks whose work it needs \
         merged before it starts; nothing else (tasks without dependencies run in parallel).\n\
         - `files`: the paths (or globs such as `src/api/*.py`) the task will create or change, as precisely as \
         you can: two tasks that share a file never run at the same time, and one that names too much holds others \
         back.\n\
         - Every `epic:` is an id listed under `epics:`.\n\
         - `effort`: the minutes an agent needs, between 5 and 240; split bigger work into tasks.\n\
         - Each task is one change an agent can make and test on its own, with a title that says what it does and \
         a description that says what done means.\n\
         - Prefer many small independent tasks over a long chain.\n",
    );
    if has_tasks {
        p.push_str(
            "- `yokeflow.yaml` already lists the project's tasks. Keep every existing task and epic exactly as it \
             is; add the new tasks (and epics) to the file. New tasks may depend on existing ones.\n",
        );
    }
    if let Some(e) = epic {
        p.push_str(&format!(
            "- Draft tasks for the epic `{e}` only: every new task has `epic: {e}` (add the epic under `epics:` if \
             it is not there).\n"
        ));
    }
    p.push_str("\n## The repository's files\n\n");
    if layout.is_empty() {
        p.push_str("(the repository has no files yet)\n");
    }
    for path in layout {
        p.push_str(&format!("- {path}\n"));
    }
    if let Some(goal) = goal.map(str::trim).filter(|g| !g.is_empty()) {
        p.push_str(&format!("\n## The goal\n\n{goal}\n"));
    }
    if let Some(spec) = spec {
        p.push_str("\n## The app spec\n\n");
        p.push_str(spec.trim_end());
        p.push('\n');
    }
    p
}

/// The follow-up with what is wrong with the drafted file. `fresh`: a new session (the agent's CLI cannot resume),
/// so it says the whole task again briefly.
fn fix_prompt(issues: &[TaskFileIssue], fresh: bool) -> String {
    let mut p = String::new();
    if fresh {
        p.push_str(
            "You are fixing `yokeflow.yaml` in the current folder, a task plan in YokeFlow's tasks-file format \
             (tasks with id, title, description, epic, depends_on, files, effort, priority; epics with id and \
             title).\n\n",
        );
    }
    p.push_str("The `yokeflow.yaml` you wrote is not valid:\n\n");
    for issue in issues {
        p.push_str(&format!("- {issue}\n"));
    }
    p.push_str("\nFix these problems in `yokeflow.yaml` (change no other file), keeping the rest of the plan.\n");
    p
}

fn write(path: &Path, text: &str) -> CoreResult<()> {
    std::fs::write(path, text).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
}

/// The drafted file waiting for [`accept`] or [`discard`].
fn drafted(repo: &Path, draft_id: &str) -> CoreResult<PathBuf> {
    if uuid::Uuid::parse_str(draft_id).is_err() {
        return Err(CoreError::InvalidInput(format!("`{draft_id}` is not a draft id")));
    }
    let path = crate::workspace::worktree::state_dir(repo, "drafts", false)?.join(format!("{draft_id}.yaml"));
    if !path.is_file() {
        return Err(CoreError::NotFound { what: "draft", id: draft_id.to_string() });
    }
    Ok(path)
}

/// What accepting a draft did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Accepted {
    pub summary: ImportSummary,
    /// The project's tasks file now.
    pub file: String,
}

/// Makes the draft the project's tasks: written as its tasks file (or `<repo>/yokeflow.yaml` when it has none),
/// then imported and planned. Refused while a run of the project goes (`run_active`, or another process's), for an
/// invalid draft, and when the current tasks file changed since its import (it would be lost).
pub async fn accept(db: &Db, project_id: &str, draft_id: &str, run_active: bool) -> CoreResult<Accepted> {
    if crate::store::claim::going(db, project_id, run_active).await? != crate::store::claim::RunGoing::No {
        return Err(CoreError::MoveRefused {
            reason: "a run of this project is going: accept the draft once it has finished or is cancelled".into(),
        });
    }
    let p = project::get(db, project_id).await?;
    let repo = PathBuf::from(&p.repo_path);
    let source = drafted(&repo, draft_id)?;
    let text =
        std::fs::read_to_string(&source).map_err(|e| CoreError::io(format!("cannot read {}", source.display()), e))?;
    let file = taskfile::parse(&text, false)
        .map_err(|issues| CoreError::InvalidTaskFile { file: format!("the draft {draft_id}"), issues })?;
    let target = match p.tasks_file.as_deref().map(PathBuf::from).filter(|f| f.is_file()) {
        Some(path) => {
            let current = taskfile::load(&path)?;
            let (stored, epics) = (tasks::list(db, project_id).await?, tasks::epics(db, project_id).await?);
            if let Some(diff) = cards::unimported(&current, &epics, &stored) {
                return Err(CoreError::InvalidInput(format!(
                    "{} changed since it was last imported ({diff}): import it first, so none of it is lost",
                    path.display()
                )));
            }
            path
        }
        None => {
            let path = repo.join(DRAFT_FILE);
            if path.exists() {
                return Err(CoreError::InvalidInput(format!(
                    "{} exists but is not this project's tasks file: import it (`yokeflow import {}`) or move it away \
                     first",
                    path.display(),
                    path.display()
                )));
            }
            path
        }
    };
    let is_json = target.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let out = if is_json { cards::to_json(&file) } else { text };
    cards::write_atomically(&target, &out)?;
    let shown = target.display().to_string();
    let summary = crate::tasks::import::import(db, project_id, &file, Some(&shown)).await?;
    let _ = std::fs::remove_file(&source);
    Ok(Accepted { summary, file: shown })
}

/// Drops a draft; nothing of the project changes.
pub async fn discard(db: &Db, project_id: &str, draft_id: &str) -> CoreResult<()> {
    let p = project::get(db, project_id).await?;
    let source = drafted(Path::new(&p.repo_path), draft_id)?;
    std::fs::remove_file(&source).map_err(|e| CoreError::io(format!("cannot remove {}", source.display()), e))
}
