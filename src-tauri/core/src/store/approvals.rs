//! Nothing from a repository runs unapproved. A tasks file may name its project's agent (`agent:`) and test command
//! (`test_command:`); they are stored on import, but a run uses such a command only once a person approved that
//! exact argv for that project ([`approve`]: `yokeflow allow`, or the window's dialog). A changed argv needs
//! approval again. Commands a person sets directly (`--agent`, `--test-cmd`, the window's settings) are approved as
//! they are set; YokeFlow's own defaults (Claude Code's CLI, the demo's scripted agent) need none.

use crate::model::CommandKind;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::model::Project;
use crate::store::db::Db;

/// A command of a project and its exact argv.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ProjectCommand {
    pub kind: CommandKind,
    pub argv: Vec<String>,
}

fn argv_json(argv: &[String]) -> String {
    serde_json::to_string(argv).expect("strings serialize")
}

/// Records that a person approved `argv` as the project's `kind` command.
pub async fn approve(db: &Db, project_id: &str, kind: CommandKind, argv: &[String]) -> CoreResult<()> {
    sqlx::query(
        "INSERT INTO command_approvals (project_id, kind, argv, approved_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (project_id, kind, argv) DO NOTHING",
    )
    .bind(project_id)
    .bind(kind.as_str())
    .bind(argv_json(argv))
    .bind(now_ms())
    .execute(db.pool())
    .await?;
    Ok(())
}

pub async fn is_approved(db: &Db, project_id: &str, kind: CommandKind, argv: &[String]) -> CoreResult<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM command_approvals WHERE project_id = ? AND kind = ? AND argv = ?")
            .bind(project_id)
            .bind(kind.as_str())
            .bind(argv_json(argv))
            .fetch_one(db.pool())
            .await?;
    Ok(n > 0)
}

/// The project's stored commands (agent, test) that no one has approved yet, as they are now.
pub async fn pending(db: &Db, project: &Project) -> CoreResult<Vec<ProjectCommand>> {
    let mut out = Vec::new();
    for (kind, argv) in [
        (CommandKind::Agent, &project.agent_command),
        (CommandKind::Test, &project.test_command),
        (CommandKind::Setup, &project.setup_command),
        (CommandKind::Cleanup, &project.cleanup_command),
    ] {
        if let Some(argv) = argv {
            if !is_approved(db, &project.id, kind, argv).await? {
                out.push(ProjectCommand { kind, argv: argv.clone() });
            }
        }
    }
    Ok(out)
}

/// [`pending`] of the project `project_id`.
pub async fn pending_of(db: &Db, project_id: &str) -> CoreResult<Vec<ProjectCommand>> {
    pending(db, &crate::store::project::get(db, project_id).await?).await
}

/// [`approve_shown`] for the project `project_id`.
pub async fn approve_shown_of(db: &Db, project_id: &str, commands: &[ProjectCommand]) -> CoreResult<()> {
    approve_shown(db, &crate::store::project::get(db, project_id).await?, commands).await
}

/// `Ok` when the project's stored `kind` command `argv` may run; [`CoreError::CommandNotApproved`] otherwise.
pub async fn require(db: &Db, project_id: &str, kind: CommandKind, argv: &[String]) -> CoreResult<()> {
    if is_approved(db, project_id, kind, argv).await? {
        Ok(())
    } else {
        Err(CoreError::CommandNotApproved { kind, argv: argv.to_vec() })
    }
}

/// Approves exactly `commands` (what the person was shown) if they are still the project's commands; a command
/// that changed in between is refused, so nothing is approved that the person did not see.
pub async fn approve_shown(db: &Db, project: &Project, commands: &[ProjectCommand]) -> CoreResult<()> {
    for c in commands {
        let current = match c.kind {
            CommandKind::Agent => &project.agent_command,
            CommandKind::Test => &project.test_command,
            CommandKind::Setup => &project.setup_command,
            CommandKind::Cleanup => &project.cleanup_command,
        };
        if current.as_ref() != Some(&c.argv) {
            return Err(CoreError::InvalidInput(format!(
                "the project's {} is no longer {:?}: look at it again before approving",
                c.kind.label(),
                c.argv
            )));
        }
    }
    for c in commands {
        approve(db, &project.id, c.kind, &c.argv).await?;
    }
    Ok(())
}
