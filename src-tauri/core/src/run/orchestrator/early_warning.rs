//! The merge gate's early warning: while agents work, the run loop asks every ~2 s whether the active task
//! branches would conflict with the target or with each other. In memory only ([`crate::gate::merge::predict_conflicts`]);
//! branches with no commits yet are skipped, and nothing is recomputed while no branch tip and not the target
//! moved. A newly predicted conflict is announced once ([`Event::ConflictPredicted`]) and flagged on the tasks
//! (`tasks.conflict_warning`, cleared when a task lands or leaves in-progress). A branch tip not seen before is
//! announced as [`Event::BranchCommitted`] (the lanes show each worktree's last commit).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Duration;

use sqlx::Row;

use crate::error::CoreResult;
use crate::gate::merge::predict_conflicts;
use crate::model::{ConflictFlag, ConflictWith};
use crate::run::events::{emit, Event, EventSender};
use crate::store::db::Db;
use crate::sys::concurrency::blocking;
use crate::workspace::worktree::branch_tip;

/// How often the run loop checks.
pub(crate) const INTERVAL: Duration = Duration::from_secs(2);

/// (task, other) -> conflicting files.
type Found = BTreeMap<(String, ConflictWith), Vec<String>>;
/// The target tip and (task, tip) of each active branch with commits.
type State = (String, Vec<(String, String)>);

#[derive(Default)]
pub(crate) struct EarlyWarning {
    /// The target tip and the active branch tips (with commits) of the last check.
    last: Option<State>,
    /// What has been announced and is still predicted.
    warned: Found,
    /// Task -> the flag last written.
    flags: HashMap<String, String>,
}

impl EarlyWarning {
    /// One check over the `running` tasks. Problems are not errors of the run: the caller may ignore them.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn check(
        &mut self,
        db: &Db,
        project_id: &str,
        run_id: &str,
        repo: &std::path::Path,
        target: &str,
        running: &[String],
        events: &EventSender,
    ) -> CoreResult<()> {
        self.flags.retain(|t, _| running.contains(t));
        let rows = sqlx::query(&format!(
            "SELECT task_id, branch_name FROM worktrees WHERE project_id = ? AND status IN {} \
             AND branch_name <> '' ORDER BY created_at, rowid",
            crate::store::records::sql(&[crate::store::records::WorktreeStatus::Active])
        ))
        .bind(project_id)
        .fetch_all(db.pool())
        .await?;
        let mut branches: Vec<(String, String)> = Vec::new();
        for r in rows {
            let (task, branch): (String, String) = (r.try_get("task_id")?, r.try_get("branch_name")?);
            if running.contains(&task) && !branches.iter().any(|(t, _)| t == &task) {
                branches.push((task, branch));
            }
        }
        let branch_of: HashMap<String, String> = branches.iter().cloned().collect();
        let (repo, target) = (PathBuf::from(repo), target.to_string());
        let last = self.last.clone();
        let probe = blocking(move || {
            let git = git2::Repository::open(&repo)?;
            let onto = branch_tip(&git, &target)?;
            // Branches with commits the target lacks.
            let mut tips = Vec::new();
            for (task, branch) in branches {
                let Ok(tip) = branch_tip(&git, &branch) else { continue };
                if git.graph_ahead_behind(tip, onto).map(|(ahead, _)| ahead).unwrap_or(0) > 0 {
                    tips.push((task, tip));
                }
            }
            let state = (onto.to_string(), tips.iter().map(|(t, o)| (t.clone(), o.to_string())).collect::<Vec<_>>());
            // Branch tips not seen at the last check, with their summaries, for the lanes.
            let mut moved = Vec::new();
            for (task, tip) in &tips {
                let seen =
                    last.as_ref().is_some_and(|(_, old)| old.iter().any(|(t, o)| t == task && *o == tip.to_string()));
                if !seen {
                    let summary = git.find_commit(*tip)?.summary().unwrap_or_default().to_string();
                    moved.push((task.clone(), tip.to_string(), summary));
                }
            }
            // Nothing moved since the last check: nothing new to find.
            if last.as_ref() == Some(&state) {
                return Ok((state, moved, None));
            }
            let mut found = Found::new();
            for (i, (task, tip)) in tips.iter().enumerate() {
                let files = predict_conflicts(&git, onto, *tip)?;
                if !files.is_empty() {
                    found.insert((task.clone(), ConflictWith::Target), files);
                }
                for (other, other_tip) in &tips[i + 1..] {
                    let files = predict_conflicts(&git, *other_tip, *tip)?;
                    if !files.is_empty() {
                        found.insert((task.clone(), ConflictWith::Task { id: other.clone() }), files);
                    }
                }
            }
            Ok((state, moved, Some(found)))
        })
        .await?;
        let (state, moved, found) = probe;
        self.last = Some(state);
        for (task_id, commit, summary) in moved {
            let branch = branch_of.get(&task_id).cloned().unwrap_or_default();
            emit(events, Event::BranchCommitted { run_id: run_id.to_string(), task_id, branch, commit, summary });
        }
        let Some(found) = found else { return Ok(()) };
        // The flags: each task lists what it conflicts with (both sides of a pair are flagged).
        let mut per_task: BTreeMap<&str, Vec<ConflictFlag>> = BTreeMap::new();
        for ((task, other), files) in &found {
            per_task.entry(task).or_default().push(ConflictFlag { other: other.clone(), files: files.clone() });
            if let ConflictWith::Task { id } = other {
                let flag = ConflictFlag { other: ConflictWith::Task { id: task.clone() }, files: files.clone() };
                per_task.entry(id).or_default().push(flag);
            }
        }
        for task in running {
            let flag = per_task.get(task.as_str()).map(|f| serde_json::to_string(f).unwrap_or_default());
            if self.flags.get(task) == flag.as_ref() {
                continue;
            }
            sqlx::query("UPDATE tasks SET conflict_warning = ? WHERE project_id = ? AND id = ? AND status = ?")
                .bind(&flag)
                .bind(project_id)
                .bind(task)
                .bind(crate::model::TaskStatus::InProgress.as_str())
                .execute(db.pool())
                .await?;
            match flag {
                Some(f) => self.flags.insert(task.clone(), f),
                None => self.flags.remove(task),
            };
        }
        // State first: the flags are written before the events announce them.
        for ((task, other), files) in &found {
            if self.warned.get(&(task.clone(), other.clone())) != Some(files) {
                emit(
                    events,
                    Event::ConflictPredicted {
                        run_id: run_id.to_string(),
                        task_id: task.clone(),
                        other: other.clone(),
                        files: files.clone(),
                    },
                );
            }
        }
        self.warned = found;
        Ok(())
    }
}
