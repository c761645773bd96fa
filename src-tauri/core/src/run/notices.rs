//! Desktop notifications, decided from a run's events: a batch of the plan finished, a conflict was predicted
//! or met, a task needs review, the run ended. [`Notifier`] turns events into [`Notice`]s (title and body);
//! showing them is the desktop layer's job. Pure: no I/O.

use std::collections::{HashMap, HashSet};

use crate::model::{ConflictWith, RunStatus, Task, TaskStatus};
use crate::plan::ExecutionPlan;
use crate::run::events::{Event, MergeKind};

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Follows one run's events and says which deserve a notification.
#[derive(Debug, Default)]
pub struct Notifier {
    /// The plan's batches: id and task ids, in order.
    batches: Vec<(String, Vec<String>)>,
    /// Batches already announced as finished (or finished before the run).
    finished: HashSet<usize>,
    done: HashSet<String>,
    titles: HashMap<String, String>,
}

fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

impl Notifier {
    /// For a run of `tasks` under `plan` (the stored plan, if any).
    pub fn new(plan: Option<&ExecutionPlan>, tasks: &[Task]) -> Notifier {
        let mut n = Notifier {
            batches: plan
                .map(|p| p.batches.iter().map(|b| (b.batch_id.clone(), b.task_ids.clone())).collect())
                .unwrap_or_default(),
            done: tasks.iter().filter(|t| t.status == TaskStatus::Done).map(|t| t.id.clone()).collect(),
            titles: tasks.iter().map(|t| (t.id.clone(), t.title.clone())).collect(),
            ..Notifier::default()
        };
        n.finished = (0..n.batches.len()).filter(|&b| n.batch_done(b)).collect();
        n
    }

    fn batch_done(&self, b: usize) -> bool {
        self.batches[b].1.iter().all(|t| self.done.contains(t))
    }

    fn title(&self, task_id: &str) -> String {
        match self.titles.get(task_id) {
            Some(title) if !title.is_empty() => format!("{title} ({task_id})"),
            _ => task_id.to_string(),
        }
    }

    /// The notifications `event` calls for (usually none).
    pub fn on_event(&mut self, event: &Event) -> Vec<Notice> {
        let notice = |title: String, body: String| Notice { title, body: clip(&body, 240) };
        match event {
            Event::TaskStatusChanged { task_id, status: TaskStatus::Done, .. } => {
                self.done.insert(task_id.clone());
                let total = self.batches.len();
                let newly: Vec<usize> =
                    (0..total).filter(|&b| !self.finished.contains(&b) && self.batch_done(b)).collect();
                newly
                    .into_iter()
                    .map(|b| {
                        self.finished.insert(b);
                        let (id, tasks) = &self.batches[b];
                        let next = match self.batches.iter().enumerate().find(|(k, _)| !self.finished.contains(k)) {
                            Some((_, (next, _))) => format!("; {next} can go ahead"),
                            None => String::new(),
                        };
                        notice(
                            format!("Batch {} of {total} done", b + 1),
                            format!("{id}: {} task(s) merged{next}", tasks.len()),
                        )
                    })
                    .collect()
            }
            Event::TaskStatusChanged { task_id, status: TaskStatus::Review, reason, .. } => {
                self.done.remove(task_id);
                vec![notice(
                    format!("Needs review: {}", self.title(task_id)),
                    reason.clone().unwrap_or_else(|| "the task was sent to Review".into()),
                )]
            }
            Event::ConflictPredicted { task_id, other, files, .. } => {
                let with = match other {
                    ConflictWith::Target => "the target branch".to_string(),
                    ConflictWith::Task { id } => self.title(id),
                };
                vec![notice(
                    format!("Conflict predicted: {}", self.title(task_id)),
                    format!("with {with} in {}", files.join(", ")),
                )]
            }
            Event::MergeResult { task_id, result: MergeKind::Conflict, detail, .. } => {
                vec![notice(format!("Merge conflict: {}", self.title(task_id)), format!("conflicting files: {detail}"))]
            }
            Event::RunFinished { status, report, .. } => {
                let title = match status {
                    RunStatus::Finished if report.tasks_done == report.tasks_total => "Run finished: all done".into(),
                    RunStatus::Finished => "Run finished".to_string(),
                    other => format!("Run {}", other.as_str()),
                };
                let mut body = format!("{} of {} tasks done", report.tasks_done, report.tasks_total);
                if report.tasks_review > 0 {
                    body.push_str(&format!(", {} in Review", report.tasks_review));
                }
                if report.tasks_run > 1 {
                    body.push_str(&format!("; {:.0}% faster than one at a time", report.efficiency_gain * 100.0));
                }
                vec![notice(title, body)]
            }
            Event::RunFailed { error, .. } => vec![notice("Run failed".into(), error.message.clone())],
            Event::TargetMovedOutside { target, to, by, passed, .. } => {
                let short = &to[..to.len().min(10)];
                let what = match passed {
                    Some(true) => "it passed the tests on its own; landing goes on on top of it",
                    Some(false) => "its tests fail: nothing lands on it until it moves again and passes",
                    None => "there is no test command to check it",
                };
                vec![notice(
                    format!("`{target}` was moved outside the merge gate"),
                    format!("to {short} ({by}); {what}"),
                )]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{build_plan, PlanOptions, PlanTask};

    fn task(id: &str, status: TaskStatus) -> Task {
        Task::for_tests(id, &[], status)
    }

    fn plan_task(id: &str, deps: &[&str]) -> PlanTask {
        PlanTask {
            id: id.into(),
            epic: None,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            effort_minutes: 10,
            priority: 0,
            predicted_files: vec![],
        }
    }

    fn status(task_id: &str, status: TaskStatus, reason: Option<&str>) -> Event {
        Event::TaskStatusChanged {
            run_id: "r".into(),
            task_id: task_id.into(),
            status,
            reason: reason.map(String::from),
            slot: None,
        }
    }

    #[test]
    fn a_batch_is_announced_once_when_its_last_task_is_done() {
        // batch-1: a, b; batch-2: c (after a and b).
        let plan = build_plan(
            &[plan_task("a", &[]), plan_task("b", &[]), plan_task("c", &["a", "b"])],
            &PlanOptions { max_worktrees: 2 },
        )
        .unwrap();
        assert_eq!(plan.batches.len(), 2);
        let tasks = [task("a", TaskStatus::Backlog), task("b", TaskStatus::Backlog), task("c", TaskStatus::Backlog)];
        let mut n = Notifier::new(Some(&plan), &tasks);
        assert!(n.on_event(&status("a", TaskStatus::InProgress, None)).is_empty());
        assert!(n.on_event(&status("a", TaskStatus::Done, None)).is_empty());
        let got = n.on_event(&status("b", TaskStatus::Done, None));
        assert_eq!(
            got,
            vec![Notice {
                title: "Batch 1 of 2 done".into(),
                body: "batch-1: 2 task(s) merged; batch-2 can go ahead".into()
            }]
        );
        assert!(n.on_event(&status("b", TaskStatus::Done, None)).is_empty(), "announced twice");
        assert_eq!(n.on_event(&status("c", TaskStatus::Done, None))[0].body, "batch-2: 1 task(s) merged");

        // A batch already complete before the run is not announced.
        let tasks = [task("a", TaskStatus::Done), task("b", TaskStatus::Done), task("c", TaskStatus::Backlog)];
        let mut n = Notifier::new(Some(&plan), &tasks);
        assert_eq!(n.on_event(&status("c", TaskStatus::Done, None)).len(), 1);
    }

    #[test]
    fn review_conflicts_and_the_end_of_a_run_are_announced() {
        let mut n = Notifier::new(None, &[task("a", TaskStatus::Backlog), task("b", TaskStatus::Backlog)]);
        let got = n.on_event(&status("a", TaskStatus::Review, Some("tests failed")));
        assert_eq!(got, vec![Notice { title: "Needs review: Title a (a)".into(), body: "tests failed".into() }]);
        let got = n.on_event(&Event::ConflictPredicted {
            run_id: "r".into(),
            task_id: "a".into(),
            other: ConflictWith::Target,
            files: vec!["src/x.rs".into(), "src/y.rs".into()],
        });
        assert_eq!(got[0].body, "with the target branch in src/x.rs, src/y.rs");
        let got = n.on_event(&Event::MergeResult {
            run_id: "r".into(),
            task_id: "b".into(),
            result: MergeKind::Conflict,
            detail: "src/x.rs".into(),
        });
        assert_eq!(got[0].title, "Merge conflict: Title b (b)");
        let merged = Event::MergeResult {
            run_id: "r".into(),
            task_id: "b".into(),
            result: MergeKind::Merged,
            detail: "abc".into(),
        };
        assert!(n.on_event(&merged).is_empty());
        assert!(n
            .on_event(&Event::AgentTranscript {
                run_id: "r".into(),
                task_id: "a".into(),
                session_id: "s".into(),
                entries: vec![crate::agents::transcript::Entry::text(&"x".repeat(10))],
            })
            .is_empty());
        let long = n.on_event(&status("b", TaskStatus::Review, Some(&"y".repeat(1000))));
        assert_eq!(long[0].body.chars().count(), 241, "bodies are clipped");

        let report: crate::run::orchestrator::RunReport = serde_json::from_value(serde_json::json!({
            "run_id": "r", "project_id": "p", "mode": "parallel", "workers": 2, "status": "finished",
            "tasks_total": 4, "tasks_done": 3, "tasks_review": 1, "tasks_remaining": 0, "tasks_run": 4,
            "wall_ms": 1000, "task_time_ms": 2500, "efficiency_gain": 0.6, "predicted_efficiency_gain": 0.5,
            "merge_attempts": 4, "auto_merged": 3, "sent_to_review": 1, "resolved_by_agent": 0,
            "merge_success_rate": 0.75, "review": [], "tasks": []
        }))
        .unwrap();
        let end =
            |status: RunStatus| Event::RunFinished { run_id: "r".into(), status, report: Box::new(report.clone()) };
        let got = n.on_event(&end(RunStatus::Finished));
        assert_eq!(
            got,
            vec![Notice {
                title: "Run finished".into(),
                body: "3 of 4 tasks done, 1 in Review; 60% faster than one at a time".into()
            }]
        );
        assert_eq!(n.on_event(&end(RunStatus::Cancelled))[0].title, "Run cancelled");
    }
}
