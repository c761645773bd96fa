//! The agent's command: the argv template and what it becomes (`render_argv`: `{prompt}`, `{prompt_file}`,
//! `{task_id}`, `{worktree}`, `{allowed_tools}`), finding a program on `PATH`, the default (Claude Code's CLI) and
//! the scripted stand-in the demo runs when no AI is installed, and the project's saved choice.

use std::path::{Path, PathBuf};

use crate::error::{CoreError, CoreResult};
use crate::model::now_ms;
use crate::store::db::Db;

/// The default agent command as an owned argv template.
pub fn default_agent_command() -> Vec<String> {
    crate::agents::claude::DEFAULT_ARGV.iter().map(|s| s.to_string()).collect()
}

/// The values substituted into an argv template.
#[derive(Debug, Clone)]
pub struct ArgvVars<'a> {
    pub prompt: &'a str,
    pub task_id: &'a str,
    pub worktree: &'a Path,
    pub prompt_file: &'a Path,
    /// The tool rules the agent may use ([`crate::agents::permissions`]).
    pub allowed_tools: &'a [String],
}

/// The argv item that becomes one item per allowed tool rule.
pub const ALLOWED_TOOLS: &str = "{allowed_tools}";

/// Substitutes `{prompt}`, `{task_id}`, `{worktree}` and `{prompt_file}` inside each item; an item that is exactly
/// `{allowed_tools}` becomes one item per allowed tool rule (inside a longer item, the rules joined by commas).
/// Values are never re-scanned, so text in a prompt that looks like a template field stays as is.
pub fn render_argv(template: &[String], vars: &ArgvVars) -> CoreResult<Vec<String>> {
    if template.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(CoreError::InvalidInput("the agent command is empty; give at least the program to run".into()));
    }
    let worktree = vars.worktree.display().to_string();
    let prompt_file = vars.prompt_file.display().to_string();
    let joined_tools = vars.allowed_tools.join(",");
    let subst: [(&str, &str); 5] = [
        ("{prompt_file}", &prompt_file),
        ("{prompt}", vars.prompt),
        ("{task_id}", vars.task_id),
        ("{worktree}", &worktree),
        (ALLOWED_TOOLS, &joined_tools),
    ];
    Ok(template
        .iter()
        .flat_map(|item| {
            if item == ALLOWED_TOOLS {
                return vars.allowed_tools.to_vec();
            }
            let mut out = String::new();
            let mut rest = item.as_str();
            'scan: while !rest.is_empty() {
                for (key, value) in subst {
                    if let Some(tail) = rest.strip_prefix(key) {
                        out.push_str(value);
                        rest = tail;
                        continue 'scan;
                    }
                }
                let ch = rest.chars().next().unwrap_or_default();
                out.push(ch);
                rest = &rest[ch.len_utf8()..];
            }
            vec![out]
        })
        .collect())
}

/// Where `program` would be found: itself when it contains a `/`, else the first match on `PATH`.
pub fn find_program(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable =
        |p: &Path| p.metadata().map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0).unwrap_or(false);
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| executable(p))
}

/// [`find_program`] for a program started in `dir`: a relative path (`./run-agent`) is `dir`'s.
pub fn find_program_in(program: &str, dir: &Path) -> Option<PathBuf> {
    match program.contains('/') && !program.starts_with('/') {
        true => find_program(&dir.join(program).to_string_lossy()),
        false => find_program(program),
    }
}

/// The program of `argv` when it cannot be found (`None` when it can); an error when `argv` names none. `what` is
/// the command's name for that error.
fn missing_program(argv: &[String], what: &str) -> CoreResult<Option<String>> {
    let program = argv.first().cloned().unwrap_or_default();
    if program.trim().is_empty() {
        return Err(CoreError::InvalidInput(format!("the {what} is empty; give at least the program to run")));
    }
    Ok(find_program(&program).is_none().then_some(program))
}

/// Fails with [`CoreError::AgentNotFound`] when the template's program cannot be found.
pub fn check_agent(template: &[String]) -> CoreResult<()> {
    match missing_program(template, "agent command")? {
        Some(program) => Err(CoreError::AgentNotFound { program }),
        None => Ok(()),
    }
}

/// Fails with [`CoreError::TestCommandNotFound`] when the test command's program cannot be found: checked before a
/// run starts, not after every agent ran.
pub fn check_test_command(argv: &[String]) -> CoreResult<()> {
    match missing_program(argv, "test command")? {
        Some(program) => Err(CoreError::TestCommandNotFound { program }),
        None => Ok(()),
    }
}

/// Saves the agent's argv template on the project (`None` goes back to the default agent). A person chose it, so
/// it is approved as it is ([`crate::store::approvals`]).
pub async fn save_agent_command(db: &Db, project_id: &str, argv: Option<&[String]>) -> CoreResult<()> {
    if let Some(argv) = argv {
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return Err(CoreError::InvalidInput("the agent command is empty; give at least the program to run".into()));
        }
    }
    let json = argv.map(|a| serde_json::to_string(a).unwrap_or_default());
    sqlx::query("UPDATE projects SET agent_command = ?, updated_at = ? WHERE id = ?")
        .bind(json)
        .bind(now_ms())
        .bind(project_id)
        .execute(db.pool())
        .await?;
    if let Some(argv) = argv {
        // A person chose it: approved as it is (see `approvals`).
        crate::store::approvals::approve(db, project_id, crate::model::CommandKind::Agent, argv).await?;
    }
    Ok(())
}

/// Parses an argv given as a JSON list of strings (`--agent`, `--test-cmd`).
pub fn parse_argv_json(what: &str, text: &str) -> CoreResult<Vec<String>> {
    let argv: Vec<String> = serde_json::from_str(text).map_err(|e| {
        CoreError::InvalidInput(format!(
            "{what} must be a JSON list of strings, e.g. '[\"aider\",\"--message\",\"{{prompt}}\"]': {e}"
        ))
    })?;
    if argv.first().is_none_or(|p| p.trim().is_empty()) {
        return Err(CoreError::InvalidInput(format!("{what} is empty; give at least the program to run")));
    }
    Ok(argv)
}

/// The program name of YokeFlow's scripted stand-in agent (not an AI; see `src/bin/yokeflow-scripted-agent.rs`).
pub const SCRIPTED_AGENT: &str = "yokeflow-scripted-agent";

/// Where the scripted agent is: next to the running executable, else on `PATH`.
pub fn scripted_agent_path() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok()?.parent()?.join(SCRIPTED_AGENT);
    if beside.is_file() {
        return Some(beside);
    }
    find_program(SCRIPTED_AGENT)
}

/// The agent the demo project runs when none is configured and `claude` is not installed: the scripted
/// stand-in (not an AI), each task taking about 1.5 s. `None` for other projects or when a real agent is there.
pub fn demo_fallback(p: &crate::model::Project) -> Option<Vec<String>> {
    if !p.is_demo || p.agent_command.is_some() || find_program("claude").is_some() {
        return None;
    }
    scripted_agent_path().map(|program| scripted_agent_command(&program, 1500))
}

/// The argv a run of `p` will use: the given one, else the project's, else the default (Claude Code's CLI).
pub fn effective_command(p: &crate::model::Project, given: Option<&[String]>) -> Vec<String> {
    given.map(<[String]>::to_vec).or_else(|| p.agent_command.clone()).unwrap_or_else(default_agent_command)
}

/// The argv template that runs the scripted agent (each task takes about `sleep_ms`), printing stream-json.
pub fn scripted_agent_command(program: &Path, sleep_ms: u64) -> Vec<String> {
    vec![
        program.display().to_string(),
        "--task-id".into(),
        "{task_id}".into(),
        "--prompt-file".into(),
        "{prompt_file}".into(),
        "--sleep-ms".into(),
        sleep_ms.to_string(),
        // It tells what it does as Claude Code would, so the window shows a transcript for the demo too.
        "--output-format".into(),
        "stream-json".into(),
    ]
}
