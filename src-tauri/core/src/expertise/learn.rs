//! The experts learn from every task, and every task runs in its expert's context.
//!
//! - **Before the agent starts**, the worker routes the task ([`expertise::route_task`], logged in
//!   `expertise_routing`) and [`expert_context`] tells the agent which expert files to read.
//! - **After the agent's work is committed on the task branch, before the merge gate**, [`learn_from_task`]
//!   reads the branch's diff (merge base with the target → branch tip, with git2): the files changed, their
//!   languages, new dependencies (`Cargo.toml` `[dependencies]`, `package.json` `dependencies`,
//!   `requirements*.txt`, `pyproject.toml`) and test files added. The task goes to the domains the router picks
//!   for it and to the domains named by a folder of a changed path (`src/api/…` → `api`); only domains that
//!   exist in the database learn. Each gets short, deduplicated patterns (`files: src/api/*.rs`,
//!   `language: rust`, `dependency: serde`, `tests: tests/api_*.rs`), one more use and a little confidence. The
//!   database is updated at once; the domains' files are exported into the task's **worktree** (never the
//!   user's checkout) and committed on the task branch as a separate commit `expertise: <task title>`, so they
//!   land through the same merge gate as the code.
//! - **When a task goes to Review** (the agent failed, or the gate refused the branch), [`record_review`]
//!   lowers the domains' confidence in the database only: nothing can be committed on a branch that does not
//!   land. The next sync of the project exports that state to the checkout's files like any other database
//!   change, and the next task of the domain carries it through the gate in its `expertise:` commit.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use git2::{Oid, Repository, Tree};

use crate::error::CoreResult;
use crate::expertise::{self, Layout, RouteInput, RouteSource, RoutingDecision, SyncOptions};
use crate::model::{Project, Task};
use crate::store::db::Db;
use crate::sys::concurrency::blocking;
use crate::workspace::worktree::WorktreeInfo;

/// A domain keeps at most this many patterns; learning adds none past it (people can prune the file).
pub const MAX_PATTERNS: usize = 60;
/// Confidence gained by a domain when a task of it goes to the merge gate.
pub const CONFIDENCE_UP: f64 = 0.02;
/// Confidence lost by a domain when a task of it goes to Review.
pub const CONFIDENCE_DOWN: f64 = 0.05;

/// What a task's branch changed, as the experts see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskDiff {
    /// Changed paths (added, modified, deleted), outside `.claude/`.
    pub files: Vec<String>,
    /// New dependency names (manifests' dependency lists at the tip minus at the base).
    pub dependencies: BTreeSet<String>,
}

/// What [`learn_from_task`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Learned {
    /// The domains that learned.
    pub domains: Vec<String>,
    /// The patterns each domain gained.
    pub added: BTreeMap<String, Vec<String>>,
    /// The `expertise: <title>` commit on the task branch, if anything changed in the files.
    pub commit: Option<String>,
}

/// The prompt section for a routed task: which expert files to read (those present in the worktree `root`: the
/// expertise file and the routed skill's), and with `inline` (an agent that does not load `.claude/` itself) what
/// the expert knows. `None` when no expert was chosen.
pub fn expert_context(d: &RoutingDecision, root: &Path, patterns: &[String], inline: bool) -> Option<String> {
    let domain = d.domain.as_deref().filter(|_| d.source != RouteSource::None)?;
    let layout = Layout::new(root);
    let rel = |p: std::path::PathBuf| p.strip_prefix(root).map(|r| r.display().to_string()).ok();
    let skill = d.skill.as_ref().map(|s| root.join(s)).unwrap_or_else(|| layout.skill_file(domain));
    let files: Vec<String> = [layout.expertise_file(domain), skill]
        .into_iter()
        .filter(|p| p.is_file())
        .filter_map(rel)
        .map(|p| format!("`{p}`"))
        .collect();
    let how = format!("domain {domain} (source {}, score {})", d.source.as_str(), d.score);
    let mut text = if files.is_empty() {
        format!("Expert context: {how}; its files are not in this checkout yet.")
    } else {
        format!("Expert context: read {} before you start; {how}.", files.join(" and "))
    };
    // An agent that does not load `.claude/` itself (or files that are not here yet) gets the patterns inline, at
    // most 12 lines of at most 200 characters.
    if (inline || files.is_empty()) && !patterns.is_empty() {
        text.push_str(" What it knows:\n");
        for p in patterns.iter().take(12) {
            let line: String = p.lines().next().unwrap_or_default().chars().take(200).collect();
            text.push_str(&format!("  * {line}\n"));
        }
    }
    Some(text)
}

/// The database domains a task belongs to before it ran: the routed one, and those its declared files name.
pub async fn task_domains(
    db: &Db,
    project: &Project,
    task: &Task,
    routed: Option<&RoutingDecision>,
) -> CoreResult<Vec<String>> {
    let known: BTreeSet<String> = expertise::list(db, project).await?.into_iter().map(|e| e.domain).collect();
    let mut out = expertise::path_domains(&task.files, &known);
    if let Some(d) = routed.and_then(|d| d.domain.clone()).filter(|d| known.contains(d)) {
        out.insert(d);
    }
    Ok(out.into_iter().collect())
}

/// Learns from the committed work of `task` in its worktree `wt` (see the module docs) and commits the
/// exported expertise on the task branch. Does nothing when the project has no expertise.
pub async fn learn_from_task(
    db: &Db,
    project: &Project,
    task: &Task,
    wt: &WorktreeInfo,
    target_branch: &str,
    routed: Option<&RoutingDecision>,
) -> CoreResult<Learned> {
    let known: BTreeMap<String, Vec<String>> =
        expertise::list(db, project).await?.into_iter().map(|e| (e.domain, e.patterns)).collect();
    if known.is_empty() {
        return Ok(Learned::default());
    }
    let (path, target) = (wt.path.clone(), target_branch.to_string());
    let diff = blocking(move || {
        let repo = Repository::open(&path)?;
        let tip = repo.head()?.peel_to_commit()?.id();
        let target = repo.find_reference(&format!("refs/heads/{target}"))?.peel_to_commit()?.id();
        let base = repo.merge_base(tip, target)?;
        diff_task(&repo, base, tip)
    })
    .await?;
    if diff.files.is_empty() {
        return Ok(Learned::default());
    }

    // Which domains: the router on the task and what it changed, the domains its paths name, the routed one.
    let input = RouteInput {
        task_id: task.id.clone(),
        title: task.title.clone(),
        description: task.description.clone(),
        files: diff.files.clone(),
    };
    let mut domains = expertise::path_domains(&diff.files, known.keys());
    let candidates: Vec<expertise::Candidate> =
        known.iter().map(|(d, patterns)| expertise::Candidate::from_patterns(d, patterns)).collect();
    let picked = expertise::route_input(&input, &candidates).domain;
    domains.extend(picked.into_iter().chain(routed.and_then(|d| d.domain.clone())).filter(|d| known.contains_key(d)));

    let mut learned = Learned::default();
    for domain in &domains {
        let own: Vec<String> = diff
            .files
            .iter()
            .filter(|f| expertise::path_domains(std::slice::from_ref(*f), [domain]).contains(domain))
            .cloned()
            .collect();
        let files = if own.is_empty() { diff.files.clone() } else { own };
        let patterns = patterns_for(&files, &diff.dependencies);
        let mut added = Vec::new();
        expertise::update_in_db(db, project, domain, |e| {
            for p in &patterns {
                if e.patterns.len() < MAX_PATTERNS && !e.patterns.contains(p) {
                    e.patterns.push(p.clone());
                    added.push(p.clone());
                }
            }
            e.usage_count = e.usage_count.saturating_add(1);
            e.confidence = round2((e.confidence + CONFIDENCE_UP).min(1.0));
            bump(&mut e.metrics, "tasks");
        })
        .await?;
        learned.added.insert(domain.clone(), added);
    }
    learned.domains = domains.iter().cloned().collect();

    expertise::export_domains_to(db, project, &wt.path, &domains, &SyncOptions::default()).await?;
    let (path, message) = (wt.path.clone(), format!("expertise: {}", task.title));
    learned.commit = blocking(move || commit_claude(&path, &message)).await?.map(|o| o.to_string());
    Ok(learned)
}

/// When the gate reports conflicts only in expertise files (another task of the same domain landed first),
/// brings the target into the task branch: a merge commit `expertise: <title>` whose tree is the clean merge of
/// both with the domains' files exported again from the database (which holds both tasks' learning). Returns
/// false, changing nothing, when anything outside `.claude/` conflicts.
pub async fn merge_target_for_expertise(
    db: &Db,
    project: &Project,
    task: &Task,
    wt: &WorktreeInfo,
    target_branch: &str,
    domains: &[String],
) -> CoreResult<bool> {
    let (path, target) = (wt.path.clone(), target_branch.to_string());
    let merged = blocking(move || {
        let repo = Repository::open(&path)?;
        let head = repo.head()?.peel_to_commit()?;
        let target = repo.find_reference(&format!("refs/heads/{target}"))?.peel_to_commit()?;
        let mut index = repo.merge_commits(&head, &target, None)?;
        let conflicts: Vec<git2::IndexConflict> = index.conflicts()?.collect::<Result<_, _>>()?;
        for c in conflicts {
            let Some(any) = c.our.as_ref().or(c.their.as_ref()).or(c.ancestor.as_ref()) else { continue };
            let p = String::from_utf8_lossy(&any.path).into_owned();
            if !p.starts_with(".claude/") {
                return Ok(None);
            }
            index.conflict_remove(Path::new(&p))?;
            // The target's version for now; the domains' files are exported again below.
            if let Some(mut theirs) = c.their {
                theirs.flags &= !0x3000;
                index.add(&theirs)?;
            }
        }
        let tree = repo.find_tree(index.write_tree_to(&repo)?)?;
        repo.checkout_tree(tree.as_object(), Some(git2::build::CheckoutBuilder::new().force()))?;
        let mut wt_index = repo.index()?;
        wt_index.read_tree(&tree)?;
        wt_index.write()?;
        Ok(Some(target.id()))
    })
    .await?;
    let Some(target_tip) = merged else { return Ok(false) };
    let set: BTreeSet<String> = domains.iter().cloned().collect();
    expertise::export_domains_to(db, project, &wt.path, &set, &SyncOptions::default()).await?;
    let (path, message) = (wt.path.clone(), format!("expertise: {}", task.title));
    blocking(move || {
        let repo = Repository::open(&path)?;
        let mut index = repo.index()?;
        index.add_all([".claude"], git2::IndexAddOption::DEFAULT, None)?;
        index.write()?;
        let tree = repo.find_tree(index.write_tree()?)?;
        let head = repo.head()?.peel_to_commit()?;
        let target = repo.find_commit(target_tip)?;
        let sig = crate::sys::git::signature(&repo)?;
        repo.commit(Some("HEAD"), &sig, &sig, &message, &tree, &[&head, &target])?;
        Ok(true)
    })
    .await
}

/// A task of `domains` went to Review: their confidence goes down (database only; see the module docs).
/// `learned`: the task already counted for these domains (it reached the gate).
pub async fn record_review(db: &Db, project: &Project, domains: &[String], learned: bool) -> CoreResult<()> {
    for domain in domains {
        expertise::update_in_db(db, project, domain, |e| {
            if !learned {
                e.usage_count = e.usage_count.saturating_add(1);
                bump(&mut e.metrics, "tasks");
            }
            bump(&mut e.metrics, "review");
            e.confidence = round2((e.confidence - CONFIDENCE_DOWN).max(0.0));
        })
        .await?;
    }
    Ok(())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Adds one to the counter `key` and refreshes `success_rate` (tasks not sent to Review / tasks).
fn bump(metrics: &mut BTreeMap<String, f64>, key: &str) {
    *metrics.entry(key.to_string()).or_insert(0.0) += 1.0;
    let tasks = metrics.get("tasks").copied().unwrap_or(0.0);
    let review = metrics.get("review").copied().unwrap_or(0.0);
    if tasks > 0.0 {
        metrics.insert("success_rate".into(), round2(((tasks - review) / tasks).clamp(0.0, 1.0)));
    }
}

/// Commits the changes under `.claude/` in the work tree `root` on its branch; `None` if there were none.
fn commit_claude(root: &Path, message: &str) -> CoreResult<Option<Oid>> {
    let repo = Repository::open(root)?;
    let mut index = repo.index()?;
    index.add_all([".claude"], git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let head = repo.head()?.peel_to_commit()?;
    if head.tree_id() == tree.id() {
        return Ok(None);
    }
    let sig = crate::sys::git::signature(&repo)?;
    Ok(Some(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head])?))
}

/// The changed files (outside `.claude/`) and new dependencies between two commits.
pub fn diff_task(repo: &Repository, base: Oid, tip: Oid) -> CoreResult<TaskDiff> {
    let (old, new) = (repo.find_commit(base)?.tree()?, repo.find_commit(tip)?.tree()?);
    let diff = repo.diff_tree_to_tree(Some(&old), Some(&new), None)?;
    let mut out = TaskDiff::default();
    for delta in diff.deltas() {
        let Some(path) = delta.new_file().path().or(delta.old_file().path()) else { continue };
        let path = path.to_string_lossy().replace('\\', "/");
        if path.starts_with(".claude/") || path.starts_with(".yokeflow/") {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        let parse: Option<fn(&str) -> BTreeSet<String>> = match name.as_str() {
            "Cargo.toml" => Some(cargo_deps),
            "package.json" => Some(npm_deps),
            "pyproject.toml" => Some(pyproject_deps),
            n if n.starts_with("requirements") && n.ends_with(".txt") => Some(requirements_deps),
            _ => None,
        };
        if let Some(parse) = parse {
            let before = blob_text(repo, &old, &path).map(|t| parse(&t)).unwrap_or_default();
            let after = blob_text(repo, &new, &path).map(|t| parse(&t)).unwrap_or_default();
            out.dependencies.extend(after.difference(&before).cloned());
        }
        out.files.push(path);
    }
    out.files.sort();
    out.files.dedup();
    Ok(out)
}

fn blob_text(repo: &Repository, tree: &Tree, path: &str) -> Option<String> {
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = entry.to_object(repo).ok()?.peel_to_blob().ok()?;
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

/// The patterns a set of changed files and new dependencies teach: files by folder and extension, languages,
/// dependencies, test files. Sorted, deduplicated, stable.
pub fn patterns_for(files: &[String], dependencies: &BTreeSet<String>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for f in files {
        let (dir, name) = match f.rsplit_once('/') {
            Some((d, n)) => (format!("{d}/"), n),
            None => (String::new(), f.as_str()),
        };
        let ext = name.rsplit_once('.').map(|(_, e)| e).filter(|e| !e.is_empty() && !name.starts_with('.'));
        match ext {
            Some(ext) => out.insert(format!("files: {dir}*.{ext}")),
            None => out.insert(format!("files: {f}")),
        };
        if let Some(lang) = ext.and_then(language) {
            out.insert(format!("language: {lang}"));
        }
        if let Some(t) = test_pattern(&dir, name) {
            out.insert(format!("tests: {t}"));
        }
    }
    for d in dependencies {
        out.insert(format!("dependency: {d}"));
    }
    out.into_iter().collect()
}

/// The language of a file extension (none for data and docs).
pub fn language(ext: &str) -> Option<&'static str> {
    Some(match ext.to_ascii_lowercase().as_str() {
        "rs" => "rust",
        "py" => "python",
        "ts" | "tsx" | "mts" | "cts" => "typescript",
        "js" | "jsx" | "mjs" | "cjs" => "javascript",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "rb" => "ruby",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "cs" => "csharp",
        "swift" => "swift",
        "php" => "php",
        "scala" => "scala",
        "sql" => "sql",
        "html" | "htm" => "html",
        "css" | "scss" | "sass" | "less" => "css",
        "vue" => "vue",
        "svelte" => "svelte",
        "sh" | "bash" | "zsh" => "shell",
        _ => return None,
    })
}

/// A test file's pattern: `tests/api_*.rs`, `*_test.go`, `*.test.ts`, `test_*.py`; `None` for other files.
fn test_pattern(dir: &str, name: &str) -> Option<String> {
    let (stem, ext) = name.split_once('.')?;
    let in_tests = dir.split('/').any(|s| matches!(s, "tests" | "test" | "__tests__" | "spec"));
    let glob = if stem.starts_with("test_") {
        format!("test_*.{ext}")
    } else if stem.ends_with("_test") || stem.ends_with("_spec") {
        format!("*{}.{ext}", &stem[stem.rfind('_')?..])
    } else if let Some(kind) = ["test.", "spec."].into_iter().find(|k| ext.starts_with(k)) {
        format!("*.{kind}{}", &ext[kind.len()..])
    } else if in_tests {
        match stem.split_once('_') {
            Some((prefix, _)) => format!("{prefix}_*.{ext}"),
            None => format!("*.{ext}"),
        }
    } else {
        return None;
    };
    Some(format!("{dir}{glob}"))
}

/// Dependency names in `[dependencies]` (and `[workspace.dependencies]`, `[dependencies.x]`,
/// `[target.….dependencies]`) of a `Cargo.toml`.
fn cargo_deps(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_deps = false;
    for line in text.lines().map(str::trim) {
        if let Some(section) = line.strip_prefix('[') {
            let section = section.trim_end_matches(']').trim();
            in_deps = section == "dependencies"
                || section == "workspace.dependencies"
                || section.starts_with("target.") && section.ends_with(".dependencies");
            if let Some(name) = section.strip_prefix("dependencies.") {
                out.insert(name.trim_matches('"').to_string());
            }
            continue;
        }
        if in_deps && !line.starts_with('#') {
            if let Some((key, _)) = line.split_once('=') {
                let key = key.trim().trim_matches('"');
                if !key.is_empty() && !key.contains(' ') {
                    out.insert(key.to_string());
                }
            }
        }
    }
    out
}

/// The keys of `dependencies` in a `package.json`.
fn npm_deps(text: &str) -> BTreeSet<String> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    v.get("dependencies").and_then(|d| d.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The package name of a requirement (`requests>=2; python_version>"3"` → `requests`), lowercased.
fn requirement_name(line: &str) -> Option<String> {
    let name: String =
        line.trim().chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

fn requirements_deps(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
        .filter_map(requirement_name)
        .collect()
}

/// `[project] dependencies = [...]` and the keys of `[tool.poetry.dependencies]` (without `python`).
fn pyproject_deps(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut section = String::new();
    let mut in_array = false;
    for line in text.lines().map(str::trim) {
        if in_array {
            for item in line.split(',') {
                let item = item.trim().trim_matches(|c| c == '"' || c == '\'' || c == ']');
                out.extend(requirement_name(item));
            }
            in_array = !line.contains(']');
            continue;
        }
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').trim().to_string();
            continue;
        }
        if section == "project" && line.starts_with("dependencies") {
            if let Some((_, rest)) = line.split_once('[') {
                for item in rest.split(',') {
                    let item = item.trim().trim_matches(|c| c == '"' || c == '\'' || c == ']');
                    out.extend(requirement_name(item));
                }
                in_array = !rest.contains(']');
            }
        } else if section == "tool.poetry.dependencies" {
            if let Some((key, _)) = line.split_once('=') {
                let key = key.trim().trim_matches('"');
                if key != "python" && !key.is_empty() && !key.starts_with('#') {
                    out.insert(key.to_ascii_lowercase());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_short_stable_and_deduplicated() {
        let files = vec![
            "src/api/users.rs".to_string(),
            "src/api/orders.rs".to_string(),
            "tests/api_users.rs".to_string(),
            "pkg/users_test.go".to_string(),
            "web/app.test.ts".to_string(),
            "py/test_users.py".to_string(),
            "Makefile".to_string(),
        ];
        let p = patterns_for(&files, &BTreeSet::from(["serde".to_string()]));
        for want in [
            "files: src/api/*.rs",
            "language: rust",
            "dependency: serde",
            "tests: tests/api_*.rs",
            "tests: pkg/*_test.go",
            "tests: web/*.test.ts",
            "tests: py/test_*.py",
            "files: Makefile",
            "language: go",
        ] {
            assert!(p.contains(&want.to_string()), "{want} missing from {p:?}");
        }
        assert_eq!(p.iter().filter(|x| x.as_str() == "files: src/api/*.rs").count(), 1);
        assert_eq!(p, patterns_for(&files, &BTreeSet::from(["serde".to_string()])));
    }

    #[test]
    fn manifests_give_their_dependency_names() {
        let cargo = "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\ntokio = { version = \"1\" }\n\
                     [dependencies.git2]\nversion = \"0.20\"\n[dev-dependencies]\ntempfile = \"3\"\n";
        assert_eq!(cargo_deps(cargo), BTreeSet::from(["serde".into(), "tokio".into(), "git2".into()]));
        let npm = r#"{"name":"x","dependencies":{"react":"18"},"devDependencies":{"vite":"5"}}"#;
        assert_eq!(npm_deps(npm), BTreeSet::from(["react".into()]));
        assert_eq!(
            requirements_deps("# c\nrequests>=2\nFlask==3.0\n-r other.txt\n"),
            BTreeSet::from(["requests".into(), "flask".into()])
        );
        let py = "[project]\nname = \"x\"\ndependencies = [\n  \"httpx>=0.27\",\n  \"pydantic\",\n]\n\
                  [tool.poetry.dependencies]\npython = \"^3.11\"\nrich = \"*\"\n";
        assert_eq!(pyproject_deps(py), BTreeSet::from(["httpx".into(), "pydantic".into(), "rich".into()]));
    }
}
