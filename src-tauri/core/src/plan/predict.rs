//! File prediction: which files each task is expected to touch, and why. The I/O is at the edge
//! ([`RepoFacts::load`] reads the target branch with git2: its tracked files and the co-change history); the
//! prediction itself ([`predict`]) is a pure function of the tasks and those facts. The plan engine
//! ([`crate::plan`]) consumes the result as plain paths and globs.
//!
//! Sources, in order (a path keeps the reason it was first found with):
//! 1. paths named in a task's title or description (`src/models/user.rs`, `web/cart.js`), checked against the
//!    tracked files; a named path that does not exist yet is kept as a new file. A bare file name
//!    (`style.css`) counts only when it names a tracked file unambiguously;
//! 2. the `files` declared in the tasks file: globs are kept (for conflict checks) and expanded against the
//!    tracked files;
//! 3. a task that names nothing inherits its epic's working directories (`dir/*`), taken from the files the
//!    epic's other tasks declare;
//! 4. co-change: a predicted tracked file F adds G when G changed in at least half of the (at least
//!    [`MIN_CHANGES`]) commits that changed F, over the last [`HISTORY_COMMITS`] commits of the target branch.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use git2::{BranchType, ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use crate::error::CoreResult;
use crate::model::{PredictedFile, Task};

/// Commits of the target branch read for co-change, newest first.
pub const HISTORY_COMMITS: usize = 500;
/// Commits touching more files than this (mass renames, formatting) say nothing about co-change.
pub const MAX_FILES_PER_COMMIT: usize = 50;
/// A file must have changed in at least this many commits before it widens a prediction.
pub const MIN_CHANGES: u32 = 3;
/// At most this many tracked files are listed per declared glob (the glob itself is always kept).
pub const MAX_GLOB_MATCHES: usize = 100;
/// At most this many co-changed files are added per predicted file.
pub const MAX_COCHANGED_PER_FILE: usize = 10;
/// At most this many epic directories are added for a task that names nothing.
const MAX_EPIC_DIRS: usize = 3;

/// What prediction needs to know about the repository: the target branch's tracked files and which files
/// changed together in its history.
#[derive(Debug, Clone, Default)]
pub struct RepoFacts {
    tracked: HashSet<String>,
    /// Sorted, for glob expansion.
    sorted: Vec<String>,
    /// File name -> tracked paths with that name.
    by_name: HashMap<String, Vec<String>>,
    cochange: CoChange,
}

/// How often files changed, alone and together, by interned path.
#[derive(Debug, Clone, Default)]
struct CoChange {
    ids: HashMap<String, u32>,
    paths: Vec<String>,
    changes: Vec<u32>,
    together: Vec<HashMap<u32, u32>>,
}

impl CoChange {
    fn intern(&mut self, path: &str) -> u32 {
        if let Some(&id) = self.ids.get(path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.ids.insert(path.to_string(), id);
        self.paths.push(path.to_string());
        self.changes.push(0);
        self.together.push(HashMap::new());
        id
    }

    fn add_commit(&mut self, files: &[String]) {
        let mut ids: Vec<u32> = files.iter().map(|f| self.intern(f)).collect();
        ids.sort_unstable();
        ids.dedup();
        for &a in &ids {
            self.changes[a as usize] += 1;
            for &b in &ids {
                if a != b {
                    *self.together[a as usize].entry(b).or_insert(0) += 1;
                }
            }
        }
    }

    /// Files that changed with `path` in at least half of its (at least [`MIN_CHANGES`]) changes, most
    /// frequent first: `(file, together, changes of path)`.
    fn partners(&self, path: &str) -> Vec<(&str, u32, u32)> {
        let Some(&id) = self.ids.get(path) else {
            return Vec::new();
        };
        let m = self.changes[id as usize];
        if m < MIN_CHANGES {
            return Vec::new();
        }
        let mut out: Vec<(&str, u32, u32)> = self.together[id as usize]
            .iter()
            .filter(|&(_, &n)| 2 * n >= m)
            .map(|(&g, &n)| (self.paths[g as usize].as_str(), n, m))
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        out
    }
}

impl RepoFacts {
    /// Reads the tracked files of `branch` (falling back to HEAD) and its co-change history. A repository
    /// without commits yields empty facts.
    pub fn load(repo_path: &Path, branch: &str) -> CoreResult<RepoFacts> {
        let repo = Repository::open(repo_path)?;
        let tip = match repo.find_branch(branch, BranchType::Local) {
            Ok(b) => b.get().peel_to_commit().ok(),
            Err(_) => None,
        }
        .or_else(|| repo.head().ok().and_then(|h| h.peel_to_commit().ok()));
        let Some(tip) = tip else {
            return Ok(RepoFacts::default());
        };
        let mut tracked = Vec::new();
        tip.tree()?.walk(TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(ObjectType::Blob) {
                if let Some(name) = entry.name() {
                    tracked.push(format!("{dir}{name}"));
                }
            }
            TreeWalkResult::Ok
        })?;

        let mut commits: Vec<Vec<String>> = Vec::new();
        let mut walk = repo.revwalk()?;
        walk.push(tip.id())?;
        for oid in walk.take(HISTORY_COMMITS) {
            let commit = repo.find_commit(oid?)?;
            // A root commit adds everything at once: no signal about what changes together.
            if commit.parent_count() == 0 {
                continue;
            }
            let parent_tree = commit.parent(0)?.tree()?;
            let diff = repo.diff_tree_to_tree(Some(&parent_tree), Some(&commit.tree()?), None)?;
            if diff.deltas().len() > MAX_FILES_PER_COMMIT {
                continue;
            }
            let files: Vec<String> = diff
                .deltas()
                .filter_map(|d| d.new_file().path().or_else(|| d.old_file().path()).and_then(Path::to_str))
                .map(str::to_string)
                .collect();
            commits.push(files);
        }
        Ok(RepoFacts::from_parts(tracked, commits))
    }

    /// Facts from a list of tracked files and the files of each commit (for tests and callers with their own
    /// history source). Commits over [`MAX_FILES_PER_COMMIT`] files are ignored.
    pub fn from_parts(
        tracked: impl IntoIterator<Item = String>,
        commits: impl IntoIterator<Item = Vec<String>>,
    ) -> Self {
        let mut sorted: Vec<String> = tracked.into_iter().collect();
        sorted.sort();
        sorted.dedup();
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for p in &sorted {
            let name = p.rsplit('/').next().unwrap_or(p);
            by_name.entry(name.to_string()).or_default().push(p.clone());
        }
        let mut cochange = CoChange::default();
        for files in commits {
            if files.len() <= MAX_FILES_PER_COMMIT {
                cochange.add_commit(&files);
            }
        }
        RepoFacts { tracked: sorted.iter().cloned().collect(), sorted, by_name, cochange }
    }

    pub fn is_tracked(&self, path: &str) -> bool {
        self.tracked.contains(path)
    }

    fn is_dir(&self, dir: &str) -> bool {
        let from = self.sorted.partition_point(|p| p.as_str() < dir);
        self.sorted.get(from).is_some_and(|p| p.starts_with(dir))
    }

    /// Tracked files matching a glob (globset semantics, as in the conflict check), at most `limit`.
    fn expand(&self, pattern: &str, limit: usize) -> Vec<String> {
        let pattern = if pattern.ends_with('/') { format!("{pattern}**") } else { pattern.to_string() };
        let Ok(glob) = globset::Glob::new(&pattern) else {
            return Vec::new();
        };
        let matcher = glob.compile_matcher();
        let prefix = &pattern[..pattern.find(['*', '?', '[', '{', '\\']).unwrap_or(pattern.len())];
        let from = self.sorted.partition_point(|p| p.as_str() < prefix);
        self.sorted[from..]
            .iter()
            .take_while(|p| p.starts_with(prefix))
            .filter(|p| matcher.is_match(p.as_str()))
            .take(limit)
            .cloned()
            .collect()
    }
}

/// Reads the repository and predicts every task's files (see [`predict`]).
pub fn predict_in_repo(repo_path: &Path, branch: &str, tasks: &[Task]) -> CoreResult<Vec<Vec<PredictedFile>>> {
    let facts = RepoFacts::load(repo_path, branch)?;
    Ok(predict(tasks, &facts))
}

/// The predicted files of each task, in input order.
pub fn predict(tasks: &[Task], facts: &RepoFacts) -> Vec<Vec<PredictedFile>> {
    tasks.iter().map(|t| predict_task(t, tasks, facts)).collect()
}

/// The prediction being built for one task: paths in order, each with its first reason.
#[derive(Default)]
struct Prediction {
    seen: HashSet<String>,
    files: Vec<PredictedFile>,
}

impl Prediction {
    fn add(&mut self, path: &str, reason: impl FnOnce() -> String) {
        if self.seen.insert(path.to_string()) {
            self.files.push(PredictedFile { path: path.to_string(), reason: reason() });
        }
    }

    /// Adds a declared path; one already named in the text keeps its reason, noting the declaration too.
    fn declare(&mut self, path: &str, reason: impl FnOnce() -> String) {
        if self.seen.contains(path) {
            if let Some(f) = self.files.iter_mut().find(|f| f.path == path && f.reason.starts_with("named")) {
                f.reason.push_str("; also declared in the tasks file");
            }
        } else {
            self.add(path, reason);
        }
    }
}

fn predict_task(task: &Task, all: &[Task], facts: &RepoFacts) -> Vec<PredictedFile> {
    let mut p = Prediction::default();
    for (text, source) in [(&task.title, "title"), (&task.description, "description")] {
        for token in path_tokens(text) {
            name_path(&mut p, &token, source, facts);
        }
    }
    for declared in &task.files {
        let declared = clean(declared);
        if is_glob(declared) || declared.ends_with('/') {
            p.declare(declared, || "declared in the tasks file".into());
            for m in facts.expand(declared, MAX_GLOB_MATCHES) {
                p.add(&m, || format!("declared in the tasks file (matches `{declared}`)"));
            }
        } else if !declared.is_empty() {
            p.declare(declared, || "declared in the tasks file".into());
        }
    }
    if p.files.is_empty() {
        if let Some(epic) = &task.epic {
            for dir in epic_dirs(task, epic, all) {
                p.add(&format!("{dir}*"), || format!("epic `{epic}` works in {dir}"));
            }
        }
    }
    // Co-change widens only from tracked concrete files found above (one step, not transitively).
    let sources: Vec<String> = p.files.iter().map(|f| f.path.clone()).filter(|f| facts.is_tracked(f)).collect();
    for f in &sources {
        for (g, n, m) in
            facts.cochange.partners(f).into_iter().filter(|(g, ..)| facts.is_tracked(g)).take(MAX_COCHANGED_PER_FILE)
        {
            p.add(g, || format!("changed together with {f} in {n} of {m} commits"));
        }
    }
    p.files
}

/// Adds a path-like token from the task's text, if it names a file.
fn name_path(p: &mut Prediction, token: &str, source: &str, facts: &RepoFacts) {
    if token.contains('/') {
        if facts.is_tracked(token) || is_glob(token) {
            p.add(token, || format!("named in the {source}"));
        } else if token.ends_with('/') {
            if facts.is_dir(token) {
                p.add(token, || format!("named in the {source} (directory)"));
            }
        } else if has_extension(token) {
            p.add(token, || format!("named in the {source} (new file)"));
        }
    } else if facts.is_tracked(token) {
        p.add(token, || format!("named in the {source}"));
    } else if has_extension(token) {
        // A bare file name counts when exactly one tracked file has it.
        if let Some([only]) = facts.by_name.get(token).map(Vec::as_slice) {
            p.add(only, || format!("named in the {source} (as `{token}`)"));
        }
    }
}

/// Tokens of `text` that could be relative paths: runs of path characters, without sentence punctuation,
/// absolute paths, URL routes, `..` or empty segments.
pub fn path_tokens(text: &str) -> Vec<String> {
    let is_path_char = |c: char| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*');
    let mut out: Vec<String> = Vec::new();
    for raw in text.split(|c: char| !is_path_char(c)) {
        let token = clean(raw.trim_end_matches(['.', '-']));
        if token.is_empty() || token.starts_with(['/', '-']) || !token.contains(['/', '.']) {
            continue;
        }
        let body = token.strip_suffix('/').unwrap_or(token);
        if body.split('/').any(|seg| seg.is_empty() || seg == "..") {
            continue;
        }
        if !out.iter().any(|t| t == token) {
            out.push(token.to_string());
        }
    }
    out
}

/// The last segment ends in `.ext`, `ext` being 1–10 alphanumerics with at least one letter (`user.rs`,
/// `.gitignore`; not `1.5` or `e.g`-like fragments without a letter after the dot).
fn has_extension(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((_, ext)) => {
            (1..=10).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
                && ext.chars().any(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

fn clean(p: &str) -> &str {
    let mut p = p.trim();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

/// The directories (with a trailing `/`) of the files the epic's other tasks declare: each one when there
/// are at most [`MAX_EPIC_DIRS`], else their deepest common directory. The repository root never counts.
fn epic_dirs(task: &Task, epic: &str, all: &[Task]) -> Vec<String> {
    let mut dirs: Vec<String> = Vec::new();
    for other in all.iter().filter(|o| o.id != task.id && o.epic.as_deref() == Some(epic)) {
        for f in &other.files {
            let f = clean(f);
            let literal = &f[..f.find(['*', '?', '[', '{']).unwrap_or(f.len())];
            let Some(cut) = literal.rfind('/') else { continue };
            let dir = &literal[..=cut];
            if !dirs.iter().any(|d| d == dir) {
                dirs.push(dir.to_string());
            }
        }
    }
    if dirs.len() <= MAX_EPIC_DIRS {
        return dirs;
    }
    let mut common: &str = &dirs[0];
    for d in &dirs[1..] {
        while !d.starts_with(common) {
            common = match common[..common.len() - 1].rfind('/') {
                Some(cut) => &common[..=cut],
                None => "",
            };
        }
    }
    if common.is_empty() {
        Vec::new()
    } else {
        vec![common.to_string()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskStatus;

    fn task(id: &str, epic: Option<&str>, description: &str, files: &[&str]) -> Task {
        Task {
            id: id.into(),
            title: format!("Task {id}"),
            description: description.into(),
            epic: epic.map(str::to_string),
            status: TaskStatus::Backlog,
            depends_on: Vec::new(),
            files: files.iter().map(|f| f.to_string()).collect(),
            predicted_files: Vec::new(),
            effort_minutes: 30,
            priority: 0,
            review_reason: None,
            conflict_warning: None,
            cost_usd: None,
            agent_ms: None,
        }
    }

    fn facts(tracked: &[&str], commits: &[&[&str]]) -> RepoFacts {
        RepoFacts::from_parts(
            tracked.iter().map(|s| s.to_string()),
            commits.iter().map(|c| c.iter().map(|s| s.to_string()).collect()),
        )
    }

    fn paths(p: &[PredictedFile]) -> Vec<&str> {
        p.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn tokens_look_like_paths() {
        let t = path_tokens(
            "Implement GET /products in `src/api/products.py`, then web/cart.js. See https://x.org/a.html, \
             e.g. version 1.5 and/or ./docs/api.md; not ../up/x.rs or a//b.rs. Edit src/api/.",
        );
        assert_eq!(t, vec!["src/api/products.py", "web/cart.js", "e.g", "1.5", "and/or", "docs/api.md", "src/api/"]);
    }

    #[test]
    fn named_paths_existing_new_and_bare_names() {
        let f = facts(&["src/lib.rs", "web/style.css", "README.md", "a/x.txt", "b/x.txt"], &[]);
        let t = task(
            "t",
            None,
            "Fix src/lib.rs, create src/models/user.rs, touch style.css, README.md, x.txt.",
            &["src/lib.rs", "src/extra.rs"],
        );
        let p = &predict(&[t], &f)[0];
        assert_eq!(paths(p), vec!["src/lib.rs", "src/models/user.rs", "web/style.css", "README.md", "src/extra.rs"]);
        assert_eq!(p[0].reason, "named in the description; also declared in the tasks file");
        assert_eq!(p[4].reason, "declared in the tasks file");
        assert_eq!(p[1].reason, "named in the description (new file)");
        assert_eq!(p[2].reason, "named in the description (as `style.css`)");
    }

    #[test]
    fn globs_are_kept_and_expanded() {
        let f = facts(&["src/models/a.rs", "src/models/b.rs", "src/main.rs"], &[]);
        let p = &predict(&[task("t", None, "", &["src/models/*.rs", "./docs/new.md"])], &f)[0];
        assert_eq!(paths(p), vec!["src/models/*.rs", "src/models/a.rs", "src/models/b.rs", "docs/new.md"]);
        assert_eq!(p[0].reason, "declared in the tasks file");
        assert_eq!(p[1].reason, "declared in the tasks file (matches `src/models/*.rs`)");
    }

    #[test]
    fn epic_context_only_when_the_task_names_nothing() {
        let f = facts(&[], &[]);
        let tasks = [
            task("a", Some("api"), "", &["src/api/users.py"]),
            task("b", Some("api"), "", &["src/api/*.py"]),
            task("c", Some("api"), "Add rate limiting.", &[]),
            task("d", Some("api"), "", &["src/api/x.py"]),
            task("e", Some("web"), "", &["index.html"]),
            task("f", Some("web"), "", &[]),
        ];
        let p = predict(&tasks, &f);
        assert_eq!(paths(&p[2]), vec!["src/api/*"]);
        assert_eq!(p[2][0].reason, "epic `api` works in src/api/");
        assert_eq!(paths(&p[3]), vec!["src/api/x.py"]);
        assert!(p[5].is_empty(), "the root directory never widens: {:?}", p[5]);
    }

    #[test]
    fn many_epic_dirs_collapse_to_their_common_directory() {
        let tasks = [
            task("a", Some("e"), "", &["src/a/x.rs", "src/b/x.rs"]),
            task("b", Some("e"), "", &["src/c/x.rs", "src/d/e/*.rs"]),
            task("c", Some("e"), "", &[]),
        ];
        assert_eq!(paths(&predict(&tasks, &facts(&[], &[]))[2]), vec!["src/*"]);
    }

    #[test]
    fn co_change_widens_above_the_thresholds() {
        let tracked = ["a.rs", "b.rs", "c.rs", "d.rs"];
        // a changed 4 times, with b 4 times, with c once; d with a only twice out of 2 changes of d.
        let commits: &[&[&str]] =
            &[&["a.rs", "b.rs"], &["a.rs", "b.rs", "c.rs"], &["a.rs", "b.rs", "d.rs"], &["a.rs", "b.rs", "d.rs"]];
        let f = facts(&tracked, commits);
        let p = &predict(&[task("t", None, "", &["a.rs"]), task("u", None, "", &["d.rs"])], &f);
        assert_eq!(paths(&p[0]), vec!["a.rs", "b.rs", "d.rs"]);
        assert_eq!(p[0][1].reason, "changed together with a.rs in 4 of 4 commits");
        assert_eq!(p[0][2].reason, "changed together with a.rs in 2 of 4 commits");
        // d changed only twice: below MIN_CHANGES, so it widens nothing.
        assert_eq!(paths(&p[1]), vec!["d.rs"]);
    }
}
