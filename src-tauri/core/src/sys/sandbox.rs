//! Confinement of a program YokeFlow starts from a repository (an agent, the gate's tests), with bubblewrap
//! (`bwrap`: the sandbox Flatpak uses; a Debian package, no daemon, a start costs milliseconds).
//!
//! A [`Confinement`] says what the program may touch; [`bwrap_argv`] turns it into bubblewrap's command line (pure,
//! tested with data) and [`Bubblewrap`] is the [`Launcher`] that starts programs that way. Inside: the whole
//! filesystem read-only, the [`Confinement::shared`] folders (caches), the folders of [`Confinement::hidden`] behind
//! an empty folder (the person's credentials, YokeFlow's data, the other worktrees), then the
//! [`Confinement::binds`] (its worktree writable, …), a private
//! `/tmp`, its own PID namespace that dies with it (nothing it starts outlives it), the network shared unless cut.
//! What a run confines, and how an agent's commits get out, is [`crate::workspace::sandbox`]'s.

use std::path::{Path, PathBuf};

use crate::sys::process::{Direct, Launcher};

/// The program bubblewrap installs.
pub const BWRAP: &str = "bwrap";

/// What a confined program may touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confinement {
    /// Mounted first, before the hidden folders are hidden: broad folders (tool caches) inside which a hidden folder
    /// stays hidden, whatever a person lists (`~/.config` as a cache does not show `~/.config/gh`).
    pub shared: Vec<Bind>,
    /// Folders and files it may not even read: a folder replaced by an empty one, a file by an empty file (only
    /// those that exist: bubblewrap cannot make a mount point on the read-only root).
    pub hidden: Vec<PathBuf>,
    /// What is mounted after the hidden folders are, in this order: a folder inside a hidden one is there again.
    pub binds: Vec<Bind>,
    /// Cut the network (the agent's model API included); shared by default.
    pub no_network: bool,
    /// Variables set inside (over what the program inherits).
    pub env: Vec<(String, String)>,
}

/// A file or folder of the machine mounted in the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// What is mounted (a path of the machine).
    pub src: PathBuf,
    /// Where the program sees it (usually `src` itself).
    pub dest: PathBuf,
    pub writable: bool,
    /// Left out when `src` does not exist (a cache or a CLI's state folder); otherwise a missing `src` is an error
    /// of bubblewrap's, and the program does not start.
    pub optional: bool,
}

impl Bind {
    /// `path` writable at its own place; it must exist.
    pub fn write(path: impl Into<PathBuf>) -> Bind {
        let path = path.into();
        Bind { dest: path.clone(), src: path, writable: true, optional: false }
    }

    /// `path` readable at its own place (again, when it lies in a hidden folder); it must exist.
    pub fn read(path: impl Into<PathBuf>) -> Bind {
        Bind { writable: false, ..Bind::write(path) }
    }

    /// This bind, left out when its source does not exist.
    pub fn optional(self) -> Bind {
        Bind { optional: true, ..self }
    }
}

/// What a confined program is never given, whatever else it gets: the sockets through which it would act outside
/// (the session's D-Bus, which starts programs; the ssh, gpg and keyring agents; Docker's and Podman's daemons).
pub fn sockets() -> Vec<PathBuf> {
    // SAFETY: getuid has no preconditions.
    let uid = unsafe { libc::getuid() };
    [
        format!("/run/user/{uid}"),
        "/run/docker.sock".to_string(),
        "/var/run/docker.sock".to_string(),
        "/run/podman".to_string(),
        "/run/containerd".to_string(),
        "/run/dbus".to_string(),
        "/var/run/dbus".to_string(),
    ]
    .into_iter()
    .map(PathBuf::from)
    .collect()
}

/// Variables of YokeFlow's environment a confined program does not inherit: the sockets above, and the usual
/// places people keep tokens (a model API key the agent needs is kept: it is how it works).
pub fn withheld_env(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "DBUS_SESSION_BUS_ADDRESS",
        "DBUS_SYSTEM_BUS_ADDRESS",
        "DISPLAY",
        "XAUTHORITY",
        "WAYLAND_DISPLAY",
        "SSH_AUTH_SOCK",
        "SSH_AGENT_PID",
        "GPG_AGENT_INFO",
        "XDG_RUNTIME_DIR",
        "DOCKER_HOST",
        "CONTAINER_HOST",
        "KUBECONFIG",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITLAB_TOKEN",
        "GL_TOKEN",
        "NPM_TOKEN",
        "NODE_AUTH_TOKEN",
        "CARGO_REGISTRY_TOKEN",
        "PYPI_TOKEN",
        "TWINE_PASSWORD",
        "HF_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ];
    const PREFIXES: &[&str] = &["AWS_", "AZURE_", "GCP_", "GOOGLE_CLOUD_", "DIGITALOCEAN_", "VAULT_"];
    EXACT.contains(&name) || PREFIXES.iter().any(|p| name.starts_with(p))
}

impl Confinement {
    /// The credentials folders under `home` a program from a repository has no business reading.
    pub fn credentials(home: &Path) -> Vec<PathBuf> {
        [
            ".ssh",
            ".aws",
            ".gnupg",
            ".azure",
            ".kube",
            ".docker",
            ".config/gcloud",
            ".config/gh",
            ".config/hub",
            ".password-store",
            ".local/share/keyrings",
            ".netrc",
            ".git-credentials",
            ".npmrc",
            ".pypirc",
            ".cargo/credentials",
            ".cargo/credentials.toml",
            // Tokens in `url.*.insteadOf`, git's other credential store (the identity inside comes from YokeFlow's
            // copy of the repository's configuration).
            ".gitconfig",
            ".config/git",
            // Browsers' cookies and saved passwords; the X server's key.
            ".mozilla",
            ".config/google-chrome",
            ".config/chromium",
            ".config/BraveSoftware",
            ".Xauthority",
        ]
        .iter()
        .map(|p| home.join(p))
        .collect()
    }
}

/// Bubblewrap's command line that runs `argv` in `dir` confined by `c`. Hidden paths that do not exist are left out
/// (a missing one has nothing to hide); a hidden file reads as empty ([`empty_file`] over it).
pub fn bwrap_argv(c: &Confinement, argv: &[String], dir: &Path) -> Vec<String> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let mut out: Vec<String> = [
        BWRAP,
        "--die-with-parent",
        // A session of its own: no keystrokes pushed into the terminal YokeFlow runs in (TIOCSTI).
        "--new-session",
        "--unshare-pid",
        "--unshare-ipc",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--tmpfs",
        "/tmp",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let bind = |out: &mut Vec<String>, b: &Bind| {
        let flag = match (b.writable, b.optional) {
            (true, false) => "--bind",
            (true, true) => "--bind-try",
            (false, false) => "--ro-bind",
            (false, true) => "--ro-bind-try",
        };
        out.extend([flag.to_string(), s(&b.src), s(&b.dest)]);
    };
    for b in &c.shared {
        bind(&mut out, b);
    }
    // Where each really is (`/var/run` is a link to `/run`; a linked `~/.ssh` is hidden where it points), once.
    let mut seen = std::collections::HashSet::new();
    for hidden in c.hidden.iter().filter_map(|p| std::fs::canonicalize(p).ok()) {
        if !seen.insert(hidden.clone()) {
            continue;
        }
        match std::fs::metadata(&hidden) {
            Ok(m) if m.is_dir() => out.extend(["--tmpfs".to_string(), s(&hidden)]),
            // A file, or a socket (an agent's or a daemon's): an empty file over it (not `/dev/null`: a device on
            // a bind mount is refused, and a program such as git stops at a file it may not read).
            Ok(_) => out.extend(["--ro-bind".to_string(), s(&empty_file()), s(&hidden)]),
            Err(_) => {}
        }
    }
    for b in &c.binds {
        bind(&mut out, b);
    }
    if c.no_network {
        out.push("--unshare-net".into());
    }
    for (name, value) in &c.env {
        out.extend(["--setenv".to_string(), name.clone(), value.clone()]);
    }
    out.extend(["--chdir".to_string(), s(dir), "--".to_string()]);
    out.extend(argv.iter().cloned());
    out
}

/// An empty file of YokeFlow's (in its data folder), mounted over a hidden file; made again if anything changed it.
pub fn empty_file() -> PathBuf {
    let path = crate::sys::paths::data_dir().join("sandbox-empty");
    if std::fs::symlink_metadata(&path).map(|m| !m.is_file() || m.len() != 0).unwrap_or(true) {
        let _ = std::fs::create_dir_all(crate::sys::paths::data_dir());
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::write(&path, b"");
    }
    path
}

/// Starts programs inside bubblewrap, confined as its [`Confinement`] says; otherwise as [`Direct`] does (its own
/// process group, no input, a clean git environment). Ending the group ends bubblewrap, and with it everything in
/// the sandbox's PID namespace.
pub struct Bubblewrap(pub Confinement);

impl Launcher for Bubblewrap {
    fn command(&self, argv: &[String], dir: &Path) -> tokio::process::Command {
        let mut cmd = Direct.command(&bwrap_argv(&self.0, argv, dir), dir);
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(withheld_env) {
                cmd.env_remove(&name);
            }
        }
        cmd
    }
}

/// Whether bubblewrap can confine a program on this machine (installed, and allowed to make namespaces): it runs
/// `true` inside once, with the same command line every confined program gets.
pub fn available() -> bool {
    let argv = bwrap_argv(&Confinement::default(), &["true".to_string()], Path::new("/"));
    std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_line_hides_then_binds_in_order_then_runs_the_program_in_its_folder() {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir(home.path().join(".ssh")).unwrap();
        let ssh = home.path().join(".ssh");
        let netrc = home.path().join(".netrc");
        std::fs::write(&netrc, "machine x password y\n").unwrap();
        let c = Confinement {
            shared: vec![Bind::write("/cache").optional()],
            hidden: vec![ssh.clone(), home.path().join(".aws"), netrc.clone()],
            binds: vec![Bind::write("/work/wt-1"), Bind::read("/home/me/.claude").optional()],
            no_network: false,
            env: Vec::new(),
        };
        let argv = bwrap_argv(&c, &strings(&["claude", "-p", "do it; rm -rf /"]), Path::new("/work/wt-1"));
        let (ssh, netrc) = (ssh.to_string_lossy().into_owned(), netrc.to_string_lossy().into_owned());
        let mut expected = strings(&[
            "bwrap",
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-ipc",
            "--ro-bind",
            "/",
            "/",
            "--dev",
            "/dev",
            "--proc",
            "/proc",
            "--tmpfs",
            "/tmp",
            "--bind-try",
            "/cache",
            "/cache",
            "--tmpfs",
        ]);
        expected.push(ssh);
        expected.extend(["--ro-bind".to_string(), empty_file().to_string_lossy().into_owned()]);
        expected.push(netrc);
        expected.extend(strings(&[
            "--bind",
            "/work/wt-1",
            "/work/wt-1",
            "--ro-bind-try",
            "/home/me/.claude",
            "/home/me/.claude",
            "--chdir",
            "/work/wt-1",
            "--",
            "claude",
            "-p",
            "do it; rm -rf /",
        ]));
        assert_eq!(argv, expected, "the missing ~/.aws is left out; the prompt stays one argument");
        let env = vec![("CARGO_HOME".to_string(), "/cache/cargo".to_string())];
        let cut = bwrap_argv(&Confinement { no_network: true, env, ..c }, &strings(&["true"]), Path::new("/"));
        assert!(cut.contains(&"--unshare-net".to_string()));
        assert!(cut.windows(3).any(|w| w == ["--setenv", "CARGO_HOME", "/cache/cargo"]));
    }

    #[test]
    fn the_credentials_are_the_usual_folders_under_home() {
        let list = Confinement::credentials(Path::new("/home/me"));
        assert!(list.contains(&PathBuf::from("/home/me/.ssh")) && list.contains(&PathBuf::from("/home/me/.aws")));
    }
}
