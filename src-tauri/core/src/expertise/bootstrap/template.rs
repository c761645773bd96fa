//! The project template: the built-in one (compiled into the binary, so an installed app needs no source
//! tree) or a folder a project points at (`--template DIR`), and the `{{name}}` substitution used for
//! `CLAUDE.md`.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::error::{CoreError, CoreResult};

/// The file of the template that is rendered (`{{field}}`s filled in) rather than copied.
pub const CLAUDE_MD: &str = "CLAUDE.md";

/// The largest template file YokeFlow copies.
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 1024 * 1024;

macro_rules! builtin {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../templates/claude-sdk-project/", $path)))),*]
    };
}

/// The built-in template (`templates/claude-sdk-project/` at the repository root): every file, by its path
/// relative to the project (always with `/`).
pub const BUILTIN: &[(&str, &[u8])] =
    builtin![".claude/settings.json", ".claude/skills/.gitkeep", ".claude/commands/experts/.gitkeep", "CLAUDE.md",];

/// Where a project's template comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// The template compiled into the binary.
    Builtin,
    /// A folder of the user's: every regular file in it (symlinks and `.git` are skipped).
    Dir(PathBuf),
}

/// A template's files, by relative path (`/`-separated), in path order.
pub type TemplateFiles = BTreeMap<String, Vec<u8>>;

impl Template {
    /// Every file of the template. A folder template without `CLAUDE.md` gets the built-in one, so a
    /// `CLAUDE.md` is always generated.
    pub fn files(&self) -> CoreResult<TemplateFiles> {
        let builtin = || BUILTIN.iter().map(|(p, b)| (p.to_string(), b.to_vec()));
        match self {
            Template::Builtin => Ok(builtin().collect()),
            Template::Dir(dir) => {
                let meta = std::fs::metadata(dir)
                    .map_err(|e| CoreError::io(format!("cannot read the template folder {}", dir.display()), e))?;
                if !meta.is_dir() {
                    return Err(CoreError::InvalidInput(format!("the template {} is not a folder", dir.display())));
                }
                let mut files = TemplateFiles::new();
                walk(dir, dir, &mut files)?;
                if !files.contains_key(CLAUDE_MD) {
                    let (p, b) = builtin().find(|(p, _)| p == CLAUDE_MD).expect("the built-in template has CLAUDE.md");
                    files.insert(p, b);
                }
                Ok(files)
            }
        }
    }
}

fn walk(root: &Path, dir: &Path, files: &mut TemplateFiles) -> CoreResult<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| CoreError::io(format!("cannot read {}", dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| CoreError::io(format!("cannot read {}", dir.display()), e))?;
        let path = entry.path();
        let ty = entry.file_type().map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
        if entry.file_name() == ".git" || ty.is_symlink() {
            continue;
        }
        if ty.is_dir() {
            walk(root, &path, files)?;
        } else if ty.is_file() {
            let rel = relative(root, &path)?;
            let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
            if len > MAX_TEMPLATE_FILE_BYTES {
                return Err(CoreError::InvalidInput(format!(
                    "template file {} is {len} bytes; template files are limited to {} KiB",
                    path.display(),
                    MAX_TEMPLATE_FILE_BYTES / 1024
                )));
            }
            let bytes =
                std::fs::read(&path).map_err(|e| CoreError::io(format!("cannot read {}", path.display()), e))?;
            files.insert(rel, bytes);
        }
    }
    Ok(())
}

/// `path` relative to `root`, `/`-separated; only plain components (no `..`) are accepted.
fn relative(root: &Path, path: &Path) -> CoreResult<String> {
    let rel = path.strip_prefix(root).map_err(|_| bad_path(path))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str().ok_or_else(|| bad_path(path))?.to_string()),
            _ => return Err(bad_path(path)),
        }
    }
    Ok(parts.join("/"))
}

fn bad_path(path: &Path) -> CoreError {
    CoreError::InvalidInput(format!("template file {} has a name YokeFlow cannot use", path.display()))
}

/// Replaces each `{{name}}` (spaces inside the braces allowed) with `vars[name]`. Unknown fields are
/// left as they are, and substituted text is never expanded again.
pub fn render(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => match vars.get(after[..end].trim()) {
                Some(value) => {
                    out.push_str(value);
                    rest = &after[end + 2..];
                }
                None => {
                    out.push_str("{{");
                    rest = after;
                }
            },
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_known_fields_once() {
        let vars = BTreeMap::from([("a", "x {{b}}".to_string()), ("b", "y".to_string())]);
        assert_eq!(render("[{{a}}] [{{ b }}] [{{c}}] {{", &vars), "[x {{b}}] [y] [{{c}}] {{");
    }

    #[test]
    fn builtin_has_every_file() {
        let files = Template::Builtin.files().unwrap();
        assert!(files.contains_key(CLAUDE_MD) && files.contains_key(".claude/settings.json"));
        let settings: serde_json::Value = serde_json::from_slice(&files[".claude/settings.json"]).unwrap();
        assert!(settings["permissions"]["deny"].as_array().is_some_and(|d| !d.is_empty()));
    }
}
