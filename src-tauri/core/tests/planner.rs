//! File prediction, plan storage and the `plan` commands against real temporary git repositories and a real
//! SQLite file.

use std::path::{Path, PathBuf};

use serde_json::Value;
use yokeflow_core::{plan::planner, store::db::Db, store::project, tasks::import};

mod support;
use support::CliOut as Out;

struct Fixture {
    _dir: tempfile::TempDir,
    repo: PathBuf,
    db: PathBuf,
}

/// A repository on `main` whose first commit holds `files` (path, content).
fn fixture(files: &[(&str, &str)]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("shop");
    support::init_repo(&repo, files);
    let db = dir.path().join("data/yokeflow.db");
    Fixture { _dir: dir, repo, db }
}

fn write(repo: &Path, rel: &str, content: &str) -> PathBuf {
    let p = repo.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, content).unwrap();
    p
}

fn commit(f: &Fixture, files: &[(&str, &str)], message: &str) {
    for (path, content) in files {
        write(&f.repo, path, content);
    }
    let r = git2::Repository::open(&f.repo).unwrap();
    yokeflow_core::sys::git::commit_all(&r, message).unwrap();
}

async fn run(f: &Fixture, args: &[&str]) -> Out {
    support::cli(&f.db, &f.repo, args).await
}

/// `init`, then imports `yaml` (written into the repository, not committed).
async fn import_yaml(f: &Fixture, yaml: &str) -> Out {
    assert_eq!(run(f, &["init"]).await.code, 0);
    let file = write(&f.repo, ".yokeflow-tasks.yaml", yaml);
    let out = run(f, &["import", file.to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

/// The stored `projects.execution_plan` text.
async fn stored_plan(f: &Fixture) -> Option<String> {
    let db = Db::open(&f.db).await.unwrap();
    let plan: Option<String> =
        sqlx::query_scalar("SELECT execution_plan FROM projects").fetch_one(db.pool()).await.unwrap();
    db.close().await;
    plan
}

fn predicted(status: &Value, task: &str) -> Vec<(String, String)> {
    let t = status.as_array().unwrap().iter().find(|t| t["id"] == task).unwrap();
    t["predicted_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["path"].as_str().unwrap().to_string(), p["reason"].as_str().unwrap().to_string()))
        .collect()
}

fn batch_of(plan: &Value, task: &str) -> String {
    plan["batches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["task_ids"].as_array().unwrap().iter().any(|t| t == task))
        .unwrap()["batch_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn prediction_from_descriptions_and_globs() {
    let f = fixture(&[("src/lib.rs", ""), ("src/models/a.rs", ""), ("src/models/b.rs", ""), ("web/app.js", "")]);
    import_yaml(
        &f,
        "tasks:\n  - id: user\n    title: User model\n    description: Wire it into src/lib.rs and create \
         src/models/user.rs. See GET /users.\n  - id: models\n    title: Models\n    files: ['src/models/*.rs']\n",
    )
    .await;
    let status = run(&f, &["status", "--json"]).await.json();
    assert_eq!(
        predicted(&status, "user"),
        vec![
            ("src/lib.rs".to_string(), "named in the description".to_string()),
            ("src/models/user.rs".to_string(), "named in the description (new file)".to_string()),
        ]
    );
    assert_eq!(
        predicted(&status, "models"),
        vec![
            ("src/models/*.rs".to_string(), "declared in the tasks file".to_string()),
            ("src/models/a.rs".to_string(), "declared in the tasks file (matches `src/models/*.rs`)".to_string()),
            ("src/models/b.rs".to_string(), "declared in the tasks file (matches `src/models/*.rs`)".to_string()),
        ]
    );
    // The glob covers the new file named by `user`: the two are predicted to conflict.
    let plan = run(&f, &["plan", "show", "--json"]).await.json();
    assert_eq!(plan["conflict_groups"][0]["tasks"], serde_json::json!(["user", "models"]));
    assert_ne!(batch_of(&plan, "user"), batch_of(&plan, "models"));
}

#[tokio::test]
async fn co_change_history_widens_predictions() {
    let f = fixture(&[]);
    for i in 0..4 {
        commit(&f, &[("a.rs", &format!("a{i}")), ("b.rs", &format!("b{i}"))], "a and b");
    }
    commit(&f, &[("c.rs", "c")], "c alone");
    import_yaml(
        &f,
        "tasks:\n  - id: touch-a\n    title: Change a\n    files: [a.rs]\n  - id: touch-c\n    title: Change c\n    \
         files: [c.rs]\n",
    )
    .await;
    let status = run(&f, &["status", "--json"]).await.json();
    assert_eq!(
        predicted(&status, "touch-a"),
        vec![
            ("a.rs".to_string(), "declared in the tasks file".to_string()),
            ("b.rs".to_string(), "changed together with a.rs in 4 of 4 commits".to_string()),
        ]
    );
    assert_eq!(predicted(&status, "touch-c").len(), 1, "c changed once: no widening");
}

#[tokio::test]
async fn plan_is_rebuilt_on_import_stored_and_shown() {
    let f = fixture(&[]);
    import_yaml(&f, yokeflow_core::tasks::demo::TASKS_YAML).await;
    // No `plan build`: the import built it.
    let shown = run(&f, &["plan", "show", "--json"]).await.json();
    let stored: Value = serde_json::from_str(&stored_plan(&f).await.expect("a stored plan")).unwrap();
    assert_eq!(shown, stored);
    assert_eq!(shown["stats"]["task_count"], 10);
    assert_eq!(shown["stats"]["workers"], 4);

    let built = run(&f, &["plan", "build", "--workers", "2", "--json"]).await.json();
    assert_eq!(built["stats"]["workers"], 2);
    assert_eq!(run(&f, &["plan", "show", "--json"]).await.json(), built);

    let text = run(&f, &["plan", "show"]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    for want in ["batch-1", "wt-1", "critical path", "lower bound", "predicted makespan", "page-layout, theme"] {
        assert!(text.stdout.contains(want), "missing {want:?} in:\n{}", text.stdout);
    }
}

#[tokio::test]
async fn simulate_reports_every_schedule_on_the_demo() {
    let f = fixture(&[]);
    import_yaml(&f, yokeflow_core::tasks::demo::TASKS_YAML).await;
    for workers in [None, Some("2")] {
        let mut args = vec!["plan", "simulate", "--json"];
        args.extend(workers.iter().flat_map(|w| ["--workers", w]));
        let r = run(&f, &args).await.json();
        for key in ["sequential", "barrier", "dynamic", "lower_bound", "critical_path"] {
            assert!(r.get(key).is_some(), "missing {key}: {r}");
        }
        let n = |k: &str| r[k].as_u64().unwrap();
        assert!(n("lower_bound") <= n("dynamic"), "{r}");
        assert!(n("dynamic") <= n("barrier"), "{r}");
        assert!(n("barrier") <= n("sequential"), "{r}");
        assert_eq!(n("sequential"), 275);
    }
    let text = run(&f, &["plan", "simulate"]).await;
    assert!(text.stdout.contains("sequential") && text.stdout.contains("dynamic"), "{}", text.stdout);
}

const EDITS: &str = "tasks:
  - {id: a, title: A, files: [src/a.rs]}
  - {id: b, title: B, depends_on: [a], files: [src/b.rs]}
  - {id: c, title: C, files: [shared.rs]}
  - {id: d, title: D, depends_on: [c], files: [src/d.rs]}
  - {id: e, title: E, depends_on: [d], files: [shared.rs]}
";

#[tokio::test]
async fn refused_edits_give_the_reason_and_store_nothing() {
    let f = fixture(&[]);
    import_yaml(&f, EDITS).await;
    let plan = run(&f, &["plan", "show", "--json"]).await.json();
    let before = stored_plan(&f).await;

    // Breaking a dependency.
    let to = batch_of(&plan, "a");
    let out = run(&f, &["plan", "edit", "--move-task", "b", "--to-batch", &to, "--json"]).await;
    assert_eq!(out.error_code(), "plan_invalid_edit");
    assert!(out.stderr.contains("it depends on `a`"), "{}", out.stderr);
    assert_eq!(stored_plan(&f).await, before);

    // Moving a task before its dependency's dependency, in text mode.
    let to = batch_of(&plan, "c");
    let out = run(&f, &["plan", "edit", "--move-task", "e", "--to-batch", &to]).await;
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("error: cannot move `e`") && out.stderr.contains("`d`"), "{}", out.stderr);
    assert_eq!(stored_plan(&f).await, before);

    // A task id that does not exist, and a missing target.
    let out = run(&f, &["plan", "edit", "--move-task", "zz", "--to-batch", "1", "--json"]).await;
    assert_eq!(out.error_code(), "plan_invalid_edit");
    assert_eq!(run(&f, &["plan", "edit", "--move-task", "a"]).await.code, 1);
    assert_eq!(stored_plan(&f).await, before);

    // An accepted edit is stored.
    let seq = run(&f, &["plan", "edit", "--force-sequential", "--json"]).await.json();
    assert_eq!(seq["stats"]["workers"], 1);
    assert_eq!(seq["batches"].as_array().unwrap().len(), 5);
    assert_eq!(run(&f, &["plan", "show", "--json"]).await.json(), seq);
}

#[tokio::test]
async fn conflicting_tasks_cannot_share_a_batch() {
    // x and y are independent but both declare the same file: different batches, and moving one into the
    // other's batch is refused with the file named.
    let f = fixture(&[]);
    import_yaml(&f, "tasks:\n  - {id: x, title: X, files: [web/app.js]}\n  - {id: y, title: Y, files: [web/app.js]}\n")
        .await;
    let plan = run(&f, &["plan", "show", "--json"]).await.json();
    let (bx, by) = (batch_of(&plan, "x"), batch_of(&plan, "y"));
    assert_ne!(bx, by);
    let before = stored_plan(&f).await;
    let out = run(&f, &["plan", "edit", "--move-task", "y", "--to-batch", &bx, "--json"]).await;
    assert_eq!(out.error_code(), "plan_invalid_edit");
    assert!(
        out.stderr.contains("predicted to conflict with `x`") && out.stderr.contains("web/app.js"),
        "{}",
        out.stderr
    );
    assert_eq!(stored_plan(&f).await, before);
}

#[tokio::test]
async fn cycles_are_refused_at_import_and_by_the_planner() {
    let f = fixture(&[]);
    import_yaml(&f, EDITS).await;
    let before = stored_plan(&f).await;
    let file = write(
        &f.repo,
        "cycle.yaml",
        "tasks:\n  - {id: a, title: A, depends_on: [b]}\n  - {id: b, title: B, depends_on: [a]}\n",
    );
    let out = run(&f, &["import", file.to_str().unwrap()]).await;
    assert!(out.code == 1 && out.stderr.contains("dependency cycle"), "{}", out.stderr);

    // A cycle that reached the database anyway (written by hand) is refused by `plan build`, storing nothing.
    let db = Db::open(&f.db).await.unwrap();
    sqlx::query("INSERT INTO task_dependencies (project_id, task_id, depends_on) SELECT id, 'a', 'b' FROM projects")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let out = run(&f, &["plan", "build", "--json"]).await;
    assert_eq!(out.error_code(), "plan_cycle");
    assert!(out.stderr.contains("dependency cycle"), "{}", out.stderr);
    assert_eq!(stored_plan(&f).await, before);
}

#[tokio::test]
async fn empty_or_finished_projects_are_clear_errors() {
    let f = fixture(&[]);
    assert_eq!(run(&f, &["init"]).await.code, 0);
    let out = run(&f, &["plan", "build", "--json"]).await;
    assert_eq!(out.error_code(), "plan_empty");
    let out = run(&f, &["plan", "build"]).await;
    assert!(out.stderr.contains("the project has no tasks; import a tasks file first"), "{}", out.stderr);
    assert_eq!(run(&f, &["plan", "show", "--json"]).await.error_code(), "not_found");
    assert_eq!(run(&f, &["plan", "simulate", "--json"]).await.error_code(), "plan_empty");

    // Done tasks are left out of the plan; dependencies on them count as satisfied.
    import_yaml(&f, EDITS).await;
    let db = Db::open(&f.db).await.unwrap();
    let p = project::find_by_repo(&db, &f.repo).await.unwrap();
    yokeflow_core::store::tasks::set_status(&db, &p.id, "a", yokeflow_core::model::TaskStatus::Done, None)
        .await
        .unwrap();
    let plan = planner::build(&db, &p.id, None).await.unwrap();
    assert_eq!(plan.stats.task_count, 4);
    assert!(plan.batches.iter().all(|b| !b.task_ids.contains(&"a".to_string())));
    assert!(plan.batches[0].task_ids.contains(&"b".to_string()), "{:?}", plan.batches);
    for id in ["b", "c", "d", "e"] {
        yokeflow_core::store::tasks::set_status(&db, &p.id, id, yokeflow_core::model::TaskStatus::Done, None)
            .await
            .unwrap();
    }
    let e = planner::build(&db, &p.id, None).await.unwrap_err();
    assert_eq!(e.code(), "plan_empty");
    assert!(e.to_string().contains("all 5 tasks of the project are done"), "{e}");
    db.close().await;
}

#[tokio::test]
async fn a_failed_rebuild_does_not_undo_the_import() {
    let f = fixture(&[]);
    assert_eq!(run(&f, &["init"]).await.code, 0);
    let db = Db::open(&f.db).await.unwrap();
    let p = project::find_by_repo(&db, &f.repo).await.unwrap();
    let file = write(f.repo.parent().unwrap(), "tasks.yaml", EDITS);
    // The repository disappears: prediction cannot read it.
    std::fs::rename(f.repo.join(".git"), f.repo.join("git-moved")).unwrap();
    let summary = import::import_file(&db, &p.id, &file).await.unwrap();
    assert_eq!(summary.added.len(), 5);
    let warning = summary.plan_warning.expect("a warning");
    assert!(warning.starts_with("the plan could not be rebuilt: git error"), "{warning}");
    assert!(planner::get(&db, &p.id).await.unwrap().is_none());
    assert_eq!(yokeflow_core::store::tasks::list(&db, &p.id).await.unwrap().len(), 5);
    db.close().await;
}

#[tokio::test]
async fn the_demo_project_comes_with_a_plan() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&dir.path().join("y.db")).await.unwrap();
    let p = yokeflow_core::tasks::demo::ensure_demo(&db, dir.path()).await.unwrap();
    let plan = planner::get(&db, &p.id).await.unwrap().expect("the demo's plan");
    assert_eq!(plan.stats.task_count, 10);
    assert!(plan.conflict_pairs().iter().any(|c| c.a == "page-layout" && c.b == "theme"), "{:?}", plan.conflict_groups);
    db.close().await;
}

#[tokio::test]
async fn three_thousand_tasks_on_one_file_import_and_store_a_small_plan() {
    // Issue 16 item 13: this once stored 4.5 million conflict pairs (264 MB) and took 2.5 GB to import.
    let f = fixture(&[("Cargo.toml", "[package]\n")]);
    let tasks: Vec<Value> = (0..3000)
        .map(|i| serde_json::json!({ "id": format!("t{i}"), "title": format!("Task {i}"), "files": ["Cargo.toml"] }))
        .collect();
    let file = write(&f.repo, "tasks.json", &serde_json::json!({ "tasks": tasks }).to_string());
    let db = Db::open(&f.db).await.unwrap();
    let p = project::init(&db, &f.repo).await.unwrap();
    let summary = import::import_file(&db, &p.id, &file).await.unwrap();
    assert_eq!((summary.added.len(), summary.plan_warning), (3000, None));
    let plan = planner::get(&db, &p.id).await.unwrap().expect("planned");
    assert_eq!(plan.conflict_groups.len(), 1, "one group for the shared file");
    assert_eq!(plan.conflict_groups[0].tasks.len(), 3000);
    let stored: String = sqlx::query_scalar("SELECT execution_plan FROM projects WHERE id = ?")
        .bind(&p.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert!(stored.len() < 1_000_000, "the stored plan takes {} bytes", stored.len());
}
