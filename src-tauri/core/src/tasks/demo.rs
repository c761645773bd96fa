//! The bundled demo project: a small git repository and tasks file created in the app-data folder, so that
//! someone opening YokeFlow for the first time sees a real project at once.

use std::path::Path;

use git2::Repository;

use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::store::db::Db;
use crate::{store::project, sys::git, tasks::import, tasks::taskfile};

/// The demo's tasks file, shipped inside the binary.
pub const TASKS_YAML: &str = include_str!("../../demo/yokeflow.yaml");

const SEED_FILES: &[(&str, &str)] = &[
    ("README.md", "# Demo shop\n\nA tiny web shop that YokeFlow's demo agents build task by task.\n"),
    ("src/api/__init__.py", ""),
    ("web/index.html", "<!doctype html>\n<title>Demo shop</title>\n<p>Welcome.</p>\n"),
    (".gitignore", ".yokeflow/\n"),
];

/// Returns the demo project, creating its repository under `<data_dir>/demo/demo-shop` and importing its
/// tasks if there is none yet. Calling it again returns the same project.
pub async fn ensure_demo(db: &Db, data_dir: &Path) -> CoreResult<Project> {
    if let Some(existing) = project::find_demo(db).await? {
        return Ok(existing);
    }
    let dir = data_dir.join("demo").join("demo-shop");
    if !dir.join(".git").exists() {
        create_repo(&dir)?;
    }
    let project = project::init_with(db, &dir, true).await?;
    crate::tasks::settings::adopt_sandbox_defaults(db, &project.id).await?;
    let file = taskfile::parse(TASKS_YAML, false)
        .map_err(|issues| CoreError::InvalidTaskFile { file: "demo/yokeflow.yaml".into(), issues })?;
    import::import(db, &project.id, &file, Some(&dir.join("yokeflow.yaml").display().to_string())).await?;
    project::get(db, &project.id).await
}

fn create_repo(dir: &Path) -> CoreResult<()> {
    let write = |rel: &str, content: &str| -> CoreResult<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CoreError::io(format!("cannot create {}", parent.display()), e))?;
        }
        std::fs::write(&path, content).map_err(|e| CoreError::io(format!("cannot write {}", path.display()), e))
    };
    for (rel, content) in SEED_FILES {
        write(rel, content)?;
    }
    write("yokeflow.yaml", TASKS_YAML)?;
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = Repository::init_opts(dir, &opts)?;
    git::commit_all(&repo, "Demo shop: initial files")?;
    Ok(())
}
