//! Project bootstrap (`yokeflow init --spec app_spec.md <dir>`): a git repository with the Claude Code project
//! template, a `CLAUDE.md` generated from the app spec, an expert stub per domain the spec touches, the project
//! registered in the database, and one commit of exactly the files init wrote.
//!
//! - [`template`]: the built-in template (compiled in) or a folder, and the `{{name}}` substitution.
//! - [`spec`]: reading the app spec; technologies and domains by keyword tables.
//! - [`claude_md`]: `CLAUDE.md` from the spec.
//!
//! **Idempotent, and never overwrites a person's work.** Init records every file it wrote, with the SHA-256 of
//! the bytes it wrote, in `.claude/.yokeflow-init.json` (committed with the files, so a clone knows them too).
//! On a re-run, for each template file:
//! - absent and never written by init: created (and recorded);
//! - recorded and still holding the recorded bytes: rewritten if the new content differs (the spec changed),
//!   else left untouched (not even its modification time changes);
//! - recorded but its content differs from the record: a person edited it: kept ("kept (edited)");
//! - recorded but deleted: a person removed it: not recreated ("kept (deleted)");
//! - present but never recorded: it was there before init: never touched ("kept (yours)").
//!
//! Expert stubs belong to the expertise sync (which keeps its own per-side hashes): a domain already in the
//! database is left alone, a domain whose `expertise.yaml` exists is imported from it, and only a new domain
//! gets a stub (`expertise::add`).
//!
//! The commit is built from HEAD's tree plus init's files only (an in-memory index), so neither the user's
//! other changes nor anything they staged are committed; it is skipped when that tree equals HEAD's.

pub mod claude_md;
pub mod spec;
pub mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::Repository;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::expertise::{self, files::hash, Layout};
use crate::store::db::Db;
use crate::{store::project, sys::git};

pub use spec::{AppSpec, DomainMatch};
pub use template::Template;

/// Where init records what it wrote (path relative to the project root).
pub const MANIFEST: &str = ".claude/.yokeflow-init.json";

/// The largest app spec init reads.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// What `init --spec` is given.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The app spec (Markdown).
    pub spec: PathBuf,
    /// The template; [`Template::Builtin`] unless the project has its own.
    pub template: Template,
}

/// Why init left a file alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeptReason {
    /// Init wrote it, and a person changed it since.
    Edited,
    /// Init wrote it, and a person deleted it since.
    Deleted,
    /// It was there before init ever wrote it.
    Yours,
}

impl KeptReason {
    pub fn as_str(self) -> &'static str {
        match self {
            KeptReason::Edited => "edited",
            KeptReason::Deleted => "deleted",
            KeptReason::Yours => "yours",
        }
    }
}

/// A file init left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeptFile {
    pub path: String,
    pub reason: KeptReason,
}

/// What one `init --spec` did. Paths are relative to the project root, `/`-separated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct InitReport {
    pub project_id: String,
    pub repo_path: String,
    /// Whether init created the git repository.
    pub repo_created: bool,
    /// Files init wrote that were not there.
    pub created: Vec<String>,
    /// Files init wrote before and rewrote now (their content had to change, nobody had edited them).
    pub updated: Vec<String>,
    /// Files init left alone.
    pub kept: Vec<KeptFile>,
    /// Files init wrote before that already hold the right content.
    pub unchanged: Vec<String>,
    /// The domains the spec touches (an expert exists for each).
    pub domains: Vec<DomainMatch>,
    /// The commit init made (full hash), if it had anything to commit.
    pub committed: Option<String>,
}

/// The record of what init wrote: path → SHA-256 of the bytes written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    files: BTreeMap<String, String>,
}

/// Bootstraps (or refreshes) the project at `dir`; see the module documentation.
pub async fn init(db: &Db, dir: &Path, opts: &InitOptions) -> CoreResult<InitReport> {
    // Everything that can be refused is checked before anything is created.
    let spec_text = read_spec(&opts.spec)?;
    let files = opts.template.files()?;
    let spec = spec::parse(&spec_text);
    for d in &spec.domains {
        expertise::validate_domain(&d.domain)?;
    }

    let (repo, repo_created) = open_or_create(dir)?;
    let root = git::discover_workdir(dir)?;
    let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "project".into());

    let mut report = InitReport {
        project_id: String::new(),
        repo_path: root.display().to_string(),
        repo_created,
        created: Vec::new(),
        updated: Vec::new(),
        kept: Vec::new(),
        unchanged: Vec::new(),
        domains: spec.domains.clone(),
        committed: None,
    };
    let old = read_manifest(&root)?;
    let mut manifest = Manifest { version: 1, files: old.files.clone() };
    for (rel, bytes) in &files {
        if rel == MANIFEST {
            continue;
        }
        let bytes = if rel == template::CLAUDE_MD {
            let text = String::from_utf8_lossy(bytes);
            claude_md::render_claude_md(&text, &spec, &name).into_bytes()
        } else {
            bytes.clone()
        };
        place(&root, rel, &bytes, old.files.get(rel), &mut manifest, &mut report)?;
    }

    // Recorded at once, so a later failure (database, expertise) leaves files a re-run still knows as init's.
    if manifest != old {
        let mut text = serde_json::to_string_pretty(&manifest).expect("a manifest serializes");
        text.push('\n');
        let existed = root.join(MANIFEST).exists();
        write_file(&root, MANIFEST, text.as_bytes())?;
        let list = if existed { &mut report.updated } else { &mut report.created };
        list.push(MANIFEST.to_string());
    }

    let p = project::init(db, &root).await?;
    report.project_id = p.id.clone();

    let layout = Layout::new(&root);
    for d in &spec.domains {
        if expertise::get(db, &p, &d.domain).await?.is_some() {
            continue;
        }
        let paths = [
            layout.expertise_file(&d.domain),
            layout.question_file(&d.domain),
            layout.self_improve_file(&d.domain),
            layout.skill_file(&d.domain),
        ];
        let before: Vec<bool> = paths.iter().map(|f| f.exists()).collect();
        if before[0] {
            expertise::sync_domain(db, &p, &d.domain).await?;
        } else {
            expertise::add(db, &p, &d.domain).await?;
        }
        for (path, existed) in paths.iter().zip(before) {
            if !existed && path.exists() {
                report.created.push(rel_path(&root, path));
            }
        }
    }

    // Unchanged files are included so a run interrupted before its commit is completed by the next one; the
    // commit is skipped when the tree equals HEAD's.
    let mut to_commit: Vec<String> =
        report.created.iter().chain(&report.updated).chain(&report.unchanged).cloned().collect();
    to_commit.sort();
    let message = if repo.head().is_ok() {
        "YokeFlow init: update the project template, CLAUDE.md and expert stubs"
    } else {
        "YokeFlow init: project template, CLAUDE.md and expert stubs"
    };
    report.committed = git::commit_paths(&repo, &root, &to_commit, message)?.map(|oid| oid.to_string());
    Ok(report)
}

pub(crate) fn read_spec(path: &Path) -> CoreResult<String> {
    let ctx = || format!("cannot read the app spec {}", path.display());
    let meta = std::fs::metadata(path).map_err(|e| CoreError::io(ctx(), e))?;
    if !meta.is_file() {
        return Err(CoreError::InvalidInput(format!("the app spec {} is not a file", path.display())));
    }
    if meta.len() > MAX_SPEC_BYTES {
        return Err(CoreError::InvalidInput(format!(
            "the app spec {} is {} bytes; at most {} KiB are read",
            path.display(),
            meta.len(),
            MAX_SPEC_BYTES / 1024
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| CoreError::io(ctx(), e))?;
    String::from_utf8(bytes)
        .map_err(|_| CoreError::InvalidInput(format!("the app spec {} is not UTF-8 text", path.display())))
}

/// Opens the repository whose work tree is `dir`, or creates `dir` and a repository in it (branch `main`).
/// A `dir` inside another repository's work tree is refused rather than nesting a repository in it.
fn open_or_create(dir: &Path) -> CoreResult<(Repository, bool)> {
    if let Ok(repo) = Repository::open(dir) {
        return Ok((repo, false));
    }
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(dir);
    if let Ok(outer) = Repository::discover(existing) {
        let at = outer.workdir().unwrap_or(outer.path()).display().to_string();
        return Err(CoreError::InvalidInput(format!(
            "{} is inside the git repository at {at}; run init at that repository's root, or choose a folder \
             outside it",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    Ok((Repository::init_opts(dir, &opts)?, true))
}

fn read_manifest(root: &Path) -> CoreResult<Manifest> {
    let path = root.join(MANIFEST);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            CoreError::InvalidInput(format!(
                "{} is not a valid init record ({e}); fix it or delete it (init then treats every file as yours)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(e) => Err(CoreError::io(format!("cannot read {}", path.display()), e)),
    }
}

/// Decides what to do with one template file and does it (see the module documentation).
fn place(
    root: &Path,
    rel: &str,
    bytes: &[u8],
    recorded: Option<&String>,
    manifest: &mut Manifest,
    report: &mut InitReport,
) -> CoreResult<()> {
    let path = root.join(rel);
    let current = match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CoreError::io(format!("cannot read {}", path.display()), e)),
        Ok(meta) if meta.is_file() => {
            Some(std::fs::read(&path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?)
        }
        // A folder or symlink where init would write: it is not init's.
        Ok(_) => {
            report.kept.push(KeptFile { path: rel.to_string(), reason: KeptReason::Yours });
            return Ok(());
        }
    };
    let keep = |reason| KeptFile { path: rel.to_string(), reason };
    match (current, recorded) {
        (None, None) => {
            write_file(root, rel, bytes)?;
            manifest.files.insert(rel.to_string(), hash(bytes));
            report.created.push(rel.to_string());
        }
        (None, Some(_)) => report.kept.push(keep(KeptReason::Deleted)),
        (Some(_), None) => report.kept.push(keep(KeptReason::Yours)),
        (Some(cur), Some(h)) if hash(&cur) != *h => report.kept.push(keep(KeptReason::Edited)),
        (Some(cur), Some(_)) if cur == bytes => report.unchanged.push(rel.to_string()),
        (Some(_), Some(_)) => {
            write_file(root, rel, bytes)?;
            manifest.files.insert(rel.to_string(), hash(bytes));
            report.updated.push(rel.to_string());
        }
    }
    Ok(())
}

/// Writes `root/rel` through a temporary file, refusing a parent folder that is a symbolic link (checked before
/// any folder is created, so nothing is made through it) or that resolves outside `root`.
fn write_file(root: &Path, rel: &str, bytes: &[u8]) -> CoreResult<()> {
    let path = root.join(rel);
    let dir = path.parent().expect("a relative file path has a parent");
    let mut at = root.to_path_buf();
    for part in Path::new(rel).parent().into_iter().flat_map(Path::components) {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() || !m.is_dir() => {
                return Err(CoreError::InvalidInput(format!(
                    "{} is a symbolic link or a file, not a folder: init does not write through it; refused",
                    at.display()
                )))
            }
            Ok(_) => {}
            // The rest does not exist yet: it is created below, inside `root`.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(CoreError::io(format!("cannot read {}", at.display()), e)),
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| CoreError::io(format!("cannot create {}", dir.display()), e))?;
    let real = dir.canonicalize().map_err(|e| CoreError::io(format!("cannot resolve {}", dir.display()), e))?;
    if !real.starts_with(root) {
        return Err(CoreError::InvalidInput(format!(
            "{} resolves to {}, outside the project; refused",
            dir.display(),
            real.display()
        )));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.yokeflow-tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| CoreError::io(format!("cannot write {}", tmp.display()), e))?;
    std::fs::rename(&tmp, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CoreError::io(format!("cannot write {}", path.display()), e)
    })
}

fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
