//! Small git queries the rest of the core shares: finding a repository's work tree and its current branch, and the
//! clean git environment every program YokeFlow starts gets ([`repository_env`]).

use std::path::{Path, PathBuf};

use git2::Repository;

use crate::error::{CoreError, CoreResult};

/// The work tree (canonical path) of the repository containing `path`.
pub fn discover_workdir(path: &Path) -> CoreResult<PathBuf> {
    let repo =
        Repository::discover(path).map_err(|_| CoreError::NotARepository { path: path.display().to_string() })?;
    let workdir = repo.workdir().ok_or_else(|| {
        CoreError::InvalidInput(format!("{} is a bare repository; YokeFlow needs a work tree", path.display()))
    })?;
    workdir.canonicalize().map_err(|e| CoreError::io(format!("cannot resolve {}", workdir.display()), e))
}

/// The short name of the branch HEAD points at, also when the branch has no commit yet.
pub fn current_branch(repo: &Repository) -> CoreResult<String> {
    let head = repo.find_reference("HEAD")?;
    match head.symbolic_target() {
        Some(target) => Ok(target.strip_prefix("refs/heads/").unwrap_or(target).to_string()),
        None => {
            Err(CoreError::InvalidInput("HEAD is detached; check out the branch YokeFlow should merge into".into()))
        }
    }
}

/// Commits every file of the work tree on HEAD's branch (used to seed new repositories).
pub fn commit_all(repo: &Repository, message: &str) -> CoreResult<git2::Oid> {
    let mut index = repo.index()?;
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, None)?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = signature(repo)?;
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit> = parent.iter().collect();
    Ok(repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?)
}

/// The user's configured identity, or YokeFlow's own when none is configured.
pub fn signature(repo: &Repository) -> CoreResult<git2::Signature<'static>> {
    match repo.signature() {
        Ok(sig) => Ok(sig.to_owned()),
        Err(_) => Ok(git2::Signature::now("YokeFlow", "yokeflow@localhost")?),
    }
}

/// The variables that make git work on another repository, index, object store or configuration than the one of
/// its working folder: git's own list (`git rev-parse --local-env-vars`) plus the namespace, quarantine and
/// `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` pairs.
const REPOSITORY_ENV: &[&str] = &[
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
];

/// The variables of this process's environment to remove from every program YokeFlow starts (agents, test
/// commands, git itself), so that git in it works on the repository of its folder and nothing else: with `GIT_DIR`
/// inherited, an agent's `git commit` in its worktree would land straight on the user's branch.
pub fn repository_env() -> Vec<String> {
    let mut out: Vec<String> = REPOSITORY_ENV.iter().map(|v| v.to_string()).collect();
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("GIT_CONFIG_KEY_") || key.starts_with("GIT_CONFIG_VALUE_") {
            out.push(key.to_string());
        }
    }
    out
}

/// `cmd` without the [`repository_env`] variables: every program YokeFlow starts goes through this (for a
/// `tokio::process::Command`, pass `as_std_mut()`).
pub fn clean_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    for var in repository_env() {
        cmd.env_remove(var);
    }
    cmd
}

/// `git -C <dir>` ready to run for YokeFlow's own git calls, with nothing from the repository's configuration able to
/// start a program: hooks off (`core.hooksPath=/dev/null`), no file-system monitor (`core.fsmonitor=false`), and
/// every filter or merge driver the repository's own configuration (`.git/config`, `config.worktree`, what they
/// include) defines switched off for this call (a filter's commands emptied, a merge driver made `false`, so a
/// merge through it conflicts instead of running something). Drivers a person defined in their global or system
/// configuration (git-lfs) stay: an agent shares the repository's `.git/config` with the person, not their home.
/// Also the clean git environment ([`clean_env`]), no prompt, no input.
pub fn command(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C").arg(dir);
    for (key, value) in safe_overrides(dir) {
        cmd.arg("-c").arg(format!("{key}={value}"));
    }
    clean_env(&mut cmd);
    cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_OPTIONAL_LOCKS", "0").stdin(std::process::Stdio::null());
    cmd
}

/// The `-c` overrides of [`command`] for the repository of `dir`.
pub fn safe_overrides(dir: &Path) -> Vec<(String, String)> {
    let mut out = vec![
        ("core.hooksPath".to_string(), "/dev/null".to_string()),
        ("core.fsmonitor".to_string(), "false".to_string()),
        ("core.sshCommand".to_string(), "false".to_string()),
    ];
    let Ok(config) = Repository::open(dir).and_then(|r| r.config()) else { return out };
    let mut names = std::collections::BTreeSet::new();
    if let Ok(mut entries) = config.entries(Some(r"^(filter|merge)\..*\.")) {
        while let Some(Ok(entry)) = entries.next() {
            if !matches!(entry.level(), git2::ConfigLevel::Local | git2::ConfigLevel::Worktree | git2::ConfigLevel::App)
            {
                continue;
            }
            let Some(name) = entry.name() else { continue };
            let Some((section, rest)) = name.split_once('.') else { continue };
            let Some((driver, _key)) = rest.rsplit_once('.') else { continue };
            names.insert((section.to_ascii_lowercase(), driver.to_string()));
        }
    }
    for (section, driver) in names {
        if section == "filter" {
            for key in ["clean", "smudge", "process"] {
                out.push((format!("filter.{driver}.{key}"), String::new()));
            }
            out.push((format!("filter.{driver}.required"), "false".to_string()));
        } else {
            out.push((format!("merge.{driver}.driver"), "false".to_string()));
        }
    }
    out
}

/// Commits exactly `paths` (relative to `root`, as they are on disk) on top of HEAD with `message`, leaving every
/// other file and the user's staged changes out; then stages those paths in the real index so `git status` agrees.
/// `None` when the resulting tree equals HEAD's.
pub fn commit_paths(repo: &Repository, root: &Path, paths: &[String], message: &str) -> CoreResult<Option<git2::Oid>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let mut index = git2::Index::new()?;
    if let Some(h) = &head {
        index.read_tree(&h.tree()?)?;
    }
    for rel in paths {
        let (bytes, mode) = file_blob(&root.join(rel)).map_err(|e| CoreError::io(format!("cannot read {rel}"), e))?;
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: bytes.len() as u32,
            id: repo.blob(&bytes)?,
            flags: 0,
            flags_extended: 0,
            path: rel.as_bytes().to_vec(),
        };
        index.add(&entry)?;
    }
    let tree_id = index.write_tree_to(repo)?;
    if head.as_ref().is_some_and(|h| h.tree_id() == tree_id) {
        return Ok(None);
    }
    let tree = repo.find_tree(tree_id)?;
    let sig = signature(repo)?;
    let parents: Vec<&git2::Commit> = head.iter().collect();
    let oid = repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    let mut real = repo.index()?;
    for rel in paths {
        real.add_path(Path::new(rel))?;
    }
    real.write()?;
    Ok(Some(oid))
}

/// What git stores for the file at `path`: a symbolic link as a link (its target, mode 120000), never the file it
/// points to (which may be outside the repository); an executable file with mode 100755; else 100644.
pub fn file_blob(path: &Path) -> std::io::Result<(Vec<u8>, u32)> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok((std::fs::read_link(path)?.as_os_str().as_bytes().to_vec(), 0o120000));
    }
    let mode = if meta.permissions().mode() & 0o111 != 0 { 0o100755 } else { 0o100644 };
    Ok((std::fs::read(path)?, mode))
}

/// Whether the configuration key `name` names a program git (or a tool it starts) runs, or another file of
/// configuration or attributes to read: what an agent must not change in the configuration it shares with the person.
pub fn names_a_program(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "core.fsmonitor",
        "core.hookspath",
        "core.sshcommand",
        "core.pager",
        "core.editor",
        "core.askpass",
        "core.gitproxy",
        "core.attributesfile",
        "core.excludesfile",
        "core.worktree",
        "sequence.editor",
        "diff.external",
        "extensions.worktreeconfig",
        "uploadpack.packobjectshook",
    ];
    const PREFIXES: &[&str] =
        &["filter.", "alias.", "include.", "includeif.", "credential.", "gpg.", "pager.", "difftool.", "mergetool."];
    let ends = |s: &str| n.ends_with(s);
    EXACT.contains(&n.as_str())
        || PREFIXES.iter().any(|p| n.starts_with(p))
        || (n.starts_with("merge.") && ends(".driver"))
        || (n.starts_with("diff.") && (ends(".command") || ends(".textconv")))
        || (n.starts_with("remote.") && (ends(".uploadpack") || ends(".receivepack") || ends(".vcs")))
}

/// The repository's shared configuration (`<common dir>/config`) as a run found it, for the keys that name a program
/// ([`names_a_program`]). [`ConfigGuard::check`] undoes any change to those keys (an agent's, which would make the
/// person's own git, or a tool, run its program) and says what it was.
#[derive(Debug)]
pub struct ConfigGuard {
    path: PathBuf,
    trusted: Vec<(String, String)>,
}

impl ConfigGuard {
    /// Takes the trusted state of the repository of `repo_path`.
    pub fn new(repo_path: &Path) -> CoreResult<ConfigGuard> {
        let repo = Repository::open(repo_path)?;
        let path = repo.commondir().join("config");
        let trusted = program_entries(&path)?;
        Ok(ConfigGuard { path, trusted })
    }

    /// `None` when the program keys are as trusted; else restores them and returns what had changed (`+ key = value`
    /// for an added or changed value, `- key = value` for a removed one).
    pub fn check(&self) -> CoreResult<Option<String>> {
        let now = program_entries(&self.path)?;
        if now == self.trusted {
            return Ok(None);
        }
        let mut change: Vec<String> =
            now.iter().filter(|e| !self.trusted.contains(e)).map(|(k, v)| format!("+ {k} = {v}")).collect();
        change.extend(self.trusted.iter().filter(|e| !now.contains(e)).map(|(k, v)| format!("- {k} = {v}")));
        let mut cfg = git2::Config::open(&self.path)?;
        let names: std::collections::BTreeSet<&String> = now.iter().chain(&self.trusted).map(|(k, _)| k).collect();
        for name in names {
            match cfg.remove_multivar(name, ".*") {
                Ok(()) => {}
                Err(e) if e.code() == git2::ErrorCode::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        for (name, value) in &self.trusted {
            cfg.set_multivar(name, "^$", value)?;
        }
        Ok(Some(change.join("; ")))
    }
}

/// The entries of the configuration file at `path` (this file alone) whose key names a program, in file order.
fn program_entries(path: &Path) -> CoreResult<Vec<(String, String)>> {
    let cfg = git2::Config::open(path)?;
    let mut out = Vec::new();
    let mut entries = cfg.entries(None)?;
    while let Some(entry) = entries.next() {
        let entry = entry?;
        if entry.level() != git2::ConfigLevel::Local && entry.level() != git2::ConfigLevel::App {
            continue;
        }
        let (Some(name), value) = (entry.name(), entry.value().unwrap_or("")) else { continue };
        if names_a_program(name) {
            out.push((name.to_ascii_lowercase(), value.to_string()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_program_in_the_shared_config_is_undone_and_named_and_the_rest_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut cfg = repo.config().unwrap();
        cfg.set_str("filter.lfs.smudge", "git-lfs smudge -- %f").unwrap();
        cfg.set_multivar("include.path", "^$", "/a").unwrap();
        cfg.set_multivar("include.path", "^$", "/b").unwrap();
        let guard = ConfigGuard::new(dir.path()).unwrap();
        assert_eq!(guard.check().unwrap(), None, "nothing changed");
        // What an agent plants (and changes), beside a harmless change of the person's.
        let mut cfg = git2::Config::open(&dir.path().join(".git/config")).unwrap();
        cfg.set_str("core.fsmonitor", "/tmp/evil").unwrap();
        cfg.set_str("filter.lfs.smudge", "/tmp/evil %f").unwrap();
        cfg.remove_multivar("include.path", "^/b$").unwrap();
        cfg.set_str("user.name", "Kept").unwrap();
        let change = guard.check().unwrap().expect("a change");
        assert!(change.contains("+ core.fsmonitor = /tmp/evil"), "{change}");
        assert!(change.contains("+ filter.lfs.smudge = /tmp/evil %f"), "{change}");
        assert!(
            change.contains("- filter.lfs.smudge = git-lfs smudge -- %f") && change.contains("- include.path = /b")
        );
        let after = git2::Config::open(&dir.path().join(".git/config")).unwrap();
        assert!(after.get_string("core.fsmonitor").is_err());
        assert_eq!(after.get_string("filter.lfs.smudge").unwrap(), "git-lfs smudge -- %f");
        assert_eq!(after.get_string("user.name").unwrap(), "Kept", "other keys are the person's");
        assert_eq!(program_entries(&dir.path().join(".git/config")).unwrap(), guard.trusted);
        assert_eq!(guard.check().unwrap(), None);
    }
}
