//! Tasks from the command line (and the window, which calls the same service): add, edit, remove, new epic; the
//! tasks file follows, in place; refused input changes nothing. Real SQLite files, real files on disk.

mod support;

use std::path::{Path, PathBuf};

use serde_json::json;
use support::{cli, init_repo, task};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::store::db::Db;
use yokeflow_core::tasks::cards::{self, CardEdit, TaskDraft};
use yokeflow_core::{plan::planner, store::project, store::tasks};

const TASKS: &str = "\
# Our tasks: edit here or in YokeFlow.
project: shop
epics:
  - id: backend
    title: Backend
tasks:
  - id: schema
    title: Create the schema  # tables only
    epic: backend
    files: [src/db/schema.sql]
    effort: 20
  - id: api
    title: Add the API
    depends_on: [schema]
    files: [src/api.py]
";

struct Project {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    db_path: PathBuf,
    db: Db,
    id: String,
    file: PathBuf,
}

/// A repository with `yokeflow.yaml` (TASKS), registered and imported from the command line.
async fn project_with_file() -> Project {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    init_repo(&repo, &[("README.md", "shop\n")]);
    let file = repo.join("yokeflow.yaml");
    std::fs::write(&file, TASKS).unwrap();
    let db_path = dir.path().join("yokeflow.db");
    assert_eq!(cli(&db_path, &repo, &["init"]).await.code, 0);
    let out = cli(&db_path, &repo, &["import", file.to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let db = Db::open(&db_path).await.unwrap();
    let id = project::find_by_repo(&db, &repo).await.unwrap().id;
    Project { _dir: dir, repo, db_path, db, id, file }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

async fn ids(p: &Project) -> Vec<String> {
    tasks::list(&p.db, &p.id).await.unwrap().into_iter().map(|t| t.id).collect()
}

#[tokio::test]
async fn cards_from_the_command_line_reach_the_database_the_plan_and_the_file_in_place() {
    let p = project_with_file().await;
    let add = [
        "task",
        "add",
        "--id",
        "search",
        "--title",
        "Search: products",
        "--depends-on",
        "api",
        "--files",
        "src/search.py,web/search.html",
        "--effort",
        "45",
        "--priority",
        "2",
        "--epic",
        "backend",
    ];
    let out = cli(&p.db_path, &p.repo, &add).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("added task `search`") && out.stdout.contains("yokeflow.yaml"), "{}", out.stdout);
    let text = read(&p.file);
    assert!(text.starts_with(TASKS), "the file is only appended to:\n{text}");
    let search = tasks::list(&p.db, &p.id).await.unwrap().into_iter().find(|t| t.id == "search").unwrap();
    assert_eq!((search.effort_minutes, search.priority, search.epic.as_deref()), (45, 2, Some("backend")));
    assert_eq!(search.depends_on, vec!["api"]);
    let plan = planner::get(&p.db, &p.id).await.unwrap().expect("the plan was rebuilt");
    assert_eq!(plan.stats.task_count, 3);

    // An edit touches the one line that changed.
    let out = cli(&p.db_path, &p.repo, &["task", "edit", "schema", "--title", "Create the tables"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let after = read(&p.file);
    let changed: Vec<&str> = after.lines().filter(|l| !text.lines().any(|x| x == *l)).collect();
    assert_eq!(changed.len(), 1, "{after}");
    assert!(changed[0].contains("title: Create the tables"), "{changed:?}");
    assert!(after.contains("# Our tasks: edit here or in YokeFlow."));

    // Removal: refused while another task depends on it; fine for a leaf.
    let before = read(&p.file);
    let out = cli(&p.db_path, &p.repo, &["--json", "task", "rm", "api"]).await;
    assert_eq!(out.error_code(), "invalid_task_file");
    assert!(out.stderr.contains("`search` depends on it"), "{}", out.stderr);
    assert_eq!(read(&p.file), before, "nothing written");
    let out = cli(&p.db_path, &p.repo, &["task", "rm", "search"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(ids(&p).await, vec!["schema", "api"]);
    assert!(!read(&p.file).contains("search"));

    // A new epic, then a task in it; `--json` gives the result.
    assert_eq!(cli(&p.db_path, &p.repo, &["epic", "add", "--id", "web", "--title", "Storefront"]).await.code, 0);
    let json = cli(&p.db_path, &p.repo, &["--json", "task", "add", "--id", "page", "--title", "Page", "--epic", "web"])
        .await
        .json();
    assert_eq!(json["summary"]["added"], json!(["page"]));
    assert_eq!(tasks::epics(&p.db, &p.id).await.unwrap().len(), 2);
    let reread = yokeflow_core::tasks::taskfile::load(&p.file).unwrap();
    assert_eq!(reread.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["schema", "api", "page"]);
}

#[tokio::test]
async fn refused_cards_change_nothing_and_say_why() {
    let p = project_with_file().await;
    let before = (read(&p.file), ids(&p).await);
    let refusals: [(&[&str], &str); 6] = [
        (&["task", "add", "--id", "api", "--title", "Again"], "duplicate"),
        (&["task", "add", "--id", "x", "--title", "X", "--depends-on", "nope"], "nope"),
        (&["task", "edit", "schema", "--depends-on", "api"], "dependency cycle"),
        (&["task", "add", "--id", "../etc", "--title", "X"], "id"),
        (&["task", "add", "--id", "y", "--title", "Y", "--effort", "0"], "effort"),
        (&["task", "add", "--id", "z", "--title", "Z", "--epic", "nope"], "epic"),
    ];
    for (args, says) in refusals {
        let mut argv = vec!["--json"];
        argv.extend_from_slice(args);
        let out = cli(&p.db_path, &p.repo, &argv).await;
        assert_eq!(out.error_code(), "invalid_task_file", "{args:?}");
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
        assert_eq!((read(&p.file), ids(&p).await), before, "{args:?} changed something");
    }
    // Started work is never removed.
    tasks::set_status(&p.db, &p.id, "api", TaskStatus::Review, Some("test")).await.unwrap();
    let out = cli(&p.db_path, &p.repo, &["--json", "task", "rm", "api"]).await;
    assert!(out.stderr.contains("started work is never removed"), "{}", out.stderr);
    assert_eq!((read(&p.file), ids(&p).await), before);
}

#[tokio::test]
async fn a_file_edited_by_hand_is_never_overwritten_and_syncs_into_the_board() {
    let p = project_with_file().await;
    let edited = TASKS.replace("title: Add the API", "title: Add the REST API") + "  - id: docs\n    title: Docs\n";
    std::fs::write(&p.file, &edited).unwrap();
    // A card edit now would lose the person's change: refused until the file is imported.
    let out = cli(&p.db_path, &p.repo, &["--json", "task", "add", "--id", "x", "--title", "X"]).await;
    assert_eq!(out.error_code(), "invalid_input");
    assert!(out.stderr.contains("changed since it was last imported"), "{}", out.stderr);
    assert_eq!(read(&p.file), edited);

    // What the window's watcher does when the file changes: import it (once).
    let summary = cards::sync_file(&p.db, &p.id).await.unwrap().expect("imported");
    assert_eq!(summary.added, vec!["docs"]);
    let api = tasks::list(&p.db, &p.id).await.unwrap().into_iter().find(|t| t.id == "api").unwrap();
    assert_eq!(api.title, "Add the REST API");
    assert_eq!(cards::sync_file(&p.db, &p.id).await.unwrap(), None, "in step: nothing to do");

    // Now the card edit goes through, on top of the person's change.
    let edit = CardEdit::AddTask {
        task: TaskDraft {
            id: "x".into(),
            title: "X".into(),
            description: String::new(),
            epic: None,
            depends_on: vec!["docs".into()],
            files: vec![],
            effort_minutes: 10,
            priority: 0,
        },
    };
    let runs = yokeflow_core::run::runs::Runs::new(p.db.clone());
    let result = runs.edit_tasks(&p.id, &edit).await.unwrap();
    assert_eq!(result.file.as_deref(), Some(p.file.to_str().unwrap()));
    let text = read(&p.file);
    assert!(text.starts_with(&edited) && text.contains("id: x"), "{text}");
    assert_eq!(cards::sync_file(&p.db, &p.id).await.unwrap(), None, "its own write is no change");
}

#[tokio::test]
async fn a_json_tasks_file_follows_and_a_project_without_a_file_keeps_cards_in_the_database() {
    // The shared fixture imports a JSON file from outside the repository.
    let f = support::fixture(vec![task("a", &[], &["a.txt"], 5), task("b", &["a"], &["b.txt"], 5)]).await;
    let file = f.dir.path().join("tasks.json");
    let out = cli(&f.db_path, &f.repo, &["task", "add", "--id", "c", "--title", "C", "--depends-on", "b"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let reread = yokeflow_core::tasks::taskfile::load(&file).unwrap();
    assert_eq!(reread.tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), vec!["a", "b", "c"]);
    assert_eq!(reread.tasks[2].depends_on, vec!["b"]);

    // Without a tasks file (it was deleted), cards live in the database alone.
    std::fs::remove_file(&file).unwrap();
    let out = cli(&f.db_path, &f.repo, &["task", "edit", "c", "--title", "C, renamed"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.trim_end().ends_with("changed task `c`"), "{}", out.stdout);
    assert!(!file.exists());
    assert_eq!(f.tasks().await.iter().find(|t| t.id == "c").unwrap().title, "C, renamed");
}

/// The next event; the timeout only guards against a hang: the test waits for the event, however slow the machine.
async fn next(
    rx: &mut tokio::sync::broadcast::Receiver<yokeflow_core::tasks::file_watch::TasksFileEvent>,
) -> yokeflow_core::tasks::file_watch::TasksFileEvent {
    tokio::time::timeout(std::time::Duration::from_secs(120), rx.recv()).await.expect("no event").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_watcher_imports_the_file_when_it_changes_and_reports_a_broken_one() {
    use yokeflow_core::tasks::file_watch::{TasksFileEvent, TasksFileWatch};
    let p = project_with_file().await;
    let (tx, mut rx) = tokio::sync::broadcast::channel(16);
    let _watch = TasksFileWatch::start(&p.db, &p.id, &p.file, tx).unwrap();

    // An editor saving by renaming a new file over the old one.
    let tmp = p.file.with_file_name(".yokeflow.yaml.swp");
    std::fs::write(&tmp, TASKS.replace("title: Add the API", "title: Add the API v2")).unwrap();
    std::fs::rename(&tmp, &p.file).unwrap();
    let TasksFileEvent::Imported { summary, .. } = next(&mut rx).await else { panic!("not imported") };
    assert!(summary.updated.contains(&"api".to_string()));
    let api = tasks::list(&p.db, &p.id).await.unwrap().into_iter().find(|t| t.id == "api").unwrap();
    assert_eq!(api.title, "Add the API v2");

    // A broken file is reported; the board keeps what it had.
    std::fs::write(&p.file, "tasks:\n  - id: api\n    title: [unclosed\n").unwrap();
    let TasksFileEvent::Refused { error, .. } = next(&mut rx).await else { panic!("not refused") };
    assert_eq!(error.code, "invalid_task_file", "{error:?}");
    assert_eq!(ids(&p).await, vec!["schema", "api"]);
}
