//! The run report: wall time against the summed task times (what one agent would have needed), the efficiency
//! gain that parallelism bought, the simulator's prediction beside it, and the merge figures.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::model::{RunMode, RunStatus, TaskStatus};

/// What a run's efficiency gain is measured against: the time the same tasks take one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EfficiencyBasis {
    /// The tasks' own times in this run, summed. With several tasks sharing the machine each took longer than it
    /// would alone, so this overstates the sequential time and the gain: an estimate, and an upper bound.
    #[default]
    SummedTaskTimes,
    /// The same tasks' times in the project's last runs that ran them one at a time (measured, uncontended).
    SequentialRuns,
}

/// A setting that changed while a run went ([`RunReport::settings_changed`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingChange {
    pub key: String,
    /// JSON text; empty when the key did not exist.
    pub from: String,
    pub to: String,
}

/// One task's part in a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TaskTiming {
    pub task_id: String,
    /// The worker slot (0-based).
    pub slot: u32,
    /// Milliseconds from the start of the run.
    #[ts(type = "number")]
    pub started_ms: u64,
    #[ts(type = "number")]
    pub ended_ms: u64,
    /// Worktree + agent + landing, without the wait in the merge queue.
    #[ts(type = "number")]
    pub work_ms: u64,
    /// From its agent being done to the end of its landing (waiting for the merge gate, and the gate's merge and
    /// tests): the last `gate_ms` before `ended_ms`. 0 when it never reached the gate.
    #[serde(default)]
    #[ts(type = "number")]
    pub gate_ms: u64,
    /// `in_progress` while it runs; then `done`, `review` or `backlog` (cancelled or interrupted).
    pub outcome: TaskStatus,
    pub reason: Option<String>,
}

/// What a run did and how well parallelism paid off. Key names are part of the CLI's JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RunReport {
    pub run_id: String,
    pub project_id: String,
    pub mode: RunMode,
    #[ts(type = "number")]
    pub workers: u32,
    /// `finished`, `cancelled` or `failed`.
    pub status: RunStatus,
    pub tasks_total: u32,
    pub tasks_done: u32,
    pub tasks_review: u32,
    /// Neither done nor in review (blocked by a task in review, or left by a cancel).
    pub tasks_remaining: u32,
    /// Tasks run in this run.
    pub tasks_run: u32,
    /// Wall-clock time of the run (the parallel time).
    #[ts(type = "number")]
    pub wall_ms: u64,
    /// Sum of the task times: the sequential time.
    #[ts(type = "number")]
    pub task_time_ms: u64,
    /// `1 - wall / sequential_ms` (0 when nothing ran).
    pub efficiency_gain: f64,
    /// The sequential time the gain is measured against, and where it comes from ([`EfficiencyBasis`]).
    #[serde(default)]
    #[ts(type = "number")]
    pub sequential_ms: u64,
    #[serde(default)]
    pub efficiency_basis: EfficiencyBasis,
    /// The simulator's prediction for the same tasks: `1 - dynamic / sequential` in estimated minutes (with the
    /// merge gate's test time per landing when the project's earlier runs measured it).
    pub predicted_efficiency_gain: f64,
    /// The tasks' time at the merge gate, summed ([`TaskTiming::gate_ms`]).
    #[serde(default)]
    #[ts(type = "number")]
    pub gate_ms: u64,
    /// How long each run of the gate's test command took (ms): what the next runs' predictions count per landing.
    #[serde(default)]
    #[ts(type = "Array<number>")]
    pub gate_tests_ms: Vec<u64>,
    /// How long each pre-flight test took (ms): the finished branches tested in their own worktrees while they
    /// waited for the gate, apart from the gate's own runs.
    #[serde(default)]
    #[ts(type = "Array<number>")]
    pub preflight_tests_ms: Vec<u64>,
    /// Pre-flights that failed (the gate left those tasks out, unless it had taken them already).
    #[serde(default)]
    pub preflights_failed: u32,
    /// Moves of the target the merge gate did not make (an agent, a person, another tool), seen during the run,
    /// each with the result of the tests run on it alone (`passed` null while untested).
    #[serde(default)]
    pub target_moves_outside: Vec<crate::gate::merge::TargetMove>,
    /// The project's settings and allowed tool rules that changed while the run went (a person's change in the
    /// window, or one that got through by another way), each with its value before and after as JSON text.
    #[serde(default)]
    pub settings_changed: Vec<SettingChange>,
    pub merge_attempts: u32,
    pub auto_merged: u32,
    pub sent_to_review: u32,
    /// Merges that went through after the review agent resolved a conflict (counted in `auto_merged` too).
    pub resolved_by_agent: u32,
    /// `auto_merged / merge_attempts` (1 when nothing was merged).
    pub merge_success_rate: f64,
    /// Tasks in Review at the end, with why.
    pub review: Vec<ReviewItem>,
    /// What the run's agent sessions cost, as they reported it (`None`: no agent reported a cost).
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// The run's budget, if it had one.
    #[serde(default)]
    pub budget_usd: Option<f64>,
    /// The budget was spent: tasks left were not started.
    #[serde(default)]
    pub stopped_by_budget: bool,
    /// How many of the project's routed tasks prior expertise served (skills or the database), as of the end of
    /// the run. Reports stored before this was recorded read as zero.
    #[serde(default)]
    pub expertise_reuse: crate::expertise::ReuseStats,
    pub tasks: Vec<TaskTiming>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ReviewItem {
    pub task_id: String,
    pub reason: String,
}

impl RunReport {
    /// Fills the derived figures from the others.
    pub(crate) fn finish(&mut self) {
        self.task_time_ms = self.tasks.iter().map(|t| t.work_ms).sum();
        self.gate_ms = self.tasks.iter().map(|t| t.gate_ms).sum();
        if self.efficiency_basis == EfficiencyBasis::SummedTaskTimes || self.sequential_ms == 0 {
            self.efficiency_basis = EfficiencyBasis::SummedTaskTimes;
            self.sequential_ms = self.task_time_ms;
        }
        self.efficiency_gain =
            if self.sequential_ms == 0 { 0.0 } else { 1.0 - self.wall_ms as f64 / self.sequential_ms as f64 };
        self.merge_success_rate =
            if self.merge_attempts == 0 { 1.0 } else { f64::from(self.auto_merged) / f64::from(self.merge_attempts) };
    }

    /// True when every task of the project is done.
    pub fn all_done(&self) -> bool {
        self.tasks_done == self.tasks_total
    }

    /// A few lines for people.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "run {} ({}, {} worker{}): {}\n",
            self.run_id,
            self.mode.as_str(),
            self.workers,
            if self.workers == 1 { "" } else { "s" },
            self.status.as_str()
        );
        s.push_str(&format!(
            "tasks: {}/{} done, {} in review, {} remaining ({} run now)\n",
            self.tasks_done, self.tasks_total, self.tasks_review, self.tasks_remaining, self.tasks_run
        ));
        if self.mode == RunMode::Sequential {
            // One task at a time: there is no parallel time to compare with.
            s.push_str(&format!(
                "time: {:.1} s wall, one task at a time ({:.1} s in the tasks themselves)\n",
                self.wall_ms as f64 / 1000.0,
                self.task_time_ms as f64 / 1000.0,
            ));
        } else {
            let basis = match self.efficiency_basis {
                EfficiencyBasis::SequentialRuns => "the same tasks one at a time in the project's sequential runs",
                EfficiencyBasis::SummedTaskTimes => {
                    "summed task time, measured while tasks shared the machine: an estimate that overstates the gain \
                     until a sequential run measured these tasks"
                }
            };
            s.push_str(&format!(
                "time: {:.1} s wall (parallel) vs {:.1} s ({basis}): efficiency gain {:.0}% (simulator predicted \
                 {:.0}%)\n",
                self.wall_ms as f64 / 1000.0,
                self.sequential_ms as f64 / 1000.0,
                self.efficiency_gain * 100.0,
                self.predicted_efficiency_gain * 100.0
            ));
        }
        if self.gate_ms > 0 {
            s.push_str(&format!(
                "merge gate: tasks spent {:.1} s summed between their agent being done and their landing\n",
                self.gate_ms as f64 / 1000.0
            ));
        }
        if !self.gate_tests_ms.is_empty() || !self.preflight_tests_ms.is_empty() {
            let secs = |ms: &[u64]| ms.iter().sum::<u64>() as f64 / 1000.0;
            s.push_str(&format!(
                "tests: the gate ran {} ({:.1} s); pre-flights in the tasks' worktrees {} ({:.1} s, {} failed and were \
                 taken out before the gate's batches)\n",
                self.gate_tests_ms.len(),
                secs(&self.gate_tests_ms),
                self.preflight_tests_ms.len(),
                secs(&self.preflight_tests_ms),
                self.preflights_failed
            ));
        }
        s.push_str(&format!(
            "merges: {} attempted, {} merged automatically ({} after the review agent resolved a conflict), {} sent \
             to review ({:.0}% success)\n",
            self.merge_attempts,
            self.auto_merged,
            self.resolved_by_agent,
            self.sent_to_review,
            self.merge_success_rate * 100.0
        ));
        match (self.cost_usd, self.budget_usd) {
            (Some(cost), Some(budget)) if self.stopped_by_budget => s.push_str(&format!(
                "cost: ${cost:.2}, which spent the run's budget of ${budget:.2}: the tasks left were not started\n"
            )),
            (Some(cost), Some(budget)) => s.push_str(&format!("cost: ${cost:.2} of a ${budget:.2} budget\n")),
            (Some(cost), None) => s.push_str(&format!("cost: ${cost:.2}\n")),
            (None, _) => {}
        }
        let reuse = &self.expertise_reuse;
        if reuse.routed > 0 {
            s.push_str(&format!(
                "expertise: {} of {} routed tasks served by prior expertise ({:.0}%)\n",
                reuse.served_by_expertise,
                reuse.routed,
                reuse.ratio * 100.0
            ));
        }
        for r in &self.review {
            s.push_str(&format!("review: {}: {}\n", r.task_id, r.reason));
        }
        s
    }
}

/// The gate model ([`crate::plan::measured::gate_model`]) of these reports.
pub fn gate_model(
    reports: &[RunReport],
    effort: &std::collections::HashMap<String, u32>,
    max_batch: usize,
) -> Option<crate::plan::GateModel> {
    let facts: Vec<crate::plan::measured::GateFacts> = reports.iter().map(RunReport::gate_facts).collect();
    crate::plan::measured::gate_model(&facts, effort, max_batch)
}

impl RunReport {
    /// What the plan reads of this report once it is stored ([`crate::plan::measured::GateFacts`]).
    pub fn gate_facts(&self) -> crate::plan::measured::GateFacts {
        crate::plan::measured::GateFacts {
            tasks: self
                .tasks
                .iter()
                .map(|t| crate::plan::measured::TaskFacts {
                    task_id: t.task_id.clone(),
                    started_ms: t.started_ms,
                    ended_ms: t.ended_ms,
                    gate_ms: t.gate_ms,
                    outcome: t.outcome,
                })
                .collect(),
            gate_tests_ms: self.gate_tests_ms.clone(),
        }
    }
}

/// Each task's time (`work_ms`) in the project's most recent sequential run that ran it and landed it: the time it
/// takes alone, for an honest efficiency figure ([`EfficiencyBasis::SequentialRuns`]).
pub fn sequential_times(reports: &[RunReport]) -> std::collections::HashMap<String, u64> {
    let mut out = std::collections::HashMap::new();
    for r in reports.iter().filter(|r| r.mode == RunMode::Sequential) {
        for t in r.tasks.iter().filter(|t| t.outcome == TaskStatus::Done) {
            out.entry(t.task_id.clone()).or_insert(t.work_ms);
        }
    }
    out
}

/// The reports of the project's last `limit` runs that ended with one (newest first; unreadable ones skipped).
pub async fn recent(
    db: &crate::store::db::Db,
    project_id: &str,
    limit: u32,
) -> crate::error::CoreResult<Vec<RunReport>> {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT report FROM runs WHERE project_id = ? AND report IS NOT NULL AND report != 'null' \
         ORDER BY ended_at DESC LIMIT ?",
    )
    .bind(project_id)
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().filter_map(|r| serde_json::from_str(r).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(mode: RunMode) -> RunReport {
        let mut r = RunReport {
            run_id: "r".into(),
            project_id: "p".into(),
            mode,
            workers: if mode == RunMode::Sequential { 1 } else { 4 },
            status: RunStatus::Finished,
            tasks_total: 2,
            tasks_done: 2,
            tasks_review: 0,
            tasks_remaining: 0,
            tasks_run: 2,
            wall_ms: 3000,
            task_time_ms: 0,
            efficiency_gain: 0.0,
            sequential_ms: 0,
            efficiency_basis: EfficiencyBasis::SummedTaskTimes,
            predicted_efficiency_gain: 0.5,
            gate_ms: 0,
            gate_tests_ms: vec![],
            preflight_tests_ms: vec![],
            preflights_failed: 0,
            target_moves_outside: vec![],
            settings_changed: vec![],
            merge_attempts: 2,
            auto_merged: 2,
            sent_to_review: 0,
            resolved_by_agent: 0,
            merge_success_rate: 0.0,
            review: vec![],
            cost_usd: None,
            budget_usd: None,
            stopped_by_budget: false,
            expertise_reuse: Default::default(),
            tasks: vec![],
        };
        r.finish();
        r
    }

    #[test]
    fn the_time_at_the_merge_gate_is_summed_and_said() {
        let mut r = report(RunMode::Parallel);
        assert!(!r.to_text().contains("merge gate:"), "nothing reached the gate");
        let timing = |id: &str, gate_ms| TaskTiming {
            task_id: id.into(),
            slot: 0,
            started_ms: 0,
            ended_ms: 3000,
            work_ms: 1000,
            gate_ms,
            outcome: TaskStatus::Done,
            reason: None,
        };
        r.tasks = vec![timing("a", 1500), timing("b", 700)];
        r.finish();
        assert_eq!(r.gate_ms, 2200);
        assert!(r.to_text().contains("merge gate: tasks spent 2.2 s summed between their agent being done"));
    }

    #[test]
    fn the_cost_and_a_spent_budget_are_reported() {
        let mut r = report(RunMode::Parallel);
        assert!(!r.to_text().contains("cost:"), "no agent reported a cost");
        r.cost_usd = Some(0.5);
        assert!(r.to_text().contains("cost: $0.50\n"));
        r.budget_usd = Some(2.0);
        assert!(r.to_text().contains("cost: $0.50 of a $2.00 budget"));
        r.stopped_by_budget = true;
        assert!(r.to_text().contains("spent the run's budget of $2.00: the tasks left were not started"));
    }

    #[test]
    fn the_gain_is_measured_against_the_tasks_alone_when_a_sequential_run_measured_them_and_says_which() {
        let timing = |id: &str, work_ms| TaskTiming {
            task_id: id.into(),
            slot: 0,
            started_ms: 0,
            ended_ms: work_ms,
            work_ms,
            gate_ms: 0,
            outcome: TaskStatus::Done,
            reason: None,
        };
        // In parallel, two tasks sharing the machine each took 4 s; alone they took 2.5 s each.
        let mut parallel = report(RunMode::Parallel);
        parallel.tasks = vec![timing("a", 4000), timing("b", 4000)];
        parallel.finish();
        assert_eq!(parallel.efficiency_basis, EfficiencyBasis::SummedTaskTimes);
        assert!((parallel.efficiency_gain - (1.0 - 3000.0 / 8000.0)).abs() < 1e-9);
        assert!(parallel.to_text().contains("an estimate that overstates the gain"), "{}", parallel.to_text());
        let mut sequential = report(RunMode::Sequential);
        sequential.tasks =
            vec![timing("a", 2500), timing("b", 2500), TaskTiming { outcome: TaskStatus::Review, ..timing("c", 9) }];
        let alone = sequential_times(&[sequential, parallel.clone()]);
        assert_eq!(alone.len(), 2, "only landed tasks of sequential runs: {alone:?}");
        parallel.sequential_ms = alone["a"] + alone["b"];
        parallel.efficiency_basis = EfficiencyBasis::SequentialRuns;
        parallel.finish();
        assert!((parallel.efficiency_gain - (1.0 - 3000.0 / 5000.0)).abs() < 1e-9, "{}", parallel.efficiency_gain);
        assert!(parallel.to_text().contains("vs 5.0 s (the same tasks one at a time"), "{}", parallel.to_text());
    }

    #[test]
    fn a_sequential_report_does_not_call_its_time_parallel() {
        let text = report(RunMode::Sequential).to_text();
        assert!(text.contains("one task at a time") && !text.contains("parallel"), "{text}");
        let text = report(RunMode::Parallel).to_text();
        assert!(text.contains("wall (parallel)"), "{text}");
    }

    #[test]
    fn the_gate_model_converts_the_measured_test_time_into_plan_minutes_at_the_agents_pace() {
        let timing = |id: &str, started, ended, gate| TaskTiming {
            task_id: id.into(),
            slot: 0,
            started_ms: started,
            ended_ms: ended,
            work_ms: 0,
            gate_ms: gate,
            outcome: TaskStatus::Done,
            reason: None,
        };
        let report = |tasks, tests: Vec<u64>| RunReport {
            run_id: "r".into(),
            project_id: "p".into(),
            mode: RunMode::Parallel,
            workers: 4,
            status: RunStatus::Finished,
            tasks_total: 0,
            tasks_done: 0,
            tasks_review: 0,
            tasks_remaining: 0,
            tasks_run: 0,
            wall_ms: 0,
            task_time_ms: 0,
            efficiency_gain: 0.0,
            sequential_ms: 0,
            efficiency_basis: EfficiencyBasis::SummedTaskTimes,
            predicted_efficiency_gain: 0.0,
            gate_ms: 0,
            gate_tests_ms: tests,
            preflight_tests_ms: vec![],
            preflights_failed: 0,
            target_moves_outside: vec![],
            settings_changed: vec![],
            merge_attempts: 0,
            auto_merged: 0,
            sent_to_review: 0,
            resolved_by_agent: 0,
            merge_success_rate: 1.0,
            review: vec![],
            cost_usd: None,
            budget_usd: None,
            stopped_by_budget: false,
            expertise_reuse: Default::default(),
            tasks,
        };
        let effort =
            std::collections::HashMap::from([("a".to_string(), 10), ("b".to_string(), 20), ("c".to_string(), 10)]);
        // a: 1,000 ms of work for 10 minutes; b: 2,000 for 20; c never reached the gate; tests of 1 s and 2 s.
        let reports = vec![
            report(vec![timing("a", 0, 3000, 2000), timing("b", 0, 2500, 500), timing("c", 0, 9000, 0)], vec![1000]),
            report(vec![], vec![2000, 1000]),
        ];
        let model = gate_model(&reports, &effort, 8).unwrap();
        assert_eq!((model.test_minutes, model.max_batch), (10.0, 8), "1 s median test at 100 ms a minute");
        assert_eq!(gate_model(&reports[1..], &effort, 8), None, "no landed task measured yet");
        assert_eq!(gate_model(&[report(vec![timing("a", 0, 3000, 2000)], vec![])], &effort, 8), None, "no test run");
        let unknown = std::collections::HashMap::from([("z".to_string(), 10)]);
        assert_eq!(gate_model(&reports, &unknown, 8), None, "tasks no longer known are not counted");
    }
}
