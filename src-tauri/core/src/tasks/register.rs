//! Adding a repository as a project from the window: the tasks file at its root (`yokeflow.yaml`, `.yml` or
//! `.json`), when there is one, is validated first, so a bad file is refused with every problem and nothing is
//! registered; then the repository is registered (idempotent) and the file imported, which builds the plan.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::store::db::Db;
use crate::tasks::import::{self, ImportSummary};
use crate::{store::project, sys::git, tasks::taskfile};

/// The names a project's tasks file may have at the repository's root, in order of preference.
pub const TASK_FILE_NAMES: [&str; 3] = ["yokeflow.yaml", "yokeflow.yml", "yokeflow.json"];

/// What adding a repository did.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AddedProject {
    pub project: Project,
    /// The tasks file imported, if the repository has one.
    pub tasks_file: Option<String>,
    pub imported: Option<ImportSummary>,
}

/// The repository's tasks file, if it has one at its root.
pub fn tasks_file_of(workdir: &Path) -> Option<PathBuf> {
    TASK_FILE_NAMES.iter().map(|name| workdir.join(name)).find(|p| p.is_file())
}

/// `path` with a leading `~` (alone or followed by `/`) replaced by the home folder, as a shell would.
pub fn expand_home(path: &Path) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// Whether no project is registered for the repository containing `path` yet (a person adding it now makes a new
/// one, which gets [`crate::tasks::settings::adopt_sandbox_defaults`]). A folder that is not a repository yet (one
/// `init --spec` is about to make) holds no project either.
pub async fn is_new(db: &Db, path: &Path) -> bool {
    project::find_by_repo(db, path).await.is_err()
}

/// Registers the repository containing `path` as a person adds one (`yokeflow init`, the window): a new project
/// gets the sandbox's defaults (on where bubblewrap works).
pub async fn register(db: &Db, path: &Path) -> CoreResult<Project> {
    let new = is_new(db, path).await;
    let p = project::init(db, path).await?;
    if new {
        crate::tasks::settings::adopt_sandbox_defaults(db, &p.id).await?;
    }
    project::get(db, &p.id).await
}

/// Registers the git repository containing `path` (`~/…` accepted) and imports its tasks file (module docs).
pub async fn add_repository(db: &Db, path: &Path) -> CoreResult<AddedProject> {
    let path = &expand_home(path);
    if path.as_os_str().is_empty() {
        return Err(CoreError::InvalidInput("give the path of a git repository".into()));
    }
    if !path.is_dir() {
        return Err(CoreError::InvalidInput(format!("{} is not a folder", path.display())));
    }
    let workdir = git::discover_workdir(path)?;
    let file = tasks_file_of(&workdir);
    let parsed = file.as_deref().map(taskfile::load).transpose()?;
    let project = register(db, &workdir).await?;
    let imported = match (&file, &parsed) {
        (Some(path), Some(tasks)) => {
            let source = path.display().to_string();
            Some(import::import(db, &project.id, tasks, Some(&source)).await?)
        }
        _ => None,
    };
    Ok(AddedProject {
        project: project::get(db, &project.id).await?,
        tasks_file: file.map(|p| p.display().to_string()),
        imported,
    })
}
