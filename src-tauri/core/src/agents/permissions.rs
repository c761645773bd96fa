//! Which tools a project's agents may use without asking, as Claude Code permission rules (`Bash(git commit:*)`,
//! `WebFetch`). The default lets an agent do what its prompt asks and no more: edit files in its worktree (the
//! agent command's `acceptEdits`), run the project's test command, and `git add/commit/status/diff/log`. A person
//! can allow more per project (saved, shown, revocable): typically a tool a task was refused.
//!
//! The rules reach the agent through the `{allowed_tools}` item of its argv template (one argv item per rule).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::agents::transcript::Denial;
use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::store::db::Db;

/// What every agent may do besides editing files.
pub const DEFAULT_RULES: &[&str] =
    &["Bash(git add:*)", "Bash(git commit:*)", "Bash(git status:*)", "Bash(git diff:*)", "Bash(git log:*)"];

/// The longest rule accepted.
const MAX_RULE: usize = 300;

/// Checks a rule's shape: a tool name (`Bash`, `WebFetch`, `mcp__server__tool`), optionally followed by one
/// parenthesised specifier on one line (`Bash(npm install:*)`).
pub fn validate_rule(rule: &str) -> CoreResult<()> {
    let bad = |why: &str| Err(CoreError::InvalidInput(format!("`{rule}` is not a tool rule: {why}")));
    if rule.is_empty() || rule.len() > MAX_RULE {
        return bad(&format!("give a tool name, at most {MAX_RULE} characters, e.g. `Bash(npm install:*)`"));
    }
    if rule.chars().any(char::is_control) {
        return bad("it contains a control character");
    }
    let (name, spec) = match rule.find('(') {
        Some(open) => (&rule[..open], Some(&rule[open..])),
        None => (rule, None),
    };
    let name_ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !name_ok {
        return bad("the tool name must be letters, digits, `_` or `-` (e.g. `Bash`, `WebFetch`)");
    }
    if let Some(spec) = spec {
        let inner = spec.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or_default();
        // One rule only: Claude Code reads `A(x) B(y)` or `A(x),B` as several.
        if inner.is_empty() || inner.contains(['(', ')']) {
            return bad("give one tool with one closed, non-empty part in parentheses, e.g. `Bash(npm test:*)`");
        }
    }
    Ok(())
}

/// The rule that lets the agent run the project's test command (and the same command with more arguments).
pub fn test_command_rule(argv: &[String]) -> Option<String> {
    if argv.is_empty() {
        return None;
    }
    let words: Vec<String> = argv.iter().map(|a| crate::sys::process::shell_word(a)).collect();
    Some(format!("Bash({}:*)", words.join(" ")))
}

/// The rule a person would add to allow what was refused, when a narrow one exists: for a command, its program and
/// subcommand (`Bash(npm install:*)`). Nothing for other tools (a refused `Write` is usually a file outside the
/// worktree: allowing every `Write` would allow far more) nor for a command whose program is not a plain word (the
/// text comes from the agent; it is never turned into a broad rule or several).
pub fn suggested_rule(denial: &Denial) -> Option<String> {
    if denial.tool != "Bash" {
        return None;
    }
    let plain = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "._/+-".contains(c));
    let mut words = denial.input.split_whitespace();
    let prefix = match (words.next(), words.next()) {
        (Some(program), Some(sub)) if plain(program) && plain(sub) && !sub.starts_with('-') => {
            format!("{program} {sub}")
        }
        (Some(program), _) if plain(program) => program.to_string(),
        _ => return None,
    };
    Some(format!("Bash({prefix}:*)"))
}

/// `base` (the run's rules) followed by the person's rules not already in it.
pub fn with_person(base: &[String], person: &[String]) -> Vec<String> {
    let mut rules = base.to_vec();
    for rule in person {
        if !rules.contains(rule) {
            rules.push(rule.clone());
        }
    }
    rules
}

/// The rules a person added to the project, in the order added.
pub async fn list(db: &Db, project_id: &str) -> CoreResult<Vec<String>> {
    Ok(sqlx::query_scalar("SELECT rule FROM agent_permissions WHERE project_id = ? ORDER BY added_at, rule")
        .bind(project_id)
        .fetch_all(db.pool())
        .await?)
}

/// Allows a rule for the project's agents (kept if already there). Returns whether it was new.
pub async fn allow(db: &Db, project_id: &str, rule: &str) -> CoreResult<bool> {
    let rule = rule.trim();
    validate_rule(rule)?;
    crate::store::project::get(db, project_id).await?;
    let done = sqlx::query("INSERT OR IGNORE INTO agent_permissions (project_id, rule, added_at) VALUES (?, ?, ?)")
        .bind(project_id)
        .bind(rule)
        .bind(now_ms())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Takes a rule back. Returns whether it was there.
pub async fn revoke(db: &Db, project_id: &str, rule: &str) -> CoreResult<bool> {
    let done = sqlx::query("DELETE FROM agent_permissions WHERE project_id = ? AND rule = ?")
        .bind(project_id)
        .bind(rule.trim())
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The tool rules of a project, as shown to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolPermissions {
    /// Every rule a run's agents get, in the order given to them: the defaults, the test command, the person's.
    pub effective: Vec<String>,
    /// The rules a person allowed for this project (revocable).
    pub allowed: Vec<String>,
}

/// The project's tool rules.
pub async fn of_project(db: &Db, project_id: &str) -> CoreResult<ToolPermissions> {
    let p = crate::store::project::get(db, project_id).await?;
    let allowed = list(db, project_id).await?;
    Ok(ToolPermissions { effective: effective(p.test_command.as_deref(), &allowed), allowed })
}

/// Everything a run's agents may use: the defaults, the test command, then the person's rules; no repeats.
pub fn effective(test_command: Option<&[String]>, person: &[String]) -> Vec<String> {
    let mut base: Vec<String> = DEFAULT_RULES.iter().map(|r| r.to_string()).collect();
    base.extend(test_command.and_then(test_command_rule));
    with_person(&base, person)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::process::shell_word;

    fn s(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rules_are_checked() {
        for ok in ["Bash", "Bash(npm install:*)", "WebFetch", "mcp__github__create_issue", "Bash(cut -d, -f1:*)"] {
            assert!(validate_rule(ok).is_ok(), "{ok}");
        }
        let several = ["Bash(a) Write(*)", "Bash(*),WebFetch,Bash(x:*)", "Bash(echo ')')"];
        for bad in
            ["", "(x)", "Bash(", "Bash()", "Ba sh", "Bash(a\nb)", "1Bash", &"B".repeat(400)].into_iter().chain(several)
        {
            assert!(validate_rule(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_test_command_is_allowed_as_written() {
        assert_eq!(test_command_rule(&s(&["cargo", "test", "--workspace"])).unwrap(), "Bash(cargo test --workspace:*)");
        assert_eq!(test_command_rule(&s(&["sh", "-c", "make test; x"])).unwrap(), "Bash(sh -c 'make test; x':*)");
        assert_eq!(test_command_rule(&[]), None);
    }

    #[test]
    fn a_refusal_suggests_a_rule() {
        let d = |tool: &str, input: &str| Denial { tool: tool.into(), input: input.into() };
        assert_eq!(suggested_rule(&d("Bash", "npm install left-pad")).unwrap(), "Bash(npm install:*)");
        assert_eq!(suggested_rule(&d("Bash", "curl -s x | sh")).unwrap(), "Bash(curl:*)");
        assert_eq!(suggested_rule(&d("Bash", "python3 -c \"print(1)\"")).unwrap(), "Bash(python3:*)");
        // Never a broad rule, never several, never text that could break out of a copied command.
        assert_eq!(suggested_rule(&d("Bash", "")), None);
        assert_eq!(suggested_rule(&d("Bash", "x'$(touch${IFS}/tmp/p)' y")), None);
        assert_eq!(suggested_rule(&d("Bash", "*),WebFetch,Bash(x y")), None);
        assert_eq!(suggested_rule(&d("WebFetch", "https://x")), None);
        assert_eq!(suggested_rule(&d("Write", "/home/me/.bashrc")), None);
        assert_eq!(shell_word("Bash(npm install:*)"), "'Bash(npm install:*)'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
    }

    #[test]
    fn the_effective_rules_have_no_repeats() {
        let rules = effective(Some(&s(&["npm", "test"])), &s(&["Bash(git add:*)", "WebFetch"]));
        assert_eq!(rules.len(), DEFAULT_RULES.len() + 2);
        assert_eq!(rules[DEFAULT_RULES.len()], "Bash(npm test:*)");
        assert_eq!(rules.last().unwrap(), "WebFetch");
    }
}
