//! The tasks file (`yokeflow.yaml` or `.json`): parsing and validation. Validation is complete before
//! anything is written, and every problem names the task (by id and position) and the field.

use crate::error::TaskFileIssue;
use crate::plan::graph::find_cycle;
use crate::workspace::prepare::pattern_problem;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::Epic;

/// Default effort of a task, in minutes, when the file gives none.
pub const DEFAULT_EFFORT_MINUTES: u32 = 30;
/// Largest accepted effort estimate (a week of minutes); larger is almost surely a unit mistake.
pub const MAX_EFFORT_MINUTES: u32 = 7 * 24 * 60;
/// Largest accepted tasks file.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A task as declared in the file (validated), or as a person fills it in (a window card, `task add|edit`: the
/// window calls it a `TaskDraft`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[ts(rename = "TaskDraft")]
pub struct TaskSpec {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub epic: Option<String>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    /// Paths or globs the task is expected to touch.
    #[serde(default)]
    pub files: Vec<String>,
    pub effort_minutes: u32,
    #[serde(default)]
    pub priority: i32,
}

/// A whole tasks file, validated: ids are unique, references resolve, and the dependencies form no cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFile {
    pub project: Option<String>,
    pub epics: Vec<Epic>,
    pub tasks: Vec<TaskSpec>,
    pub test_command: Option<Vec<String>>,
    pub agent: Option<Vec<String>>,
    /// How each worktree is made ready to build (`setup`, `cleanup`, `worktree_include`, `worktree_link`).
    pub worktree: WorktreeSettings,
}

/// The tasks file's settings for worktrees; each absent field leaves the project's setting as it is on import.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorktreeSettings {
    pub setup: Option<Vec<String>>,
    pub cleanup: Option<Vec<String>>,
    pub include: Option<Vec<String>>,
    pub link: Option<Vec<String>>,
}

/// The top-level fields of a tasks file.
pub const TOP_LEVEL: [&str; 9] =
    ["project", "epics", "tasks", "test_command", "agent", "setup", "cleanup", "worktree_include", "worktree_link"];

/// `[a-z0-9][a-z0-9-]*`, at most 64 characters.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}

/// Reads and validates a tasks file. JSON when the name ends in `.json`, YAML otherwise.
pub fn load(path: &Path) -> CoreResult<TaskFile> {
    let meta = std::fs::metadata(path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(CoreError::InvalidInput(format!(
            "{} is {} bytes; tasks files are limited to {} bytes",
            path.display(),
            meta.len(),
            MAX_FILE_BYTES
        )));
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    parse(&text, is_json).map_err(|issues| CoreError::InvalidTaskFile { file: path.display().to_string(), issues })
}

/// Parses and validates tasks-file text; all problems found are returned together.
pub fn parse(text: &str, is_json: bool) -> Result<TaskFile, Vec<TaskFileIssue>> {
    let value: Value = if is_json {
        let mut de = serde_json::Deserializer::from_str(text);
        crate::sys::yaml::strict_value(&mut de).and_then(|v| de.end().map(|()| v)).map_err(|e| {
            vec![TaskFileIssue {
                task: None,
                location: None,
                field: None,
                line: Some(e.line() as u32),
                message: format!("invalid JSON: {e}"),
            }]
        })?
    } else {
        crate::sys::yaml::value_from_str(text).map_err(|e| {
            vec![TaskFileIssue { task: None, location: None, field: None, line: e.line, message: e.message }]
        })?
    };
    validate(&value)
}

/// Validates an already parsed tasks file (e.g. one built from the database with a person's edit applied): the
/// same rules as [`parse`], every problem returned together.
pub fn validate(value: &Value) -> Result<TaskFile, Vec<TaskFileIssue>> {
    Validator::default().run(value)
}

#[derive(Default)]
struct Validator {
    issues: Vec<TaskFileIssue>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl Validator {
    fn issue(&mut self, task: Option<&str>, location: Option<String>, field: Option<&str>, message: String) {
        self.issues.push(TaskFileIssue {
            task: task.map(str::to_string),
            location,
            field: field.map(str::to_string),
            line: None,
            message,
        });
    }

    fn run(mut self, root: &Value) -> Result<TaskFile, Vec<TaskFileIssue>> {
        let Some(map) = root.as_object() else {
            self.issue(
                None,
                None,
                None,
                format!("the file must be a mapping with `tasks:`, found {}", type_name(root)),
            );
            return Err(self.issues);
        };
        for key in map.keys() {
            if !TOP_LEVEL.contains(&key.as_str()) {
                self.issue(
                    None,
                    None,
                    Some(key),
                    format!("unknown top-level field (expected one of {})", TOP_LEVEL.join(", ")),
                );
            }
        }
        let project = self.opt_string(map.get("project"), None, None, "project");
        let test_command = self.opt_argv(map.get("test_command"), "test_command");
        let agent = self.opt_argv(map.get("agent"), "agent");
        let worktree = WorktreeSettings {
            setup: self.opt_argv(map.get("setup"), "setup"),
            cleanup: self.opt_argv(map.get("cleanup"), "cleanup"),
            include: self.opt_patterns(map.get("worktree_include"), "worktree_include"),
            link: self.opt_patterns(map.get("worktree_link"), "worktree_link"),
        };
        let epics = self.epics(map.get("epics"));
        let tasks = match map.get("tasks") {
            None => {
                self.issue(None, None, Some("tasks"), "missing: the file must list its tasks under `tasks:`".into());
                Vec::new()
            }
            Some(v) => self.tasks(v, &epics),
        };
        if self.issues.is_empty() {
            if let Some(cycle) = find_cycle(tasks.iter().map(|t| (t.id.as_str(), t.depends_on.as_slice()))) {
                self.issue(
                    Some(&cycle[0]),
                    None,
                    Some("depends_on"),
                    format!(
                        "dependency cycle: {}",
                        cycle.iter().chain(cycle.first()).cloned().collect::<Vec<_>>().join(" -> ")
                    ),
                );
            }
        }
        if self.issues.is_empty() {
            Ok(TaskFile { project, epics, tasks, test_command, agent, worktree })
        } else {
            Err(self.issues)
        }
    }

    fn opt_string(&mut self, v: Option<&Value>, task: Option<&str>, loc: Option<&str>, field: &str) -> Option<String> {
        match v {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.issue(
                    task,
                    loc.map(str::to_string),
                    Some(field),
                    format!("expected a string, found {}", type_name(other)),
                );
                None
            }
        }
    }

    fn string_list(&mut self, v: Option<&Value>, task: Option<&str>, loc: &str, field: &str) -> Vec<String> {
        match v {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                        other => self.issue(
                            task,
                            Some(loc.to_string()),
                            Some(field),
                            format!("item {i} must be a non-empty string, found {}", type_name(other)),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.issue(
                    task,
                    Some(loc.to_string()),
                    Some(field),
                    format!("expected a list of strings, found {}", type_name(other)),
                );
                Vec::new()
            }
        }
    }

    fn opt_argv(&mut self, v: Option<&Value>, field: &str) -> Option<Vec<String>> {
        v?;
        let argv = self.string_list(v, None, "top level", field);
        if argv.is_empty() && !matches!(v, Some(Value::Null)) {
            self.issue(None, None, Some(field), "must be a non-empty list: the program, then its arguments".into());
        }
        (!argv.is_empty()).then_some(argv)
    }

    fn opt_patterns(&mut self, v: Option<&Value>, field: &str) -> Option<Vec<String>> {
        v?;
        let list = self.string_list(v, None, "top level", field);
        for p in &list {
            if let Some(why) = pattern_problem(p) {
                self.issue(None, None, Some(field), format!("`{p}` {why}"));
            }
        }
        Some(list.into_iter().map(|p| p.trim().to_string()).collect())
    }

    fn epics(&mut self, v: Option<&Value>) -> Vec<Epic> {
        let items = match v {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.issue(None, None, Some("epics"), format!("expected a list of epics, found {}", type_name(other)));
                return Vec::new();
            }
        };
        let mut out: Vec<Epic> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let loc = format!("epics[{i}]");
            let Some(m) = item.as_object() else {
                self.issue(
                    None,
                    Some(loc),
                    None,
                    format!("expected a mapping with id and title, found {}", type_name(item)),
                );
                continue;
            };
            for key in m.keys() {
                if !["id", "title", "description"].contains(&key.as_str()) {
                    self.issue(
                        None,
                        Some(loc.clone()),
                        Some(key),
                        "unknown field (expected id, title, description)".into(),
                    );
                }
            }
            let id = self.opt_string(m.get("id"), None, Some(&loc), "id");
            let Some(id) = id else {
                if m.get("id").is_none() {
                    self.issue(None, Some(loc), Some("id"), "missing".into());
                }
                continue;
            };
            if !is_valid_id(&id) {
                self.issue(
                    None,
                    Some(loc.clone()),
                    Some("id"),
                    format!("`{id}` must match [a-z0-9][a-z0-9-]* (at most 64 characters)"),
                );
            }
            if out.iter().any(|e| e.id == id) {
                self.issue(None, Some(loc.clone()), Some("id"), format!("duplicate epic id `{id}`"));
            }
            let title = self.opt_string(m.get("title"), None, Some(&loc), "title").unwrap_or_else(|| id.clone());
            let description =
                self.opt_string(m.get("description"), None, Some(&loc), "description").unwrap_or_default();
            out.push(Epic { id, title, description });
        }
        out
    }

    fn tasks(&mut self, v: &Value, epics: &[Epic]) -> Vec<TaskSpec> {
        let Some(items) = v.as_array() else {
            self.issue(None, None, Some("tasks"), format!("expected a list of tasks, found {}", type_name(v)));
            return Vec::new();
        };
        const FIELDS: [&str; 8] = ["id", "title", "description", "epic", "depends_on", "files", "effort", "priority"];
        let mut out: Vec<TaskSpec> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let loc = format!("tasks[{i}]");
            let Some(m) = item.as_object() else {
                self.issue(
                    None,
                    Some(loc),
                    None,
                    format!("expected a mapping with id and title, found {}", type_name(item)),
                );
                continue;
            };
            let id = match m.get("id") {
                None => {
                    self.issue(None, Some(loc.clone()), Some("id"), "missing".into());
                    None
                }
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => {
                    self.issue(
                        None,
                        Some(loc.clone()),
                        Some("id"),
                        format!("expected a string, found {}", type_name(other)),
                    );
                    None
                }
            };
            let tid = id.as_deref();
            if let Some(id) = tid {
                if !is_valid_id(id) {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some("id"),
                        "must match [a-z0-9][a-z0-9-]* (at most 64 characters)".into(),
                    );
                } else if let Some(first) = positions.get(id) {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some("id"),
                        format!("duplicate id: tasks[{first}] has it already"),
                    );
                } else {
                    positions.insert(id.to_string(), i);
                }
            }
            for key in m.keys() {
                if !FIELDS.contains(&key.as_str()) {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some(key),
                        format!("unknown field (expected one of {})", FIELDS.join(", ")),
                    );
                }
            }
            let title = match self.opt_string(m.get("title"), tid, Some(&loc), "title") {
                Some(t) if !t.trim().is_empty() => t.trim().to_string(),
                Some(_) => {
                    self.issue(tid, Some(loc.clone()), Some("title"), "must not be empty".into());
                    String::new()
                }
                None => {
                    if m.get("title").is_none() {
                        self.issue(tid, Some(loc.clone()), Some("title"), "missing".into());
                    }
                    String::new()
                }
            };
            let description = self.opt_string(m.get("description"), tid, Some(&loc), "description").unwrap_or_default();
            let epic = self.opt_string(m.get("epic"), tid, Some(&loc), "epic");
            if let Some(e) = &epic {
                if !epics.iter().any(|x| &x.id == e) {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some("epic"),
                        format!("unknown epic `{e}` (declare it under `epics:`)"),
                    );
                }
            }
            let mut depends_on = self.string_list(m.get("depends_on"), tid, &loc, "depends_on");
            let mut seen = HashSet::new();
            depends_on.retain(|d| seen.insert(d.clone()));
            let files = self.string_list(m.get("files"), tid, &loc, "files");
            for f in &files {
                if let Some(problem) = file_pattern_problem(f) {
                    self.issue(tid, Some(loc.clone()), Some("files"), format!("`{f}`: {problem}"));
                }
            }
            let effort_minutes = match m.get("effort") {
                None | Some(Value::Null) => DEFAULT_EFFORT_MINUTES,
                Some(Value::Number(n)) => match n.as_u64() {
                    Some(e) if e >= 1 && e <= MAX_EFFORT_MINUTES as u64 => e as u32,
                    _ => {
                        self.issue(
                            tid,
                            Some(loc.clone()),
                            Some("effort"),
                            format!("must be a whole number of minutes from 1 to {MAX_EFFORT_MINUTES}, found {n}"),
                        );
                        DEFAULT_EFFORT_MINUTES
                    }
                },
                Some(other) => {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some("effort"),
                        format!("expected a whole number of minutes, found {}", type_name(other)),
                    );
                    DEFAULT_EFFORT_MINUTES
                }
            };
            let priority = match m.get("priority") {
                None | Some(Value::Null) => 0,
                Some(Value::Number(n)) if n.as_i64().is_some_and(|p| i32::try_from(p).is_ok()) => {
                    n.as_i64().unwrap() as i32
                }
                Some(other) => {
                    self.issue(
                        tid,
                        Some(loc.clone()),
                        Some("priority"),
                        format!("expected a whole number, found {other}"),
                    );
                    0
                }
            };
            out.push(TaskSpec {
                id: id.unwrap_or_default(),
                title,
                description,
                epic,
                depends_on,
                files,
                effort_minutes,
                priority,
            });
        }
        // References are checked once every id is known.
        for (i, t) in out.iter().enumerate() {
            for d in &t.depends_on {
                if d == &t.id {
                    self.issues.push(TaskFileIssue {
                        task: Some(t.id.clone()),
                        location: Some(format!("tasks[{i}]")),
                        field: Some("depends_on".into()),
                        line: None,
                        message: "a task cannot depend on itself".into(),
                    });
                } else if !positions.contains_key(d) {
                    self.issues.push(TaskFileIssue {
                        task: Some(t.id.clone()),
                        location: Some(format!("tasks[{i}]")),
                        field: Some("depends_on".into()),
                        line: None,
                        message: format!("unknown task `{d}`"),
                    });
                }
            }
        }
        out
    }
}

/// Why a `files` entry is refused, if it is.
fn file_pattern_problem(p: &str) -> Option<String> {
    if p.starts_with('/') || p.contains('\\') || (p.len() > 1 && p.as_bytes()[1] == b':') {
        return Some("must be a path relative to the repository root, with `/` separators".into());
    }
    if p.split('/').any(|seg| seg == "..") {
        return Some("must stay inside the repository (no `..`)".into());
    }
    globset::Glob::new(p).err().map(|e| format!("not a valid glob: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issues(yaml: &str) -> Vec<String> {
        parse(yaml, false).unwrap_err().iter().map(|i| i.to_string()).collect()
    }

    #[test]
    fn parses_the_documented_example() {
        let f = parse(
            r#"
project: shop
epics:
  - id: api
    title: REST API
tasks:
  - id: db-setup
    title: Set up the database
  - id: user-model
    title: Add the user model
    description: Create src/models/user.rs with ...
    epic: api
    depends_on: [db-setup]
    files: [src/models/*.rs]
    effort: 45
"#,
            false,
        )
        .unwrap();
        assert_eq!(f.project.as_deref(), Some("shop"));
        assert_eq!(f.tasks.len(), 2);
        assert_eq!(f.tasks[0].effort_minutes, DEFAULT_EFFORT_MINUTES);
        assert_eq!(f.tasks[1].depends_on, vec!["db-setup"]);
        assert_eq!(f.tasks[1].files, vec!["src/models/*.rs"]);
        assert_eq!(f.tasks[1].effort_minutes, 45);
        assert_eq!(f.tasks[1].epic.as_deref(), Some("api"));
    }

    #[test]
    fn json_is_accepted() {
        let f =
            parse(r#"{"tasks": [{"id": "a", "title": "A"}, {"id": "b", "title": "B", "depends_on": ["a"]}]}"#, true)
                .unwrap();
        assert_eq!(f.tasks[1].depends_on, vec!["a"]);
    }

    #[test]
    fn errors_name_task_and_field() {
        let got = issues("tasks:\n  - id: a\n    title: A\n    depends_on: [ghost]\n  - id: a\n    title: again\n  - id: c\n    title: C\n    effort: lots\n");
        assert_eq!(
            got,
            vec![
                "task `a` (tasks[1]), field `id`: duplicate id: tasks[0] has it already",
                "task `c` (tasks[2]), field `effort`: expected a whole number of minutes, found a string",
                "task `a` (tasks[0]), field `depends_on`: unknown task `ghost`",
            ]
        );
    }

    #[test]
    fn cycles_are_named_in_order() {
        let got = issues("tasks:\n  - {id: a, title: A, depends_on: [b]}\n  - {id: b, title: B, depends_on: [c]}\n  - {id: c, title: C, depends_on: [a]}\n  - {id: d, title: D}\n");
        assert_eq!(got, vec!["task `a`, field `depends_on`: dependency cycle: a -> b -> c -> a"]);
    }

    #[test]
    fn malformed_yaml_names_the_line() {
        let err = parse("tasks:\n  - id: a\n    title: [unclosed\n", false).unwrap_err();
        assert_eq!(err.len(), 1);
        assert!(err[0].line.is_some(), "{err:?}");
        assert!(err[0].message.starts_with("invalid YAML"), "{err:?}");
    }

    #[test]
    fn shapes_and_values_are_checked() {
        let got = issues(
            "tasks:\n  - id: Bad_Id\n    title: x\n  - id: ok\n    title: ''\n    files: [/etc/passwd, ../up, 'src/[']\n    epic: nope\n    colour: red\n  - just a string\nextra: 1\n",
        );
        let joined = got.join("\n");
        for needle in [
            "field `extra`: unknown top-level field",
            "task `Bad_Id` (tasks[0]), field `id`: must match",
            "task `ok` (tasks[1]), field `title`: must not be empty",
            "`/etc/passwd`: must be a path relative",
            "`../up`: must stay inside the repository",
            "`src/[`: not a valid glob",
            "field `epic`: unknown epic `nope`",
            "field `colour`: unknown field",
            "tasks[2]: expected a mapping with id and title, found a string",
        ] {
            assert!(joined.contains(needle), "missing {needle:?} in\n{joined}");
        }
    }

    #[test]
    fn self_dependency_and_missing_tasks_key() {
        assert_eq!(
            issues("tasks:\n  - {id: a, title: A, depends_on: [a]}\n"),
            vec!["task `a` (tasks[0]), field `depends_on`: a task cannot depend on itself"]
        );
        assert_eq!(issues("project: x\n"), vec!["field `tasks`: missing: the file must list its tasks under `tasks:`"]);
    }

    #[test]
    fn find_cycle_handles_long_chains_without_recursion() {
        let deps: Vec<(String, Vec<String>)> =
            (0..100_000).map(|i| (format!("t{i}"), vec![format!("t{}", i + 1)])).collect();
        assert!(find_cycle(deps.iter().map(|(a, b)| (a.as_str(), b.as_slice()))).is_none());
    }
}
