//! Worktree lifecycle against real temporary repositories: create, list, remove (never an unmerged branch),
//! the exclude file, reattach after a crash, prune and commit_all.

use std::fs;
use std::path::Path;

use git2::{BranchType, Oid, Repository, RepositoryInitOptions};
use yokeflow_core::error::CoreError;
use yokeflow_core::workspace::worktree::{RemoveOutcome, RemovePolicy, Worktrees};
#[path = "support/repo_dir.rs"]
mod repo_dir;
use repo_dir::RepoDir;

/// A repository on `main` with one commit holding `README.md`.
fn repo() -> (RepoDir, Repository) {
    let dir = RepoDir::new();
    let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main")).unwrap();
    repo.config().unwrap().set_str("user.name", "Test").unwrap();
    repo.config().unwrap().set_str("user.email", "test@example.com").unwrap();
    fs::write(dir.path().join("README.md"), "hello\n").unwrap();
    yokeflow_core::sys::git::commit_all(&repo, "initial").unwrap();
    (dir, repo)
}

fn tip(repo: &Repository, branch: &str) -> Oid {
    repo.find_branch(branch, BranchType::Local).unwrap().get().peel_to_commit().unwrap().id()
}

fn branch_exists(repo: &Repository, branch: &str) -> bool {
    repo.find_branch(branch, BranchType::Local).is_ok()
}

fn fast_forward(repo: &Repository, branch: &str, to: Oid) {
    repo.reference(&format!("refs/heads/{branch}"), to, true, "test").unwrap();
}

/// `git status --porcelain` of the user's checkout, as the user would see it.
fn git_status(dir: &Path) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(["status", "--porcelain"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn write(dir: &Path, file: &str, text: &str) {
    fs::write(dir.join(file), text).unwrap();
}

#[test]
fn create_list_remove() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let base = tip(&repo, "main");
    let info = wts.create("Add login page", base).unwrap();

    assert_eq!(info.branch, format!("yokeflow/add-login-page-{}", &info.id[..8]));
    assert_eq!(info.path, wts.root().join(format!("add-login-page-{}", &info.id[..8])));
    assert_eq!(info.base_commit, base.to_string());
    assert_eq!(info.task_id, "Add login page");
    assert_eq!(fs::read_to_string(info.path.join("README.md")).unwrap(), "hello\n");
    assert_eq!(tip(&repo, &info.branch), base);
    assert_eq!(Repository::open(&info.path).unwrap().head().unwrap().shorthand(), Some(info.branch.as_str()));

    let other = wts.create("Second", base).unwrap();
    let listed = wts.list().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.contains(&info), "{listed:?}");
    assert!(listed.contains(&other));

    // Dirty files do not stop a removal: the branch rule protects committed work.
    write(&info.path, "scratch.txt", "uncommitted\n");
    assert_eq!(wts.remove(&info, "main").unwrap(), RemoveOutcome::Removed);
    assert!(!info.path.exists());
    assert!(!branch_exists(&repo, &info.branch));
    assert_eq!(wts.list().unwrap(), vec![other.clone()]);
    let names: Vec<String> = repo.worktrees().unwrap().iter().flatten().map(str::to_string).collect();
    assert_eq!(names.len(), 1, "git metadata of the removed worktree is gone: {names:?}");
    // The user's checkout still looks clean.
    assert_eq!(git_status(dir.path()), "");
}

#[test]
fn remove_refuses_a_branch_with_unmerged_commits_and_says_why() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("work", tip(&repo, "main")).unwrap();
    write(&info.path, "a.txt", "a\n");
    let first = wts.commit_all(&info, "first").unwrap().unwrap();
    write(&info.path, "b.txt", "b\n");
    let second = wts.commit_all(&info, "second").unwrap().unwrap();
    assert_eq!(wts.unmerged_commits(&info.branch, "main").unwrap(), 2);

    let err = wts.remove(&info, "main").unwrap_err();
    match &err {
        CoreError::UnmergedWork { branch, commits } => {
            assert_eq!(branch, &info.branch);
            assert_eq!(*commits, 2);
        }
        other => panic!("expected UnmergedWork, got {other:?}"),
    }
    assert_eq!(err.code(), "unmerged_work");
    assert!(err.to_string().contains("2 commit(s) not on the target branch"), "{err}");
    assert!(info.path.join("b.txt").exists(), "refusal touches nothing");
    assert_eq!(tip(&repo, &info.branch), second);

    // The folder may go, the branch stays.
    let outcome = wts.remove_with(&info, "main", RemovePolicy::KeepBranchIfUnmerged).unwrap();
    assert_eq!(outcome, RemoveOutcome::BranchKept { branch: info.branch.clone(), unmerged_commits: 2 });
    assert!(!info.path.exists());
    assert_eq!(tip(&repo, &info.branch), second);
    assert_eq!(wts.orphan_branches().unwrap(), vec![info.branch.clone()]);

    // Partly merged: still refused, counting only what is missing.
    fast_forward(&repo, "main", first);
    let back = wts.reattach("work", &info.branch).unwrap();
    assert_eq!(wts.unmerged_commits(&info.branch, "main").unwrap(), 1);
    assert!(matches!(wts.remove(&back, "main"), Err(CoreError::UnmergedWork { commits: 1, .. })));

    // Fully merged: everything goes.
    fast_forward(&repo, "main", second);
    assert_eq!(wts.remove(&back, "main").unwrap(), RemoveOutcome::Removed);
    assert!(!branch_exists(&repo, &info.branch));
    assert!(wts.orphan_branches().unwrap().is_empty());
}

#[test]
fn exclude_file_is_updated_once() {
    let (dir, repo) = repo();
    let exclude = repo.path().join("info").join("exclude");
    fs::write(&exclude, "*.swp").unwrap(); // no trailing newline
    for _ in 0..3 {
        Worktrees::open(dir.path()).unwrap();
    }
    let cfg = yokeflow_core::gate::merge::GateConfig::new("main");
    yokeflow_core::gate::merge::MergeGate::open(dir.path(), cfg).unwrap();
    let text = fs::read_to_string(&exclude).unwrap();
    assert_eq!(text.lines().filter(|l| *l == "/.yokeflow/").count(), 1, "{text}");
    assert!(text.starts_with("*.swp\n"), "{text}");

    let wts = Worktrees::open(dir.path()).unwrap();
    wts.create("t", tip(&repo, "main")).unwrap();
    assert_eq!(git_status(dir.path()), "", "the user's git status stays clean");
}

#[test]
fn reattach_after_the_folder_was_deleted() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("crashy task", tip(&repo, "main")).unwrap();
    write(&info.path, "partial.txt", "half done\n");
    let partial = wts.commit_all(&info, "partial").unwrap().unwrap();

    fs::remove_dir_all(&info.path).unwrap(); // the crash
    assert!(wts.list().unwrap().is_empty(), "a worktree without a folder is not listed");
    assert_eq!(wts.orphan_branches().unwrap(), vec![info.branch.clone()]);

    let back = wts.reattach("crashy task", &info.branch).unwrap();
    assert_eq!(back, info, "same id, branch, path and base");
    assert_eq!(fs::read_to_string(back.path.join("partial.txt")).unwrap(), "half done\n");
    assert_eq!(tip(&repo, &back.branch), partial);
    assert_eq!(wts.list().unwrap(), vec![back.clone()]);
    assert!(wts.reattach("crashy task", &info.branch).is_err(), "a live worktree is not re-created");

    // Without saved metadata the base comes from the branch's reflog.
    fs::remove_dir_all(&back.path).unwrap();
    fs::remove_dir_all(dir.path().join(".yokeflow/worktree-meta")).unwrap();
    fs::create_dir_all(dir.path().join(".yokeflow/worktree-meta")).unwrap();
    let again = wts.reattach("crashy task", &info.branch).unwrap();
    assert_eq!(again.base_commit, info.base_commit);
    assert_ne!(again.id, info.id);
}

#[test]
fn prune_removes_stale_metadata_but_keeps_branches() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let gone = wts.create("gone", tip(&repo, "main")).unwrap();
    let kept = wts.create("kept", tip(&repo, "main")).unwrap();
    fs::remove_dir_all(&gone.path).unwrap();
    wts.prune().unwrap();
    let names: Vec<String> = repo.worktrees().unwrap().iter().flatten().map(str::to_string).collect();
    assert_eq!(names, vec![kept.path.file_name().unwrap().to_str().unwrap().to_string()]);
    assert!(branch_exists(&repo, &gone.branch));
    assert_eq!(wts.list().unwrap(), vec![kept]);
}

#[test]
fn commit_all_commits_every_change_once() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("agent", tip(&repo, "main")).unwrap();
    assert_eq!(wts.commit_all(&info, "nothing").unwrap(), None);

    write(&info.path, "README.md", "changed\n");
    fs::create_dir_all(info.path.join("src")).unwrap();
    write(&info.path, "src/new.rs", "fn main() {}\n");
    write(&info.path, ".gitignore", "*.log\n");
    write(&info.path, "debug.log", "ignored\n");
    let oid = wts.commit_all(&info, "agent work").unwrap().unwrap();
    let commit = repo.find_commit(oid).unwrap();
    assert_eq!(commit.message(), Some("agent work"));
    assert_eq!(commit.parent_id(0).unwrap(), tip(&repo, "main"));
    assert_eq!(tip(&repo, &info.branch), oid);
    let tree = commit.tree().unwrap();
    assert!(tree.get_path(Path::new("src/new.rs")).is_ok());
    assert!(tree.get_path(Path::new("debug.log")).is_err(), "ignored files stay out");

    fs::remove_file(info.path.join("README.md")).unwrap();
    let oid = wts.commit_all(&info, "delete").unwrap().unwrap();
    assert!(repo.find_commit(oid).unwrap().tree().unwrap().get_path(Path::new("README.md")).is_err());
    assert_eq!(wts.commit_all(&info, "again").unwrap(), None);
    assert_eq!(tip(&repo, "main"), repo.find_commit(oid).unwrap().parent(0).unwrap().parent_id(0).unwrap());
}

#[test]
fn a_symlinked_yokeflow_folder_is_refused_and_nothing_is_written_through_it() {
    use yokeflow_core::gate::merge::{GateConfig, MergeGate};
    let outside = tempfile::tempdir().unwrap();
    // A repository that commits `.yokeflow` as a link to somewhere else.
    let (dir, git) = repo();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".yokeflow")).unwrap();
    yokeflow_core::sys::git::commit_all(&git, "a link").unwrap();
    let Err(err) = Worktrees::open(dir.path()) else { panic!("a symlinked .yokeflow was accepted") };
    assert!(err.to_string().contains("symbolic link"), "{err}");
    let Err(err) = MergeGate::open(dir.path(), GateConfig::new("main")) else {
        panic!("a symlinked .yokeflow was accepted")
    };
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0, "nothing was created outside the repository");

    // The same with `.yokeflow` a real folder and one of its folders a link.
    let (dir, _repo) = repo();
    fs::create_dir(dir.path().join(".yokeflow")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".yokeflow/logs")).unwrap();
    assert!(MergeGate::open(dir.path(), GateConfig::new("main")).is_err());
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".yokeflow/worktree-meta")).unwrap();
    assert!(Worktrees::open(dir.path()).is_err());
    fs::remove_file(dir.path().join(".yokeflow/logs")).unwrap();
    fs::remove_file(dir.path().join(".yokeflow/worktree-meta")).unwrap();
    // The worktrees' own home beside the checkout: its folders, and the home itself, are checked the same way.
    let home = yokeflow_core::workspace::worktree::work_home(dir.path());
    std::os::unix::fs::symlink(outside.path(), home.join("integration")).unwrap();
    assert!(MergeGate::open(dir.path(), GateConfig::new("main")).is_err(), "the integration folder is checked too");
    std::os::unix::fs::symlink(outside.path(), home.join("worktrees")).unwrap();
    assert!(Worktrees::open(dir.path()).is_err());
    fs::remove_dir_all(&home).unwrap();
    std::os::unix::fs::symlink(outside.path(), &home).unwrap();
    assert!(Worktrees::open(dir.path()).is_err(), "the home itself a link");
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}

/// Commits `file` = `text` on the branch checked out in `dir`.
fn commit_in(dir: &Path, file: &str, text: &str, message: &str) {
    write(dir, file, text);
    let repo = Repository::open(dir).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(file)).unwrap();
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[&head]).unwrap();
}

#[test]
fn continued_work_is_rebased_onto_the_target_keeping_uncommitted_files_and_a_conflict_changes_nothing() {
    use yokeflow_core::workspace::worktree::Rebase;
    let (dir, repo) = repo();
    // A repository hook must never run (nothing from a repository runs unapproved).
    let marker = dir.path().join("hook-ran");
    let hook = dir.path().join(".git/hooks/pre-rebase");
    fs::write(&hook, format!("#!/bin/sh\ntouch '{}'\n", marker.display())).unwrap();
    fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("a", tip(&repo, "main")).unwrap();
    commit_in(&info.path, "a.txt", "a\n", "a: work");
    write(&info.path, "notes.txt", "uncommitted\n");
    assert_eq!(wts.rebase_onto_target(&info, "main").unwrap(), Rebase::UpToDate);

    // The target moves on (another task landed).
    commit_in(dir.path(), "b.txt", "b\n", "b landed");
    let main = tip(&repo, "main");
    let Rebase::Rebased { info: rebased, behind } = wts.rebase_onto_target(&info, "main").unwrap() else {
        panic!("not rebased")
    };
    assert_eq!((behind, rebased.base_commit.clone()), (1, main.to_string()));
    let a = repo.find_commit(tip(&repo, &info.branch)).unwrap();
    assert_eq!((a.message(), a.parent_id(0).unwrap()), (Some("a: work"), main), "a's commit sits on the target");
    assert_eq!(fs::read_to_string(info.path.join("b.txt")).unwrap(), "b\n");
    assert_eq!(fs::read_to_string(info.path.join("notes.txt")).unwrap(), "uncommitted\n", "autostash kept it");
    assert!(!marker.exists(), "the repository's hook ran");

    // A conflicting target: the rebase is undone, branch and files as they were.
    commit_in(dir.path(), "a.txt", "the target's a\n", "a.txt on main");
    let before = tip(&repo, &info.branch);
    let Rebase::Conflict { files } = wts.rebase_onto_target(&rebased, "main").unwrap() else { panic!("no conflict") };
    assert_eq!(files, vec!["a.txt".to_string()]);
    assert_eq!(tip(&repo, &info.branch), before);
    assert_eq!(fs::read_to_string(info.path.join("a.txt")).unwrap(), "a\n");
    assert_eq!(fs::read_to_string(info.path.join("notes.txt")).unwrap(), "uncommitted\n");
    assert_eq!(Repository::open(&info.path).unwrap().state(), git2::RepositoryState::Clean, "no rebase left open");
}

#[test]
fn a_parked_branch_is_rebased_in_memory_and_a_folder_left_off_its_branch_is_made_anew_keeping_its_changes() {
    use yokeflow_core::workspace::worktree::{Parked, Rebase};
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("a", tip(&repo, "main")).unwrap();
    commit_in(&info.path, "a.txt", "a\n", "a: work");
    // Its work waits at the gate: the folder goes, the branch stays.
    assert_eq!(wts.park(&info).unwrap(), Parked::Removed);
    assert!(!info.path.exists() && branch_exists(&repo, &info.branch));

    // The target moves on; the branch is rebased without a folder, in one move of its ref.
    commit_in(dir.path(), "b.txt", "b\n", "b landed");
    let main = tip(&repo, "main");
    let Rebase::Rebased { info: rebased, behind } = wts.rebase_branch(&info.branch, "main").unwrap() else {
        panic!("not rebased")
    };
    assert_eq!((behind, rebased.base_commit.as_str(), rebased.id.as_str()), (1, &*main.to_string(), &*info.id));
    let a = repo.find_commit(tip(&repo, &info.branch)).unwrap();
    assert_eq!((a.message(), a.parent_id(0).unwrap()), (Some("a: work"), main));
    assert_eq!(file_in(&repo, a.id(), "a.txt").as_deref(), Some("a\n"));
    assert!(!info.path.exists(), "no folder was made");
    // A conflicting target leaves the branch as it was.
    commit_in(dir.path(), "a.txt", "the target's a\n", "a.txt on main");
    let before = tip(&repo, &info.branch);
    let Rebase::Conflict { files } = wts.rebase_branch(&info.branch, "main").unwrap() else { panic!("no conflict") };
    assert_eq!((files, tip(&repo, &info.branch)), (vec!["a.txt".to_string()], before));

    // A folder of the branch whose HEAD was left detached (a rebase cut short), with a change in it: reattaching
    // keeps the change aside and makes the folder anew on the branch.
    let again = wts.reattach("a", &info.branch).unwrap();
    git_in(&again.path, &["checkout", "-q", "--detach", "HEAD~1"]);
    write(&again.path, "stray.txt", "left behind\n");
    let fresh = wts.reattach("a", &info.branch).unwrap();
    assert_eq!(Repository::open(&fresh.path).unwrap().head().unwrap().shorthand(), Some(info.branch.as_str()));
    assert!(!fresh.path.join("stray.txt").exists());
    let kept: Vec<String> = repo
        .references_glob("refs/yokeflow/rescued/*")
        .unwrap()
        .flatten()
        .map(|r| r.peel_to_commit().unwrap().id().to_string())
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(file_in(&repo, Oid::from_str(&kept[0]).unwrap(), "stray.txt").as_deref(), Some("left behind\n"));
}

#[test]
fn kept_work_is_rebased_onto_the_commit_the_gate_trusts_not_a_tip_moved_outside_it() {
    use yokeflow_core::workspace::worktree::Rebase;
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("a", tip(&repo, "main")).unwrap();
    commit_in(&info.path, "a.txt", "a\n", "a: work");
    commit_in(dir.path(), "b.txt", "b\n", "b landed through the gate");
    let trusted = tip(&repo, "main");
    commit_in(dir.path(), "c.txt", "untested\n", "pushed to main by hand");
    let Rebase::Rebased { info: rebased, .. } = wts.rebase_onto_target(&info, &trusted.to_string()).unwrap() else {
        panic!("not rebased")
    };
    let a = repo.find_commit(tip(&repo, &info.branch)).unwrap();
    assert_eq!((a.parent_id(0).unwrap(), rebased.base_commit.clone()), (trusted, trusted.to_string()));
    assert!(!info.path.join("c.txt").exists(), "nothing of the untested commit is built on");
    // The same without a folder.
    assert_eq!(wts.park(&rebased).unwrap(), yokeflow_core::workspace::worktree::Parked::Removed);
    assert_eq!(wts.rebase_branch(&info.branch, &trusted.to_string()).unwrap(), Rebase::UpToDate);
    assert!(wts.rebase_branch(&info.branch, "0123456789012345678901234567890123456789").is_err(), "no such commit");
}

/// The tree of `commit` holds `file` with `text`.
fn file_in(repo: &Repository, commit: Oid, file: &str) -> Option<String> {
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    let entry = tree.get_path(Path::new(file)).ok()?;
    let blob = repo.find_blob(entry.id()).unwrap();
    Some(String::from_utf8_lossy(blob.content()).into_owned())
}

fn head_detached(dir: &Path) -> bool {
    Repository::open(dir).unwrap().head_detached().unwrap()
}

#[test]
fn a_slot_is_reset_for_the_next_task_keeping_ignored_build_outputs_and_saving_whatever_changed() {
    let (dir, repo) = repo();
    write(dir.path(), ".gitignore", "target/\n");
    yokeflow_core::sys::git::commit_all(&repo, "ignore target").unwrap();
    let wts = Worktrees::open(dir.path()).unwrap();

    // The slot's first task: a new folder named after the slot, on the task's own branch.
    let first = wts.acquire_slot("a", tip(&repo, "main"), 0).unwrap();
    assert!(!first.reused && first.rescued.is_none() && first.fallback.is_none(), "{first:?}");
    let a = first.info;
    assert_eq!(a.path.file_name().unwrap(), "slot-0");
    assert!(a.branch.starts_with("yokeflow/a-"));
    fs::create_dir_all(a.path.join("target/debug")).unwrap();
    write(&a.path, "target/debug/app", "a build output\n");
    commit_in(&a.path, "a.txt", "a\n", "a");
    assert_eq!(wts.list().unwrap(), vec![a.clone()], "the slot's task worktree is listed as any other");
    // Not landed yet: the slot is not freed.
    assert!(matches!(wts.release(&a, "main"), Err(CoreError::UnmergedWork { .. })));
    fast_forward(&repo, "main", tip(&repo, &a.branch));
    assert_eq!(wts.release(&a, "main").unwrap(), RemoveOutcome::Released { slot: "slot-0".into() });
    assert!(!branch_exists(&repo, &a.branch), "the landed branch is gone");
    assert!(a.path.is_dir() && head_detached(&a.path), "the folder stays, its HEAD detached");
    assert!(wts.list().unwrap().is_empty(), "a free slot is no task's worktree");
    let usage = yokeflow_core::workspace::worktree::disk_usage(dir.path()).unwrap();
    assert_eq!((usage.worktrees, usage.free_slots), (0, 1));

    // Between tasks someone edits the free folder: a tracked file, a new file, a new folder.
    write(&a.path, "README.md", "edited in the free slot\n");
    write(&a.path, "notes.txt", "a person's notes\n");
    fs::create_dir_all(a.path.join("scratch")).unwrap();
    write(&a.path, "scratch/x.txt", "x\n");
    let base = tip(&repo, "main");
    let next = wts.acquire_slot("b", base, 0).unwrap();
    assert!(next.reused && next.fallback.is_none(), "{next:?}");
    let b = next.info.clone();
    assert_eq!(b.path, a.path.canonicalize().unwrap());
    assert!(b.branch.starts_with("yokeflow/b-") && tip(&repo, &b.branch) == base);
    assert_eq!(Repository::open(&b.path).unwrap().head().unwrap().shorthand(), Some(b.branch.as_str()));
    // Reset: tracked files as the base has them, untracked ones gone, the ignored build output kept.
    assert_eq!(fs::read_to_string(b.path.join("README.md")).unwrap(), "hello\n");
    assert_eq!(fs::read_to_string(b.path.join("a.txt")).unwrap(), "a\n");
    assert!(!b.path.join("notes.txt").exists() && !b.path.join("scratch").exists());
    assert_eq!(fs::read_to_string(b.path.join("target/debug/app")).unwrap(), "a build output\n");
    assert!(git_status(&b.path).is_empty(), "{}", git_status(&b.path));
    // ... and nothing that was there is lost: it is committed on top of the folder's old HEAD.
    let kept = next.rescued.expect("the changes were saved");
    assert!(kept.starts_with("refs/yokeflow/rescued/slot-0-"), "{kept}");
    let saved = repo.refname_to_id(&kept).unwrap();
    assert_eq!(file_in(&repo, saved, "README.md").as_deref(), Some("edited in the free slot\n"));
    assert_eq!(file_in(&repo, saved, "notes.txt").as_deref(), Some("a person's notes\n"));
    assert_eq!(file_in(&repo, saved, "scratch/x.txt").as_deref(), Some("x\n"));
    assert_eq!(file_in(&repo, saved, "target/debug/app"), None, "ignored files are not saved: they stay");
    assert_eq!(repo.find_commit(saved).unwrap().parent_id(0).unwrap(), base);
    assert_eq!(wts.list().unwrap(), vec![b.clone()]);

    // While b waits (at the gate, or in Review) with its work in the folder, slot 0's next task gets another one.
    commit_in(&b.path, "b.txt", "b\n", "b");
    let other = wts.acquire_slot("c", base, 0).unwrap();
    assert!(!other.reused && other.fallback.is_none(), "{other:?}");
    assert_eq!(other.info.path.file_name().unwrap(), "slot-1");
    assert_eq!(fs::read_to_string(b.path.join("b.txt")).unwrap(), "b\n", "b's work is untouched");
    // c lands first; then d, in slot 0 again, finds slot-0 still busy and reuses slot-1.
    commit_in(&other.info.path, "c.txt", "c\n", "c");
    fast_forward(&repo, "main", tip(&repo, &other.info.branch));
    assert_eq!(wts.release(&other.info, "main").unwrap(), RemoveOutcome::Released { slot: "slot-1".into() });
    let d = wts.acquire_slot("d", tip(&repo, "main"), 0).unwrap();
    assert!(d.reused, "{d:?}");
    assert_eq!(d.info.path.file_name().unwrap(), "slot-1");
    commit_in(&d.info.path, "d.txt", "d\n", "d");

    // Free slot folders beyond what a run keeps are dropped (their changes saved first); a busy one never.
    assert!(wts.drop_free_slots(0).unwrap().is_empty(), "slot-0 holds b's work, slot-1 d's");
    let merged = repo.find_commit(tip(&repo, &d.info.branch)).unwrap();
    let b_tip = repo.find_commit(tip(&repo, &b.branch)).unwrap();
    let mut index = repo.merge_commits(&merged, &b_tip, None).unwrap();
    let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let both = repo.commit(None, &sig, &sig, "b and d", &tree, &[&merged, &b_tip]).unwrap();
    fast_forward(&repo, "main", both);
    wts.release(&b, "main").unwrap();
    wts.release(&d.info, "main").unwrap();
    write(&b.path, "late.txt", "written after b landed\n");
    assert_eq!(wts.drop_free_slots(2).unwrap(), Vec::<String>::new(), "slots 0 and 1 are kept for two");
    assert_eq!(wts.drop_free_slots(1).unwrap(), vec!["slot-1".to_string()]);
    assert_eq!(wts.drop_free_slots(0).unwrap(), vec!["slot-0".to_string()]);
    assert!(!b.path.exists() && !d.info.path.exists());
    let rescued: Vec<String> = repo
        .references_glob("refs/yokeflow/rescued/*")
        .unwrap()
        .flatten()
        .map(|r| r.name().unwrap().to_string())
        .collect();
    assert_eq!(rescued.len(), 2, "{rescued:?}");
    assert!(rescued.iter().any(|r| file_in(&repo, repo.refname_to_id(r).unwrap(), "late.txt").is_some()));
}

#[test]
fn a_slot_reset_cut_short_is_finished_to_a_free_folder_and_the_next_task_gets_the_slot() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let a = wts.acquire_slot("a", tip(&repo, "main"), 2).unwrap().info;
    commit_in(&a.path, "a.txt", "a\n", "a");
    fast_forward(&repo, "main", tip(&repo, &a.branch));
    wts.release(&a, "main").unwrap();
    let base = tip(&repo, "main");
    // What a process killed in the middle of the reset for task b leaves: b's new branch and the reset's mark, the
    // folder half checked out (HEAD moved to the branch, a tracked file not yet restored, a stray file), a lock.
    repo.branch("yokeflow/b-12345678", &repo.find_commit(base).unwrap(), false).unwrap();
    let mark = dir.path().join(".yokeflow/worktree-meta/slot-2.reset");
    fs::write(&mark, format!(r#"{{"branch":"yokeflow/b-12345678","base":"{base}"}}"#)).unwrap();
    Repository::open(&a.path).unwrap().set_head("refs/heads/yokeflow/b-12345678").unwrap();
    write(&a.path, "a.txt", "half written\n");
    write(&a.path, "stray.txt", "left by the cut-short checkout\n");

    assert_eq!(wts.finish_resets().unwrap(), vec!["slot-2".to_string()]);
    assert!(!mark.exists());
    assert!(head_detached(&a.path), "free again");
    assert_eq!(fs::read_to_string(a.path.join("a.txt")).unwrap(), "a\n");
    assert!(!a.path.join("stray.txt").exists());
    assert!(wts.list().unwrap().is_empty());
    // The branch has nothing of its own: the caller's reconciliation deletes it.
    assert_eq!(wts.orphan_branches().unwrap(), vec!["yokeflow/b-12345678".to_string()]);
    assert!(wts.delete_branch_if_merged("yokeflow/b-12345678", "main").unwrap());
    // And the slot serves the next task.
    let b = wts.acquire_slot("b", base, 2).unwrap();
    assert!(b.reused && b.rescued.is_none(), "{b:?}");
}

/// `git <args>` in `dir`, as an agent's shell would run it; panics when git fails.
fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(args).output().unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn yokeflow_commits_only_on_the_tasks_own_branch_never_where_an_agent_pointed_head() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let base = tip(&repo, "main");
    // A worktree whose agent pointed HEAD at the target and left files: nothing is committed anywhere.
    let info = wts.create("evil", base).unwrap();
    git_in(&info.path, &["symbolic-ref", "HEAD", "refs/heads/main"]);
    write(&info.path, "evil.txt", "x\n");
    let err = wts.commit_all(&info, "left by the agent").unwrap_err();
    assert!(matches!(err, CoreError::NotOnTaskBranch { .. }), "{err:?}");
    assert!(err.to_string().contains("`main` checked out instead of its own branch"), "{err}");
    assert_eq!(tip(&repo, "main"), base, "YokeFlow committed nothing onto the target");
    assert_eq!(tip(&repo, &info.branch), base);
    // Or at another task's branch, or detached: the same.
    let other = wts.create("other", base).unwrap();
    git_in(&info.path, &["symbolic-ref", "HEAD", &format!("refs/heads/{}", other.branch)]);
    assert!(matches!(wts.commit_all(&info, "m"), Err(CoreError::NotOnTaskBranch { .. })));
    git_in(&info.path, &["checkout", "-q", "--detach", &base.to_string()]);
    let err = wts.commit_all(&info, "m").unwrap_err();
    assert!(err.to_string().contains("detached HEAD"), "{err}");
    assert_eq!(tip(&repo, &other.branch), base);
}

#[test]
fn a_link_an_agent_leaves_is_committed_as_a_link_never_as_the_file_it_points_to() {
    let (dir, repo) = repo();
    let wts = Worktrees::open(dir.path()).unwrap();
    let info = wts.create("links", tip(&repo, "main")).unwrap();
    let secret = tempfile::tempdir().unwrap();
    fs::write(secret.path().join("secret"), "a secret outside the repository\n").unwrap();
    std::os::unix::fs::symlink(secret.path().join("secret"), info.path.join("leak")).unwrap();
    let commit = wts.commit_all(&info, "links").unwrap().unwrap();
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    let entry = tree.get_name("leak").unwrap();
    assert_eq!(entry.filemode(), 0o120000, "a link stays a link");
    let blob = repo.find_blob(entry.id()).unwrap();
    assert_eq!(Path::new(std::str::from_utf8(blob.content()).unwrap()), secret.path().join("secret"));

    // YokeFlow's other commits (expertise files, init's files) store links the same way.
    std::os::unix::fs::symlink(secret.path().join("secret"), dir.path().join("leak2")).unwrap();
    let oid = yokeflow_core::sys::git::commit_paths(&repo, dir.path(), &["leak2".to_string()], "m").unwrap().unwrap();
    let tree = repo.find_commit(oid).unwrap().tree().unwrap();
    let entry = tree.get_name("leak2").unwrap();
    assert_eq!(entry.filemode(), 0o120000);
    assert!(!String::from_utf8_lossy(repo.find_blob(entry.id()).unwrap().content()).contains("a secret"));
}
