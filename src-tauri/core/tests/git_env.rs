//! A git environment inherited by YokeFlow never reaches the programs it starts: with `GIT_DIR` (and friends)
//! pointing at the user's repository when a run starts, an agent's `git commit` in its worktree must still commit
//! in that worktree, never straight onto the target branch. Alone in its test binary: it changes the process's
//! environment.

mod support;

use support::{fixture, task};
use yokeflow_core::model::TaskStatus;
use yokeflow_core::run::events;
use yokeflow_core::run::orchestrator::{self, RunOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inherited_git_environment_does_not_reach_agents_or_tests() {
    let f = fixture(vec![task("a", &[], &["a.txt"], 5)]).await;
    let main_before = git2::Repository::open(&f.repo).unwrap().refname_to_id("refs/heads/main").unwrap();
    let seen = f.dir.path().join("env-of-agent.txt");
    let tests_seen = f.dir.path().join("env-of-tests.txt");
    // What a shell, a git hook or `git rebase --exec` would leave in the environment of a program it starts.
    std::env::set_var("GIT_DIR", f.repo.join(".git"));
    std::env::set_var("GIT_WORK_TREE", &f.repo);
    std::env::set_var("GIT_INDEX_FILE", f.repo.join(".git/index"));
    std::env::set_var("GIT_CONFIG_COUNT", "1");
    std::env::set_var("GIT_CONFIG_KEY_0", "core.hooksPath");
    std::env::set_var("GIT_CONFIG_VALUE_0", "/nonexistent");

    // The agent: records its environment, then commits with the real git CLI in its working folder.
    let script = format!(
        "env > '{}' && echo work > a.txt && git add -A && git -c user.name=t -c user.email=t@example.com commit -qm work",
        seen.display()
    );
    let agent = vec!["sh".to_string(), "-c".into(), script];
    let tests = vec!["sh".to_string(), "-c".into(), format!("env > '{}'", tests_seen.display())];
    let opts = RunOptions { agent_command: Some(agent), test_command: Some(tests), learn: false, ..Default::default() };
    let (tx, _rx) = events::channel();
    let report = orchestrator::run(&f.db, &f.project_id, opts, tx).await.unwrap();

    for file in [&seen, &tests_seen] {
        let env = std::fs::read_to_string(file).unwrap();
        for var in ["GIT_DIR=", "GIT_WORK_TREE=", "GIT_INDEX_FILE=", "GIT_CONFIG_COUNT=", "GIT_CONFIG_KEY_0="] {
            assert!(!env.lines().any(|l| l.starts_with(var)), "{} saw {var}:\n{env}", file.display());
        }
    }
    assert!(report.all_done(), "{report:#?}");
    assert_eq!(f.status_of("a").await, TaskStatus::Done);
    // The agent committed in its worktree (with the leak it commits onto main itself, its branch stays empty and the
    // task goes to Review as "no change"); the gate then landed that commit on main.
    let repo = git2::Repository::open(&f.repo).unwrap();
    assert_ne!(repo.refname_to_id("refs/heads/main").unwrap(), main_before);
    assert_eq!(f.target_file("a.txt").as_deref(), Some("work\n"));
}
