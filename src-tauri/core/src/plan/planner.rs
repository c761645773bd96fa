//! The stored execution plan of a project: building it (predict files, run the pure [`crate::plan`] engine,
//! store the JSON in `projects.execution_plan` and the predictions in `tasks.predicted_files`, in one
//! transaction), reading it, editing it by hand and simulating schedules. Nothing is stored when the engine
//! refuses.
//!
//! The plan covers the work that remains: Done tasks are left out and dependencies on them count as
//! satisfied, so the figures (makespan, lower bound) are those of a run started now. An edit works on the
//! tasks of the stored plan, so a task finishing after the plan was built does not make the plan unusable.
//! Rebuilding discards manual edits. The plan is rebuilt after every successful import
//! ([`rebuild_after_import`]).

use std::collections::HashSet;

use sqlx::Row;

use crate::error::{CoreError, CoreResult};
use crate::model::{PredictedFile, Project, Task, TaskStatus};
use crate::plan::{self, ExecutionPlan, PlanEdit, PlanOptions, PlanTask, SimulationReport};
use crate::store::db::Db;
use crate::{model::now_ms, plan::predict, store::project, store::tasks};

/// Builds and stores the plan. `workers` overrides the project's `max_worktrees`.
pub async fn build(db: &Db, project_id: &str, workers: Option<usize>) -> CoreResult<ExecutionPlan> {
    let project = project::get(db, project_id).await?;
    let all = tasks::list(db, project_id).await?;
    let predicted = predict_files(&project, &all).await?;
    let plan_tasks = remaining(&all, |i| predicted[i].as_slice())?;
    let workers = workers_for(&project, workers);
    let mut plan = plan::build_plan(&plan_tasks, &PlanOptions { max_worktrees: workers })?;
    // The run as the run loop would go, with the gate as the project's last runs measured it (none measured: no
    // test time), for the timeline's planned bars; for plans of ordinary size (the gated simulation asks the
    // scheduler at every event).
    if plan_tasks.len() <= 2000 {
        let measured =
            crate::plan::measured::measured_gate(db, project_id, &all, crate::gate::merge::DEFAULT_MAX_BATCH).await?;
        let gate =
            measured.unwrap_or(plan::GateModel { test_minutes: 0.0, max_batch: crate::gate::merge::DEFAULT_MAX_BATCH });
        if let Ok(times) = plan::simulate_gated(&plan_tasks, workers, gate) {
            if measured.is_some() {
                plan.stats.gate_minutes = gate.test_minutes.ceil() as u64;
                plan.stats.predicted_with_gate = Some(times.makespan.ceil() as u64);
            }
            plan.schedule = times.bars;
        }
    }

    let plan_json = serde_json::to_string(&plan).expect("plans serialize");
    let mut tx = db.pool().begin().await?;
    for (t, files) in all.iter().zip(&predicted) {
        sqlx::query("UPDATE tasks SET predicted_files = ? WHERE project_id = ? AND id = ?")
            .bind(serde_json::to_string(files).expect("predictions serialize"))
            .bind(project_id)
            .bind(&t.id)
            .execute(&mut *tx)
            .await?;
    }
    store_plan(&mut *tx, project_id, Some(&plan_json)).await?;
    tx.commit().await?;
    Ok(plan)
}

/// The stored plan, if one was built (an unreadable stored plan counts as none).
pub async fn get(db: &Db, project_id: &str) -> CoreResult<Option<ExecutionPlan>> {
    let row = sqlx::query("SELECT execution_plan FROM projects WHERE id = ?")
        .bind(project_id)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| CoreError::NotFound { what: "project", id: project_id.to_string() })?;
    let raw: Option<String> = row.try_get("execution_plan")?;
    Ok(raw.and_then(|json| match serde_json::from_str::<ExecutionPlan>(&json) {
        Ok(plan) => Some(plan.upgrade()),
        Err(e) => {
            tracing::warn!(project_id, "the stored plan is unreadable and is ignored: {e}");
            None
        }
    }))
}

/// Applies a manual edit to the stored plan and stores the result; a refused edit stores nothing and returns
/// [`CoreError::Plan`] with the reason (code `plan_invalid_edit`).
pub async fn edit(db: &Db, project_id: &str, edit: PlanEdit) -> CoreResult<ExecutionPlan> {
    let project = project::get(db, project_id).await?;
    let current = get(db, project_id)
        .await?
        .ok_or_else(|| CoreError::NotFound { what: "execution plan of project", id: project.name.clone() })?;
    let in_plan: HashSet<&str> = current.batches.iter().flat_map(|b| b.task_ids.iter().map(String::as_str)).collect();
    let all = tasks::list(db, project_id).await?;
    let plan_tasks: Vec<PlanTask> = all
        .iter()
        .filter(|t| in_plan.contains(t.id.as_str()))
        .map(|t| plan_task(t, &t.predicted_files, |d| in_plan.contains(d)))
        .collect();
    let edited = plan::validate_edit(&current, &plan_tasks, &edit)?;
    let json = serde_json::to_string(&edited).expect("plans serialize");
    store_plan(db.pool(), project_id, Some(&json)).await?;
    Ok(edited)
}

/// Sequential, barrier and dynamic makespans of the remaining tasks, with fresh predictions; stores nothing.
pub async fn simulate(db: &Db, project_id: &str, workers: Option<usize>) -> CoreResult<SimulationReport> {
    let project = project::get(db, project_id).await?;
    let all = tasks::list(db, project_id).await?;
    let predicted = predict_files(&project, &all).await?;
    let plan_tasks = remaining(&all, |i| predicted[i].as_slice())?;
    Ok(plan::simulate(&plan_tasks, workers_for(&project, workers))?)
}

/// Rebuilds the plan after an import. On failure the import stands: the stale plan is cleared (it no longer
/// matches the tasks) and the reason is returned, for the caller to show as a warning.
pub async fn rebuild_after_import(db: &Db, project_id: &str) -> Option<String> {
    match build(db, project_id, None).await {
        Ok(_) => None,
        Err(e) => {
            if let Err(clear) = store_plan(db.pool(), project_id, None).await {
                tracing::warn!(project_id, "cannot clear the stale plan: {clear}");
            }
            Some(format!("the plan could not be rebuilt: {e}"))
        }
    }
}

/// Rebuilds the plan after the set of done tasks changed, then moves the tasks a person had pinned back to the
/// worktrees they were in (where that still validates). On failure the stale plan is cleared and the reason
/// returned, as after an import.
pub async fn rebuild_keeping_pins(db: &Db, project_id: &str) -> Option<String> {
    let old = get(db, project_id).await.ok().flatten();
    if let Some(problem) = rebuild_after_import(db, project_id).await {
        return Some(problem);
    }
    // Collected before any await: the rebuilt plan's futures must stay `Send` for the window's commands.
    let mut pins: Vec<(String, String)> = Vec::new();
    if let Some(plan) = &old {
        for id in &plan.pinned {
            if let Some(wt) = plan.worktree_assignments.iter().find(|w| w.task_ids.contains(id)) {
                pins.push((id.clone(), wt.worktree.clone()));
            }
        }
    }
    for (task, worktree) in pins {
        if let Err(e) = edit(db, project_id, PlanEdit::MoveToWorktree { task: task.clone(), worktree }).await {
            tracing::info!(project_id, task, "a pin did not survive the rebuilt plan: {e}");
        }
    }
    None
}

fn workers_for(project: &Project, workers: Option<usize>) -> usize {
    workers.unwrap_or(project.max_worktrees as usize).clamp(1, 64)
}

async fn store_plan<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    project_id: &str,
    json: Option<&str>,
) -> CoreResult<()> {
    sqlx::query("UPDATE projects SET execution_plan = ?, updated_at = ? WHERE id = ?")
        .bind(json)
        .bind(now_ms())
        .bind(project_id)
        .execute(exec)
        .await?;
    Ok(())
}

/// Predicts every task's files from the project's repository (off the async threads: git2 blocks).
async fn predict_files(project: &Project, all: &[Task]) -> CoreResult<Vec<Vec<PredictedFile>>> {
    let (repo, branch, owned) = (project.repo_path.clone(), project.target_branch.clone(), all.to_vec());
    tokio::task::spawn_blocking(move || predict::predict_in_repo(std::path::Path::new(&repo), &branch, &owned))
        .await
        .map_err(|e| CoreError::InvalidInput(format!("file prediction failed: {e}")))?
}

/// The tasks still to do, as the plan engine sees them; an error when there are none.
fn remaining<'a>(all: &'a [Task], predicted: impl Fn(usize) -> &'a [PredictedFile]) -> CoreResult<Vec<PlanTask>> {
    if all.is_empty() {
        return Err(CoreError::NothingToPlan(
            "the project has no tasks; import a tasks file first (`yokeflow import yokeflow.yaml`)".into(),
        ));
    }
    let open: HashSet<&str> = all.iter().filter(|t| t.status != TaskStatus::Done).map(|t| t.id.as_str()).collect();
    if open.is_empty() {
        return Err(CoreError::NothingToPlan(format!(
            "all {} tasks of the project are done; there is nothing left to plan",
            all.len()
        )));
    }
    Ok(all
        .iter()
        .enumerate()
        .filter(|(_, t)| open.contains(t.id.as_str()))
        .map(|(i, t)| plan_task(t, predicted(i), |d| open.contains(d)))
        .collect())
}

/// One task for the engine: dependencies outside `keep` (done, or not in the plan) count as satisfied;
/// without predictions the declared files stand in.
fn plan_task(t: &Task, predicted: &[PredictedFile], keep: impl Fn(&str) -> bool) -> PlanTask {
    PlanTask {
        id: t.id.clone(),
        epic: t.epic.clone(),
        depends_on: t.depends_on.iter().filter(|d| keep(d)).cloned().collect(),
        effort_minutes: t.effort_minutes.max(1),
        priority: t.priority,
        predicted_files: if predicted.is_empty() {
            t.files.clone()
        } else {
            predicted.iter().map(|f| f.path.clone()).collect()
        },
    }
}
