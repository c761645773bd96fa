//! The expertise files under `<repo>/.claude/`: where they live ([`Layout`]), their stable text format
//! (`expertise.yaml`, `question.md`, `self-improve.md`), content hashes, and guarded reads and writes.
//!
//! Every path is checked before it is read or written: it must resolve (symlinks followed) inside the
//! repository's `.claude/` folder, and a file may not exceed [`MAX_FILE_BYTES`]. Writes go to a temporary file
//! that is renamed over the target, and only happen when the bytes differ, so re-exporting unchanged data
//! writes nothing and a watcher never sees a half-written file.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::domain::Expertise;
use crate::error::{CoreError, CoreResult};

/// The largest expertise or skill file YokeFlow reads or writes.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Where the expertise files of one repository live.
#[derive(Debug, Clone)]
pub struct Layout {
    repo: PathBuf,
}

impl Layout {
    pub fn new(repo: impl Into<PathBuf>) -> Layout {
        Layout { repo: repo.into() }
    }

    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// `<repo>/.claude`: nothing is read or written outside it.
    pub fn claude_dir(&self) -> PathBuf {
        self.repo.join(".claude")
    }

    /// `<repo>/.claude/commands/experts`: one folder per domain.
    pub fn experts_dir(&self) -> PathBuf {
        self.claude_dir().join("commands").join("experts")
    }

    pub fn domain_dir(&self, domain: &str) -> PathBuf {
        self.experts_dir().join(domain)
    }

    pub fn expertise_file(&self, domain: &str) -> PathBuf {
        self.domain_dir(domain).join("expertise.yaml")
    }

    pub fn question_file(&self, domain: &str) -> PathBuf {
        self.domain_dir(domain).join("question.md")
    }

    pub fn self_improve_file(&self, domain: &str) -> PathBuf {
        self.domain_dir(domain).join("self-improve.md")
    }

    /// `<repo>/.claude/skills/{domain}-expert/SKILL.md`, the native Claude Code skill.
    pub fn skill_file(&self, domain: &str) -> PathBuf {
        self.claude_dir().join("skills").join(format!("{domain}-expert")).join("SKILL.md")
    }

    /// The canonical `.claude` path that every checked path must start with. `.claude` itself is not resolved,
    /// so a `.claude` symlink pointing elsewhere is refused like any other escape.
    fn jail(&self) -> CoreResult<PathBuf> {
        let repo = std::fs::canonicalize(&self.repo)
            .map_err(|e| CoreError::io(format!("cannot resolve {}", self.repo.display()), e))?;
        Ok(repo.join(".claude"))
    }

    /// Fails unless `path` (which exists) resolves inside `.claude/`.
    fn check_inside(&self, path: &Path) -> CoreResult<()> {
        let real =
            std::fs::canonicalize(path).map_err(|e| CoreError::io(format!("cannot resolve {}", path.display()), e))?;
        if real.starts_with(self.jail()?) {
            Ok(())
        } else {
            Err(CoreError::InvalidInput(format!(
                "{} resolves to {}, outside the repository's .claude/ folder; refused",
                path.display(),
                real.display()
            )))
        }
    }

    /// Creates `dir` (under `.claude/`) and its parents, refusing any existing component that leads outside.
    pub fn ensure_dir(&self, dir: &Path) -> CoreResult<()> {
        let rel = dir.strip_prefix(&self.repo).map_err(|_| outside(dir))?;
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) || !rel.starts_with(".claude") {
            return Err(outside(dir));
        }
        let mut cur = self.repo.clone();
        for comp in rel.components() {
            cur.push(comp);
            match std::fs::symlink_metadata(&cur) {
                Ok(meta) => {
                    self.check_inside(&cur)?;
                    if !(meta.is_dir() || meta.file_type().is_symlink() && cur.is_dir()) {
                        return Err(CoreError::InvalidInput(format!("{} is not a folder", cur.display())));
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(&cur)
                    .or_else(|e| if cur.is_dir() { Ok(()) } else { Err(e) })
                    .map_err(|e| CoreError::io(format!("cannot create {}", cur.display()), e))?,
                Err(e) => return Err(CoreError::io(format!("cannot read {}", cur.display()), e)),
            }
        }
        Ok(())
    }

    /// Reads a file under `.claude/`: `None` if it does not exist; an error if it resolves outside `.claude/`,
    /// is not a regular file, or is larger than [`MAX_FILE_BYTES`].
    pub fn read(&self, path: &Path) -> CoreResult<Option<Vec<u8>>> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CoreError::io(format!("cannot read {}", path.display()), e)),
            Ok(_) => {}
        }
        self.check_inside(path)?;
        let meta = std::fs::metadata(path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
        if !meta.is_file() {
            return Err(CoreError::InvalidInput(format!("{} is not a regular file", path.display())));
        }
        check_size(path, meta.len())?;
        let bytes = std::fs::read(path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
        check_size(path, bytes.len() as u64)?;
        Ok(Some(bytes))
    }

    /// Writes `bytes` to `path` unless it already holds exactly them; returns whether it wrote.
    pub fn write_if_changed(&self, path: &Path, bytes: &[u8]) -> CoreResult<bool> {
        check_size(path, bytes.len() as u64)?;
        let dir = path.parent().ok_or_else(|| outside(path))?;
        self.ensure_dir(dir)?;
        if self.read(path)?.as_deref() == Some(bytes) {
            return Ok(false);
        }
        let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| outside(path))?;
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| CoreError::io(format!("cannot write {}", tmp.display()), e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            CoreError::io(format!("cannot write {}", path.display()), e)
        })?;
        Ok(true)
    }

    /// Writes `bytes` to `path` only if no file is there yet (people may edit it afterwards).
    pub fn write_if_absent(&self, path: &Path, bytes: &[u8]) -> CoreResult<bool> {
        if std::fs::symlink_metadata(path).is_ok() {
            return Ok(false);
        }
        self.write_if_changed(path, bytes)
    }
}

fn outside(path: &Path) -> CoreError {
    CoreError::InvalidInput(format!("{} is outside the repository's .claude/ folder; refused", path.display()))
}

fn check_size(path: &Path, len: u64) -> CoreResult<()> {
    if len > MAX_FILE_BYTES {
        return Err(CoreError::InvalidInput(format!(
            "{} is {len} bytes; expertise files are limited to {} KiB",
            path.display(),
            MAX_FILE_BYTES / 1024
        )));
    }
    Ok(())
}

/// The hex SHA-256 of `bytes`: what `db_hash` and `file_hash` record.
pub fn hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `expertise.yaml` as YokeFlow writes a domain it created; fields in alphabetical order, so the output has sorted
/// keys.
#[derive(Serialize)]
struct Doc {
    confidence: f64,
    domain: String,
    metrics: BTreeMap<String, f64>,
    patterns: Vec<String>,
    usage: u32,
}

/// The canonical `expertise.yaml` text of `e`: sorted keys, no timestamps. Its hash is the expertise's
/// content hash.
pub fn render_yaml(e: &Expertise) -> String {
    let doc = Doc {
        confidence: e.confidence,
        domain: e.domain.clone(),
        metrics: e.metrics.clone(),
        patterns: e.patterns.clone(),
        usage: e.usage_count,
    };
    serde_norway::to_string(&doc).expect("an expertise document always serializes")
}

/// The content hash of `e` (of its canonical text).
pub fn content_hash(e: &Expertise) -> String {
    hash(render_yaml(e).as_bytes())
}

/// Parses `expertise.yaml` text read from `path` for `domain`: any YAML mapping, read for what YokeFlow
/// understands ([`super::document::understand`]). Errors name the file and the line.
pub fn parse_yaml(path: &Path, bytes: &[u8], domain: &str) -> CoreResult<Expertise> {
    super::document::understand(path, bytes, domain).map(|u| u.e)
}

/// The text to write for `e`: `document` (the file's last text) edited in place when there is one
/// ([`super::document::edit`]), else YokeFlow's own format ([`render_yaml`]).
pub fn render_into(path: &Path, document: Option<&str>, e: &Expertise) -> CoreResult<String> {
    match document {
        Some(doc) => super::document::edit(path, doc, e),
        None => Ok(render_yaml(e)),
    }
}

/// `question.md`: how to query this expert (a Claude Code slash command).
pub fn render_question(domain: &str) -> String {
    format!(
        "---\ndescription: Ask the {domain} expert a question about this project\nargument-hint: <question>\n---\n\n\
         # Ask the `{domain}` expert\n\n\
         Read `.claude/commands/experts/{domain}/expertise.yaml`: its `patterns` are what this project has learned \
         about `{domain}`, `confidence` (0 to 1) says how far they have been confirmed and `usage` how often they \
         were applied.\n\n\
         Answer the question below from those patterns first, then from the code. Say which pattern you relied \
         on, and say so plainly when the expertise does not cover the question.\n\n\
         Question: $ARGUMENTS\n"
    )
}

/// `self-improve.md`: when and how the expert updates itself.
pub fn render_self_improve(domain: &str) -> String {
    format!(
        "---\ndescription: Update the {domain} expert from the work just done\n---\n\n\
         # Improve the `{domain}` expert\n\n\
         Run this after finishing a task that touched `{domain}`, when you learned something a later task should \
         know (a convention, a pitfall, a command that must be run).\n\n\
         1. Read `.claude/commands/experts/{domain}/expertise.yaml`.\n\
         2. Add each new lesson as one short, imperative line under `patterns`; reword or drop a pattern the \
         work proved wrong. Keep the list free of duplicates.\n\
         3. Raise `confidence` a little (at most 0.05) when the patterns held, lower it when they misled you.\n\
         4. Leave `usage` and `metrics` alone: YokeFlow maintains them.\n\n\
         YokeFlow picks the edit up at once and stores it in its database; keep the file valid YAML.\n"
    )
}
