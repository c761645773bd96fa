//! The project's scripted model servers (`tests/fake-anthropic`, `tests/fake-openai`) for the real agent CLIs, and
//! the pinned CLIs `scripts/setup.sh` installs.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// A scripted model server on 127.0.0.1, stopped on drop.
pub struct FakeApi {
    child: Child,
    pub url: String,
    log: PathBuf,
}

impl FakeApi {
    /// Starts `tests/<server>/server.mjs`, logging every request body to a file under `dir`.
    pub fn start(server: &str, dir: &Path) -> FakeApi {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/{server}/server.mjs"));
        let log = dir.join("api-requests.jsonl");
        let mut child = Command::new("node")
            .arg(&script)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the scripted model server");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let url = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("server said {first:?}")).into();
        FakeApi { child, url, log }
    }

    /// Every request body the CLI sent, in order.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pinned CLI `bin` of npm package folder `folder` (`claude-code-2.1.197`) under `~/.cache/yokeflow/agents/`,
/// or the path in `env_var`; `None` (and a note) when it is not installed outside CI, a failure on CI.
pub fn require_cli(env_var: &str, folder: &str, bin: &str) -> Option<PathBuf> {
    let found = std::env::var_os(env_var).map(PathBuf::from).or_else(|| {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        let p = home.join(format!(".cache/yokeflow/agents/{folder}/node_modules/.bin/{bin}"));
        p.exists().then_some(p)
    });
    match found {
        Some(p) => Some(p),
        None if std::env::var_os("CI").is_some() => panic!("{folder} is not installed: scripts/setup.sh installs it"),
        None => {
            eprintln!("skipped: {folder} is not installed (scripts/setup.sh installs it)");
            None
        }
    }
}
