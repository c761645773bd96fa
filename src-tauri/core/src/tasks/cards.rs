//! Tasks and epics edited one at a time: the window's cards and `yokeflow task add|edit|rm`, `yokeflow epic add`.
//!
//! An edit is applied to the whole set of tasks and checked by the same validator as an import
//! ([`taskfile::validate`]: ids, references, cycles, efforts), so a refused edit names the field at fault and
//! changes nothing. Removing is for Backlog tasks that never started and that no task depends on.
//!
//! **One truth on disk.** When the project has a tasks file (the one it was imported from), the edit is made to
//! that file first: YAML in place with a lossless syntax tree (`yaml-edit`: the person's comments, key order, quoting
//! and list style are kept; only the fields that changed are touched), JSON rewritten in the file format's order.
//! The new text is parsed back and must say exactly what was intended, then replaces the file atomically (a
//! temporary file renamed over it), and only then is it imported. A file changed on disk since it was last imported
//! is never overwritten: the edit is refused until the file is imported (in the window that happens as soon as the
//! file changes, see [`sync_file`]).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use ts_rs::TS;

use crate::error::TaskFileIssue;
use crate::error::{CoreError, CoreResult};
use crate::model::{Epic, Task, TaskStatus};
use crate::store::db::Db;
use crate::tasks::import::{self, ImportSummary};
use crate::tasks::taskfile::{self, TaskFile, TaskSpec};
use crate::{store::project, store::tasks};

/// A task as a person fills it in: the tasks file's own [`TaskSpec`].
pub use crate::tasks::taskfile::TaskSpec as TaskDraft;

/// The task as the tasks file writes it: default values left out.
fn draft_value(d: &TaskDraft) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(d.id));
    m.insert("title".into(), json!(d.title));
    if !d.description.is_empty() {
        m.insert("description".into(), json!(d.description));
    }
    if let Some(epic) = &d.epic {
        m.insert("epic".into(), json!(epic));
    }
    if !d.depends_on.is_empty() {
        m.insert("depends_on".into(), json!(d.depends_on));
    }
    if !d.files.is_empty() {
        m.insert("files".into(), json!(d.files));
    }
    m.insert("effort".into(), json!(d.effort_minutes));
    if d.priority != 0 {
        m.insert("priority".into(), json!(d.priority));
    }
    Value::Object(m)
}

/// An epic as a person fills it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EpicDraft {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
}

/// One change to a project's tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CardEdit {
    /// A new task (its id must be new).
    AddTask { task: TaskDraft },
    /// The task with the draft's id, changed to the draft (ids do not change).
    EditTask { task: TaskDraft },
    /// Removes a Backlog task that never started and that no task depends on.
    RemoveTask { id: String },
    /// A new epic (its id must be new).
    AddEpic { epic: EpicDraft },
}

impl CardEdit {
    fn task_id(&self) -> Option<&str> {
        match self {
            CardEdit::AddTask { task } | CardEdit::EditTask { task } => Some(&task.id),
            CardEdit::RemoveTask { id } => Some(id),
            CardEdit::AddEpic { .. } => None,
        }
    }
}

/// What an applied edit changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct CardResult {
    pub summary: ImportSummary,
    /// The tasks file that was rewritten with the edit, if the project has one.
    pub file: Option<String>,
}

/// The tasks an edit starts from: the project's tasks file when it has one, else the database.
struct Base {
    file: TaskFile,
    /// The tasks file: its path and text (`None`: the project has none, or it was removed).
    on_disk: Option<(PathBuf, String)>,
    /// The database's tasks (statuses, for the removal rules).
    stored: Vec<Task>,
}

/// Checks `edit` without applying it: the problems, each naming its field (empty when it would be accepted).
pub async fn check(db: &Db, project_id: &str, edit: &CardEdit) -> CoreResult<Vec<TaskFileIssue>> {
    let base = base(db, project_id).await?;
    Ok(match edited(&base, edit) {
        Ok(_) => Vec::new(),
        Err(issues) => issues,
    })
}

/// Applies `edit` (module docs): refused with `invalid_task_file` (the issues) or `move_refused` and nothing
/// changed; otherwise the tasks file (if any) is rewritten, the tasks are imported and the plan is rebuilt.
/// Refused while a run of the project goes (`run_active`, or a run of another process): the run owns its tasks.
pub async fn apply(db: &Db, project_id: &str, edit: &CardEdit, run_active: bool) -> CoreResult<CardResult> {
    if crate::store::claim::going(db, project_id, run_active).await? != crate::store::claim::RunGoing::No {
        return Err(CoreError::MoveRefused {
            reason: "a run of this project is going: add, edit or remove tasks once it has finished or is cancelled"
                .into(),
        });
    }
    let base = base(db, project_id).await?;
    let next = edited(&base, edit).map_err(|issues| CoreError::InvalidTaskFile {
        file: edit.task_id().map(|id| format!("task `{id}`")).unwrap_or_else(|| "the epic".into()),
        issues,
    })?;
    let written = match &base.on_disk {
        Some((path, text)) => {
            let is_json = is_json(path);
            let new_text = if is_json { to_json(&next) } else { edit_yaml(text, &base.file, edit)? };
            let reread = taskfile::parse(&new_text, is_json).map_err(|issues| in_place_failed(path, &issues))?;
            if reread != next {
                return Err(in_place_failed(path, &[]));
            }
            write_atomically(path, &new_text)?;
            Some(path.display().to_string())
        }
        None => None,
    };
    let summary = import::import(db, project_id, &next, written.as_deref()).await?;
    Ok(CardResult { summary, file: written })
}

fn in_place_failed(path: &Path, issues: &[TaskFileIssue]) -> CoreError {
    let why = issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
    CoreError::InvalidInput(format!(
        "{} could not be edited in place{}; nothing was changed: edit the file by hand and import it",
        path.display(),
        if why.is_empty() { String::new() } else { format!(" ({why})") }
    ))
}

async fn base(db: &Db, project_id: &str) -> CoreResult<Base> {
    let p = project::get(db, project_id).await?;
    let stored = tasks::list(db, project_id).await?;
    let epics = tasks::epics(db, project_id).await?;
    let path = p.tasks_file.as_deref().map(PathBuf::from).filter(|f| f.is_file());
    let Some(path) = path else {
        let file = TaskFile {
            project: None,
            epics,
            tasks: stored.iter().map(spec_of).collect(),
            test_command: None,
            agent: None,
            worktree: Default::default(),
        };
        return Ok(Base { file, on_disk: None, stored });
    };
    let file = taskfile::load(&path)?;
    if let Some(diff) = unimported(&file, &epics, &stored) {
        return Err(CoreError::InvalidInput(format!(
            "{} changed since it was last imported ({diff}): import it first (`yokeflow import {}`), so no edit \
             of the file is lost",
            path.display(),
            path.display()
        )));
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    Ok(Base { file, on_disk: Some((path, text)), stored })
}

/// The task as the tasks file declares it (what an edit of it starts from).
pub fn spec_of(t: &Task) -> TaskSpec {
    TaskSpec {
        id: t.id.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        epic: t.epic.clone(),
        depends_on: t.depends_on.clone(),
        files: t.files.clone(),
        effort_minutes: t.effort_minutes,
        priority: t.priority,
    }
}

/// What importing `file` would change in the stored tasks (`None`: nothing, the file is what was imported).
pub fn unimported(file: &TaskFile, epics: &[Epic], stored: &[Task]) -> Option<String> {
    if file.epics != epics {
        return Some("its epics differ".into());
    }
    for t in &file.tasks {
        let Some(s) = stored.iter().find(|s| s.id == t.id) else { return Some(format!("task `{}` is new", t.id)) };
        let mut a = spec_of(s);
        let mut b = t.clone();
        a.depends_on.sort();
        b.depends_on.sort();
        if a != b {
            return Some(format!("task `{}` differs", t.id));
        }
    }
    // Tasks missing from the file: an import removes those still in Backlog (started ones are kept).
    let gone = stored.iter().find(|s| s.status == TaskStatus::Backlog && !file.tasks.iter().any(|t| t.id == s.id));
    gone.map(|s| format!("task `{}` was removed from it", s.id))
}

/// The tasks after `edit`, validated like an import.
fn edited(base: &Base, edit: &CardEdit) -> Result<TaskFile, Vec<TaskFileIssue>> {
    let refuse = |task: Option<&str>, field: Option<&str>, message: String| {
        vec![TaskFileIssue {
            task: task.map(str::to_string),
            location: None,
            field: field.map(str::to_string),
            line: None,
            message,
        }]
    };
    let file = &base.file;
    let mut tasks: Vec<Value> = file.tasks.iter().map(draft_value).collect();
    let mut epics: Vec<Value> = file.epics.iter().map(epic_value).collect();
    match edit {
        CardEdit::AddTask { task } => {
            if base.stored.iter().any(|t| t.id == task.id) && !file.tasks.iter().any(|t| t.id == task.id) {
                let message = format!("`{}` is the id of a task kept from an earlier import; choose another", task.id);
                return Err(refuse(Some(&task.id), Some("id"), message));
            }
            tasks.push(draft_value(task));
        }
        CardEdit::EditTask { task } => {
            let Some(i) = file.tasks.iter().position(|t| t.id == task.id) else {
                return Err(refuse(Some(&task.id), Some("id"), format!("there is no task `{}` to edit", task.id)));
            };
            tasks[i] = draft_value(task);
        }
        CardEdit::RemoveTask { id } => {
            let Some(i) = file.tasks.iter().position(|t| &t.id == id) else {
                return Err(refuse(Some(id), Some("id"), format!("there is no task `{id}` to remove")));
            };
            let status = base.stored.iter().find(|t| &t.id == id).map(|t| t.status);
            if status.is_some_and(|s| s != TaskStatus::Backlog) {
                let column = status.map(TaskStatus::label).unwrap_or_default();
                let message = format!("`{id}` is in {column}: started work is never removed");
                return Err(refuse(Some(id), None, message));
            }
            if let Some(next) = file.tasks.iter().find(|t| t.depends_on.contains(id)) {
                let message = format!("`{}` depends on it: remove that dependency first", next.id);
                return Err(refuse(Some(id), Some("depends_on"), message));
            }
            tasks.remove(i);
        }
        CardEdit::AddEpic { epic } => {
            epics.push(epic_value(&Epic {
                id: epic.id.clone(),
                title: epic.title.clone(),
                description: epic.description.clone(),
            }));
        }
    }
    let mut root = serde_json::Map::new();
    if let Some(p) = &file.project {
        root.insert("project".into(), json!(p));
    }
    root.insert("epics".into(), Value::Array(epics));
    root.insert("tasks".into(), Value::Array(tasks));
    if let Some(t) = &file.test_command {
        root.insert("test_command".into(), json!(t));
    }
    if let Some(a) = &file.agent {
        root.insert("agent".into(), json!(a));
    }
    let w = &file.worktree;
    for (key, value) in
        [("setup", &w.setup), ("cleanup", &w.cleanup), ("worktree_include", &w.include), ("worktree_link", &w.link)]
    {
        if let Some(v) = value {
            root.insert(key.into(), json!(v));
        }
    }
    taskfile::validate(&Value::Object(root))
}

fn epic_value(e: &Epic) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), json!(e.id));
    m.insert("title".into(), json!(e.title));
    if !e.description.is_empty() {
        m.insert("description".into(), json!(e.description));
    }
    Value::Object(m)
}

/// A tasks file is JSON when its name ends in `.json` (as [`taskfile::load`] decides).
fn is_json(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// A tasks file in the format's order (project, epics, tasks, test_command, agent; each task's fields as
/// documented), defaults left out.
#[derive(Serialize)]
struct FileOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    project: Option<&'a str>,
    #[serde(skip_serializing_if = "<[EpicOut]>::is_empty")]
    epics: Vec<EpicOut<'a>>,
    tasks: Vec<TaskOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    test_command: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    agent: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cleanup: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worktree_include: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    worktree_link: Option<&'a [String]>,
}

#[derive(Serialize)]
struct EpicOut<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
}

#[derive(Serialize)]
struct TaskOut<'a> {
    id: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    epic: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    depends_on: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    files: &'a [String],
    effort: u32,
    #[serde(skip_serializing_if = "is_zero")]
    priority: i32,
}

fn is_zero(p: &i32) -> bool {
    *p == 0
}

fn file_out(file: &TaskFile) -> FileOut<'_> {
    FileOut {
        project: file.project.as_deref(),
        epics: file.epics.iter().map(|e| EpicOut { id: &e.id, title: &e.title, description: &e.description }).collect(),
        tasks: file
            .tasks
            .iter()
            .map(|t| TaskOut {
                id: &t.id,
                title: &t.title,
                description: &t.description,
                epic: t.epic.as_deref(),
                depends_on: &t.depends_on,
                files: &t.files,
                effort: t.effort_minutes,
                priority: t.priority,
            })
            .collect(),
        test_command: file.test_command.as_deref(),
        agent: file.agent.as_deref(),
        setup: file.worktree.setup.as_deref(),
        cleanup: file.worktree.cleanup.as_deref(),
        worktree_include: file.worktree.include.as_deref(),
        worktree_link: file.worktree.link.as_deref(),
    }
}

/// The JSON tasks file for `file`, in the format's order, two-space indented.
pub(crate) fn to_json(file: &TaskFile) -> String {
    serde_json::to_string_pretty(&file_out(file)).expect("strings and numbers serialize") + "\n"
}

/// The YAML tasks file for `file`, in the format's order (a file written anew: nothing to keep).
pub(crate) fn to_yaml(file: &TaskFile) -> String {
    serde_norway::to_string(&file_out(file)).expect("strings and numbers serialize")
}

/// Applies `edit` to the YAML text of a tasks file in place: only the changed fields of the one task (or the new
/// item) are touched; lists keep their style (a new list is written `[a, b]`).
fn edit_yaml(text: &str, file: &TaskFile, edit: &CardEdit) -> CoreResult<String> {
    use std::str::FromStr;
    use yaml_edit::{Document, Mapping};
    let unsupported = |why: &str| {
        CoreError::InvalidInput(format!(
            "the tasks file could not be edited in place ({why}); nothing was changed: edit the file by hand and \
             import it"
        ))
    };
    let doc = Document::from_str(text).map_err(|e| unsupported(&e.to_string()))?;
    let root = doc.as_mapping().ok_or_else(|| unsupported("its top level is not a mapping"))?;
    let find = |id: &str| -> CoreResult<(yaml_edit::Sequence, usize, Mapping)> {
        let seq = root.get_sequence("tasks").ok_or_else(|| unsupported("`tasks` is not a list"))?;
        for i in 0..seq.len() {
            let Some(m) = seq.get(i).and_then(|n| n.as_mapping().cloned()) else { continue };
            if m.get("id").and_then(|v| v.as_scalar().map(|s| s.as_string())).as_deref() == Some(id) {
                return Ok((seq, i, m));
            }
        }
        Err(unsupported(&format!("task `{id}` was not found in it")))
    };
    match edit {
        CardEdit::AddTask { task } => {
            let seq = root.get_sequence("tasks").ok_or_else(|| unsupported("`tasks` is not a list"))?;
            let m = Mapping::new();
            set_task_fields(&m, None, task);
            seq.push(m);
        }
        CardEdit::EditTask { task } => {
            let (_, _, m) = find(&task.id)?;
            let old = file.tasks.iter().find(|t| t.id == task.id).cloned();
            set_task_fields(&m, old.as_ref(), task);
        }
        CardEdit::RemoveTask { id } => {
            let (seq, i, _) = find(id)?;
            seq.remove(i);
        }
        CardEdit::AddEpic { epic } => {
            let m = Mapping::new();
            m.set("id", epic.id.as_str());
            m.set("title", epic.title.as_str());
            if !epic.description.is_empty() {
                m.set("description", epic.description.as_str());
            }
            match root.get_sequence("epics") {
                Some(seq) => seq.push(m),
                None => {
                    let seq = yaml_edit::Sequence::new();
                    seq.push(m);
                    if root.contains_key("epics") {
                        root.set("epics", seq);
                    } else if root.contains_key("tasks") {
                        root.insert_before("tasks", "epics", seq);
                    } else {
                        root.set("epics", seq);
                    }
                }
            }
        }
    }
    Ok(doc.to_string())
}

/// Writes the draft's fields into the task mapping `m`, touching only those that differ from `old` (all of them
/// for a new task). A field at its default is removed rather than written.
fn set_task_fields(m: &yaml_edit::Mapping, old: Option<&TaskDraft>, new: &TaskDraft) {
    let changed = |f: fn(&TaskDraft) -> Value| old.is_none_or(|o| f(o) != f(new));
    if old.is_none() {
        m.set("id", new.id.as_str());
    }
    if changed(|d| json!(d.title)) {
        m.set("title", new.title.as_str());
    }
    if changed(|d| json!(d.description)) {
        if new.description.is_empty() {
            m.remove("description");
        } else {
            m.set("description", new.description.as_str());
        }
    }
    if changed(|d| json!(d.epic)) {
        match &new.epic {
            Some(e) => m.set("epic", e.as_str()),
            None => {
                m.remove("epic");
            }
        }
    }
    for (key, list, f) in [
        ("depends_on", &new.depends_on, (|d: &TaskDraft| json!(d.depends_on)) as fn(&TaskDraft) -> Value),
        ("files", &new.files, |d: &TaskDraft| json!(d.files)),
    ] {
        if !changed(f) {
            continue;
        }
        if list.is_empty() {
            m.remove(key);
            continue;
        }
        // A block list stays a block list; otherwise (new, or flow) it is written `[a, b]`.
        let block = m.get_sequence(key).is_some_and(|s| !s.is_flow_style());
        if block {
            let items: Vec<yaml_edit::YamlValue> =
                list.iter().map(|s| yaml_edit::YamlValue::scalar(s.as_str())).collect();
            m.set(key, items);
        } else {
            let seq = yaml_edit::Sequence::new_flow();
            for item in list {
                seq.push(item.as_str());
            }
            m.set(key, seq);
        }
    }
    if changed(|d| json!(d.effort_minutes)) {
        m.set("effort", i64::from(new.effort_minutes));
    }
    if changed(|d| json!(d.priority)) {
        if new.priority == 0 {
            m.remove("priority");
        } else {
            m.set("priority", i64::from(new.priority));
        }
    }
}

/// The repository's settings (agent, test command, setup, cleanup, included and linked files) changed in the window
/// or by `config set`: `change` sets the keys the tasks file at `path` already has (`tasks::settings`), edited in
/// place (YAML) or rewritten in the format's order (JSON), checked by reading the file back. Keys the file does not have stay out of it. A file
/// changed on disk since its import is never overwritten.
pub(crate) async fn write_settings(
    db: &Db,
    project_id: &str,
    path: &Path,
    change: impl FnOnce(&mut TaskFile),
) -> CoreResult<()> {
    let file = taskfile::load(path)?;
    let (stored, epics) = (tasks::list(db, project_id).await?, tasks::epics(db, project_id).await?);
    if let Some(diff) = unimported(&file, &epics, &stored) {
        return Err(CoreError::InvalidInput(format!(
            "{} changed since it was last imported ({diff}): import it first, so none of it is lost",
            path.display()
        )));
    }
    let mut next = file.clone();
    change(&mut next);
    if next == file {
        return Ok(());
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    let new_text = if is_json(path) { to_json(&next) } else { yaml_set_settings(&text, &file, &next)? };
    let reread = taskfile::parse(&new_text, is_json(path)).map_err(|issues| in_place_failed(path, &issues))?;
    if reread != next {
        return Err(in_place_failed(path, &[]));
    }
    write_atomically(path, &new_text)
}

/// The YAML text with the top-level settings that differ between `old` and `new` set (a flow list) or removed.
fn yaml_set_settings(text: &str, old: &TaskFile, new: &TaskFile) -> CoreResult<String> {
    use std::str::FromStr;
    let unsupported =
        |why: String| CoreError::InvalidInput(format!("the tasks file could not be edited in place ({why})"));
    let doc = yaml_edit::Document::from_str(text).map_err(|e| unsupported(e.to_string()))?;
    let root = doc.as_mapping().ok_or_else(|| unsupported("its top level is not a mapping".into()))?;
    let pairs = [
        ("agent", &old.agent, &new.agent),
        ("test_command", &old.test_command, &new.test_command),
        ("setup", &old.worktree.setup, &new.worktree.setup),
        ("cleanup", &old.worktree.cleanup, &new.worktree.cleanup),
        ("worktree_include", &old.worktree.include, &new.worktree.include),
        ("worktree_link", &old.worktree.link, &new.worktree.link),
    ];
    for (key, before, after) in pairs {
        if before == after {
            continue;
        }
        match after {
            None => {
                root.remove(key);
            }
            Some(items) => {
                let seq = yaml_edit::Sequence::new_flow();
                for item in items {
                    seq.push(item.as_str());
                }
                root.set(key, seq);
            }
        }
    }
    Ok(doc.to_string())
}

/// Replaces `path` with `text`: written to a temporary file in the same folder, flushed, then renamed over it, so
/// a crash leaves the old file or the new one, never half of one.
pub(crate) fn write_atomically(path: &Path, text: &str) -> CoreResult<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.yokeflow-{}.tmp", uuid::Uuid::new_v4()));
    let io = |e| CoreError::io(format!("cannot write {}", path.display()), e);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            let _ = f.set_permissions(meta.permissions());
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

/// Imports the project's tasks file when it differs from what is stored (the window's watcher calls this when the
/// file changes). `None` when it is already in step (e.g. the change was the window's own edit).
pub async fn sync_file(db: &Db, project_id: &str) -> CoreResult<Option<ImportSummary>> {
    let p = project::get(db, project_id).await?;
    let Some(path) = p.tasks_file.as_deref().map(PathBuf::from).filter(|f| f.is_file()) else { return Ok(None) };
    let file = taskfile::load(&path)?;
    let (stored, epics) = (tasks::list(db, project_id).await?, tasks::epics(db, project_id).await?);
    if unimported(&file, &epics, &stored).is_none() {
        return Ok(None);
    }
    if crate::store::claim::going(db, project_id, false).await? != crate::store::claim::RunGoing::No {
        return Err(CoreError::MoveRefused {
            reason: format!("{} changed while a run goes: it is imported once the run has ended", path.display()),
        });
    }
    import::import(db, project_id, &file, Some(&path.display().to_string())).await.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
# The shop's tasks. Keep ids short.
project: shop
tasks:
  # The schema comes first.
  - id: schema
    title: Create the schema   # tables only
    files: [src/db/schema.sql]
    effort: 20
  - id: api
    title: \"Add the API\"
    depends_on:
      - schema
    files: [src/api/*.py]
  - id: docs
    title: Write the docs
";

    fn base(text: &str) -> Base {
        let file = taskfile::parse(text, false).unwrap();
        Base { file, on_disk: Some((PathBuf::from("yokeflow.yaml"), text.to_string())), stored: Vec::new() }
    }

    fn draft(id: &str, title: &str) -> TaskDraft {
        TaskDraft {
            id: id.into(),
            title: title.into(),
            description: String::new(),
            epic: None,
            depends_on: Vec::new(),
            files: Vec::new(),
            effort_minutes: 30,
            priority: 0,
        }
    }

    /// Applies `edit` to FILE in place; checks the result parses to what the edit means; returns the new text.
    fn edit(edit: CardEdit) -> String {
        let b = base(FILE);
        let expected = edited(&b, &edit).unwrap();
        let text = edit_yaml(FILE, &b.file, &edit).unwrap();
        assert_eq!(taskfile::parse(&text, false).unwrap(), expected, "{text}");
        text
    }

    /// The lines of `after` that are not in `before`, and the other way round.
    fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
        let (b, a): (Vec<&str>, Vec<&str>) = (before.lines().collect(), after.lines().collect());
        let added = a.iter().filter(|l| !b.contains(l)).map(|l| l.to_string()).collect();
        let removed = b.iter().filter(|l| !a.contains(l)).map(|l| l.to_string()).collect();
        (added, removed)
    }

    #[test]
    fn an_edit_touches_only_the_changed_field_and_keeps_comments_quotes_and_list_styles() {
        let b = base(FILE);
        let mut d = b.file.tasks[1].clone();
        d.title = "Add the REST API".into();
        d.depends_on = vec!["schema".into(), "docs".into()];
        let text = edit(CardEdit::EditTask { task: d });
        let (added, removed) = changed_lines(FILE, &text);
        assert_eq!(removed, vec!["    title: \"Add the API\"".to_string()], "{text}");
        assert!(added.iter().any(|l| l.contains("title:") && l.contains("Add the REST API")), "{text}");
        assert!(added.contains(&"      - docs".to_string()), "a block list stays a block list: {text}");
        assert!(text.contains("# The schema comes first.") && text.contains("# tables only"), "{text}");
        assert!(text.contains("files: [src/api/*.py]"), "{text}");
    }

    #[test]
    fn a_new_task_is_appended_with_flow_lists_and_awkward_text_survives() {
        let mut d = draft("search", "Search: products, \"quoted\" & #hash");
        d.description = "Two lines.\nThe second: with a colon.".into();
        d.depends_on = vec!["api".into()];
        d.files = vec!["src/{search,index}.py".into(), "web/search [beta].html".into()];
        d.priority = -2;
        let text = edit(CardEdit::AddTask { task: d });
        assert!(text.starts_with(FILE.trim_end_matches('\n')), "the old text is untouched: {text}");
    }

    #[test]
    fn removing_a_task_keeps_the_others_and_their_comments() {
        let text = edit(CardEdit::RemoveTask { id: "docs".into() });
        assert!(!text.contains("docs"), "{text}");
        assert!(text.contains("# The schema comes first.") && text.contains("# The shop's tasks."), "{text}");
    }

    #[test]
    fn an_epic_goes_before_the_tasks_when_the_file_had_none() {
        let epic = EpicDraft { id: "backend".into(), title: "Backend: API".into(), description: String::new() };
        let text = edit(CardEdit::AddEpic { epic });
        let (epics, tasks) = (text.find("epics:").unwrap(), text.find("tasks:").unwrap());
        assert!(epics < tasks, "{text}");
    }

    #[test]
    fn refusals_name_the_field_and_removal_protects_dependents_and_started_work() {
        let b = base(FILE);
        let issue = |e: CardEdit| edited(&b, &e).unwrap_err().remove(0);
        let mut d = draft("x", "X");
        d.depends_on = vec!["nope".into()];
        assert_eq!(issue(CardEdit::AddTask { task: d }).field.as_deref(), Some("depends_on"));
        let mut d = b.file.tasks[0].clone();
        d.depends_on = vec!["api".into()];
        let cycle = issue(CardEdit::EditTask { task: d });
        assert!(cycle.message.contains("dependency cycle"), "{cycle}");
        assert!(issue(CardEdit::AddTask { task: draft("api", "again") }).message.contains("duplicate"));
        assert!(issue(CardEdit::AddTask { task: draft("Bad Id", "x") }).field.as_deref() == Some("id"));
        let dependents = issue(CardEdit::RemoveTask { id: "schema".into() });
        assert!(dependents.message.contains("`api` depends on it"), "{dependents}");

        let mut started = base(FILE);
        started.stored = vec![Task {
            id: "docs".into(),
            title: "Write the docs".into(),
            description: String::new(),
            epic: None,
            status: TaskStatus::Review,
            depends_on: Vec::new(),
            files: Vec::new(),
            predicted_files: Vec::new(),
            effort_minutes: 30,
            priority: 0,
            review_reason: None,
            conflict_warning: None,
            cost_usd: None,
            agent_ms: None,
        }];
        let refused = edited(&started, &CardEdit::RemoveTask { id: "docs".into() }).unwrap_err().remove(0);
        assert!(refused.message.contains("started work is never removed"), "{refused}");
    }

    #[test]
    fn a_json_tasks_file_is_written_in_the_formats_order() {
        let b = base(FILE);
        let text = to_json(&edited(&b, &CardEdit::RemoveTask { id: "docs".into() }).unwrap());
        let reread = taskfile::parse(&text, true).unwrap();
        assert_eq!(reread.tasks.len(), 2);
        assert!(text.find("\"project\"").unwrap() < text.find("\"tasks\"").unwrap());
        assert!(text.find("\"id\": \"api\"").unwrap() < text.find("\"title\": \"Add the API\"").unwrap(), "{text}");
    }
}
