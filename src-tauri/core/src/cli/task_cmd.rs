//! `yokeflow task add|edit|rm` and `yokeflow epic add`: one card edit each ([`crate::tasks::cards`]).

use std::io::Write;

use clap::{Args, Subcommand};

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::model::Project;
use crate::tasks::cards::{CardEdit, CardResult, EpicDraft, TaskDraft};
use crate::tasks::taskfile::DEFAULT_EFFORT_MINUTES;

#[derive(Debug, Args)]
pub struct TaskArgs {
    #[command(subcommand)]
    pub action: TaskAction,
}

#[derive(Debug, Subcommand)]
pub enum TaskAction {
    /// Add a task (written to the project's tasks file too, if it has one); the plan is rebuilt
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        title: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a task's fields; those not given stay as they are (an empty value clears a field)
    Edit {
        /// The task's id
        id: String,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Remove a task that is in Backlog, never started, and that no task depends on
    Rm {
        /// The task's id
        id: String,
    },
}

/// The optional fields of `task add` and `task edit`.
#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    description: Option<String>,
    /// The epic's id ('' for none)
    #[arg(long)]
    epic: Option<String>,
    /// Comma-separated task ids ('' for none)
    #[arg(long, value_name = "A,B")]
    depends_on: Option<String>,
    /// Comma-separated paths or globs the task will touch ('' for none)
    #[arg(long, value_name = "G1,G2")]
    files: Option<String>,
    /// Estimated minutes [default for a new task: 30]
    #[arg(long, value_name = "MIN")]
    effort: Option<u32>,
    /// Higher runs first among tasks ready together
    #[arg(long, allow_negative_numbers = true)]
    priority: Option<i32>,
}

impl Fields {
    fn apply(self, d: &mut TaskDraft) {
        let list = |s: String| -> Vec<String> {
            s.split(',').map(str::trim).filter(|x| !x.is_empty()).map(str::to_string).collect()
        };
        if let Some(v) = self.description {
            d.description = v;
        }
        if let Some(v) = self.epic {
            d.epic = Some(v.trim().to_string()).filter(|e| !e.is_empty());
        }
        if let Some(v) = self.depends_on {
            d.depends_on = list(v);
        }
        if let Some(v) = self.files {
            d.files = list(v);
        }
        if let Some(v) = self.effort {
            d.effort_minutes = v;
        }
        if let Some(v) = self.priority {
            d.priority = v;
        }
    }
}

#[derive(Debug, Args)]
pub struct EpicArgs {
    #[command(subcommand)]
    pub action: EpicAction,
}

#[derive(Debug, Subcommand)]
pub enum EpicAction {
    /// Add an epic (written to the project's tasks file too, if it has one)
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
    },
}

pub(super) async fn task(
    api: &Service,
    p: &Project,
    args: TaskArgs,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let (edit, verb) = match args.action {
        TaskAction::Add { id, title, fields } => {
            let mut draft = TaskDraft {
                id,
                title,
                description: String::new(),
                epic: None,
                depends_on: Vec::new(),
                files: Vec::new(),
                effort_minutes: DEFAULT_EFFORT_MINUTES,
                priority: 0,
            };
            fields.apply(&mut draft);
            (CardEdit::AddTask { task: draft }, "added")
        }
        TaskAction::Edit { id, title, fields } => {
            let all = api.tasks(&p.id).await?;
            let task =
                all.iter().find(|t| t.id == id).ok_or_else(|| CoreError::NotFound { what: "task", id: id.clone() })?;
            let mut draft = crate::tasks::cards::spec_of(task);
            if let Some(t) = title {
                draft.title = t;
            }
            fields.apply(&mut draft);
            (CardEdit::EditTask { task: draft }, "changed")
        }
        TaskAction::Rm { id } => (CardEdit::RemoveTask { id }, "removed"),
    };
    let what = match &edit {
        CardEdit::AddTask { task } | CardEdit::EditTask { task } => format!("task `{}`", task.id),
        CardEdit::RemoveTask { id } => format!("task `{id}`"),
        CardEdit::AddEpic { epic } => format!("epic `{}`", epic.id),
    };
    let result = api.runs().edit_tasks(&p.id, &edit).await?;
    print(out, json, &result, &format!("{verb} {what}"))
}

pub(super) async fn epic(
    api: &Service,
    p: &Project,
    args: EpicArgs,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let EpicAction::Add { id, title, description } = args.action;
    let edit = CardEdit::AddEpic { epic: EpicDraft { id: id.clone(), title, description } };
    let result = api.runs().edit_tasks(&p.id, &edit).await?;
    print(out, json, &result, &format!("added epic `{id}`"))
}

fn print(out: &mut dyn Write, json: bool, result: &CardResult, done: &str) -> CoreResult<()> {
    super::output::emit(out, json, result, |o| {
        match &result.file {
            Some(file) => writeln!(o, "{done} (written to {file})")?,
            None => writeln!(o, "{done}")?,
        }
        match &result.summary.plan_warning {
            Some(w) => writeln!(o, "warning: the plan could not be rebuilt: {w}"),
            None => Ok(()),
        }
    })
}
