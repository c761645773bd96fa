//! The CLI and the import path against real temporary git repositories and a real SQLite file.

use std::path::{Path, PathBuf};

use sqlx::{Column, Row};
use yokeflow_core::store::db::Db;

mod support;
use support::CliOut as Out;

struct Fixture {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    db: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    support::init_repo(&repo, &[]);
    let db = dir.path().join("data/yokeflow.db");
    Fixture { _dir: dir, repo, db }
}

async fn run(f: &Fixture, args: &[&str]) -> Out {
    support::cli(&f.db, &f.repo, args).await
}

fn write(f: &Fixture, name: &str, text: &str) -> PathBuf {
    let p = f.repo.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Every row of every table, as text: two equal dumps mean an unchanged database.
async fn dump(path: &Path) -> String {
    let db = Db::open(path).await.unwrap();
    let mut out = String::new();
    for table in ["projects", "epics", "tasks", "task_dependencies", "runs", "worktrees", "sessions", "expertise"] {
        let rows = sqlx::query(&format!("SELECT * FROM {table} ORDER BY rowid")).fetch_all(db.pool()).await.unwrap();
        for row in rows {
            out.push_str(table);
            for (i, col) in row.columns().iter().enumerate() {
                let v = row
                    .try_get::<Option<String>, _>(i)
                    .map(|v| format!("{v:?}"))
                    .or_else(|_| row.try_get::<Option<i64>, _>(i).map(|v| format!("{v:?}")))
                    .or_else(|_| row.try_get::<Option<f64>, _>(i).map(|v| format!("{v:?}")))
                    .unwrap();
                out.push_str(&format!(" {}={v}", col.name()));
            }
            out.push('\n');
        }
    }
    db.close().await;
    out
}

const GOOD: &str = r#"
project: shop
epics:
  - id: api
    title: REST API
tasks:
  - id: db-setup
    title: Set up the database
    effort: 20
  - id: user-model
    title: Add the user model
    description: Create src/models/user.rs with ...
    epic: api
    depends_on: [db-setup]
    files: [src/models/*.rs]
    effort: 30
"#;

async fn imported(f: &Fixture) {
    assert_eq!(run(f, &["init"]).await.code, 0);
    let file = write(f, "yokeflow.yaml", GOOD);
    let out = run(f, &["import", file.to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("2 added"), "{}", out.stdout);
}

#[tokio::test]
async fn init_import_status_round_trip() {
    let f = fixture();
    imported(&f).await;
    let out = run(&f, &["status", "--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tasks: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let tasks = tasks.as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[1]["id"], "user-model");
    assert_eq!(tasks[1]["title"], "Add the user model");
    assert_eq!(tasks[1]["epic"], "api");
    assert_eq!(tasks[1]["status"], "backlog");
    assert_eq!(tasks[1]["depends_on"], serde_json::json!(["db-setup"]));
    assert_eq!(tasks[0]["epic"], serde_json::Value::Null);

    let text = run(&f, &["status"]).await.stdout;
    assert!(text.contains("user-model") && text.contains("2 tasks: 2 backlog"), "{text}");
    // The project name came from the file.
    let projects = run(&f, &["projects", "--json"]).await.stdout;
    assert!(projects.contains("\"name\": \"shop\""), "{projects}");
}

async fn assert_refused(bad: &str, expect: &[&str]) {
    let f = fixture();
    imported(&f).await;
    let before = dump(&f.db).await;
    let file = write(&f, "bad.yaml", bad);
    let out = run(&f, &["import", file.to_str().unwrap()]).await;
    assert_eq!(out.code, 1, "stdout: {}", out.stdout);
    for e in expect {
        assert!(out.stderr.contains(e), "stderr lacks {e:?}:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("nothing was imported"), "{}", out.stderr);
    assert_eq!(before, dump(&f.db).await, "the database changed");
}

#[tokio::test]
async fn missing_dependency_is_refused_and_nothing_changes() {
    assert_refused(
        "tasks:\n  - id: db-setup\n    title: DB\n  - id: api\n    title: API\n    depends_on: [db-setup, auth]\n",
        &["task `api` (tasks[1]), field `depends_on`: unknown task `auth`"],
    )
    .await;
}

#[tokio::test]
async fn duplicate_id_is_refused_and_nothing_changes() {
    assert_refused(
        "tasks:\n  - id: db-setup\n    title: DB\n  - id: db-setup\n    title: DB again\n",
        &["task `db-setup` (tasks[1]), field `id`: duplicate id: tasks[0] has it already"],
    )
    .await;
}

#[tokio::test]
async fn wrong_type_is_refused_and_nothing_changes() {
    assert_refused(
        "tasks:\n  - id: db-setup\n    title: DB\n    effort: half an hour\n    depends_on: db\n",
        &[
            "task `db-setup` (tasks[0]), field `effort`: expected a whole number of minutes, found a string",
            "task `db-setup` (tasks[0]), field `depends_on`: expected a list of strings, found a string",
        ],
    )
    .await;
}

#[tokio::test]
async fn cycle_and_malformed_yaml_are_refused() {
    assert_refused(
        "tasks:\n  - {id: a, title: A, depends_on: [b]}\n  - {id: b, title: B, depends_on: [a]}\n",
        &["dependency cycle: a -> b -> a"],
    )
    .await;
    assert_refused("tasks:\n  - id: a\n   title: bad indent\n", &["line ", "invalid YAML"]).await;
}

#[tokio::test]
async fn reimport_keeps_status_and_started_work() {
    let f = fixture();
    imported(&f).await;
    let db = Db::open(&f.db).await.unwrap();
    let p = yokeflow_core::store::project::find_by_repo(&db, &f.repo).await.unwrap();
    yokeflow_core::store::tasks::set_status(&db, &p.id, "db-setup", yokeflow_core::model::TaskStatus::Done, None)
        .await
        .unwrap();
    db.close().await;
    // The new file drops both tasks and adds one: the done one is kept, the backlog one removed.
    let file = write(&f, "v2.yaml", "tasks:\n  - id: api\n    title: API\n");
    let out = run(&f, &["import", file.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let s: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(s["added"], serde_json::json!(["api"]));
    assert_eq!(s["removed"], serde_json::json!(["user-model"]));
    assert_eq!(s["kept"], serde_json::json!(["db-setup"]));
    let status: serde_json::Value = serde_json::from_str(&run(&f, &["status", "--json"]).await.stdout).unwrap();
    let mut ids: Vec<(&str, &str)> =
        status.as_array().unwrap().iter().map(|t| (t["id"].as_str().unwrap(), t["status"].as_str().unwrap())).collect();
    ids.sort();
    assert_eq!(ids, vec![("api", "backlog"), ("db-setup", "done")]);
}

#[tokio::test]
async fn errors_are_clear_and_machine_readable() {
    let f = fixture();
    let not_repo = f.repo.parent().unwrap().join("plain");
    std::fs::create_dir_all(&not_repo).unwrap();
    let out = run(&f, &["init", not_repo.to_str().unwrap(), "--json"]).await;
    assert_eq!(out.code, 1);
    let e: serde_json::Value = serde_json::from_str(out.stderr.trim()).unwrap();
    assert_eq!(e["error"]["code"], "not_a_repository");
    // The message is the window's too, so it names no flag; the command line adds its own way out.
    assert!(!e["error"]["message"].as_str().unwrap().contains("--repo"), "{e}");
    let out = run(&f, &["init", not_repo.to_str().unwrap()]).await;
    assert!(out.stderr.contains("not inside a git repository") && out.stderr.contains("--repo PATH"), "{}", out.stderr);

    let out = run(&f, &["status"]).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no project is registered") && out.stderr.contains("yokeflow init"), "{}", out.stderr);

    assert_eq!(run(&f, &["init"]).await.code, 0);
    let out = run(&f, &["import", "/nonexistent/tasks.yaml"]).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("cannot read /nonexistent/tasks.yaml"), "{}", out.stderr);
}

#[tokio::test]
async fn init_is_idempotent() {
    let f = fixture();
    let a = run(&f, &["init", "--json"]).await;
    let b = run(&f, &["init", "--json"]).await;
    let ida = serde_json::from_str::<serde_json::Value>(&a.stdout).unwrap()["id"].clone();
    let idb = serde_json::from_str::<serde_json::Value>(&b.stdout).unwrap()["id"].clone();
    assert_eq!(ida, idb);
    let sub = f.repo.join("src");
    std::fs::create_dir_all(&sub).unwrap();
    // From a subdirectory, the same repository is found.
    let c = run(&f, &["init", sub.to_str().unwrap(), "--json"]).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&c.stdout).unwrap()["id"], ida);
}

#[tokio::test]
async fn demo_project_is_created_once_with_its_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("y.db")).await.unwrap();
    let p = yokeflow_core::tasks::demo::ensure_demo(&db, dir.path()).await.unwrap();
    assert!(p.is_demo);
    let again = yokeflow_core::tasks::demo::ensure_demo(&db, dir.path()).await.unwrap();
    assert_eq!(p.id, again.id);
    let board = yokeflow_core::store::tasks::board(&db, &p.id).await.unwrap();
    assert_eq!(board.tasks.len(), 10);
    assert_eq!(board.epics.len(), 3);
    let repo = git2::Repository::open(&p.repo_path).unwrap();
    assert_eq!(repo.head().unwrap().shorthand(), Some("main"));
    assert!(Path::new(&p.repo_path).join("yokeflow.yaml").exists());
}

#[tokio::test]
async fn control_characters_in_titles_never_reach_the_terminal_raw() {
    let f = fixture();
    assert_eq!(run(&f, &["init"]).await.code, 0);
    // A title that would set the terminal's title bar, ring the bell and overwrite its own line.
    let file = write(
        &f,
        "yokeflow.yaml",
        "project: \"shop\\e[2J\"\ntasks:\n  - id: a\n    title: \"Evil \\e]0;owned\\a ti\\rtle\"\n",
    );
    assert_eq!(run(&f, &["import", file.to_str().unwrap()]).await.code, 0);
    let out = run(&f, &["status"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stdout.chars().any(|c| c.is_control() && c != '\n'), "{:?}", out.stdout);
    assert!(out.stdout.contains("Evil \\u{1b}]0;owned\\u{7} ti\\u{d}tle"), "{}", out.stdout);
    let listed = run(&f, &["projects"]).await.stdout;
    assert!(!listed.contains('\u{1b}') && listed.contains("shop\\u{1b}[2J"), "{listed:?}");
    // The JSON keeps the text as it is (escaped by JSON itself).
    let json: serde_json::Value = serde_json::from_str(&run(&f, &["status", "--json"]).await.stdout).unwrap();
    assert_eq!(json[0]["title"], "Evil \u{1b}]0;owned\u{7} ti\rtle");
}
