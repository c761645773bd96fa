//! The bubblewrap sandbox with real processes: a hostile program (a plain shell script) started through the
//! [`Bubblewrap`] launcher tries every escape an agent has tried for real and changes nothing outside its worktree,
//! while its own work there stays. Needs `bwrap` (scripts/setup.sh installs it).

mod support;

use std::path::Path;

use support::{init_repo, marked_processes};
use yokeflow_core::sys::process::Launcher;
use yokeflow_core::sys::sandbox::{self, Bind, Bubblewrap, Confinement};
use yokeflow_core::workspace::{
    self,
    sandbox::{BroughtBack, PrivateGit, SandboxPolicy},
    worktree::WorktreeInfo,
};

/// A folder for the test outside `/tmp`: the sandbox gives the program a `/tmp` of its own, as the work homes
/// YokeFlow makes (beside the repository) are.
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("sandbox-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("<{e}>"))
}

/// `git worktree add -b yokeflow/t1 <wt>` in `repo`.
fn add_worktree(repo: &Path, wt: &Path) {
    let out = std::process::Command::new("git")
        .args(["-C", repo.to_str().unwrap(), "worktree", "add", "-q", "-b", "yokeflow/t1", wt.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A repository `shop` in `dir` with `src/app.txt`, task `t1`'s worktree `wt-1` on `yokeflow/t1`, and the info a
/// run keeps of it.
fn task_worktree(dir: &Path) -> (git2::Repository, std::path::PathBuf, git2::Oid, WorktreeInfo) {
    let repo = dir.join("shop");
    let git = init_repo(&repo, &[("src/app.txt", "v1\n")]);
    let base = git.refname_to_id("refs/heads/main").unwrap();
    let wt = dir.join("wt-1");
    add_worktree(&repo, &wt);
    let info = WorktreeInfo {
        id: "0000".into(),
        task_id: "t1".into(),
        branch: "yokeflow/t1".into(),
        path: wt.canonicalize().unwrap(),
        base_commit: base.to_string(),
    };
    (git, repo, base, info)
}

/// Each line tries one escape and carries on whatever happens; the last one does the task's own work.
const HOSTILE: &str = r#"
home=$1 repo=$2 sibling=$3 data=$4 daemon=$5 marker=$6
echo pwned >> "$home/.ssh/id_ed25519"
cat "$home/.ssh/id_ed25519" > stolen-key.txt
cat "$home/.config/gh/hosts.yml" >> stolen-key.txt
cat "$home/.git-credentials" >> stolen-key.txt
echo cached > "$home/.config/npm-cache-entry"
echo pwned > "$home/planted.txt"
echo pwned >> "$repo/README.md"
echo pwned >> "$sibling/work.txt"
cat "$sibling/work.txt" > stolen-sibling.txt
echo pwned >> "$data/yokeflow.db"
git config core.hooksPath /tmp/evil
echo 0000000000000000000000000000000000000000 > "$repo/.git/refs/heads/main"
git -C "$repo" branch -f main HEAD~0
echo pwned > "/tmp/$marker"
nohup sh "$daemon" > /dev/null 2>&1 &
echo "the task's own work" > done.txt
exit 0
"#;

#[tokio::test]
async fn a_hostile_program_in_the_sandbox_changes_nothing_outside_its_worktree() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = scratch();
    let root = dir.path();
    let repo = root.join("shop");
    let git = init_repo(&repo, &[]);
    let main_before = git.refname_to_id("refs/heads/main").unwrap();
    // The task's worktree and a sibling's, side by side in the work home's folder (hidden but for its own).
    let worktrees = root.join("worktrees");
    let wt = worktrees.join("wt-1");
    std::fs::create_dir_all(&worktrees).unwrap();
    add_worktree(&repo, &wt);
    let sibling = worktrees.join("wt-2");
    write(&sibling.join("work.txt"), "another agent's work\n");
    let home = root.join("home");
    write(&home.join(".ssh/id_ed25519"), "SECRET KEY\n");
    write(&home.join(".config/gh/hosts.yml"), "oauth_token: SECRET TOKEN\n");
    write(&home.join(".git-credentials"), "https://me:SECRET@example.com\n");
    let data = root.join("data");
    write(&data.join("yokeflow.db"), "the database\n");
    let config_before = read(&repo.join(".git/config"));
    let marker = format!("daemon-{}", uuid::Uuid::new_v4());
    let daemon = root.join(format!("{marker}.sh"));
    write(&daemon, "sleep 600\n");

    let mut hidden = Confinement::credentials(&home);
    hidden.extend([data.clone(), worktrees.clone()]);
    // A cache listed as broadly as `~/.config`: writable, and the credentials in it still hidden.
    let shared = vec![Bind::write(home.join(".config"))];
    let confinement = Confinement { shared, hidden, binds: vec![Bind::write(&wt)], ..Default::default() };
    let argv: Vec<String> = ["sh", "-c", HOSTILE, "sh"]
        .iter()
        .map(|s| s.to_string())
        .chain([&home, &repo, &sibling, &data, &daemon].iter().map(|p| p.to_string_lossy().into_owned()))
        .chain([marker.clone()])
        .collect();
    let out = Bubblewrap(confinement).command(&argv, &wt).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");

    // Its own work is there.
    assert_eq!(read(&wt.join("done.txt")), "the task's own work\n");
    // Nothing else changed, and nothing it should not see was read.
    assert_eq!(read(&home.join(".ssh/id_ed25519")), "SECRET KEY\n");
    // Hidden behind an empty folder of its own: what it wrote there is all it could read back.
    assert!(!read(&wt.join("stolen-key.txt")).contains("SECRET"), "a credential was read: {stderr}");
    assert_eq!(read(&home.join(".config/npm-cache-entry")), "cached\n", "the cache is writable");
    assert_eq!(read(&home.join(".config/gh/hosts.yml")), "oauth_token: SECRET TOKEN\n");
    assert!(!home.join("planted.txt").exists());
    assert_eq!(read(&repo.join("README.md")), "test repo\n", "the main checkout");
    assert_eq!(read(&sibling.join("work.txt")), "another agent's work\n", "a sibling worktree");
    assert!(!read(&wt.join("stolen-sibling.txt")).contains("another agent"), "a sibling worktree is hidden");
    assert_eq!(read(&data.join("yokeflow.db")), "the database\n", "YokeFlow's data");
    assert_eq!(read(&repo.join(".git/config")), config_before, ".git/config");
    assert_eq!(git.refname_to_id("refs/heads/main").unwrap(), main_before, "another branch's ref");
    assert!(!Path::new("/tmp").join(&marker).exists(), "its /tmp is its own");
    // Nothing it started outlives it: its PID namespace ends with it. The kernel kills what is left there as the
    // namespace's first process exits; wait for those deaths (a daemon of its own would sleep for 10 minutes).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !marked_processes(&marker).is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(marked_processes(&marker), Vec::<i32>::new(), "a daemon outlived the sandbox");
    // Each escape was refused by the sandbox, not skipped: the shell said so.
    assert!(stderr.contains("Read-only file system"), "{stderr}");
}

#[tokio::test]
async fn an_agent_commits_in_its_own_git_folder_and_only_its_branch_comes_out() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = scratch();
    let (git, repo, base, info) = task_worktree(dir.path());
    let private = PrivateGit::prepare(&repo, &info, "main").unwrap();
    let confinement =
        workspace::sandbox::confinement(&SandboxPolicy::default(), &repo, &info.path, Vec::new(), vec![private.bind()])
            .unwrap();
    // Its own commit works; what it does to other refs, the configuration and its `.git` file stays inside.
    let script = r#"
echo v2 > src/app.txt && git add -A && git -c user.name=A -c user.email=a@x commit -q -m "the agent's commit"
git status --porcelain; git log --oneline -2
git branch -f main HEAD && git update-ref refs/heads/evil HEAD
git config core.hooksPath /tmp/evil
echo uncommitted > notes.txt
echo "gitdir: $(git rev-parse --git-common-dir)" > .git
"#;
    let argv: Vec<String> = ["sh", "-c", script].iter().map(|s| s.to_string()).collect();
    let config_before = read(&repo.join(".git/config"));
    let out = Bubblewrap(confinement).command(&argv, &info.path).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("the agent's commit") && stdout.contains("init"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nothing of the real repository moved while it ran.
    assert_eq!(git.refname_to_id("refs/heads/yokeflow/t1").unwrap(), base);
    assert_eq!(git.refname_to_id("refs/heads/main").unwrap(), base);

    let brought = private.bring_back().unwrap();
    let BroughtBack::Moved { tip, commits } = brought else { panic!("{brought:?}") };
    assert_eq!(commits, 1);
    let git = git2::Repository::open(&repo).unwrap();
    assert_eq!(git.refname_to_id("refs/heads/yokeflow/t1").unwrap(), tip, "the task's branch came out");
    assert_eq!(git.find_commit(tip).unwrap().message(), Some("the agent's commit\n"));
    assert_eq!(git.refname_to_id("refs/heads/main").unwrap(), base, "main did not");
    assert!(git.find_reference("refs/heads/evil").is_err(), "nor a ref it made");
    assert_eq!(read(&repo.join(".git/config")), config_before);
    assert!(!private.dir.exists(), "its git folder is gone");
    // The worktree is the task's again (its `.git` file written back), its index the branch's, its files its own.
    let wt_repo = git2::Repository::open(&info.path).unwrap();
    assert_eq!(wt_repo.head().unwrap().name(), Some("refs/heads/yokeflow/t1"));
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true);
    let changed: Vec<String> =
        wt_repo.statuses(Some(&mut opts)).unwrap().iter().map(|e| e.path().unwrap().to_string()).collect();
    assert_eq!(changed, vec!["notes.txt".to_string()], "only what it left uncommitted");
}

#[tokio::test]
async fn a_program_without_a_git_folder_of_its_own_reads_the_repository_but_writes_no_git_state() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = scratch();
    let repo = dir.path().join("shop");
    init_repo(&repo, &[("src/app.txt", "v1\n")]);
    let wt = dir.path().join("wt-1");
    add_worktree(&repo, &wt);
    let confinement =
        workspace::sandbox::confinement(&SandboxPolicy::default(), &repo, &wt, Vec::new(), Vec::new()).unwrap();
    // The gate's tests and a setup command: git answers them, but the repository's files are read-only.
    let script = "echo v2 > src/app.txt && git status --porcelain && git log --oneline -1 && \
                  if git add -A 2>/dev/null; then echo ADDED; fi";
    let argv: Vec<String> = ["sh", "-c", script].iter().map(|s| s.to_string()).collect();
    let out = Bubblewrap(confinement).command(&argv, &wt).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(" M src/app.txt") && stdout.contains("init"), "{stdout}");
    assert!(!stdout.contains("ADDED"), "it wrote the index: {stdout}");
    assert_eq!(read(&wt.join("src/app.txt")), "v2\n");
}

#[tokio::test]
async fn bubblewrap_that_cannot_start_a_program_says_so_on_stderr_and_exits_1() {
    // What the agent runner reads as "the sandbox could not start the agent" (`SessionResult::sandbox_error`).
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = scratch();
    let c = Confinement { binds: vec![Bind::write(dir.path().join("missing"))], ..Default::default() };
    let out = Bubblewrap(c).command(&["true".to_string()], dir.path()).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("bwrap: ") && stderr.contains("missing"), "{stderr}");
}

#[tokio::test]
async fn an_agent_that_grafts_a_foreign_history_onto_its_branch_gets_nothing_taken_out() {
    assert!(sandbox::available(), "bubblewrap must be installed and able to run here (scripts/setup.sh installs it)");
    let dir = scratch();
    let (git, repo, base, info) = task_worktree(dir.path());
    let private = PrivateGit::prepare(&repo, &info, "main").unwrap();
    let c =
        workspace::sandbox::confinement(&SandboxPolicy::default(), &repo, &info.path, Vec::new(), vec![private.bind()])
            .unwrap();
    // A root commit of its own, grafted onto the branch's tip so that, read with the grafts, it builds on it.
    let script = r#"
set -e
echo evil > src/app.txt && git add -A
tree=$(git write-tree)
evil=$(git -c user.name=A -c user.email=a@x commit-tree "$tree" -m "a history of its own")
echo "$evil $(git rev-parse HEAD)" > "$(git rev-parse --git-dir)/info/grafts"
git update-ref refs/heads/yokeflow/t1 "$evil"
git merge-base --is-ancestor "$(git rev-parse main)" "$evil" 2>/dev/null && echo GRAFTED
"#;
    let argv: Vec<String> = ["sh", "-c", script].iter().map(|s| s.to_string()).collect();
    let out = Bubblewrap(c).command(&argv, &info.path).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let brought = private.bring_back().unwrap();
    assert!(matches!(brought, BroughtBack::Ignored { .. }), "{brought:?}");
    assert_eq!(git.refname_to_id("refs/heads/yokeflow/t1").unwrap(), base, "the branch did not move");
    // Its files are still there, for YokeFlow to commit as they are.
    assert_eq!(read(&info.path.join("src/app.txt")), "evil\n");
}
