//! The merge gate against real temporary repositories. Assertions are on the commit graph: where the target points,
//! what its parents and tree are, and that every value it ever took passed the tests.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::build::TreeUpdateBuilder;
use git2::{BranchType, FileMode, Oid, Repository, RepositoryInitOptions};
use yokeflow_core::error::CoreError;
use yokeflow_core::gate::merge::{GateConfig, LandOutcome, MergeGate};
use yokeflow_core::workspace::user_checkout::CheckoutSync;
#[path = "support/repo_dir.rs"]
mod repo_dir;
#[path = "support/rng.rs"]
mod rng;
use repo_dir::RepoDir;
use rng::Rng;

/// A repository on `main` whose first commit (made through the work tree) holds `a.txt` and `b.txt`.
/// A repository whose work tree is detached at the first commit of `main`: the person works elsewhere, so the
/// tests of the gate's own rules move `main` freely ([`repo_on_main`] for the tests of a checkout of `main`).
fn repo() -> (RepoDir, Repository) {
    let (dir, repo) = repo_on_main();
    let head = tip(&repo, "main");
    repo.set_head_detached(head).unwrap();
    (dir, repo)
}

/// A repository with `main` checked out (clean) in its work tree.
fn repo_on_main() -> (RepoDir, Repository) {
    let dir = RepoDir::new();
    let repo = Repository::init_opts(dir.path(), RepositoryInitOptions::new().initial_head("main")).unwrap();
    repo.config().unwrap().set_str("user.name", "Test").unwrap();
    repo.config().unwrap().set_str("user.email", "test@example.com").unwrap();
    fs::write(dir.path().join("a.txt"), "one\ntwo\nthree\n").unwrap();
    fs::write(dir.path().join("b.txt"), "b\n").unwrap();
    yokeflow_core::sys::git::commit_all(&repo, "initial").unwrap();
    (dir, repo)
}

fn gate(dir: &Path, test: Option<&[&str]>) -> MergeGate {
    let cfg = GateConfig {
        target_branch: "main".into(),
        test_command: test.map(|argv| argv.iter().map(|s| s.to_string()).collect()),
        test_timeout: Duration::from_secs(60),
        ..GateConfig::new("main")
    };
    MergeGate::open(dir, cfg).unwrap()
}

fn tip(repo: &Repository, branch: &str) -> Oid {
    repo.find_branch(branch, BranchType::Local).unwrap().get().peel_to_commit().unwrap().id()
}

/// Commits `changes` (path, new content or `None` to delete) on top of `parent` and points `branch` at the result.
/// In memory: no work tree is touched.
fn commit_on(repo: &Repository, branch: &str, parent: Oid, changes: &[(&str, Option<&str>)]) -> Oid {
    let parent = repo.find_commit(parent).unwrap();
    let mut update = TreeUpdateBuilder::new();
    for (path, content) in changes {
        match content {
            Some(text) => update.upsert(*path, repo.blob(text.as_bytes()).unwrap(), FileMode::Blob),
            None => update.remove(*path),
        };
    }
    let tree = repo.find_tree(update.create_updated(repo, &parent.tree().unwrap()).unwrap()).unwrap();
    let sig = git2::Signature::now("Test", "test@example.com").unwrap();
    let oid = repo.commit(None, &sig, &sig, &format!("change {branch}"), &tree, &[&parent]).unwrap();
    repo.reference(&format!("refs/heads/{branch}"), oid, true, "test").unwrap();
    oid
}

/// The content of `path` in `commit`'s tree, `None` when absent.
fn file_at(repo: &Repository, commit: Oid, path: &str) -> Option<String> {
    let tree = repo.find_commit(commit).unwrap().tree().unwrap();
    let entry = tree.get_path(Path::new(path)).ok()?;
    Some(String::from_utf8(repo.find_blob(entry.id()).unwrap().content().to_vec()).unwrap())
}

fn reachable(repo: &Repository, from: Oid, commit: Oid) -> bool {
    from == commit || repo.graph_descendant_of(from, commit).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn clean_merge_with_passing_tests_advances_to_a_merge_commit_with_both_sides() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let feature = commit_on(&repo, "feature", base, &[("f.txt", Some("feature\n"))]);
    let main_before = commit_on(&repo, "main", base, &[("m.txt", Some("main\n"))]);
    let gate = gate(dir.path(), Some(&["sh", "-c", "test -f f.txt && test -f m.txt && echo all-good"]));

    assert!(gate.conflicts("feature", "main").unwrap().is_empty());
    let outcome = gate.land("feature", "Merge feature").await.unwrap();
    let LandOutcome::Merged { commit, tested, attempts, .. } = outcome else { panic!("{outcome:?}") };
    assert!(tested);
    assert_eq!(attempts, 1);
    let merged = tip(&repo, "main");
    assert_eq!(merged.to_string(), commit);
    let merge = repo.find_commit(merged).unwrap();
    assert_eq!(merge.parent_ids().collect::<Vec<_>>(), vec![main_before, feature]);
    assert_eq!(merge.message(), Some("Merge feature"));
    assert_eq!(file_at(&repo, merged, "f.txt").as_deref(), Some("feature\n"));
    assert_eq!(file_at(&repo, merged, "m.txt").as_deref(), Some("main\n"));
    let log = fs::read_to_string(gate.log_path("feature")).unwrap();
    assert!(log.contains("all-good"), "{log}");

    assert_eq!(gate.land("feature", "again").await.unwrap(), LandOutcome::NothingToMerge);
    assert_eq!(tip(&repo, "main"), merged);
}

#[tokio::test]
async fn fast_forward_is_still_tested() {
    let (dir, repo) = repo_on_main();
    let gate = gate(dir.path(), Some(&["sh", "-c", "test ! -e FAIL"]));
    let base = tip(&repo, "main");
    commit_on(&repo, "bad", base, &[("FAIL", Some("x\n"))]);
    let outcome = gate.land("bad", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::TestsFailed { .. }), "{outcome:?}");
    assert_eq!(tip(&repo, "main"), base);

    let good = commit_on(&repo, "good", base, &[("g.txt", Some("g\n"))]);
    let outcome = gate.land("good", "m").await.unwrap();
    let updated = CheckoutSync::Updated;
    assert_eq!(outcome, LandOutcome::Merged { commit: good.to_string(), tested: true, attempts: 1, checkout: updated });
    assert_eq!(tip(&repo, "main"), good);
    // The user's clean checkout of main followed.
    assert_eq!(fs::read_to_string(dir.path().join("g.txt")).unwrap(), "g\n");
}

#[tokio::test]
async fn failing_tests_leave_the_target_unchanged_and_report_the_log() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let feature = commit_on(&repo, "yokeflow/feature-1234abcd", base, &[("f.txt", Some("feature\n"))]);
    let main_before = commit_on(&repo, "main", base, &[("m.txt", Some("main\n"))]);
    let gate = gate(dir.path(), Some(&["sh", "-c", "echo boom-from-the-tests >&2; exit 1"]));

    let outcome = gate.land("yokeflow/feature-1234abcd", "m").await.unwrap();
    let LandOutcome::TestsFailed { log_path, merged_tree_commit, .. } = outcome else { panic!("{outcome:?}") };
    assert_eq!(tip(&repo, "main"), main_before, "the target did not move");
    assert_eq!(log_path, dir.path().canonicalize().unwrap().join(".yokeflow/logs/yokeflow-feature-1234abcd-test.log"));
    let log = fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("boom-from-the-tests"), "{log}");
    assert!(log.contains("exit status: 1"), "{log}");
    let tested = repo.find_commit(Oid::from_str(&merged_tree_commit).unwrap()).unwrap();
    assert_eq!(tested.parent_ids().collect::<Vec<_>>(), vec![main_before, feature]);
}

#[tokio::test]
async fn conflict_then_scripted_resolution_lands() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let feature =
        commit_on(&repo, "feature", base, &[("a.txt", Some("one\nTWO-feature\nthree\n")), ("f.txt", Some("f\n"))]);
    let main_before = commit_on(&repo, "main", base, &[("a.txt", Some("one\nTWO-main\nthree\n"))]);
    let gate = gate(dir.path(), Some(&["sh", "-c", "! grep -q '<<<<<<<' a.txt"]));

    assert_eq!(gate.conflicts("feature", "main").unwrap(), strings(&["a.txt"]));
    let outcome = gate.land("feature", "m").await.unwrap();
    assert_eq!(outcome, LandOutcome::Conflict { files: strings(&["a.txt"]) });
    assert_eq!(tip(&repo, "main"), main_before);

    assert!(matches!(gate.finish_resolution("feature", "m").await, Err(CoreError::InvalidInput(_))), "not prepared");
    assert_eq!(gate.prepare_resolution("feature").unwrap(), strings(&["a.txt"]));
    let place = gate.resolution_path("feature");
    let conflicted = fs::read_to_string(place.join("a.txt")).unwrap();
    assert!(conflicted.contains("<<<<<<<") && conflicted.contains(">>>>>>>"), "{conflicted}");
    assert_eq!(fs::read_to_string(place.join("f.txt")).unwrap(), "f\n");

    // Markers left: refused, nothing moves.
    let err = gate.finish_resolution("feature", "Merge feature").await.unwrap_err();
    assert!(matches!(&err, CoreError::UnresolvedConflicts { files } if *files == strings(&["a.txt"])), "{err:?}");
    assert_eq!(err.code(), "unresolved_conflicts");
    assert_eq!(tip(&repo, "main"), main_before);

    // Half-resolved: still refused.
    fs::write(place.join("a.txt"), "one\nTWO-both\n=======\nthree\n").unwrap();
    assert!(matches!(gate.finish_resolution("feature", "m").await, Err(CoreError::UnresolvedConflicts { .. })));

    fs::write(place.join("a.txt"), "one\nTWO-both\nthree\n").unwrap();
    let outcome = gate.finish_resolution("feature", "Merge feature (resolved)").await.unwrap();
    let LandOutcome::Merged { commit, tested: true, attempts: 1, .. } = outcome else { panic!("{outcome:?}") };
    let landed = tip(&repo, "main");
    assert_eq!(landed.to_string(), commit);
    assert_eq!(repo.find_commit(landed).unwrap().parent_ids().collect::<Vec<_>>(), vec![main_before, feature]);
    assert_eq!(file_at(&repo, landed, "a.txt").as_deref(), Some("one\nTWO-both\nthree\n"));
    assert_eq!(file_at(&repo, landed, "f.txt").as_deref(), Some("f\n"));
    assert!(!place.exists(), "the resolution worktree is removed once merged");
    assert_eq!(gate.land("feature", "m").await.unwrap(), LandOutcome::NothingToMerge);
}

#[tokio::test]
async fn resolution_is_merged_again_when_the_target_moved_meanwhile() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let feature = commit_on(&repo, "feature", base, &[("a.txt", Some("one\nTWO-feature\nthree\n"))]);
    commit_on(&repo, "main", base, &[("a.txt", Some("one\nTWO-main\nthree\n"))]);
    let gate = gate(dir.path(), None);
    assert_eq!(gate.prepare_resolution("feature").unwrap(), strings(&["a.txt"]));
    fs::write(gate.resolution_path("feature").join("a.txt"), "one\nTWO-both\nthree\n").unwrap();
    let other = commit_on(&repo, "main", tip(&repo, "main"), &[("other.txt", Some("o\n"))]);

    let outcome = gate.finish_resolution("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { tested: false, attempts: 1, .. }), "{outcome:?}");
    let landed = tip(&repo, "main");
    assert!(reachable(&repo, landed, other) && reachable(&repo, landed, feature));
    assert_eq!(file_at(&repo, landed, "a.txt").as_deref(), Some("one\nTWO-both\nthree\n"));
    assert_eq!(file_at(&repo, landed, "other.txt").as_deref(), Some("o\n"));
}

/// The test command itself moves `main` (plumbing, in the user's repository) the first time it runs.
const MOVE_TARGET: &str = r#"set -e
if [ ! -e "$1" ]; then
  touch "$1"
  export GIT_DIR="$2/.git" GIT_INDEX_FILE="$1.index"
  git read-tree main
  blob=$(echo other | git hash-object -w --stdin)
  git update-index --add --cacheinfo "100644,$blob,other.txt"
  commit=$(git commit-tree "$(git write-tree)" -p main -m 'moved during the tests')
  git update-ref refs/heads/main "$commit"
fi"#;

#[tokio::test]
async fn target_moved_during_the_tests_is_redone_without_losing_an_update() {
    let (dir, repo) = repo();
    let scratch = tempfile::tempdir().unwrap();
    let mark = scratch.path().join("moved");
    let base = tip(&repo, "main");
    let feature = commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    let repo_dir = dir.path().to_str().unwrap();
    let gate = gate(dir.path(), Some(&["sh", "-c", MOVE_TARGET, "sh", mark.to_str().unwrap(), repo_dir]));

    let outcome = gate.land("feature", "Merge feature").await.unwrap();
    let LandOutcome::Merged { commit, tested: true, attempts: 2, .. } = outcome else { panic!("{outcome:?}") };
    let landed = tip(&repo, "main");
    assert_eq!(landed.to_string(), commit);
    let moved = repo.find_commit(landed).unwrap().parent_id(0).unwrap();
    assert_eq!(repo.find_commit(moved).unwrap().message(), Some("moved during the tests\n"));
    assert!(reachable(&repo, landed, moved), "the concurrent update is kept");
    assert!(reachable(&repo, landed, feature), "the branch is merged");
    assert_eq!(file_at(&repo, landed, "other.txt").as_deref(), Some("other\n"));
    assert_eq!(file_at(&repo, landed, "f.txt").as_deref(), Some("f\n"));
    assert!(fs::read_to_string(gate.log_path("feature")).unwrap().contains("attempt 2"));
}

#[tokio::test]
async fn a_branch_touching_a_file_the_person_changed_waits_and_the_command_it_names_frees_it() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("a.txt", Some("one\nfeature\nthree\n")), ("new.txt", Some("n\n"))]);
    fs::write(root.join("a.txt"), "user's unsaved edit\n").unwrap();
    fs::write(root.join("b.txt"), "staged edit\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("b.txt")).unwrap();
    index.write().unwrap();
    fs::write(root.join("untracked.txt"), "mine\n").unwrap();
    let watched = ["a.txt", "b.txt", "untracked.txt", ".git/index", ".git/HEAD"];
    let before: Vec<Vec<u8>> = watched.iter().map(|f| fs::read(root.join(f)).unwrap()).collect();

    let gate = gate(root, Some(&["sh", "-c", "test -f new.txt"]));
    let outcome = gate.land("feature", "m").await.unwrap();
    // The branch changes a.txt, which the person changed too: it waits, and says which file and how to free it.
    let LandOutcome::CheckoutBlocked { path, reason, tested } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(path.canonicalize().unwrap(), root.canonicalize().unwrap());
    assert!(!tested, "nothing was tested for a landing that cannot follow");
    assert!(reason.contains("your uncommitted change to a.txt"), "{reason}");
    assert!(reason.contains("stash push --include-untracked -- a.txt"), "{reason}");
    assert!(!reason.contains("b.txt") && !reason.contains("untracked.txt"), "only the file in the way: {reason}");
    assert_eq!(tip(&repo, "main"), base, "the target did not move");
    let after: Vec<Vec<u8>> = watched.iter().map(|f| fs::read(root.join(f)).unwrap()).collect();
    assert_eq!(before, after, "the user's files, index and HEAD are byte-identical");
    assert!(!root.join("new.txt").exists());

    // The person runs the command it named: only a.txt is put aside, the same branch lands, their checkout follows
    // and keeps the staged b.txt and the untracked file.
    let freeing = reason.split('`').find(|part| part.starts_with("git -C")).unwrap();
    let out = std::process::Command::new("sh").args(["-c", freeing]).output().unwrap();
    assert!(out.status.success(), "{freeing}: {}", String::from_utf8_lossy(&out.stderr));
    let outcome = gate.land("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(root.join("new.txt")).unwrap(), "n\n");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "one\nfeature\nthree\n");
    assert_eq!(fs::read_to_string(root.join("b.txt")).unwrap(), "staged edit\n");
    assert_eq!(fs::read_to_string(root.join("untracked.txt")).unwrap(), "mine\n");
    let staged =
        std::process::Command::new("git").arg("-C").arg(root).args(["diff", "--cached", "--name-only"]).output();
    assert_eq!(String::from_utf8_lossy(&staged.unwrap().stdout), "b.txt\n", "the staged change is still staged");
}

#[tokio::test]
async fn the_persons_unrelated_changes_never_stop_a_landing_and_follow_like_git_checkout() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    // Unstaged, staged and untracked changes, none in a file the branches touch.
    fs::write(root.join("a.txt"), "the person's unsaved edit\n").unwrap();
    fs::write(root.join("b.txt"), "staged\n").unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new("b.txt")).unwrap();
    index.write().unwrap();
    fs::write(root.join("notes.txt"), "untracked\n").unwrap();
    commit_on(&repo, "one", base, &[("one.txt", Some("1\n"))]);
    commit_on(&repo, "two", base, &[("a.txt", Some("two changed a\n"))]);
    commit_on(&repo, "three", base, &[("dir/three.txt", Some("3\n"))]);
    let count = tempfile::tempdir().unwrap();
    let argv = counting_test(&count.path().join("runs"));
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let gate = gate(root, Some(&argv));
    let out = gate.land_batch(&pairs(&["one", "two", "three"])).await;
    let out: Vec<LandOutcome> = out.into_iter().map(|o| o.unwrap()).collect();
    assert!(matches!(out[0], LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{:?}", out[0]);
    let LandOutcome::CheckoutBlocked { reason, .. } = &out[1] else { panic!("{:?}", out[1]) };
    assert!(reason.contains("a.txt"), "{reason}");
    assert!(matches!(out[2], LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{:?}", out[2]);
    assert_eq!(runs(&count.path().join("runs")), 1, "the two that can follow land with one test run");
    let main = tip(&repo, "main");
    assert!(reachable(&repo, main, tip(&repo, "one")) && reachable(&repo, main, tip(&repo, "three")));
    assert!(!reachable(&repo, main, tip(&repo, "two")));
    // The checkout shows the landed work and still holds every change of the person's.
    assert_eq!(fs::read_to_string(root.join("one.txt")).unwrap(), "1\n");
    assert_eq!(fs::read_to_string(root.join("dir/three.txt")).unwrap(), "3\n");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "the person's unsaved edit\n");
    assert_eq!(fs::read_to_string(root.join("notes.txt")).unwrap(), "untracked\n");
    let status =
        std::process::Command::new("git").arg("-C").arg(root).args(["status", "--porcelain"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), " M a.txt\nM  b.txt\n?? notes.txt\n", "no reverse changes");
}

#[tokio::test]
async fn a_linked_worktree_on_the_target_follows_and_keeps_its_changes() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    // The main work tree is on another branch; `main` is checked out in a linked worktree of the person's.
    commit_on(&repo, "side", base, &[("side.txt", Some("s\n"))]);
    repo.set_head("refs/heads/side").unwrap();
    repo.checkout_head(Some(git2::build::CheckoutBuilder::new().force())).unwrap();
    let linked = tempfile::tempdir().unwrap();
    let wt_path = linked.path().join("main-wt");
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["worktree", "add", "-q"])
        .arg(&wt_path)
        .arg("main")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let gate = gate(root, None);

    commit_on(&repo, "one", base, &[("one.txt", Some("1\n"))]);
    let outcome = gate.land("one", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(wt_path.join("one.txt")).unwrap(), "1\n", "the linked worktree followed");
    assert!(!root.join("one.txt").exists(), "the main work tree (on `side`) is not touched");

    // An edit there does not stop a landing that does not touch it; one that touches it waits.
    fs::write(wt_path.join("a.txt"), "an edit in the linked worktree\n").unwrap();
    let head = tip(&repo, "main");
    commit_on(&repo, "two", head, &[("two.txt", Some("2\n"))]);
    let outcome = gate.land("two", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(wt_path.join("two.txt")).unwrap(), "2\n");
    assert_eq!(fs::read_to_string(wt_path.join("a.txt")).unwrap(), "an edit in the linked worktree\n");
    let head = tip(&repo, "main");
    commit_on(&repo, "three", head, &[("a.txt", Some("three\n"))]);
    let outcome = gate.land("three", "m").await.unwrap();
    let LandOutcome::CheckoutBlocked { path, reason, .. } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(path.canonicalize().unwrap(), wt_path.canonicalize().unwrap());
    assert!(reason.contains(&format!("checked out in {}", path.display())) && reason.contains("a.txt"), "{reason}");
    assert_eq!(tip(&repo, "main"), head, "the target did not move");
    assert_eq!(fs::read_to_string(wt_path.join("a.txt")).unwrap(), "an edit in the linked worktree\n");
}

#[tokio::test]
async fn a_clean_checkout_follows_the_target_and_an_untracked_file_in_the_way_stops_the_landing() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    let gate = gate(root, None);
    commit_on(&repo, "one", base, &[("a.txt", Some("changed by one\n")), ("one.txt", Some("1\n"))]);
    fs::write(root.join("scratch.txt"), "an untracked file of the user\n").unwrap();
    let outcome = gate.land("one", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "changed by one\n");
    assert_eq!(fs::read_to_string(root.join("one.txt")).unwrap(), "1\n");
    assert_eq!(fs::read_to_string(root.join("scratch.txt")).unwrap(), "an untracked file of the user\n");
    let statuses = repo.statuses(None).unwrap();
    let changed: Vec<_> = statuses
        .iter()
        .filter(|s| !s.status().is_wt_new() && !s.status().is_ignored())
        .map(|s| s.path().unwrap().to_string())
        .collect();
    assert!(changed.is_empty(), "git status shows {changed:?} after following");

    // A file the landing adds already exists untracked: the file is kept, the branch does not move.
    let head = tip(&repo, "main");
    commit_on(&repo, "two", head, &[("scratch.txt", Some("theirs\n"))]);
    let outcome = gate.land("two", "m").await.unwrap();
    let LandOutcome::CheckoutBlocked { reason, .. } = &outcome else { panic!("{outcome:?}") };
    assert!(reason.contains("stash push --include-untracked -- scratch.txt"), "{reason}");
    assert_eq!(fs::read_to_string(root.join("scratch.txt")).unwrap(), "an untracked file of the user\n");
    assert_eq!(tip(&repo, "main"), head);

    // Another branch checked out: nothing to do.
    repo.set_head("refs/heads/one").unwrap();
    let now = tip(&repo, "main");
    commit_on(&repo, "three", now, &[("three.txt", Some("3\n"))]);
    let outcome = gate.land("three", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::NotOnTarget, .. }), "{outcome:?}");
    assert!(!root.join("three.txt").exists());
}

#[tokio::test]
async fn a_checkout_whose_index_is_only_stale_still_follows() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    let gate = gate(root, None);
    commit_on(&repo, "one", base, &[("a.txt", Some("changed by one\n"))]);
    // Only the file's times changed (a `touch`, a copy of the repository): the index's stat data is stale.
    let file = fs::File::options().write(true).open(root.join("a.txt")).unwrap();
    file.set_modified(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000)).unwrap();
    drop(file);
    let outcome = gate.land("one", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "changed by one\n");
    let out = std::process::Command::new("git").arg("-C").arg(root).args(["status", "--porcelain"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "", "the landed work shows as a pending change");
}

#[tokio::test]
async fn a_test_command_that_hangs_is_killed_with_its_process_group() {
    let (dir, repo) = repo();
    let scratch = tempfile::tempdir().unwrap();
    let pidfile = scratch.path().join("pid");
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    let cfg = GateConfig {
        target_branch: "main".into(),
        test_command: Some(strings(&[
            "sh",
            "-c",
            "sleep 30 & echo $! > \"$1\"; wait",
            "sh",
            pidfile.to_str().unwrap(),
        ])),
        // Long enough for `sh` to write the pid file even on a loaded machine; the hang lasts 30 s.
        test_timeout: Duration::from_secs(3),
        ..GateConfig::new("main")
    };
    let gate = MergeGate::open(dir.path(), cfg).unwrap();
    let started = Instant::now();
    let outcome = gate.land("feature", "m").await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(25), "the landing waited for the hung command");
    let LandOutcome::TestsFailed { log_path, .. } = outcome else { panic!("{outcome:?}") };
    assert!(fs::read_to_string(log_path).unwrap().contains("timed out"));
    assert_eq!(tip(&repo, "main"), base);
    let pid = fs::read_to_string(&pidfile).unwrap().trim().to_string();
    // SIGKILL was sent; the process is gone (or a zombie) once the kernel has delivered it.
    let alive = || fs::read_to_string(format!("/proc/{pid}/stat")).map(|s| !s.contains(") Z ")).unwrap_or(false);
    let deadline = Instant::now() + Duration::from_secs(20);
    while alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!alive(), "the background sleep {pid} was killed with the group");
}

#[tokio::test]
async fn missing_test_program_counts_as_a_failure() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    let gate = gate(dir.path(), Some(&["/nonexistent/yokeflow-test-runner"]));
    let outcome = gate.land("feature", "m").await.unwrap();
    let LandOutcome::TestsFailed { log_path, .. } = outcome else { panic!("{outcome:?}") };
    assert!(fs::read_to_string(log_path).unwrap().contains("cannot start"));
    assert_eq!(tip(&repo, "main"), base);
}

#[tokio::test]
async fn without_a_test_command_a_clean_merge_lands_untested() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    commit_on(&repo, "main", base, &[("m.txt", Some("m\n"))]);
    let outcome = gate(dir.path(), None).land("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { tested: false, attempts: 1, .. }), "{outcome:?}");
    let integration = yokeflow_core::workspace::worktree::work_home(dir.path()).join("integration");
    assert!(!integration.exists(), "no checkout is needed without tests");
}

// ---------------------------------------------------------------------------------------------------------------
// Batches: several waiting branches, one test run; a failing batch is bisected.

/// A test command that counts its runs in `count` and fails when the tested tree has a file `broken`.
fn counting_test(count: &Path) -> Vec<String> {
    let script = r#"echo run >> "$1"; test ! -e broken"#;
    strings(&["sh", "-c", script, "sh", count.to_str().unwrap()])
}

fn runs(count: &Path) -> usize {
    fs::read_to_string(count).map(|t| t.lines().count()).unwrap_or(0)
}

fn pairs(names: &[&str]) -> Vec<(String, String)> {
    names.iter().map(|n| (n.to_string(), format!("Merge {n}"))).collect()
}

#[tokio::test]
async fn a_batch_lands_with_one_test_run_each_branch_by_its_own_commit() {
    let (dir, repo) = repo();
    let scratch = tempfile::tempdir().unwrap();
    let count = scratch.path().join("count");
    let cfg = GateConfig { test_command: Some(counting_test(&count)), ..GateConfig::new("main") };
    let gate = MergeGate::open(dir.path(), cfg).unwrap();
    let base = tip(&repo, "main");
    for n in ["x", "y", "z"] {
        commit_on(&repo, n, base, &[(&format!("{n}.txt"), Some(n))]);
    }
    let out = gate.land_batch(&pairs(&["x", "y", "z"])).await;
    assert_eq!(runs(&count), 1, "one test run for the three");
    let commits: Vec<Oid> = out
        .iter()
        .map(|o| match o {
            Ok(LandOutcome::Merged { commit, tested: true, attempts: 1, .. }) => Oid::from_str(commit).unwrap(),
            other => panic!("{other:?}"),
        })
        .collect();
    // The target went straight to the last one's merge; each branch landed by its own merge commit, in order.
    let main = tip(&repo, "main");
    assert_eq!(main, commits[2]);
    // x, on the target's tip, goes first as a fast-forward (its own tip); y and z by their merges.
    assert_eq!(commits[0], tip(&repo, "x"));
    for (k, n) in ["x", "y", "z"].iter().enumerate().skip(1) {
        let c = repo.find_commit(commits[k]).unwrap();
        assert_eq!(c.parent_ids().collect::<Vec<_>>(), vec![commits[k - 1], tip(&repo, n)]);
        assert_eq!(c.message(), Some(format!("Merge {n}").as_str()));
    }
    for (k, n) in ["x", "y", "z"].iter().enumerate() {
        assert_eq!(file_at(&repo, commits[k], &format!("{n}.txt")).as_deref(), Some(*n));
        assert_eq!(file_at(&repo, main, &format!("{n}.txt")).as_deref(), Some(*n));
    }
    // The reflog: one move, from the base to the tested tip.
    let log = repo.reflog("refs/heads/main").unwrap();
    assert_eq!((log.get(0).unwrap().id_old(), log.get(0).unwrap().id_new()), (base, main));
}

/// A repository with branches `p`, `q`, `r` and `s` off `main`, `r` adding the file `broken` that fails the
/// counting test; its gate, and the scratch folder where `count` counts the test runs.
fn gate_with_four_branches_r_breaking() -> (RepoDir, Repository, tempfile::TempDir, PathBuf, MergeGate) {
    let (dir, repo) = repo();
    let scratch = tempfile::tempdir().unwrap();
    let count = scratch.path().join("count");
    let cfg = GateConfig { test_command: Some(counting_test(&count)), ..GateConfig::new("main") };
    let gate = MergeGate::open(dir.path(), cfg).unwrap();
    let base = tip(&repo, "main");
    for n in ["p", "q", "r", "s"] {
        let mut changes = vec![(format!("{n}.txt"), Some(n.to_string()))];
        if n == "r" {
            changes.push(("broken".into(), Some("r breaks the tests\n".into())));
        }
        let refs: Vec<(&str, Option<&str>)> = changes.iter().map(|(p, c)| (p.as_str(), c.as_deref())).collect();
        commit_on(&repo, n, base, &refs);
    }
    (dir, repo, scratch, count, gate)
}

#[tokio::test]
async fn a_failing_batch_is_bisected_and_only_the_branch_that_breaks_it_is_refused() {
    let (_dir, repo, _scratch, count, gate) = gate_with_four_branches_r_breaking();
    let out = gate.land_batch(&pairs(&["p", "q", "r", "s"])).await;
    // p+q+r+s fails; p+q passes and lands; r+s fails; r fails alone; s passes alone.
    assert_eq!(runs(&count), 5);
    for (k, n) in ["p", "q", "r", "s"].iter().enumerate() {
        match (&out[k], *n) {
            (Ok(LandOutcome::TestsFailed { log_path, merged_tree_commit, .. }), "r") => {
                assert!(log_path.ends_with("r-test.log"), "its own log: {log_path:?}");
                assert!(file_at(&repo, Oid::from_str(merged_tree_commit).unwrap(), "broken").is_some());
            }
            (Ok(LandOutcome::Merged { .. }), _) if *n != "r" => {}
            (other, _) => panic!("{n}: {other:?}"),
        }
    }
    let main = tip(&repo, "main");
    for n in ["p", "q", "s"] {
        assert!(reachable(&repo, main, tip(&repo, n)), "{n} landed");
    }
    assert!(!reachable(&repo, main, tip(&repo, "r")) && file_at(&repo, main, "broken").is_none());
    // Every value the target took was a tree that passed: p+q, then p+q+s.
    let log = repo.reflog("refs/heads/main").unwrap();
    let moves: Vec<_> = log.iter().filter(|e| !e.id_old().is_zero()).collect();
    assert_eq!(moves.len(), 2);
    for e in moves {
        assert!(file_at(&repo, e.id_new(), "broken").is_none());
    }
}

/// The same batch as above, with each branch's pre-flight: the failing batch leaves out `r`, whose own pre-flight
/// failed (it is refused with that log, never tested alone by the gate), and tests the other three again together,
/// so two test runs instead of five. A pre-flight that is still running when the batch fails is waited for.
#[tokio::test]
async fn a_failing_batch_leaves_out_the_branch_whose_preflight_failed_and_tests_the_rest_together() {
    use yokeflow_core::gate::merge::preflight::{Preflight, PREFLIGHT_NOTE};
    let (dir, repo, scratch, count, gate) = gate_with_four_branches_r_breaking();
    let own_log = scratch.path().join("preflight-r-test.log");
    let failed = Preflight::Failed { log_path: own_log.clone(), merged_tree_commit: tip(&repo, "r").to_string() };
    let watches: Vec<_> = ["p", "q", "r", "s"]
        .iter()
        .map(|n| tokio::sync::watch::channel(if *n == "p" { Preflight::Passed } else { Preflight::Running }))
        .collect();
    let receivers = watches.iter().map(|(_, rx)| Some(rx.clone())).collect();
    let senders: Vec<_> = watches.into_iter().map(|(tx, _)| tx).collect();
    // The pre-flights end while the gate tests the batch (q and s pass, r fails).
    let ended = async {
        // Once the gate's first test run has begun (whenever that is).
        while runs(&count) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        senders[1].send_replace(Preflight::Passed);
        senders[2].send_replace(failed.clone());
        senders[3].send_replace(Preflight::Passed);
    };
    let branches = pairs(&["p", "q", "r", "s"]);
    let (out, _) = tokio::join!(gate.land_batch_with(&branches, receivers), ended);
    assert_eq!(runs(&count), 2, "the batch, then the three without r");
    for (k, n) in ["p", "q", "r", "s"].iter().enumerate() {
        match (&out[k], *n) {
            (Ok(LandOutcome::TestsFailed { log_path, note, .. }), "r") => {
                assert_eq!(log_path, &own_log, "its pre-flight's log");
                assert_eq!(note.as_deref(), Some(PREFLIGHT_NOTE));
            }
            (Ok(LandOutcome::Merged { tested: true, .. }), _) if *n != "r" => {}
            (other, _) => panic!("{n}: {other:?}"),
        }
    }
    let main = tip(&repo, "main");
    for n in ["p", "q", "s"] {
        assert!(reachable(&repo, main, tip(&repo, n)), "{n} landed");
    }
    assert!(!reachable(&repo, main, tip(&repo, "r")) && file_at(&repo, main, "broken").is_none());
    // One move of the target, to the tested tree of the three.
    let log = repo.reflog("refs/heads/main").unwrap();
    assert_eq!(log.iter().filter(|e| !e.id_old().is_zero()).count(), 1);

    // No pre-flight failed (an interaction between branches): bisected as before.
    let count2 = scratch.path().join("count2");
    let cfg = GateConfig { test_command: Some(counting_test(&count2)), ..GateConfig::new("main") };
    let gate = MergeGate::open(dir.path(), cfg).unwrap();
    let base = tip(&repo, "main");
    commit_on(&repo, "u", base, &[("u.txt", Some("u"))]);
    commit_on(&repo, "v", base, &[("broken", Some("v\n"))]);
    let passed = || Some(tokio::sync::watch::channel(Preflight::Passed).1);
    let out = gate.land_batch_with(&pairs(&["u", "v"]), vec![passed(), passed()]).await;
    assert_eq!(runs(&count2), 3, "u+v, u, v");
    assert!(matches!(out[0], Ok(LandOutcome::Merged { .. })), "{:?}", out[0]);
    assert!(matches!(&out[1], Ok(LandOutcome::TestsFailed { note: None, .. })), "{:?}", out[1]);
}

#[tokio::test]
async fn a_branch_that_conflicts_only_with_one_before_it_waits_for_it_then_is_a_conflict_of_its_own() {
    let (dir, repo) = repo();
    let gate = gate(dir.path(), Some(&["true"]));
    let base = tip(&repo, "main");
    commit_on(&repo, "first", base, &[("a.txt", Some("first\n"))]);
    commit_on(&repo, "second", base, &[("a.txt", Some("second\n"))]);
    commit_on(&repo, "other", base, &[("o.txt", Some("o\n"))]);
    let out = gate.land_batch(&pairs(&["first", "second", "other"])).await;
    assert!(matches!(out[0], Ok(LandOutcome::Merged { .. })), "{:?}", out[0]);
    assert_eq!(out[1].as_ref().unwrap(), &LandOutcome::Conflict { files: vec!["a.txt".into()] });
    assert!(matches!(out[2], Ok(LandOutcome::Merged { .. })), "{:?}", out[2]);
    let main = tip(&repo, "main");
    assert_eq!(file_at(&repo, main, "a.txt").as_deref(), Some("first\n"));
    assert!(reachable(&repo, main, tip(&repo, "other")));
    // A missing branch is its own error; the others land.
    commit_on(&repo, "more", main, &[("m.txt", Some("m\n"))]);
    let out = gate.land_batch(&pairs(&["gone", "more"])).await;
    assert!(matches!(out[0], Err(CoreError::NotFound { .. })), "{:?}", out[0]);
    assert!(matches!(out[1], Ok(LandOutcome::Merged { .. })), "{:?}", out[1]);
}

// ---------------------------------------------------------------------------------------------------------------
// Randomized: injected failures and conflicts; after every step, every value the target ever took passed the tests.

const FILES: [&str; 3] = ["a.txt", "b.txt", "c.txt"];

/// Fails when a file `FAIL` exists; otherwise records the tested tree as passed. When the file `$2` exists, someone
/// else moves the target while the tests run (an empty commit on it: its tree already passed), once.
const RECORDING_TEST: &str = r#"if [ -e FAIL ]; then echo FAIL present; exit 1; fi
git rev-parse 'HEAD^{tree}' >> "$1"
if [ -e "$2" ]; then
  rm -f "$2"
  t=$(git -C "$YOKEFLOW_ROOT" rev-parse 'main^{tree}')
  c=$(git -C "$YOKEFLOW_ROOT" commit-tree "$t" -p main -m "someone else") && git -C "$YOKEFLOW_ROOT" update-ref refs/heads/main "$c"
fi"#;

struct Model {
    repo: Repository,
    passed_log: PathBuf,
    history: Vec<Oid>,
    violations: Vec<String>,
    counts: [usize; 5], // merged, tests failed, conflict, resolved-and-merged, refused resolutions
}

impl Model {
    fn target(&self) -> Oid {
        tip(&self.repo, "main")
    }

    /// Invariants after every step: the target only moves forward (no lost update) and only to trees that passed.
    fn check(&mut self, step: &str) {
        let now = self.target();
        let last = *self.history.last().unwrap();
        if now == last {
            return;
        }
        if !reachable(&self.repo, now, last) {
            self.violations.push(format!("{step}: target {now} dropped {last}"));
        }
        let passed = fs::read_to_string(&self.passed_log).unwrap_or_default();
        let tree = self.repo.find_commit(now).unwrap().tree_id().to_string();
        if !passed.lines().any(|l| l == tree) {
            self.violations.push(format!("{step}: target {now} has tree {tree} that never passed the tests"));
        }
        if file_at(&self.repo, now, "FAIL").is_some() {
            self.violations.push(format!("{step}: target {now} contains FAIL"));
        }
        self.history.push(now);
    }

    /// A new branch from the target or an older target value, editing one or two lines, sometimes adding FAIL.
    fn new_branch(&mut self, rng: &mut Rng, name: &str) {
        let base = if rng.chance(60) { self.target() } else { self.history[rng.index(self.history.len())] };
        let mut changes: Vec<(String, Option<String>)> = Vec::new();
        let first = rng.index(FILES.len());
        for k in 0..1 + rng.index(2) {
            let file = FILES[(first + k) % FILES.len()];
            let mut lines: Vec<String> = file_at(&self.repo, base, file)
                .unwrap_or_else(|| "1\n2\n3\n4\n5\n6\n".into())
                .lines()
                .map(str::to_string)
                .collect();
            let line = rng.index(lines.len());
            lines[line] = format!("{name}-{line}");
            changes.push((file.to_string(), Some(lines.join("\n") + "\n")));
        }
        if rng.chance(15) {
            changes.push(("FAIL".into(), Some("injected failure\n".into())));
        }
        let refs: Vec<(&str, Option<&str>)> = changes.iter().map(|(p, c)| (p.as_str(), c.as_deref())).collect();
        commit_on(&self.repo, name, base, &refs);
    }

    /// Records what the landing of a batch did for each of its branches, and checks it against the graph. True when
    /// a branch of it failed the tests (the batch was bisected).
    fn observe_batch(&mut self, step: &str, branches: &[String], outcomes: &[LandOutcome]) -> bool {
        let now = self.target();
        let mut failed = false;
        for (branch, outcome) in branches.iter().zip(outcomes) {
            let landed = reachable(&self.repo, now, tip(&self.repo, branch));
            match outcome {
                LandOutcome::Merged { commit, tested, .. } => {
                    self.counts[0] += 1;
                    let commit = Oid::from_str(commit).unwrap();
                    if !tested || !reachable(&self.repo, now, commit) || !landed {
                        self.violations.push(format!("{step}: {branch} Merged by {commit}, not on the target {now}"));
                    }
                }
                // Left out by its pre-flight (which may have lied): it must not be on the target.
                LandOutcome::TestsFailed { note: Some(note), .. }
                    if note == yokeflow_core::gate::merge::preflight::PREFLIGHT_NOTE =>
                {
                    self.counts[1] += 1;
                    failed = true;
                    if landed {
                        self.violations.push(format!("{step}: {branch} left out by its pre-flight but landed"));
                    }
                }
                LandOutcome::TestsFailed { merged_tree_commit, .. } => {
                    self.counts[1] += 1;
                    failed = true;
                    let tested = Oid::from_str(merged_tree_commit).unwrap();
                    if landed || file_at(&self.repo, tested, "FAIL").is_none() {
                        self.violations.push(format!("{step}: {branch} TestsFailed but landed or had no FAIL"));
                    }
                }
                LandOutcome::Conflict { .. } => {
                    self.counts[2] += 1;
                    if landed {
                        self.violations.push(format!("{step}: {branch} Conflict but on the target"));
                    }
                }
                LandOutcome::NothingToMerge => {}
                LandOutcome::CheckoutBlocked { reason, .. } => {
                    self.violations.push(format!("{step}: blocked by a clean checkout: {reason}"));
                }
                other => self.violations.push(format!("{step}: {branch}: unexpected {other:?}")),
            }
        }
        self.check(step);
        failed
    }

    /// Records what a landing did and checks it against the graph.
    fn observe(&mut self, step: &str, branch: &str, before: Oid, outcome: &LandOutcome) {
        let now = self.target();
        match outcome {
            LandOutcome::Merged { commit, tested, .. } => {
                self.counts[0] += 1;
                if !tested || commit != &now.to_string() || !reachable(&self.repo, now, tip(&self.repo, branch)) {
                    self.violations.push(format!("{step}: Merged {commit} but target is {now}"));
                }
            }
            LandOutcome::TestsFailed { merged_tree_commit, .. } => {
                self.counts[1] += 1;
                let tested = Oid::from_str(merged_tree_commit).unwrap();
                if now != before || file_at(&self.repo, tested, "FAIL").is_none() {
                    self.violations.push(format!("{step}: TestsFailed but target moved or tree had no FAIL"));
                }
            }
            LandOutcome::Conflict { .. } => {
                self.counts[2] += 1;
                if now != before {
                    self.violations.push(format!("{step}: Conflict but the target moved"));
                }
            }
            LandOutcome::NothingToMerge => {}
            LandOutcome::CheckoutBlocked { reason, .. } => {
                self.violations.push(format!("{step}: blocked by a clean checkout: {reason}"));
            }
            other => self.violations.push(format!("{step}: unexpected {other:?}")),
        }
        self.check(step);
    }
}

/// Resolves every conflicted file by taking the target's version with one line replaced; sometimes leaves the
/// markers first (which must be refused) or injects a failure.
async fn resolve(model: &mut Model, gate: &MergeGate, rng: &mut Rng, branch: &str, step: &str) -> LandOutcome {
    let files = gate.prepare_resolution(branch).unwrap();
    assert!(!files.is_empty(), "{step}: prepared a conflict that vanished");
    let place = gate.resolution_path(branch);
    if rng.chance(25) {
        let before = model.target();
        match gate.finish_resolution(branch, "resolve").await {
            Err(CoreError::UnresolvedConflicts { .. }) => model.counts[4] += 1,
            other => model.violations.push(format!("{step}: markers left but got {other:?}")),
        }
        if model.target() != before {
            model.violations.push(format!("{step}: refused resolution moved the target"));
        }
    }
    let target = model.target();
    for file in &files {
        let text = file_at(&model.repo, target, file).unwrap_or_else(|| "1\n".into());
        fs::write(place.join(file), format!("{text}resolved {branch}\n")).unwrap();
    }
    if rng.chance(20) {
        fs::write(place.join("FAIL"), "injected in the resolution\n").unwrap();
    }
    let before = model.target();
    let outcome = gate.finish_resolution(branch, &format!("Merge {branch} (resolved)")).await.unwrap();
    if matches!(outcome, LandOutcome::Merged { .. }) {
        model.counts[3] += 1;
    }
    model.observe(step, branch, before, &outcome);
    outcome
}

#[tokio::test]
async fn randomized_landings_only_ever_advance_the_target_to_tested_trees() {
    const SEEDS: u64 = 10;
    const STEPS: usize = 160;
    let mut total = [0usize; 5];
    let (mut batches, mut failed_batches, mut moved_during) = (0usize, 0usize, 0usize);
    let mut all_violations = Vec::new();
    for seed in 1..=SEEDS {
        let (dir, repo) = repo();
        let scratch = tempfile::tempdir().unwrap();
        let passed_log = scratch.path().join("passed");
        let first = tip(&repo, "main");
        // The initial commit is the target's first value; it counts as tested.
        fs::write(&passed_log, format!("{}\n", repo.find_commit(first).unwrap().tree_id())).unwrap();
        let move_flag = scratch.path().join("move-the-target");
        let argv = ["sh", "-c", RECORDING_TEST, "sh", passed_log.to_str().unwrap(), move_flag.to_str().unwrap()];
        let gate = gate(dir.path(), Some(&argv));
        let mut model = Model { repo, passed_log, history: vec![first], violations: Vec::new(), counts: [0; 5] };
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1234_5678_9abc_def1));
        let mut pending: Vec<String> = Vec::new();
        for step in 0..STEPS {
            let label = format!("seed {seed} step {step}");
            if pending.is_empty() || rng.chance(45) {
                let name = format!("b{step}");
                model.new_branch(&mut rng, &name);
                pending.push(name);
                continue;
            }
            if rng.chance(25) {
                // Someone else moves the target during the next test run.
                fs::write(&move_flag, "").unwrap();
            }
            let armed = move_flag.exists();
            if pending.len() >= 2 && rng.chance(40) {
                // Several branches waited: they land as one batch.
                let n = 2 + rng.index(pending.len().min(6) - 1);
                let chosen: Vec<String> = (0..n).map(|_| pending.swap_remove(rng.index(pending.len()))).collect();
                let pairs: Vec<(String, String)> = chosen.iter().map(|b| (b.clone(), format!("Merge {b}"))).collect();
                // Half the batches come with pre-flights, most of them truthful, some lying either way (a
                // pre-flight runs where an agent worked): what lands must still have passed the gate's own test.
                let mut preflights = Vec::new();
                if rng.chance(50) {
                    for b in &chosen {
                        let tip = tip(&model.repo, b);
                        let breaks = file_at(&model.repo, tip, "FAIL").is_some();
                        let says_failed = if rng.chance(80) { breaks } else { !breaks };
                        let state = match says_failed {
                            true => yokeflow_core::gate::merge::Preflight::Failed {
                                log_path: scratch.path().join(format!("preflight-{b}.log")),
                                merged_tree_commit: tip.to_string(),
                            },
                            false => yokeflow_core::gate::merge::Preflight::Passed,
                        };
                        preflights.push(Some(tokio::sync::watch::channel(state).1));
                    }
                }
                let outcomes: Vec<LandOutcome> =
                    gate.land_batch_with(&pairs, preflights).await.into_iter().map(|o| o.unwrap()).collect();
                batches += 1;
                moved_during += usize::from(armed && !move_flag.exists());
                failed_batches += usize::from(model.observe_batch(&label, &chosen, &outcomes));
                for (branch, outcome) in chosen.iter().zip(&outcomes) {
                    if matches!(outcome, LandOutcome::Conflict { .. }) && rng.chance(60) {
                        resolve(&mut model, &gate, &mut rng, branch, &label).await;
                    }
                }
                continue;
            }
            let branch = pending.swap_remove(rng.index(pending.len()));
            let before = model.target();
            let predicted = gate.conflicts(&branch, "main").unwrap();
            let outcome = gate.land(&branch, &format!("Merge {branch}")).await.unwrap();
            moved_during += usize::from(armed && !move_flag.exists());
            let landed_files = match &outcome {
                LandOutcome::Conflict { files } => files.clone(),
                _ => Vec::new(),
            };
            if predicted != landed_files {
                model.violations.push(format!("{label}: conflicts() said {predicted:?}, land found {landed_files:?}"));
            }
            model.observe(&label, &branch, before, &outcome);
            if matches!(outcome, LandOutcome::Conflict { .. }) && rng.chance(60) {
                resolve(&mut model, &gate, &mut rng, &branch, &label).await;
            }
        }
        for (t, c) in total.iter_mut().zip(model.counts) {
            *t += c;
        }
        all_violations.extend(model.violations);
    }
    assert!(all_violations.is_empty(), "{} violations:\n{}", all_violations.len(), all_violations.join("\n"));
    let [merged, failed, conflicts, resolved, refused] = total;
    eprintln!(
        "merged {merged}, tests failed {failed}, conflicts {conflicts}, resolved {resolved}, refused {refused}; \
         {batches} batches ({failed_batches} bisected), the target moved by someone else {moved_during} times"
    );
    assert!(merged + failed + conflicts >= 1000, "enough landings were exercised: {total:?}");
    assert!(merged > 0 && failed > 0 && conflicts > 0 && resolved > 0 && refused > 0, "{total:?}");
    assert!(batches >= 100 && failed_batches >= 10 && moved_during >= 50, "{batches} {failed_batches} {moved_during}");
}

#[tokio::test]
async fn the_gates_tests_get_their_own_port_range_and_the_main_checkout() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    let port = yokeflow_core::workspace::ports::first_port(
        yokeflow_core::workspace::ports::BASE_PORT,
        yokeflow_core::workspace::ports::GATE_SLOT,
    );
    let check = format!(
        "test \"$YOKEFLOW_PORT\" = {port} && test \"$YOKEFLOW_ROOT\" = '{}' && test \"$YOKEFLOW_WORKTREE\" = \"$PWD\"",
        dir.path().display()
    );
    let gate = gate(dir.path(), Some(&["sh", "-c", &check]));
    let outcome = gate.land("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { tested: true, .. }), "{outcome:?}: {}", {
        fs::read_to_string(gate.log_path("feature")).unwrap_or_default()
    });
}

// ---------------------------------------------------------------------------------------------------------------
// The gate owns its moves: whatever else moves the target, or touches what the gate tests, or plants programs in the
// repository's configuration, only tested trees land.

#[tokio::test]
async fn a_target_moved_outside_the_gate_is_tested_alone_and_a_failing_one_blames_no_branch() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let count = dir.path().join(".git/test-runs");
    let argv = counting_test(&count);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let gate = gate(dir.path(), Some(&argv));
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    // Something else (an agent with `git update-ref`) moves `main` to a tree that fails the tests.
    let broken = commit_on(&repo, "main", base, &[("broken", Some("x\n"))]);
    let outcome = gate.land("feature", "m").await.unwrap();
    let LandOutcome::TargetFailing { commit, log_path } = &outcome else { panic!("{outcome:?}") };
    assert_eq!(commit, &broken.to_string());
    let log = fs::read_to_string(log_path).unwrap();
    assert!(log.contains("moved outside the merge gate") && log.contains("testing it alone"), "{log}");
    assert_eq!(tip(&repo, "main"), broken, "nothing landed on top of it");
    assert_eq!(runs(&count), 1, "the target alone was tested once");
    // Asked again, it is not tested again: the same target still fails.
    let again = gate.land("feature", "m").await.unwrap();
    assert!(matches!(again, LandOutcome::TargetFailing { .. }), "{again:?}");
    assert_eq!(runs(&count), 1);
    let moves = gate.target_moves().lock().unwrap().clone();
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(
        (moves[0].from.as_str(), moves[0].to.as_str()),
        (base.to_string().as_str(), broken.to_string().as_str())
    );
    assert_eq!(moves[0].passed, Some(false));
    assert!(moves[0].by.contains("reflog"), "{}", moves[0].by);

    // A person fixes `main` (a commit on top that passes): it is tested alone, then the branch lands on it.
    let fixed = commit_on(&repo, "main", broken, &[("broken", None)]);
    let outcome = gate.land("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { tested: true, .. }), "{outcome:?}");
    let main = tip(&repo, "main");
    assert!(reachable(&repo, main, fixed) && reachable(&repo, main, tip(&repo, "feature")));
    assert_eq!(runs(&count), 3, "the fixed target alone, then the landing");
    let moves = gate.target_moves().lock().unwrap().clone();
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert_eq!((moves[1].from.as_str(), moves[1].passed), (base.to_string().as_str(), Some(true)));
    // The gate's own move is no outside move: the next landing is tested once.
    commit_on(&repo, "more", main, &[("m.txt", Some("m\n"))]);
    assert!(matches!(gate.land("more", "m").await.unwrap(), LandOutcome::Merged { .. }));
    assert_eq!(runs(&count), 4);
    assert_eq!(gate.target_moves().lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_daemon_left_by_the_tests_is_killed_and_a_tree_changed_under_the_tests_does_not_pass() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "feature", base, &[("f.txt", Some("f\n"))]);
    // The tests pass, but leave a daemon (its own session, out of the test's process group) that keeps editing a
    // tracked file of the tree under test; the test waits until it did once, so the outcome does not hang on timing.
    let script = r#"setsid sh -c 'while :; do echo tampered >> a.txt; sleep 0.01; done' &
until grep -q tampered a.txt; do sleep 0.01; done; exit 0"#;
    let gate = gate(dir.path(), Some(&["sh", "-c", script]));
    let outcome = gate.land("feature", "m").await.unwrap();
    let LandOutcome::TestsFailed { log_path, .. } = &outcome else { panic!("{outcome:?}") };
    let log = fs::read_to_string(log_path).unwrap();
    assert!(log.contains("no longer holds the tested tree") && log.contains("a.txt"), "{log}");
    assert_eq!(tip(&repo, "main"), base, "a tree changed while it was tested never lands");
    let root = dir.path().canonicalize().unwrap().display().to_string();
    let left = yokeflow_core::sys::process::processes_with(yokeflow_core::gate::merge::GATE_TESTS_ENV).remove(&root);
    assert!(left.is_none(), "the daemon outlived the tests: {left:?}");
}

#[tokio::test]
async fn no_program_planted_in_the_repositorys_git_config_runs_inside_the_gates_git_calls() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    // What an agent without a sandbox can plant in the `.git/config` it shares with the person.
    let ran = root.join(".git/planted-program-ran");
    let program = root.join(".git/planted.sh");
    fs::write(&program, format!("#!/bin/sh\necho \"$0 $*\" >> '{}'\ncat\n", ran.display())).unwrap();
    fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let cfg_path = root.join(".git/config");
    let mut cfg = fs::read_to_string(&cfg_path).unwrap();
    let p = program.display();
    cfg.push_str(&format!(
        "[core]\n\tfsmonitor = {p}\n\thooksPath = {hooks}\n[filter \"evil\"]\n\tclean = {p}\n\tsmudge = {p}\n\
         [merge \"evil\"]\n\tdriver = {p} %O %A %B\n",
        hooks = root.join(".git/evil-hooks").display()
    ));
    fs::write(&cfg_path, cfg).unwrap();
    fs::create_dir_all(root.join(".git/evil-hooks")).unwrap();
    for hook in ["post-checkout", "post-merge", "reference-transaction"] {
        let h = root.join(".git/evil-hooks").join(hook);
        fs::write(&h, format!("#!/bin/sh\necho hook >> '{}'\n", ran.display())).unwrap();
        fs::set_permissions(&h, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    }
    fs::write(root.join(".git/info/attributes"), "* filter=evil merge=evil\n").unwrap();
    // A landing the person's checkout follows (git's own update-index and read-tree run there), with a local edit.
    fs::write(root.join("b.txt"), "the person's edit\n").unwrap();
    commit_on(&repo, "feature", base, &[("a.txt", Some("feature\n")), ("f.txt", Some("f\n"))]);
    let gate = gate(root, Some(&["sh", "-c", "test -f f.txt"]));
    let outcome = gate.land("feature", "m").await.unwrap();
    assert!(matches!(outcome, LandOutcome::Merged { checkout: CheckoutSync::Updated, .. }), "{outcome:?}");
    assert_eq!(fs::read_to_string(root.join("a.txt")).unwrap(), "feature\n");
    assert_eq!(fs::read_to_string(root.join("b.txt")).unwrap(), "the person's edit\n");
    assert!(!ran.exists(), "a planted program ran: {}", fs::read_to_string(&ran).unwrap_or_default());
}

#[tokio::test]
async fn a_branch_whose_tree_holds_yokeflows_own_folder_is_refused() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "evil", base, &[(".yokeflow/resolve", Some("/etc\n")), ("x.txt", Some("x\n"))]);
    commit_on(&repo, "good", base, &[("g.txt", Some("g\n"))]);
    let gate = gate(dir.path(), Some(&["true"]));
    let out = gate.land_batch(&pairs(&["evil", "good"])).await;
    let Ok(LandOutcome::Refused { reason }) = &out[0] else { panic!("{:?}", out[0]) };
    assert!(reason.contains(".yokeflow"), "{reason}");
    assert!(matches!(out[1], Ok(LandOutcome::Merged { .. })), "{:?}", out[1]);
    assert!(file_at(&repo, tip(&repo, "main"), ".yokeflow/resolve").is_none());
}

#[tokio::test]
async fn yokeflows_folders_are_checked_for_links_at_each_use() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    let gate = gate(dir.path(), Some(&["true"]));
    commit_on(&repo, "one", base, &[("one.txt", Some("1\n"))]);
    assert!(matches!(gate.land("one", "m").await.unwrap(), LandOutcome::Merged { .. }));
    // Something replaces the gate's log folder by a link after the gate opened.
    let outside = tempfile::tempdir().unwrap();
    fs::remove_dir_all(dir.path().join(".yokeflow/logs")).unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join(".yokeflow/logs")).unwrap();
    commit_on(&repo, "two", tip(&repo, "main"), &[("two.txt", Some("2\n"))]);
    let err = gate.land("two", "m").await.unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0, "nothing was written through the link");
}

#[tokio::test]
async fn the_gate_tests_a_tree_with_what_it_declares_never_with_the_checkouts_dependencies() {
    let (dir, repo) = repo_on_main();
    let root = dir.path();
    let base = tip(&repo, "main");
    // The person's checkout has a package installed (as `npm install` leaves it); the branch's code uses it
    // without declaring or installing it. Node looks for `node_modules` in every folder above the tested tree.
    fs::create_dir_all(root.join("node_modules/dep")).unwrap();
    fs::write(root.join("node_modules/dep/index.js"), "module.exports = 'found';\n").unwrap();
    commit_on(&repo, "uses-dep", base, &[("index.js", Some("console.log(require('dep'));\n"))]);
    let gate = gate(root, Some(&["node", "index.js"]));
    let outcome = gate.land("uses-dep", "m").await.unwrap();
    let LandOutcome::TestsFailed { log_path, .. } = &outcome else { panic!("{outcome:?}: tested with the checkout's") };
    let log = fs::read_to_string(log_path).unwrap();
    assert!(log.contains("Cannot find module 'dep'"), "{log}");
    assert_eq!(tip(&repo, "main"), base);
    // Nothing above the gate's worktree is the checkout's.
    let integration = gate.integration_path().canonicalize().unwrap();
    assert!(!integration.starts_with(root.canonicalize().unwrap()), "{}", integration.display());
}

#[tokio::test]
async fn a_lockfile_change_that_nothing_installs_is_named_when_the_tests_fail() {
    let (dir, repo) = repo();
    let base = tip(&repo, "main");
    commit_on(&repo, "bump", base, &[("package-lock.json", Some("{\"dep\": \"2.0.0\"}\n"))]);
    commit_on(&repo, "plain", base, &[("p.txt", Some("p\n"))]);
    let failing = ["sh", "-c", "exit 1"];
    let gate = gate(dir.path(), Some(&failing));
    let LandOutcome::TestsFailed { note, .. } = gate.land("bump", "m").await.unwrap() else { panic!() };
    let note = note.expect("the lockfile is named");
    assert!(note.contains("package-lock.json") && note.contains("no setup command"), "{note}");
    let LandOutcome::TestsFailed { note, .. } = gate.land("plain", "m").await.unwrap() else { panic!() };
    assert_eq!(note, None, "no lockfile changed");
}
