//! The merge gate as the project's last runs measured it, for the simulator ([`super::simulate::simulate_gated`]).
//! Each run's report is stored as JSON on its `runs` row (`run::report::RunReport`); the plan reads from it only
//! the figures it needs ([`GateFacts`]), so planning never depends on the run's code.

use std::collections::HashMap;

use serde::Deserialize;

use super::simulate::GateModel;
use crate::error::CoreResult;
use crate::model::{Task, TaskStatus};
use crate::store::db::Db;

/// What a stored run report tells about the gate: each task's times and the gate's test runs.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GateFacts {
    #[serde(default)]
    pub tasks: Vec<TaskFacts>,
    #[serde(default)]
    pub gate_tests_ms: Vec<u64>,
}

/// One task's times in a run (the report's `TaskTiming`, read for what the gate model uses).
#[derive(Debug, Clone, Deserialize)]
pub struct TaskFacts {
    pub task_id: String,
    pub started_ms: u64,
    pub ended_ms: u64,
    #[serde(default)]
    pub gate_ms: u64,
    pub outcome: TaskStatus,
}

/// A test run's median length, in the plan's minutes as the agents' median pace converts them (the time a task's
/// worker took before its landing, per minute of its effort). `None` until a landed task and a test run were
/// measured (a project's first run predicts without the gate).
pub fn gate_model(reports: &[GateFacts], effort: &HashMap<String, u32>, max_batch: usize) -> Option<GateModel> {
    fn median(mut xs: Vec<f64>) -> Option<f64> {
        xs.sort_by(f64::total_cmp);
        xs.get(xs.len() / 2).copied()
    }
    let mut pace = Vec::new();
    for t in reports.iter().flat_map(|r| &r.tasks) {
        let Some(&minutes) = effort.get(&t.task_id).filter(|&&m| m > 0) else { continue };
        if t.outcome == TaskStatus::Done && t.gate_ms > 0 {
            let worked = t.ended_ms.saturating_sub(t.gate_ms).saturating_sub(t.started_ms);
            pace.push(worked as f64 / f64::from(minutes));
        }
    }
    let ms_per_minute = median(pace).filter(|p| *p > 0.0)?;
    let test_ms = median(reports.iter().flat_map(|r| &r.gate_tests_ms).map(|&ms| ms as f64).collect())?;
    Some(GateModel { test_minutes: test_ms / ms_per_minute, max_batch })
}

/// [`gate_model`] from the project's last ten runs that ended with a report, for the tasks `all` (their efforts).
pub async fn measured_gate(db: &Db, project_id: &str, all: &[Task], max_batch: usize) -> CoreResult<Option<GateModel>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT report FROM runs WHERE project_id = ? AND report IS NOT NULL AND report != 'null' \
         ORDER BY ended_at DESC LIMIT 10",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let reports: Vec<GateFacts> = rows.iter().filter_map(|r| serde_json::from_str(r).ok()).collect();
    let effort = all.iter().map(|t| (t.id.clone(), t.effort_minutes)).collect();
    Ok(gate_model(&reports, &effort, max_batch))
}
