//! A run with the project's sandbox on, end to end (issue 29): a hostile agent (a plain shell script) tries every
//! escape an agent has tried for real — the person's home and credentials, the main checkout, a sibling worktree,
//! YokeFlow's database, `.git/config`, another branch's ref, a daemon — and changes nothing outside its worktree,
//! while its own work, its own `git commit` included, lands through the gate. The gate's test command, confined the
//! same way, cannot write outside its worktree either. One test in this binary: it gives the process a home folder
//! of its own (`HOME`) before anything reads it. Needs `bwrap` (scripts/setup.sh installs it).

mod support;

use std::path::Path;
use std::time::Duration;

use support::{init_repo, marked_processes};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events;
use yokeflow_core::run::orchestrator::{self, RunOptions};
use yokeflow_core::store::{db::Db, project, tasks};
use yokeflow_core::tasks::{import, settings};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("<{e}>"))
}

/// Each line tries one escape and carries on whatever happens; then the task's own work, committed by the agent.
const HOSTILE: &str = r#"
echo pwned >> "$HOME/.ssh/id_ed25519"
cat "$HOME/.ssh/id_ed25519" > stolen-key.txt
echo pwned > "$HOME/planted.txt"
echo pwned >> "$YOKEFLOW_ROOT/README.md"
cat "$YOKEFLOW_ROOT/.env" > stolen-env.txt
for d in "$SIBLING" ../*/; do echo pwned >> "$d/work.txt"; done
echo pwned >> "$DB"
head -c 64 "$DB" > stolen-db.txt
echo pwned > "$DATA/planted.txt"
cat "$DATA/demo/notes.txt" >> stolen-key.txt
git -C "$YOKEFLOW_ROOT" config core.hooksPath /tmp/evil
git config core.hooksPath /tmp/evil
git branch -f main HEAD
git -C "$YOKEFLOW_ROOT" branch -f main HEAD
git update-ref refs/heads/evil HEAD
setsid sh -c 'sleep 600' "$MARKER" > /dev/null 2>&1 < /dev/null &
echo "token=$GITHUB_TOKEN sock=$SSH_AUTH_SOCK aws=$AWS_SECRET_ACCESS_KEY" > env.txt
echo "gitdir: $YOKEFLOW_ROOT/.git" > .git
echo fetched > "$CARGO_HOME/probe" && echo fetched > "$npm_config_cache/probe"
echo "the task's own work" > done.txt
git add done.txt && git -c user.name=Agent -c user.email=agent@example.com commit -q -m "the agent's own commit"
echo "left uncommitted" > notes.txt
exit 0
"#;

/// The gate's tests: they try to write outside their worktree, then pass when the task's work is there.
const TESTS: &str = r#"
echo pwned >> "$YOKEFLOW_ROOT/README.md"
echo pwned > "$HOME/planted-by-tests.txt"
test -f done.txt
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hostile_agent_in_the_sandbox_changes_nothing_outside_its_worktree_and_its_work_still_lands() {
    assert!(
        yokeflow_core::sys::sandbox::available(),
        "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)"
    );
    // Outside `/tmp`: the sandbox's own `/tmp` would hide everything there anyway, proving nothing.
    let dir = tempfile::Builder::new().prefix("sandbox-run-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let root = dir.path().canonicalize().unwrap();
    let home = root.join("home");
    write(&home.join(".ssh/id_ed25519"), "SECRET KEY\n");
    let data = home.join(".local/share/yokeflow");
    // Before any thread reads them: this binary holds this one test.
    std::env::set_var("HOME", &home);
    std::env::set_var("YOKEFLOW_DATA_DIR", &data);
    write(&data.join("demo/notes.txt"), "SECRET of the data folder\n");
    // Tokens and agent sockets people keep in their environment.
    std::env::set_var("GITHUB_TOKEN", "ghp_SECRET");
    std::env::set_var("SSH_AUTH_SOCK", "/run/user/0/ssh-agent.sock");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "SECRET");

    let repo = root.join("shop");
    let git = init_repo(&repo, &[(".gitignore", ".env\n")]);
    write(&repo.join(".env"), "API_KEY=person's secret\n");
    let base = git.refname_to_id("refs/heads/main").unwrap();
    let config_before = read(&repo.join(".git/config"));
    // Another agent's folder in the work home (which YokeFlow would tidy away from its `worktrees/`).
    let sibling = yokeflow_core::workspace::worktree::work_home(&repo).join("other-task");
    write(&sibling.join("work.txt"), "another agent's work\n");

    // The database where `--db` puts it, outside the data folder.
    let db_path = root.join("elsewhere/yokeflow.db");
    let db = Db::open(&db_path).await.unwrap();
    let p = project::init(&db, &repo).await.unwrap();
    let mut s = settings::get(&db, &p.id).await.unwrap();
    s.sandbox = true;
    settings::save(&db, &p.id, &s).await.unwrap();
    let file = root.join("tasks.json");
    let tasks_json = serde_json::json!({ "project": "shop", "tasks": [
        { "id": "a", "title": "Task a", "files": ["done.txt"] }
    ]});
    write(&file, &tasks_json.to_string());
    import::import_file(&db, &p.id, &file).await.unwrap();

    let marker = format!("sandbox-daemon-{}", uuid::Uuid::new_v4());
    let (sibling_text, data_text, db_text) = (sibling.display(), data.display(), db_path.display());
    let script = format!("SIBLING='{sibling_text}' DATA='{data_text}' DB='{db_text}' MARKER='{marker}'\n{HOSTILE}");
    let opts = RunOptions {
        agent_command: Some(vec!["sh".into(), "-c".into(), script]),
        test_command: Some(vec!["sh".into(), "-c".into(), TESTS.into()]),
        agent_timeout: Some(Duration::from_secs(120)),
        learn: false,
        ..Default::default()
    };
    let report = orchestrator::run(&db, &p.id, opts, events::channel().0).await.unwrap();

    // Its own work landed, its own commit with it, and what it left uncommitted.
    assert!(report.all_done(), "{report:#?}");
    let git = git2::Repository::open(&repo).unwrap();
    let main = git.find_reference("refs/heads/main").unwrap().peel_to_commit().unwrap();
    let tree = main.tree().unwrap();
    let file_text = |path: &str| {
        let blob = tree.get_path(Path::new(path)).ok()?.to_object(&git).ok()?.peel_to_blob().ok()?;
        Some(String::from_utf8_lossy(blob.content()).into_owned())
    };
    assert_eq!(file_text("done.txt").as_deref(), Some("the task's own work\n"));
    assert_eq!(file_text("notes.txt").as_deref(), Some("left uncommitted\n"));
    assert_eq!(file_text("env.txt").as_deref(), Some("token= sock= aws=\n"), "withheld from its environment");
    // Its package managers' caches are the project's own, in the work home, and writable.
    let cache = yokeflow_core::workspace::worktree::work_home(&repo).join("cache/tasks");
    assert_eq!(read(&cache.join("cargo/probe")), "fetched\n");
    assert_eq!(read(&cache.join("npm/probe")), "fetched\n");
    let mut walk = git.revwalk().unwrap();
    walk.push(main.id()).unwrap();
    let messages: Vec<String> =
        walk.map(|id| git.find_commit(id.unwrap()).unwrap().summary().unwrap_or_default().to_string()).collect();
    assert!(messages.iter().any(|m| m == "the agent's own commit"), "{messages:?}");
    // Nothing it read that it should not have.
    for stolen in ["stolen-key.txt", "stolen-env.txt"] {
        let text = file_text(stolen).unwrap_or_default();
        assert!(!text.contains("SECRET") && !text.contains("secret"), "{stolen}: {text}");
    }
    assert_eq!(file_text("stolen-db.txt").as_deref(), Some(""), "the database reads as empty");
    assert!(!data.join("planted.txt").exists(), "YokeFlow's data folder");
    // Nothing outside its worktree changed.
    assert_eq!(read(&home.join(".ssh/id_ed25519")), "SECRET KEY\n");
    assert!(!home.join("planted.txt").exists() && !home.join("planted-by-tests.txt").exists());
    assert_eq!(read(&repo.join("README.md")), "test repo\n", "the main checkout");
    assert_eq!(read(&sibling.join("work.txt")), "another agent's work\n", "a sibling worktree");
    assert!(!std::fs::read(&db_path).unwrap().windows(5).any(|w| w == b"pwned"), "the database");
    assert_eq!(read(&repo.join(".git/config")), config_before, ".git/config");
    assert!(git.find_reference("refs/heads/evil").is_err(), "a ref it made");
    // `main` moved by the gate only, from where it was to the tested tree: the agent's commit, then what it left.
    assert_eq!(messages, ["Task a (a)", "the agent's own commit", "init"]);
    assert!(git.graph_descendant_of(main.id(), base).unwrap());
    assert_eq!(tasks::list(&db, &p.id).await.unwrap()[0].status, TaskStatus::Done);
    // Nothing it started outlives it (the kernel ends what is left in its PID namespace: wait for those deaths).
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !marked_processes(&marker).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(marked_processes(&marker), Vec::<i32>::new(), "a daemon outlived the sandbox");
    // The session's log says it ran sandboxed.
    let logs = repo.join(".yokeflow/logs");
    let log = std::fs::read_dir(&logs)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().ends_with(".log") && p.file_name().unwrap().to_string_lossy().starts_with("a-"))
        .map(|p| read(&p))
        .unwrap_or_default();
    assert!(log.contains("# sandbox: on"), "{log}");
    assert!(log.contains("Read-only file system"), "the escapes were refused by the sandbox: {log}");
}
