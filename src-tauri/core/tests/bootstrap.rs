//! `yokeflow init --spec` against real temporary folders, real git repositories and a real SQLite file: a new
//! project from an empty folder, an existing repository with a person's uncommitted work, idempotent re-runs,
//! a person's edits kept, a custom template, a bad spec path and a spec without recognizable domains.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use git2::Repository;
use serde_json::Value;
use yokeflow_core::expertise::bootstrap::{self, InitOptions, InitReport, KeptReason, Template, MANIFEST};
use yokeflow_core::{cli, expertise, store::db::Db, store::project};

const SPEC: &str = "# Hat Shop\n\nA web shop for hats with a REST API, customer login and an admin UI.\n\n\
Second paragraph, not part of the overview.\n\n## Stack\n\n- Rust (axum) for the server\n- React with \
TypeScript for the UI\n- PostgreSQL\n\n## Features\n\nCustomers sign in with a password, browse hats and \
order them. The API has endpoints for hats and orders; the schema keeps orders in the database.\n";

struct Fx {
    tmp: tempfile::TempDir,
    db_path: PathBuf,
}

fn fixture() -> Fx {
    let tmp = tempfile::tempdir().unwrap();
    let db_path = tmp.path().join("data/yokeflow.db");
    Fx { tmp, db_path }
}

impl Fx {
    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn write_spec(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs the CLI; returns (exit code, stdout, stderr).
    async fn cli(&self, args: &[&str]) -> (i32, String, String) {
        let mut argv = vec!["yokeflow", "--db", self.db_path.to_str().unwrap()];
        argv.extend_from_slice(args);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = cli::run_args(argv, &mut out, &mut err).await;
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    /// `init --spec` through the CLI with `--json`; the parsed report.
    async fn init(&self, spec: &Path, dir: &Path, extra: &[&str]) -> InitReport {
        let mut args = vec!["--json", "init", "--spec", spec.to_str().unwrap()];
        args.extend_from_slice(extra);
        args.push(dir.to_str().unwrap());
        let (code, out, err) = self.cli(&args).await;
        assert_eq!(code, 0, "init failed: {err}");
        serde_json::from_str(&out).unwrap()
    }

    async fn db(&self) -> Db {
        Db::open(&self.db_path).await.unwrap()
    }
}

fn commits(repo: &Path) -> Vec<git2::Oid> {
    let r = Repository::open(repo).unwrap();
    let mut walk = r.revwalk().unwrap();
    walk.push_head().unwrap();
    walk.map(|o| o.unwrap()).collect()
}

/// The paths a commit changed compared with its parent (all of its files for a root commit).
fn changed_in(repo: &Path, oid: git2::Oid) -> Vec<String> {
    let r = Repository::open(repo).unwrap();
    let c = r.find_commit(oid).unwrap();
    let parent = c.parent(0).ok().map(|p| p.tree().unwrap());
    let diff = r.diff_tree_to_tree(parent.as_ref(), Some(&c.tree().unwrap()), None).unwrap();
    let mut out: Vec<String> =
        diff.deltas().map(|d| d.new_file().path().unwrap().to_string_lossy().into_owned()).collect();
    out.sort();
    out
}

/// `git status` as (path, flags) for every entry that is not clean.
fn status(repo: &Path) -> BTreeMap<String, git2::Status> {
    let r = Repository::open(repo).unwrap();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let st = r.statuses(Some(&mut opts)).unwrap();
    st.iter().map(|e| (e.path().unwrap().to_string(), e.status())).collect()
}

/// Every file under `dir` (except `.git/`) with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_name() == ".git" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                let m = std::fs::metadata(&p).unwrap().modified().unwrap();
                out.insert(p.clone(), (std::fs::read(&p).unwrap(), m));
            }
        }
    }
    out
}

fn domains(r: &InitReport) -> Vec<&str> {
    r.domains.iter().map(|d| d.domain.as_str()).collect()
}

async fn expertise_domains(fx: &Fx, repo: &Path) -> Vec<String> {
    let db = fx.db().await;
    let p = project::find_by_repo(&db, repo).await.unwrap();
    let list = expertise::list(&db, &p).await.unwrap();
    db.close().await;
    list.into_iter().map(|e| e.domain).collect()
}

#[tokio::test]
async fn init_on_an_empty_folder_creates_repo_template_claude_md_experts_and_one_commit() {
    let fx = fixture();
    let spec = fx.write_spec("app_spec.md", SPEC);
    let dir = fx.path("projects/hat-shop");
    let r = fx.init(&spec, &dir, &[]).await;

    assert!(r.repo_created);
    let repo = Repository::open(&dir).unwrap();
    assert_eq!(yokeflow_core::sys::git::current_branch(&repo).unwrap(), "main");
    for f in
        [".claude/settings.json", ".claude/skills/.gitkeep", ".claude/commands/experts/.gitkeep", "CLAUDE.md", MANIFEST]
    {
        assert!(dir.join(f).is_file(), "{f} missing");
        assert!(r.created.contains(&f.to_string()), "{f} not reported as created: {:?}", r.created);
    }
    let settings: Value = serde_json::from_slice(&std::fs::read(dir.join(".claude/settings.json")).unwrap()).unwrap();
    let deny = settings["permissions"]["deny"].as_array().unwrap();
    assert!(deny.iter().any(|d| d == "Read(./.env)") && deny.iter().any(|d| d == "Bash(rm -rf *)"));

    let md = std::fs::read_to_string(dir.join("CLAUDE.md")).unwrap();
    assert!(md.starts_with("# Hat Shop\n"), "{md}");
    assert!(md.contains("A web shop for hats with a REST API, customer login and an admin UI."));
    assert!(!md.contains("Second paragraph"));
    assert!(md.contains("- Rust (axum) for the server") && md.contains("- PostgreSQL"), "{md}");
    assert!(md.contains("`cargo test`") && md.contains("`npm test`"), "{md}");
    assert!(!md.contains("{{"), "unfilled template field: {md}");

    assert_eq!(domains(&r), ["api", "auth", "database", "frontend"]);
    let api = r.domains.iter().find(|d| d.domain == "api").unwrap();
    assert!(api.matched.contains(&"endpoint".to_string()), "{:?}", api.matched);
    let root = PathBuf::from(&r.repo_path);
    assert_eq!(expertise_domains(&fx, &root).await, ["api", "auth", "database", "frontend"]);
    for d in ["api", "auth", "database", "frontend"] {
        for f in ["expertise.yaml", "question.md", "self-improve.md"] {
            let rel = format!(".claude/commands/experts/{d}/{f}");
            assert!(dir.join(&rel).is_file(), "{rel} missing");
            assert!(r.created.contains(&rel), "{rel} not reported");
        }
    }
    assert!(md.contains("`/experts:api:question`"));

    let log = commits(&dir);
    assert_eq!(log.len(), 1);
    assert_eq!(r.committed, Some(log[0].to_string()));
    let mut created = r.created.clone();
    created.sort();
    assert_eq!(changed_in(&dir, log[0]), created);
    assert!(status(&dir).is_empty(), "work tree not clean: {:?}", status(&dir));

    // The project is registered, on branch main.
    let db = fx.db().await;
    let p = project::find_by_repo(&db, &dir).await.unwrap();
    assert_eq!(p.id, r.project_id);
    assert_eq!(p.target_branch, "main");
    db.close().await;
}

#[tokio::test]
async fn init_on_an_existing_repo_commits_only_its_own_files() {
    let fx = fixture();
    let dir = fx.path("app");
    std::fs::create_dir_all(dir.join(".claude")).unwrap();
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(&dir, &opts).unwrap();
    std::fs::write(dir.join("README.md"), "mine\n").unwrap();
    std::fs::write(dir.join(".claude/settings.json"), "{\"permissions\": {}}\n").unwrap();
    let first = yokeflow_core::sys::git::commit_all(&repo, "user's first commit").unwrap();
    // A person's uncommitted work: a modified file, an untracked file and a staged file.
    std::fs::write(dir.join("README.md"), "mine, edited\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "untracked\n").unwrap();
    std::fs::write(dir.join("staged.txt"), "staged\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("staged.txt")).unwrap();
    index.write().unwrap();

    let spec = fx.write_spec("spec.md", "# App\n\nA command-line tool in Rust.\n");
    let r = fx.init(&spec, &dir, &[]).await;
    assert!(!r.repo_created);
    assert_eq!(
        r.kept.iter().map(|k| (k.path.as_str(), k.reason)).collect::<Vec<_>>(),
        [(".claude/settings.json", KeptReason::Yours)]
    );
    assert_eq!(std::fs::read_to_string(dir.join(".claude/settings.json")).unwrap(), "{\"permissions\": {}}\n");
    assert_eq!(std::fs::read_to_string(dir.join("README.md")).unwrap(), "mine, edited\n");
    assert_eq!(domains(&r), ["cli"]);

    let log = commits(&dir);
    assert_eq!(log.len(), 2);
    assert_eq!(log[1], first);
    assert_eq!(r.committed, Some(log[0].to_string()));
    let mut created = r.created.clone();
    created.sort();
    assert_eq!(changed_in(&dir, log[0]), created);
    for f in ["README.md", "notes.txt", "staged.txt", ".claude/settings.json"] {
        assert!(!created.contains(&f.to_string()));
    }
    // The person's work is exactly as they left it: README modified, notes untracked, staged.txt staged.
    let st = status(&dir);
    assert_eq!(
        st,
        BTreeMap::from([
            ("README.md".to_string(), git2::Status::WT_MODIFIED),
            ("notes.txt".to_string(), git2::Status::WT_NEW),
            ("staged.txt".to_string(), git2::Status::INDEX_NEW),
        ])
    );
}

#[tokio::test]
async fn rerunning_init_changes_nothing() {
    let fx = fixture();
    let spec = fx.write_spec("app_spec.md", SPEC);
    let dir = fx.path("hat-shop");
    fx.init(&spec, &dir, &[]).await;
    let before = snapshot(&dir);
    let head = commits(&dir);
    std::thread::sleep(std::time::Duration::from_millis(20));

    let r = fx.init(&spec, &dir, &[]).await;
    assert!(!r.repo_created);
    assert!(r.created.is_empty() && r.updated.is_empty() && r.kept.is_empty(), "{r:?}");
    assert_eq!(r.unchanged.len(), 4);
    assert_eq!(r.committed, None);
    assert_eq!(commits(&dir), head);
    assert_eq!(snapshot(&dir), before, "a file was rewritten (bytes or mtime changed)");
    assert_eq!(expertise_domains(&fx, &dir).await, ["api", "auth", "database", "frontend"]);

    // The plain `init` (no --spec) still only registers the project.
    let (code, out, err) = fx.cli(&["init", dir.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("registered"), "{out}");
    assert_eq!(snapshot(&dir), before);
}

#[tokio::test]
async fn a_person_edited_claude_md_is_kept_when_the_spec_changes() {
    let fx = fixture();
    let spec = fx.write_spec("app_spec.md", SPEC);
    let dir = fx.path("hat-shop");
    fx.init(&spec, &dir, &[]).await;
    let edited = "# Hat Shop\n\nOur own notes, by hand.\n";
    std::fs::write(dir.join("CLAUDE.md"), edited).unwrap();
    let repo = Repository::open(&dir).unwrap();
    yokeflow_core::sys::git::commit_all(&repo, "person edits CLAUDE.md").unwrap();

    let spec = fx.write_spec("app_spec.md", &format!("{SPEC}\nPayments go through Stripe.\n"));
    let r = fx.init(&spec, &dir, &[]).await;
    assert_eq!(
        r.kept.iter().map(|k| (k.path.as_str(), k.reason)).collect::<Vec<_>>(),
        [("CLAUDE.md", KeptReason::Edited)]
    );
    assert_eq!(std::fs::read_to_string(dir.join("CLAUDE.md")).unwrap(), edited);
    assert!(r.updated.is_empty(), "{:?}", r.updated);
    assert!(domains(&r).contains(&"payments"));
    assert!(r.created.contains(&".claude/commands/experts/payments/expertise.yaml".to_string()));
    let log = commits(&dir);
    assert_eq!(log.len(), 3);
    assert!(changed_in(&dir, log[0]).iter().all(|p| p.starts_with(".claude/commands/experts/payments/")));

    // The CLI's text output says so.
    let (code, out, err) = fx.cli(&["init", "--spec", spec.to_str().unwrap(), dir.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("kept (edited)") && out.contains("CLAUDE.md"), "{out}");
    assert!(out.contains("nothing to commit"), "{out}");
}

#[tokio::test]
async fn an_unedited_claude_md_follows_the_spec() {
    let fx = fixture();
    let spec = fx.write_spec("app_spec.md", SPEC);
    let dir = fx.path("hat-shop");
    fx.init(&spec, &dir, &[]).await;
    let spec = fx.write_spec("app_spec.md", &SPEC.replace("PostgreSQL", "SQLite"));
    let r = fx.init(&spec, &dir, &[]).await;
    assert_eq!(r.updated, ["CLAUDE.md", MANIFEST]);
    let md = std::fs::read_to_string(dir.join("CLAUDE.md")).unwrap();
    assert!(md.contains("SQLite") && !md.contains("PostgreSQL"));
    let log = commits(&dir);
    assert_eq!(log.len(), 2);
    assert_eq!(changed_in(&dir, log[0]), [MANIFEST, "CLAUDE.md"]);
    // The updated CLAUDE.md is init's again: a further spec change updates it too.
    let spec = fx.write_spec("app_spec.md", &SPEC.replace("PostgreSQL", "MySQL"));
    assert_eq!(fx.init(&spec, &dir, &[]).await.updated, ["CLAUDE.md", MANIFEST]);
}

#[tokio::test]
async fn a_custom_template_folder_is_used() {
    let fx = fixture();
    let tpl = fx.path("my-template");
    std::fs::create_dir_all(tpl.join(".claude")).unwrap();
    std::fs::create_dir_all(tpl.join("docs")).unwrap();
    std::fs::write(tpl.join("CLAUDE.md"), "# {{ title }} ({{name}})\nStack:\n{{stack}}\n").unwrap();
    std::fs::write(tpl.join(".claude/settings.json"), "{\"custom\": true}\n").unwrap();
    std::fs::write(tpl.join("docs/README.md"), "Docs {{title}} stay as written.\n").unwrap();
    let spec = fx.write_spec("spec.md", "# Tool\n\nA small Python script.\n");
    let dir = fx.path("tool");
    let r = fx.init(&spec, &dir, &["--template", tpl.to_str().unwrap()]).await;

    assert_eq!(std::fs::read_to_string(dir.join("CLAUDE.md")).unwrap(), "# Tool (tool)\nStack:\n- Python\n");
    assert_eq!(std::fs::read_to_string(dir.join(".claude/settings.json")).unwrap(), "{\"custom\": true}\n");
    assert_eq!(std::fs::read_to_string(dir.join("docs/README.md")).unwrap(), "Docs {{title}} stay as written.\n");
    assert!(!dir.join(".claude/skills/.gitkeep").exists(), "the built-in template was used");
    assert_eq!(r.created, [".claude/settings.json", "CLAUDE.md", "docs/README.md", MANIFEST]);
    assert_eq!(commits(&dir).len(), 1);

    // A template that is not a folder is refused before anything is created.
    let (code, _, err) = fx
        .cli(&[
            "init",
            "--spec",
            spec.to_str().unwrap(),
            "--template",
            "/nonexistent/tpl",
            fx.path("x").to_str().unwrap(),
        ])
        .await;
    assert_eq!(code, 1);
    assert!(err.contains("template folder /nonexistent/tpl"), "{err}");
    assert!(!fx.path("x").exists());
}

#[tokio::test]
async fn a_bad_spec_path_is_a_clear_error_and_creates_nothing() {
    let fx = fixture();
    let dir = fx.path("new-project");
    let missing = fx.path("no_such_spec.md");
    let (code, out, err) = fx.cli(&["init", "--spec", missing.to_str().unwrap(), dir.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("cannot read the app spec") && err.contains("no_such_spec.md"), "{err}");
    assert!(!dir.exists());

    let (code, _, err) = fx.cli(&["--json", "init", "--spec", missing.to_str().unwrap(), dir.to_str().unwrap()]).await;
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&err).unwrap();
    assert_eq!(v["error"]["code"], "io");

    // --template without --spec is refused by the parser.
    let (code, _, _) = fx.cli(&["init", "--template", "t", dir.to_str().unwrap()]).await;
    assert_eq!(code, 2);
    assert!(!dir.exists());
}

#[tokio::test]
async fn a_spec_without_recognizable_domains_gets_no_experts() {
    let fx = fixture();
    let spec = fx.write_spec("spec.md", "Some thoughts about a garden.\n\nTomatoes, mostly.\n");
    let dir = fx.path("garden");
    let db = fx.db().await;
    let opts = InitOptions { spec: spec.clone(), template: Template::Builtin };
    let r = bootstrap::init(&db, &dir, &opts).await.unwrap();
    db.close().await;
    assert!(r.domains.is_empty());
    assert!(expertise_domains(&fx, &dir).await.is_empty());
    let experts: Vec<_> = std::fs::read_dir(dir.join(".claude/commands/experts")).unwrap().collect();
    assert_eq!(experts.len(), 1, "only .gitkeep expected");
    let md = std::fs::read_to_string(dir.join("CLAUDE.md")).unwrap();
    assert!(md.starts_with("# garden\n\nSome thoughts about a garden.\n"), "{md}");
    assert!(md.contains("No domain experts yet"));
    assert_eq!(commits(&dir).len(), 1);
}

#[tokio::test]
async fn a_symlinked_claude_folder_is_refused_before_anything_is_created_through_it() {
    let fx = fixture();
    let spec = fx.write_spec("spec.md", "# Shop\n\nA web shop with a REST API and a database.\n");
    let outside = fx.path("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let dir = fx.path("shop");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(".claude")).unwrap();
    let (code, _, err) = fx.cli(&["init", "--spec", spec.to_str().unwrap(), dir.to_str().unwrap()]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "folders were created through the link");
}

/// The window's `init_project` and `yokeflow init --spec` are one call of the core's surface: a project new to
/// YokeFlow gets the sandbox's defaults (on where bubblewrap works) however it was made, and a project already
/// known keeps what its person chose.
#[tokio::test]
async fn a_project_made_from_a_spec_gets_the_sandbox_defaults_through_the_service() {
    let fx = fixture();
    let spec = fx.write_spec("spec.md", "# Shop\n\nA web shop with a REST API and a database.\n");
    let dir = fx.path("shop");
    let api = yokeflow_core::api::Service::new(fx.db().await, fx.path("data"));
    let opts = InitOptions { spec: spec.clone(), template: Template::Builtin };
    let r = api.init_project(&dir, &opts).await.unwrap();
    let p = api.project_at(Path::new(&r.repo_path)).await.unwrap();
    let available = yokeflow_core::sys::sandbox::available();
    assert_eq!(api.settings(&p.id).await.unwrap().sandbox, available, "bubblewrap available: {available}");

    let mine = api.set_setting(&p.id, "sandbox", if available { "off" } else { "on" }).await;
    if available {
        assert!(!mine.unwrap().sandbox);
        api.init_project(&dir, &opts).await.unwrap();
        assert!(!api.settings(&p.id).await.unwrap().sandbox, "a known project keeps the person's choice");
    } else {
        assert_eq!(mine.unwrap_err().code(), "sandbox_unavailable");
    }
    api.db().close().await;
}
