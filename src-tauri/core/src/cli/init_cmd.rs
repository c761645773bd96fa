//! `yokeflow init --spec app_spec.md [--template DIR] [<dir>]`: bootstrap a project over
//! [`crate::expertise::bootstrap::init`] and print what it did (the [`InitReport`] with `--json`).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::api::Service;
use crate::error::CoreResult;
use crate::expertise::bootstrap::{InitOptions, InitReport, Template};

pub(super) async fn execute(
    api: &Service,
    dir: &Path,
    spec: PathBuf,
    template: Option<PathBuf>,
    json: bool,
    out: &mut dyn Write,
) -> CoreResult<()> {
    let template = template.map(Template::Dir).unwrap_or(Template::Builtin);
    let r = api.init_project(dir, &InitOptions { spec, template }).await?;
    super::output::emit(out, json, &r, |o| print(o, &r))
}

fn print(o: &mut dyn Write, r: &InitReport) -> std::io::Result<()> {
    let repo = if r.repo_created { " (new git repository, branch main)" } else { "" };
    writeln!(o, "project initialized at {}{repo}", r.repo_path)?;
    for (label, list) in [("created", &r.created), ("updated", &r.updated)] {
        for path in list {
            writeln!(o, "  {label:<16} {path}")?;
        }
    }
    for k in &r.kept {
        writeln!(o, "  {:<16} {}", format!("kept ({})", k.reason.as_str()), k.path)?;
    }
    if !r.unchanged.is_empty() {
        writeln!(o, "  {} file(s) unchanged", r.unchanged.len())?;
    }
    if r.domains.is_empty() {
        writeln!(o, "domains: none recognized in the spec (add experts with `yokeflow expertise add <domain>`)")?;
    }
    for d in &r.domains {
        writeln!(o, "domain {:<12} ({})", d.domain, d.matched.join(", "))?;
    }
    match &r.committed {
        Some(c) => writeln!(o, "committed {}", &c[..c.len().min(12)]),
        None => writeln!(o, "nothing to commit"),
    }
}
