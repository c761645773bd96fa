//! Generating `CLAUDE.md` from an [`AppSpec`]: each `{{field}}` of the template's `CLAUDE.md` gets a section
//! taken from the spec, or inferred from it when the spec has no such section. Pure.
//!
//! Fields: `{{name}}` (the project folder), `{{title}}` (the spec's first heading, else the folder),
//! `{{overview}}` (the first paragraph), `{{stack}}`, `{{commands}}`, `{{conventions}}`, `{{domains}}`.

use std::collections::BTreeMap;

use super::spec::AppSpec;
use super::template::render;

/// Build and test commands per technology, in [`super::spec::STACK_KEYWORDS`] names.
const COMMANDS: &[(&str, &str, &str)] = &[
    ("Rust", "cargo build", "cargo test"),
    ("TypeScript", "npm run build", "npm test"),
    ("JavaScript", "npm run build", "npm test"),
    ("Node.js", "npm run build", "npm test"),
    ("React", "npm run build", "npm test"),
    ("Next.js", "npm run build", "npm test"),
    ("Vue", "npm run build", "npm test"),
    ("Svelte", "npm run build", "npm test"),
    ("Python", "python -m compileall -q .", "pytest"),
    ("FastAPI", "python -m compileall -q .", "pytest"),
    ("Django", "python manage.py check", "python manage.py test"),
    ("Flask", "python -m compileall -q .", "pytest"),
    ("Go", "go build ./...", "go test ./..."),
];

const DEFAULT_CONVENTIONS: &str =
    "- Keep each change to the task at hand; small, focused commits with a clear message.\n\
- Run the test command before calling work done; add or update tests with every behaviour change.\n\
- Follow the style of the code around you and the project's formatter and linter.\n\
- Never commit secrets (`.env`, keys, tokens); read configuration from the environment.";

/// The field values for `spec`, in a project folder called `name`.
pub fn variables(spec: &AppSpec, name: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("name", name.to_string()),
        ("title", spec.title.clone().unwrap_or_else(|| name.to_string())),
        ("overview", spec.overview.clone().unwrap_or_else(|| "_Describe the project here._".to_string())),
        ("stack", stack(spec)),
        ("commands", commands(spec)),
        ("conventions", spec.conventions_section.clone().unwrap_or_else(|| DEFAULT_CONVENTIONS.to_string())),
        ("domains", domains(spec)),
    ])
}

/// `CLAUDE.md`: `template` with its fields filled from `spec`.
pub fn render_claude_md(template: &str, spec: &AppSpec, name: &str) -> String {
    render(template, &variables(spec, name))
}

/// The spec's stack section, followed by the technologies it names elsewhere that the section does not
/// mention; a bullet list of the detected technologies when there is no section.
fn stack(spec: &AppSpec) -> String {
    let section = spec.stack_section.clone().unwrap_or_default();
    let lower = section.to_lowercase();
    let extra: Vec<String> = spec
        .technologies
        .iter()
        .filter(|t| !super::spec::contains_word(&lower, &t.to_lowercase()))
        .map(|t| format!("- {t}"))
        .collect();
    let parts: Vec<String> = [section, extra.join("\n")].into_iter().filter(|s| !s.is_empty()).collect();
    if parts.is_empty() {
        "_Not named in the spec yet; list the languages, frameworks and services here._".to_string()
    } else {
        parts.join("\n")
    }
}

/// The spec's commands section, else the build and test commands of its technologies.
fn commands(spec: &AppSpec) -> String {
    if let Some(section) = &spec.commands_section {
        return section.clone();
    }
    let mut lines: Vec<String> = Vec::new();
    for tech in &spec.technologies {
        if let Some((_, build, test)) = COMMANDS.iter().find(|(t, _, _)| t == tech) {
            for line in [format!("- Build: `{build}`"), format!("- Test: `{test}`")] {
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
    }
    if lines.is_empty() {
        "_No build or test commands are known yet; add them here._".to_string()
    } else {
        lines.join("\n")
    }
}

fn domains(spec: &AppSpec) -> String {
    if spec.domains.is_empty() {
        return "No domain experts yet; add one with `yokeflow expertise add <domain>`.".to_string();
    }
    spec.domains
        .iter()
        .map(|d| {
            format!(
                "- `{0}`: ask with `/experts:{0}:question`, update with `/experts:{0}:self-improve` \
                 (the spec mentions {1})",
                d.domain,
                d.matched.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expertise::bootstrap::spec::parse;

    #[test]
    fn infers_commands_from_the_stack() {
        let spec = parse("# App\n\nA Rust service and a React UI in TypeScript.\n");
        let md = render_claude_md("{{title}}|{{stack}}|{{commands}}", &spec, "app");
        assert_eq!(
            md,
            "App|- Rust\n- TypeScript\n- React|- Build: `cargo build`\n- Test: `cargo test`\n- Build: `npm run \
             build`\n- Test: `npm test`"
        );
    }

    #[test]
    fn sections_win_and_extras_are_appended() {
        let spec = parse("# App\n\nUses Docker.\n\n## Stack\n\nRust 1.80\n\n## Commands\n\n- `make`\n");
        let md = render_claude_md("{{stack}}|{{commands}}", &spec, "app");
        assert_eq!(md, "Rust 1.80\n- Docker|- `make`");
    }
}
