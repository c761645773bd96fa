//! `yokeflow-scripted-agent`: a stand-in coding agent for tests and for the demo when no real agent CLI is
//! installed. It is a real process run exactly like a real agent (argv template, worktree as working folder),
//! but instead of thinking it follows a script:
//!
//! - reads its task from `--task-id ID` (or `YOKEFLOW_TASK_ID`) and its prompt from `--prompt-file F`,
//!   `--prompt TEXT` or the last plain argument;
//! - per task, does what the script says: `ok` (default), `fail` (exit 3 after printing an error), `hang`
//!   (sleep forever), `conflict` (write a fixed line to the shared file `yokeflow-demo/conflict.txt`),
//!   `no-commit` (edit, do not commit), `no-change` (touch nothing) or `crash-after-commit` (edit, commit, then
//!   die with exit code 134 as if it crashed mid-work: the branch has a commit the agent never finished);
//! - `ok`, `conflict` and `no-commit` append a line naming the task to every file listed in the prompt's
//!   `Files:` section (creating folders), or to `yokeflow-demo/<task-id>.md` when none is listed;
//! - when the prompt asks to resolve merge conflicts, keeps both sides of each conflicted file (drops the
//!   marker lines) and exits 0 without committing;
//! - sleeps `--sleep-ms` (or the script's `sleep_ms`, default 50) before committing with git2 (no shell), and
//!   the script's `linger_ms` (default 0) after committing (or not), before it exits (the branch then has a commit
//!   while the agent still works, as with a real agent that commits as it goes);
//! - barriers for tests, so that they wait for events instead of guessing durations: `wait_file` (before acting,
//!   wait until that file exists) and `linger_file` (after committing, keep working until it exists); each gives up
//!   after two minutes, saying so;
//!
//! - `--action hold-run-claim` (no task): holds the run claim of the repository it runs in until killed, printing
//!   one line once it does (a test's stand-in for another process's run);
//! - as a test command (`--action pass-tests`, no task): appends a line to `--signal FILE` naming its parent process
//!   (so a test can see that the tests of that runner began), sleeps `--sleep-ms` and exits 0.
//!
//! - with `--output-format stream-json` it prints what it does as Claude Code's stream-json does (an init line
//!   with a session id, `assistant` text and tool calls, `user` tool results, a final `result` with a cost of 0:
//!   it is free), so the window shows it as a transcript; `--resume ID` continues "conversation" ID, and the
//!   script's `chatty` (a number) adds that many extra tool calls and results (a stress test for transcripts).
//!
//! The script is JSON: `{"default": {"action": "ok", "sleep_ms": 100}, "tasks": {"t1": {"action": "fail"}}}`,
//! from `--script FILE`, the `YOKEFLOW_SCRIPT` variable (JSON text or a file path), or
//! `.yokeflow-script.json` in the worktree. Everything it does is printed, so it ends up in the session log.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
struct Step {
    action: Option<String>,
    sleep_ms: Option<u64>,
    linger_ms: Option<u64>,
    /// Before acting: wait until this file exists (a test's barrier: "go on once I have seen X").
    wait_file: Option<PathBuf>,
    /// After committing (or not): keep working until this file exists.
    linger_file: Option<PathBuf>,
    /// Extra tool calls and results printed (with `--output-format stream-json`).
    chatty: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Script {
    #[serde(default)]
    default: Step,
    #[serde(default)]
    tasks: std::collections::HashMap<String, Step>,
}

#[derive(Debug, Default)]
struct Args {
    task_id: Option<String>,
    prompt: Option<String>,
    prompt_file: Option<PathBuf>,
    script: Option<PathBuf>,
    sleep_ms: Option<u64>,
    action: Option<String>,
    signal: Option<PathBuf>,
    resume: Option<String>,
    stream_json: bool,
}

/// Printing as Claude Code's stream-json (set once, from `--output-format stream-json`).
static STREAM_JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Says something: a plain line, or an assistant text line of stream-json.
macro_rules! say {
    ($($arg:tt)*) => { say_text(&format!($($arg)*)) };
}

fn say_text(text: &str) {
    match STREAM_JSON.get() {
        Some(session) => println!(
            "{}",
            serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}, "session_id": session})
        ),
        None => println!("{text}"),
    }
}

/// A tool call and its result, in stream-json (nothing in plain mode: the caller says it).
fn tool(name: &str, input: serde_json::Value, result: &str) {
    static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let Some(session) = STREAM_JSON.get() else { return };
    let id = format!("toolu_scripted_{}", IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    println!(
        "{}",
        serde_json::json!({"type": "assistant", "message": {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": name, "input": input}]}, "session_id": session})
    );
    println!(
        "{}",
        serde_json::json!({"type": "user", "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": result}]}, "session_id": session})
    );
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--task-id" => args.task_id = Some(value("--task-id")?),
            "--prompt" => args.prompt = Some(value("--prompt")?),
            "--prompt-file" => args.prompt_file = Some(PathBuf::from(value("--prompt-file")?)),
            "--script" => args.script = Some(PathBuf::from(value("--script")?)),
            "--sleep-ms" => args.sleep_ms = Some(value("--sleep-ms")?.parse().map_err(|e| format!("--sleep-ms: {e}"))?),
            "--action" => args.action = Some(value("--action")?),
            "--signal" => args.signal = Some(PathBuf::from(value("--signal")?)),
            "--resume" => args.resume = Some(value("--resume")?),
            "--output-format" => args.stream_json = value("--output-format")? == "stream-json",
            // Claude Code's flags that the default argv passes: accepted, meaningless here.
            "--verbose" | "-p" => {}
            "--permission-mode" => {
                value("--permission-mode")?;
            }
            "--allowedTools" => {
                // Takes the rest of the argv, as Claude Code's list option does.
                for _ in it.by_ref() {}
            }
            // Ignored: lets a test tag its processes (e.g. `--marker <uuid>`) to find them in /proc.
            "--marker" => {
                value("--marker")?;
            }
            _ => args.prompt = Some(a),
        }
    }
    Ok(args)
}

fn load_script(args: &Args) -> Result<Script, String> {
    let text = if let Some(path) = &args.script {
        Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?)
    } else if let Ok(v) = std::env::var("YOKEFLOW_SCRIPT") {
        if v.trim_start().starts_with('{') {
            Some(v)
        } else {
            Some(std::fs::read_to_string(&v).map_err(|e| format!("cannot read {v}: {e}"))?)
        }
    } else {
        std::fs::read_to_string(".yokeflow-script.json").ok()
    };
    match text {
        Some(t) => serde_json::from_str(&t).map_err(|e| format!("the script is not valid JSON: {e}")),
        None => Ok(Script::default()),
    }
}

/// The `- path` lines of the prompt's `Files:` section, globs and folders left out.
fn files_from_prompt(prompt: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_files = false;
    for line in prompt.lines() {
        if line.trim() == "Files:" {
            in_files = true;
            continue;
        }
        if in_files {
            match line.strip_prefix("- ") {
                Some(f) if !f.contains(['*', '?', '[']) && !f.ends_with('/') && !f.contains("..") => {
                    out.push(f.trim().to_string())
                }
                Some(_) => {}
                None => break,
            }
        }
    }
    out
}

fn append_line(root: &Path, rel: &str, line: &str) -> Result<(), String> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(line);
    text.push('\n');
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    tool("Write", serde_json::json!({"file_path": rel, "content": format!("{line}\n")}), &format!("appended to {rel}"));
    say!("edited {rel}");
    Ok(())
}

fn commit(root: &Path, message: &str) -> Result<(), String> {
    let repo = git2::Repository::open(root).map_err(|e| format!("not a git worktree: {e}"))?;
    let oid = yokeflow_core::sys::git::commit_all(&repo, message).map_err(|e| format!("commit failed: {e}"))?;
    tool("Bash", serde_json::json!({"command": format!("git commit -am '{message}'")}), &format!("[{oid}] {message}"));
    say!("committed {oid}: {message}");
    Ok(())
}

/// Resolution mode (the prompt asks to resolve conflicts): keeps both sides of every conflict by dropping the
/// marker lines; does not commit.
fn resolve(root: &Path, files: &[String]) -> Result<i32, String> {
    for f in files {
        let path = root.join(f);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {f}: {e}"))?;
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !(l.starts_with("<<<<<<<") || l.starts_with("=======") || l.starts_with(">>>>>>>")))
            .collect();
        std::fs::write(&path, kept.join("\n") + "\n").map_err(|e| format!("cannot write {f}: {e}"))?;
        say!("resolved {f}: kept both sides");
    }
    Ok(0)
}

/// Waits until `path` exists (a test's barrier), at most two minutes.
fn wait_for(path: &Path) {
    say!("waiting for {}", path.display());
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !path.exists() {
        if std::time::Instant::now() > deadline {
            say!("gave up waiting for {} after two minutes", path.display());
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    say!("{} exists: going on", path.display());
}

/// Stands in for another process's run: holds the run claim of the repository in the working folder until killed.
fn hold_run_claim() -> Result<i32, String> {
    use std::io::Write;
    let dir = std::env::current_dir().map_err(|e| format!("no working folder: {e}"))?;
    let claim = yokeflow_core::store::claim::RunClaim::try_acquire(&dir).map_err(|e| e.to_string())?;
    let Some(_claim) = claim else { return Err(format!("the run claim of {} is held already", dir.display())) };
    say!("holding the run claim of {}", dir.display());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// Test-command mode: tells `signal` that tests began (one line, appended), then takes `sleep_ms` and passes.
fn pass_tests(signal: Option<&Path>, sleep_ms: u64) -> Result<i32, String> {
    if let Some(path) = signal {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // The parent is the process whose merge gate started these tests: a test can tell its runner's tests from
        // those of a runner it killed just before.
        let (pid, parent) = (std::process::id(), std::os::unix::process::parent_id());
        writeln!(f, "tests began (pid {pid}, parent {parent})").map_err(|e| e.to_string())?;
    }
    say!("scripted tests: pass after {sleep_ms} ms");
    std::thread::sleep(Duration::from_millis(sleep_ms));
    Ok(0)
}

fn run() -> Result<i32, String> {
    let args = parse_args()?;
    if args.action.as_deref() == Some("pass-tests") {
        return pass_tests(args.signal.as_deref(), args.sleep_ms.unwrap_or(50));
    }
    if args.action.as_deref() == Some("hold-run-claim") {
        return hold_run_claim();
    }
    let script = load_script(&args)?;
    if args.stream_json {
        let session = args.resume.clone().unwrap_or_else(|| {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            format!("scripted-{}-{nanos:08x}", std::process::id())
        });
        println!(
            "{}",
            serde_json::json!({"type": "system", "subtype": "init", "session_id": session, "model": "scripted"})
        );
        let _ = STREAM_JSON.set(session);
    }
    let task_id = args
        .task_id
        .clone()
        .or_else(|| std::env::var("YOKEFLOW_TASK_ID").ok())
        .ok_or("no task: pass --task-id or set YOKEFLOW_TASK_ID")?;
    let prompt = match (&args.prompt_file, &args.prompt) {
        (Some(f), _) => std::fs::read_to_string(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?,
        (None, Some(p)) => p.clone(),
        (None, None) => String::new(),
    };
    let step = script.tasks.get(&task_id).cloned().unwrap_or_default();
    let action = args.action.clone().or(step.action).or(script.default.action).unwrap_or_else(|| "ok".into());
    let sleep_ms = args.sleep_ms.or(step.sleep_ms).or(script.default.sleep_ms).unwrap_or(50);
    let linger_ms = step.linger_ms.or(script.default.linger_ms).unwrap_or(0);
    let wait_file = step.wait_file.clone().or(script.default.wait_file.clone());
    let linger_file = step.linger_file.clone().or(script.default.linger_file.clone());
    say!("scripted agent (not an AI): task {task_id}, action {action}, sleep {sleep_ms} ms");
    say!("prompt ({} bytes), first line: {}", prompt.len(), prompt.lines().next().unwrap_or(""));
    if STREAM_JSON.get().is_none() {
        for line in prompt.lines() {
            say!("> {line}");
        }
    }
    for i in 0..step.chatty.or(script.default.chatty).unwrap_or(0) {
        tool("Read", serde_json::json!({"file_path": format!("src/file{i}.rs")}), &format!("line {i} of a long read"));
    }
    let root = std::env::current_dir().map_err(|e| format!("no working folder: {e}"))?;
    let mut files = files_from_prompt(&prompt);
    if files.is_empty() {
        files.push(format!("yokeflow-demo/{task_id}.md"));
    }
    if prompt.starts_with("# Resolve merge conflicts") {
        return resolve(&root, &files);
    }
    let line = format!("- {task_id}: done by the scripted agent");
    if let Some(path) = &wait_file {
        wait_for(path);
    }
    std::thread::sleep(Duration::from_millis(sleep_ms));
    match action.as_str() {
        "ok" | "no-commit" | "conflict" | "crash-after-commit" => {
            for f in &files {
                append_line(&root, f, &line)?;
            }
            if action == "conflict" {
                let path = root.join("yokeflow-demo/conflict.txt");
                std::fs::create_dir_all(path.parent().unwrap_or(root.as_path())).map_err(|e| e.to_string())?;
                std::fs::write(&path, format!("the shared line, as {task_id} wants it\n"))
                    .map_err(|e| e.to_string())?;
                say!("wrote the conflicting line to yokeflow-demo/conflict.txt");
            }
            if action == "no-commit" {
                say!("leaving the changes uncommitted");
            } else {
                commit(&root, &format!("{task_id}: scripted change"))?;
            }
            if linger_ms > 0 {
                say!("lingering {linger_ms} ms");
                std::thread::sleep(Duration::from_millis(linger_ms));
            }
            if let Some(path) = &linger_file {
                wait_for(path);
            }
            if action == "crash-after-commit" {
                eprintln!("the script tells task {task_id} to crash after committing");
                return Ok(134);
            }
            Ok(0)
        }
        "no-change" => {
            say!("changing nothing");
            Ok(0)
        }
        "fail" => {
            eprintln!("error: the script tells task {task_id} to fail");
            Ok(3)
        }
        "hang" => {
            say!("hanging (the script says so)");
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        other => Err(format!(
            "unknown action `{other}` (ok, fail, hang, conflict, no-commit, no-change, crash-after-commit, pass-tests, hold-run-claim)"
        )),
    }
}

fn main() {
    let started = std::time::Instant::now();
    let code = match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("scripted agent error: {e}");
            2
        }
    };
    if let Some(session) = STREAM_JSON.get() {
        // The end of a stream-json session: what it cost (nothing: it is not a model) and how it went.
        println!(
            "{}",
            serde_json::json!({
                "type": "result",
                "subtype": if code == 0 { "success" } else { "error_during_execution" },
                "is_error": code != 0,
                "duration_ms": started.elapsed().as_millis() as u64,
                "num_turns": 1,
                "result": if code == 0 { "Done (scripted)." } else { "Failed (scripted)." },
                "session_id": session,
                "total_cost_usd": 0.0,
                "usage": {"input_tokens": 0, "output_tokens": 0},
                "permission_denials": []
            })
        );
    }
    std::process::exit(code);
}
