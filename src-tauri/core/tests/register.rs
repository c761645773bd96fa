//! Adding a repository from the window, against real repositories and a real SQLite file: its tasks file is
//! imported and planned; a bad tasks file, a folder that is not a repository or a missing path register nothing.

mod support;

use std::path::Path;

use support::init_repo;
use yokeflow_core::{plan::planner, store::db::Db, store::project, store::tasks, tasks::register};

const GOOD: &str =
    "project: shop\ntasks:\n  - id: a\n    title: First\n  - id: b\n    title: Second\n    depends_on: [a]\n";
const CYCLIC: &str =
    "tasks:\n  - id: a\n    title: A\n    depends_on: [b]\n  - id: b\n    title: B\n    depends_on: [a]\n";

#[tokio::test]
async fn a_repository_with_a_tasks_file_is_registered_imported_and_planned() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("y.db")).await.unwrap();
    let repo = dir.path().join("shop");
    init_repo(&repo, &[("yokeflow.yaml", GOOD)]);

    // From a subfolder too: the repository's root is found.
    std::fs::create_dir_all(repo.join("src")).unwrap();
    let added = register::add_repository(&db, &repo.join("src")).await.unwrap();
    assert_eq!(added.project.name, "shop");
    assert!(added.tasks_file.as_deref().unwrap().ends_with("yokeflow.yaml"));
    assert_eq!(added.imported.as_ref().unwrap().added, vec!["a".to_string(), "b".to_string()]);
    let ids: Vec<String> = tasks::list(&db, &added.project.id).await.unwrap().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(planner::get(&db, &added.project.id).await.unwrap().is_some(), "the plan was built");

    // `~/…` is the home folder, as in a shell.
    assert_eq!(register::expand_home(Path::new("~/code/x")), Path::new(&std::env::var("HOME").unwrap()).join("code/x"));
    assert_eq!(register::expand_home(Path::new("/abs/~/x")), Path::new("/abs/~/x"));
    assert_eq!(register::expand_home(Path::new("~user/x")), Path::new("~user/x"));

    // Adding it again is harmless: same project, nothing duplicated.
    let again = register::add_repository(&db, &repo).await.unwrap();
    assert_eq!(again.project.id, added.project.id);
    assert_eq!(project::list(&db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn bad_input_registers_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("y.db")).await.unwrap();

    let cyclic = dir.path().join("cyclic");
    init_repo(&cyclic, &[("yokeflow.yaml", CYCLIC)]);
    let e = register::add_repository(&db, &cyclic).await.unwrap_err();
    assert_eq!(e.code(), "invalid_task_file", "{e}");
    assert!(e.to_string().contains("a -> b -> a") || e.to_string().contains("cycle"), "{e}");

    let plain = dir.path().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let e = register::add_repository(&db, &plain).await.unwrap_err();
    assert_eq!(e.code(), "not_a_repository", "{e}");

    let e = register::add_repository(&db, &dir.path().join("missing")).await.unwrap_err();
    assert_eq!(e.code(), "invalid_input", "{e}");
    assert!(e.to_string().ends_with("is not a folder"), "{e}");
    assert!(project::list(&db).await.unwrap().is_empty(), "something was registered");

    // Without a tasks file: registered, nothing imported.
    let bare = dir.path().join("bare");
    init_repo(&bare, &[]);
    let added = register::add_repository(&db, &bare).await.unwrap();
    assert!(added.tasks_file.is_none() && added.imported.is_none());
    assert_eq!(project::list(&db).await.unwrap().len(), 1);
}
