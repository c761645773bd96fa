//! The commands on a project and its settings: `init` (without a spec), `import`, `allow`, `config`,
//! `permissions`, `projects`, each one call of the core's surface ([`Service`]) and its printing.

use std::io::Write;
use std::path::Path;

use clap::Subcommand;
use serde::Serialize;

use crate::api::Service;
use crate::error::{CoreError, CoreResult};
use crate::model::Project;

use super::output::{emit, printable};

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Every setting, or one
    Get { key: Option<String> },
    /// Change one setting (checked first: the program exists, the patterns stay in the repository, …)
    Set {
        key: String,
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermissionsAction {
    /// Show every tool rule the agents get: the defaults, the test command, and the ones allowed here
    List,
    /// Allow a tool rule for this project's agents, e.g. 'Bash(npm install:*)' or WebFetch
    Allow { rule: String },
    /// Take back a rule allowed before
    Revoke { rule: String },
}

/// What `yokeflow allow` showed (and approved unless `--dry-run`).
#[derive(Serialize)]
struct Allowed<'a> {
    approved: bool,
    commands: &'a [crate::store::approvals::ProjectCommand],
}

/// `yokeflow init` without a spec: the repository registered, and whether its agents run confined.
pub(super) async fn register(api: &Service, dir: &Path, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    let crate::api::Registered { project: p, sandbox } = api.register(dir).await?;
    emit(out, json, &p, |o| {
        writeln!(o, "project `{}` registered for {} (target branch {})", p.name, p.repo_path, p.target_branch)?;
        match sandbox {
            true => writeln!(o, "sandbox: on (agents and tests are confined to their worktree by bubblewrap)"),
            false => writeln!(
                o,
                "sandbox: off (agents and tests are NOT confined; install bubblewrap, then `yokeflow config \
                 set sandbox on`)"
            ),
        }
    })
}

/// `yokeflow import FILE`: the tasks file stored; started work the file no longer names is kept.
pub(super) async fn import(api: &Service, p: &Project, file: &Path, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    let s = api.import_file(&p.id, file).await?;
    emit(out, json, &s, |o| {
        writeln!(
            o,
            "imported {} into `{}`: {} added, {} updated, {} removed",
            file.display(),
            p.name,
            s.added.len(),
            s.updated.len(),
            s.removed.len()
        )?;
        if !s.kept.is_empty() {
            writeln!(o, "kept (not in the file, but already started): {}", s.kept.join(", "))?;
        }
        if let Some(warning) = &s.plan_warning {
            writeln!(o, "warning: {warning}")?;
        }
        Ok(())
    })
}

/// `yokeflow allow [--dry-run]`: the tasks file's commands no one approved yet, shown (and approved).
pub(super) async fn allow(
    api: &Service,
    p: &Project,
    dry_run: bool,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let pending = api.pending_commands(&p.id).await?;
    if !dry_run {
        api.approve_commands(&p.id, &pending).await?;
    }
    let shown = Allowed { approved: !dry_run, commands: &pending };
    emit(out, json, &shown, |o| {
        if pending.is_empty() {
            return writeln!(o, "nothing to approve: every command of `{}` is approved or built in", p.name);
        }
        for c in &pending {
            let argv = serde_json::to_string(&c.argv).unwrap_or_default();
            let verb = if dry_run { "not approved yet" } else { "approved" };
            writeln!(o, "{verb}: the {} {argv}", c.kind.label())?;
        }
        Ok(())
    })
}

/// `yokeflow config [get [KEY] | set KEY VALUE]`.
pub(super) async fn config(
    api: &Service,
    p: &Project,
    action: Option<ConfigAction>,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let (settings, key) = match action.unwrap_or(ConfigAction::Get { key: None }) {
        ConfigAction::Get { key } => (api.settings(&p.id).await?, key),
        ConfigAction::Set { key, value } => (api.set_setting(&p.id, &key, &value).await?, Some(key)),
    };
    match key {
        Some(key) => {
            let value = crate::tasks::settings::value_of(&settings, &key)?;
            emit(out, json, &value, |o| writeln!(o, "{key} = {value}"))
        }
        None => emit(out, json, &settings, |o| {
            for key in crate::tasks::settings::SettingKey::ALL {
                let value = crate::tasks::settings::value_of(&settings, key.as_str()).unwrap_or_default();
                writeln!(o, "{key:<20} {}", printable(&value.to_string()))?;
            }
            Ok(())
        }),
    }
}

/// `yokeflow permissions [list | allow RULE | revoke RULE]`: the tool rules after.
pub(super) async fn permissions(
    api: &Service,
    p: &Project,
    action: Option<PermissionsAction>,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let shown = match action.unwrap_or(PermissionsAction::List) {
        PermissionsAction::List => api.tool_permissions(&p.id).await?,
        PermissionsAction::Allow { rule } => {
            let change = api.allow_tool(&p.id, &rule).await?;
            if !change.changed && !json {
                writeln!(out, "`{}` was already allowed", printable(rule.trim()))
                    .map_err(|e| CoreError::io("cannot write output", e))?;
            }
            change.rules
        }
        PermissionsAction::Revoke { rule } => {
            let change = api.revoke_tool(&p.id, &rule).await?;
            if !change.changed {
                return Err(CoreError::NotFound { what: "allowed tool rule", id: rule });
            }
            change.rules
        }
    };
    emit(out, json, &shown, |o| {
        for rule in &shown.effective {
            let whose = if shown.allowed.contains(rule) { "allowed here" } else { "default" };
            writeln!(o, "{:<40} {whose}", printable(rule))?;
        }
        Ok(())
    })
}

/// `yokeflow projects`: every project with its counts.
pub(super) async fn projects(api: &Service, json: bool, out: &mut dyn Write) -> CoreResult<()> {
    let list = api.projects().await?;
    emit(out, json, &list, |o| {
        for s in &list {
            writeln!(
                o,
                "{:<24} {:>3}/{:<3} done  {}",
                printable(&s.project.name),
                s.done_count,
                s.task_count,
                printable(&s.project.repo_path)
            )?;
        }
        if list.is_empty() {
            writeln!(o, "no projects yet: run `yokeflow init` in a git repository, or `yokeflow demo`")?;
        }
        Ok(())
    })
}
