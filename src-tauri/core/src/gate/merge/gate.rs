//! The gate itself ([`MergeGate`]): its configuration and outcomes, landing a batch (chain, test, compare-and-swap,
//! bisection), guarding the target against moves from outside, and the integration worktree.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use git2::build::CheckoutBuilder;
use git2::{ErrorCode, Oid, Repository};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::preflight::{Preflight, PreflightWatch};
use super::tests_run::{run_tests, TargetUpdateMark, TestRun};
use super::tree::{changed_paths, conflict_paths, detached_worktree, file_slug, moved_by, overlaps, predict_conflicts};
use crate::error::{CoreError, CoreResult};
use crate::sys::git::signature;
use crate::workspace::user_checkout::{self, CheckoutSync};
use crate::workspace::worktree::{branch_tip, ensure_excluded, state_dir};

/// How often [`MergeGate::land`] redoes merge and tests because the target moved, before giving up.
pub const MAX_ATTEMPTS: u32 = 5;
pub(super) const INTEGRATION_NAME: &str = "yokeflow-integration";

/// What the gate merges into and how it tests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateConfig {
    /// Short name of the branch that only ever advances to tested trees.
    pub target_branch: String,
    /// The project's test command (argv, run in the integration worktree); `None` merges untested.
    pub test_command: Option<Vec<String>>,
    /// The test command is killed (with its whole process group) after this long, and counts as failed.
    pub test_timeout: Duration,
    /// Ignored files of the main checkout copied (`include`) or linked (`link`) into the integration worktree
    /// before tests ([`crate::workspace::prepare::include_files`]).
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub link: Vec<String>,
    /// Run in the integration worktree before tests when it (or a lockfile) changed since it last succeeded there.
    #[serde(default)]
    pub setup: Option<Vec<String>>,
    /// The first port of the project's block: the tests get its gate range ([`crate::workspace::ports`]).
    #[serde(default = "default_port_base")]
    pub port_base: u16,
    /// The most branches one test run lands together ([`MergeGate::land_batch`]); 1 lands them one by one.
    #[serde(default = "default_max_batch")]
    pub max_batch: usize,
    /// The tests and the setup run confined as this says ([`crate::workspace::sandbox`]); `None`: not confined.
    #[serde(skip)]
    pub sandbox: Option<crate::workspace::sandbox::SandboxPolicy>,
}

/// Branches landed together at most, unless the project says otherwise.
pub const DEFAULT_MAX_BATCH: usize = 8;

pub(super) fn default_max_batch() -> usize {
    DEFAULT_MAX_BATCH
}

pub(super) fn default_port_base() -> u16 {
    crate::workspace::ports::BASE_PORT
}

impl GateConfig {
    /// A gate for `target_branch` with no test command and a 30-minute timeout.
    pub fn new(target_branch: impl Into<String>) -> GateConfig {
        GateConfig {
            target_branch: target_branch.into(),
            test_command: None,
            test_timeout: Duration::from_secs(1800),
            include: Vec::new(),
            link: Vec::new(),
            setup: None,
            port_base: crate::workspace::ports::BASE_PORT,
            max_batch: DEFAULT_MAX_BATCH,
            sandbox: None,
        }
    }
}

/// The result of one landing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LandOutcome {
    /// The target now points at `commit` (hex). `tested` is false when there is no test command; `attempts` counts
    /// the merge-and-test rounds (more than 1 when the target moved while testing); `checkout` says whether the
    /// user's checkout of the target followed ([`crate::workspace::user_checkout`]).
    Merged { commit: String, tested: bool, attempts: u32, checkout: CheckoutSync },
    /// The merged tree failed the tests (or timed out); the target did not move.
    /// `note` names a likely cause the gate saw (a lockfile changed and no setup command installs it).
    TestsFailed {
        log_path: PathBuf,
        merged_tree_commit: String,
        #[serde(default)]
        note: Option<String>,
    },
    /// The branch does not merge cleanly onto the target; the target did not move.
    Conflict { files: Vec<String> },
    /// Every commit of the branch is already on the target.
    NothingToMerge,
    /// The target is checked out in the work tree at `path`, whose files could not follow the landing (local
    /// changes, an untracked file in the way); the target did not move. `reason` names the command that frees it.
    /// `tested`: the tests had passed on the tree before the landing stopped.
    CheckoutBlocked { path: PathBuf, reason: String, tested: bool },
    /// Something other than the gate moved the target to `commit`, and that tree fails the tests (log at
    /// `log_path`): nothing lands on top of it and no branch is blamed; landings go on once the target passes again.
    TargetFailing { commit: String, log_path: PathBuf },
    /// The branch is never landed, whatever its tests say: `reason` says why (its tree holds `.yokeflow/`,
    /// YokeFlow's own folder).
    Refused { reason: String },
}

/// A move of the target that the gate did not make, seen before it landed anything on top of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TargetMove {
    /// The commit the gate had left the target at (hex).
    pub from: String,
    /// Where it found the target (hex).
    pub to: String,
    /// Who moved it, from the target's reflog (its message and identity), when git logged it.
    pub by: String,
    /// Whether `to` passed the tests run on it alone; `None` while untested (or with no test command).
    pub passed: Option<bool>,
    /// Announced already (by the run's merge queue); not part of the report.
    #[serde(skip)]
    #[ts(skip)]
    pub announced: bool,
}

/// The name of the test log of the target tested alone at `commit` (hex) ([`MergeGate::log_path`]).
pub fn target_label(commit: &str) -> String {
    format!("target-{}", &commit[..commit.len().min(12)])
}

/// The merge gate of one repository.
#[derive(Debug)]
pub struct MergeGate {
    pub(super) repo_path: PathBuf,
    pub(super) integration: PathBuf,
    pub(super) logs: PathBuf,
    pub(super) resolve_root: PathBuf,
    pub(super) cfg: GateConfig,
    /// Serialises landings: the integration worktree holds one candidate at a time.
    pub(super) busy: tokio::sync::Mutex<()>,
    /// How long each run of the test command took (ms), in order ([`MergeGate::test_times`]).
    pub(super) test_times: std::sync::Arc<std::sync::Mutex<Vec<u64>>>,
    /// The target as the gate knows it: where it was when the gate opened (the person's decision), then each commit
    /// the gate moved it to. A target found anywhere else was moved outside the gate ([`MergeGate::guard_target`]).
    pub(super) owned: std::sync::Arc<std::sync::Mutex<Oid>>,
    /// A target moved outside the gate whose tests failed: nothing lands on it, and it is not tested again.
    pub(super) failing: std::sync::Mutex<Option<(Oid, PathBuf)>>,
    /// The moves of the target the gate did not make, in order ([`MergeGate::target_moves`]).
    pub(super) moves: std::sync::Arc<std::sync::Mutex<Vec<TargetMove>>>,
}

/// One branch (or resolved merge) to land: its name for logs, the commit to land, the merge commit's message.
pub(super) struct Item {
    pub(super) label: String,
    pub(super) source: Oid,
    pub(super) message: String,
    /// The branch's pre-flight, when the run tests it on its own ([`super::preflight`]).
    pub(super) preflight: Option<PreflightWatch>,
}

/// What merging a group of items onto the target found ([`MergeGate::chain`]).
pub(super) struct Chain {
    /// The target commit the chain starts from.
    pub(super) onto: Oid,
    /// The items that merged, in order, each with the commit that lands it (its merge onto the one before, or its
    /// own tip for a fast-forward); the last one's tree is the one to test.
    pub(super) members: Vec<(usize, Oid)>,
    /// Items settled without a test: nothing to merge, or a conflict with the target itself.
    pub(super) settled: Vec<(usize, LandOutcome)>,
    /// Items that conflict only with a member before them (or are contained in one): the next round's.
    pub(super) deferred: Vec<usize>,
}

/// Items settled with their outcomes.
pub(super) type Settled = Vec<(usize, LandOutcome)>;

/// What one round of a group ended with: outcomes for some of its items, and the groups to land next, in order.
pub(super) struct Round {
    pub(super) outcomes: Vec<(usize, LandOutcome)>,
    pub(super) then: Vec<Vec<usize>>,
}

impl MergeGate {
    /// Opens the gate of the repository whose work tree contains `repo_path`. Creates `<repo>/.yokeflow/logs` and
    /// makes sure `/.yokeflow/` is in `.git/info/exclude`. The integration worktree is created on first use.
    pub fn open(repo_path: &Path, cfg: GateConfig) -> CoreResult<MergeGate> {
        if cfg.test_command.as_ref().is_some_and(|argv| argv.is_empty()) {
            return Err(CoreError::InvalidInput("the test command is empty".into()));
        }
        let repo_path = crate::sys::git::discover_workdir(repo_path)?;
        let repo = Repository::open(&repo_path)?;
        ensure_excluded(&repo)?;
        let logs = state_dir(&repo_path, "logs", true)?;
        let owned = branch_tip(&repo, &cfg.target_branch)?;
        Ok(MergeGate {
            owned: std::sync::Arc::new(std::sync::Mutex::new(owned)),
            failing: std::sync::Mutex::new(None),
            moves: Default::default(),
            integration: crate::workspace::worktree::work_dir(&repo_path, "integration", false)?,
            resolve_root: crate::workspace::worktree::work_dir(&repo_path, "resolve", false)?,
            logs,
            repo_path,
            cfg,
            busy: tokio::sync::Mutex::new(()),
            test_times: Default::default(),
        })
    }

    /// The gate's configuration.
    pub fn config(&self) -> &GateConfig {
        &self.cfg
    }

    /// The durations (ms) of the test command's runs so far, shared: it grows as the gate tests.
    pub fn test_times(&self) -> std::sync::Arc<std::sync::Mutex<Vec<u64>>> {
        self.test_times.clone()
    }

    /// The target as the gate knows it, shared: the last commit it tested there (or found there at its start). New
    /// work starts from it, never from a target moved outside the gate and not yet tested.
    pub fn trusted_target(&self) -> std::sync::Arc<std::sync::Mutex<Oid>> {
        self.owned.clone()
    }

    /// The moves of the target the gate did not make, shared: it grows as the gate finds them.
    pub fn target_moves(&self) -> std::sync::Arc<std::sync::Mutex<Vec<TargetMove>>> {
        self.moves.clone()
    }

    /// The integration worktree, where merged trees are tested.
    pub fn integration_path(&self) -> &Path {
        &self.integration
    }

    /// The worktree where [`MergeGate::prepare_resolution`] leaves the conflicted merge of `branch`.
    pub fn resolution_path(&self, branch: &str) -> PathBuf {
        self.resolve_root.join(file_slug(branch))
    }

    /// The test log of `branch`.
    pub fn log_path(&self, branch: &str) -> PathBuf {
        self.logs.join(format!("{}-test.log", file_slug(branch)))
    }

    /// The paths that conflict when `branch` is merged onto `onto` (branch names), sorted; empty when the merge is
    /// clean. In memory: no work tree or index is touched.
    pub fn conflicts(&self, branch: &str, onto: &str) -> CoreResult<Vec<String>> {
        let repo = self.repo()?;
        let (ours, theirs) = (branch_tip(&repo, onto)?, branch_tip(&repo, branch)?);
        predict_conflicts(&repo, ours, theirs)
    }

    /// Merges `branch` into the target through the gate (module docs): in-memory merge, tests on the merged tree in
    /// the integration worktree, compare-and-swap advance of the target, redone when the target moved. `message`
    /// is the merge commit's message (unused for a fast-forward).
    pub async fn land(&self, branch: &str, message: &str) -> CoreResult<LandOutcome> {
        let mut out = self.land_batch(&[(branch.to_string(), message.to_string())]).await;
        out.pop().unwrap_or_else(|| Err(CoreError::InvalidInput("nothing was landed".into())))
    }

    /// Lands the `(branch, message)` pairs, in this order, with as few test runs as the results allow (module
    /// docs, "Batches"): one outcome per pair, in the same order. A pair whose branch is missing gets its error;
    /// an error of the gate itself (git, the log folder) is every unsettled pair's.
    pub async fn land_batch(&self, branches: &[(String, String)]) -> Vec<CoreResult<LandOutcome>> {
        self.land_batch_with(branches, Vec::new()).await
    }

    /// [`MergeGate::land_batch`] with each branch's pre-flight (in the same order; missing ones: none): a failing
    /// batch leaves out the members whose own pre-flight failed and tests the others again together, before it
    /// would split them in halves.
    pub async fn land_batch_with(
        &self,
        branches: &[(String, String)],
        mut preflights: Vec<Option<PreflightWatch>>,
    ) -> Vec<CoreResult<LandOutcome>> {
        preflights.resize(branches.len(), None);
        let mut out: Vec<Option<CoreResult<LandOutcome>>> = branches.iter().map(|_| None).collect();
        let mut items = Vec::new();
        let mut first: Vec<usize> = Vec::new();
        match self.repo() {
            Ok(repo) => {
                for (i, ((branch, message), preflight)) in branches.iter().zip(preflights).enumerate() {
                    let source = match branch_tip(&repo, branch) {
                        Ok(source) => {
                            first.push(i);
                            source
                        }
                        Err(e) => {
                            out[i] = Some(Err(e));
                            Oid::zero()
                        }
                    };
                    items.push(Item { label: branch.clone(), source, message: message.clone(), preflight });
                }
            }
            Err(e) => return branches.iter().map(|_| Err(CoreError::InvalidInput(e.to_string()))).collect(),
        }
        self.land_items(&items, first, &mut out).await;
        out.into_iter().map(|o| o.unwrap_or_else(|| Err(CoreError::InvalidInput("not landed".into())))).collect()
    }

    /// Lands the groups of `items` (starting with `first`) one after another, splitting failed batches, until every
    /// item has its outcome in `out`.
    pub(super) async fn land_items(
        &self,
        items: &[Item],
        first: Vec<usize>,
        out: &mut [Option<CoreResult<LandOutcome>>],
    ) {
        let _busy = self.busy.lock().await;
        let mut groups: std::collections::VecDeque<Vec<usize>> = std::collections::VecDeque::new();
        if !first.is_empty() {
            groups.push_back(first);
        }
        while let Some(group) = groups.pop_front() {
            match self.land_group(items, &group).await {
                Ok(round) => {
                    for (i, outcome) in round.outcomes {
                        out[i] = Some(Ok(outcome));
                    }
                    for g in round.then.into_iter().rev().filter(|g| !g.is_empty()) {
                        groups.push_front(g);
                    }
                }
                Err(e) => {
                    let text = e.to_string();
                    let mut e = Some(e);
                    for &i in &group {
                        out[i] = Some(Err(e.take().unwrap_or_else(|| CoreError::InvalidInput(text.clone()))));
                    }
                }
            }
        }
    }

    /// One group: merged into a chain, the chain's tree tested once, the target moved to it (redone when the target
    /// moved meanwhile). A failing chain of several is split in halves for the next rounds.
    pub(super) async fn land_group(&self, items: &[Item], group: &[usize]) -> CoreResult<Round> {
        for attempt in 1..=MAX_ATTEMPTS {
            self.check_dirs()?;
            let onto = branch_tip(&self.repo()?, &self.cfg.target_branch)?;
            // A target moved by anything but the gate is tested alone before anything lands on it.
            if let Some(outcome) = self.guard_target(onto).await? {
                return Ok(Round { outcomes: group.iter().map(|&i| (i, outcome.clone())).collect(), then: Vec::new() });
            }
            // A branch that changes a file the person changed in a checkout of the target waits, alone.
            let (group, waiting) = self.in_the_way(items, group, onto)?;
            let chain = self.chain(items, &group, onto)?;
            let Chain { onto, members, mut settled, deferred } = chain;
            settled.extend(waiting);
            let Some(&(_, tip)) = members.last() else {
                return Ok(Round { outcomes: settled, then: vec![deferred] });
            };
            let label = match members.as_slice() {
                [(only, _)] => items[*only].label.clone(),
                [(first, _), ..] => format!("batch-{}-and-{}-more", items[*first].label, members.len() - 1),
                [] => unreachable!("members is not empty"),
            };
            let blocked = |b: user_checkout::Blocker, tested: bool| LandOutcome::CheckoutBlocked {
                path: b.path,
                reason: b.reason,
                tested,
            };
            // A work tree on the target that could not follow stops the landing before (and after) the tests: of a
            // batch, only the branch it cannot follow waits (the halves land on their own, as for failing tests).
            let stop = |b: user_checkout::Blocker,
                        tested: bool,
                        mut settled: Vec<(usize, LandOutcome)>,
                        deferred: Vec<usize>| {
                if let [(only, _)] = members.as_slice() {
                    settled.push((*only, blocked(b, tested)));
                    return Round { outcomes: settled, then: vec![deferred] };
                }
                let ids: Vec<usize> = members.iter().map(|&(i, _)| i).collect();
                let (a, b) = ids.split_at(ids.len() / 2);
                Round { outcomes: settled, then: vec![a.to_vec(), b.to_vec(), deferred] }
            };
            if let Some(b) = self.checkout_blocker(onto, tip).await {
                return Ok(stop(b, false, settled, deferred));
            }
            let tested = self.cfg.test_command.is_some();
            if let Some(argv) = &self.cfg.test_command {
                self.checkout_integration(tip)?;
                let failed = match self.prepare_integration(&label).await? {
                    Some(log_path) => Some(log_path),
                    None => {
                        let log_path = self.log_path(&label);
                        let names: Vec<&str> = members.iter().map(|&(i, _)| items[i].label.as_str()).collect();
                        let header = format!("{}, attempt {attempt}, testing commit {tip}", names.join(" + "));
                        let t0 = std::time::Instant::now();
                        let passed = self.run_tests(argv, &log_path, &header).await?;
                        self.test_times.lock().unwrap_or_else(|e| e.into_inner()).push(t0.elapsed().as_millis() as u64);
                        let passed = passed && self.untampered(tip, &log_path)?;
                        (!passed).then_some(log_path)
                    }
                };
                if let Some(log_path) = failed {
                    if let [(only, commit)] = members.as_slice() {
                        let note = self.uninstalled_lockfiles(onto, *commit);
                        let merged_tree_commit = commit.to_string();
                        let outcome = LandOutcome::TestsFailed { log_path, merged_tree_commit, note };
                        settled.push((*only, outcome));
                        return Ok(Round { outcomes: settled, then: vec![deferred] });
                    }
                    // Which one broke it: the members whose own pre-flight failed are out, the others tested again
                    // together; else each half lands (or is split again) on its own.
                    let ids: Vec<usize> = members.iter().map(|&(i, _)| i).collect();
                    let (out, rest) = preflight_failures(items, &ids).await;
                    if !out.is_empty() {
                        settled.extend(out);
                        return Ok(Round { outcomes: settled, then: vec![rest, deferred] });
                    }
                    let (a, b) = ids.split_at(ids.len() / 2);
                    return Ok(Round { outcomes: settled, then: vec![a.to_vec(), b.to_vec(), deferred] });
                }
                if let Some(b) = self.checkout_blocker(onto, tip).await {
                    return Ok(stop(b, true, settled, deferred));
                }
            }
            if self.advance(onto, tip, &label)? {
                *self.owned.lock().unwrap_or_else(|e| e.into_inner()) = tip;
                let (repo, target) = (self.repo_path.clone(), self.cfg.target_branch.clone());
                // A work-tree scan and a git process: off the async threads.
                let checkout = tokio::task::spawn_blocking(move || user_checkout::follow(&repo, &target, onto, tip))
                    .await
                    .unwrap_or_else(|e| CheckoutSync::Left { reason: format!("the check stopped: {e}") });
                settled.extend(members.iter().map(|&(i, commit)| {
                    let commit = commit.to_string();
                    (i, LandOutcome::Merged { commit, tested, attempts: attempt, checkout: checkout.clone() })
                }));
                return Ok(Round { outcomes: settled, then: vec![deferred] });
            }
        }
        Err(CoreError::TargetContended { target: self.cfg.target_branch.clone(), attempts: MAX_ATTEMPTS })
    }

    /// Before landing on `onto`, the current target: `None` when the gate may land on it, that is when the gate put
    /// it there (or found it there at its start), or when it was moved outside the gate and its tree passed the tests
    /// run on it alone (with no test command it is taken as it is). A move the gate did not make is recorded
    /// ([`MergeGate::target_moves`], with who made it from the reflog); one whose tests fail gives
    /// [`LandOutcome::TargetFailing`] for every landing until the target moves again.
    pub(super) async fn guard_target(&self, onto: Oid) -> CoreResult<Option<LandOutcome>> {
        let known = *self.owned.lock().unwrap_or_else(|e| e.into_inner());
        if onto == known {
            return Ok(None);
        }
        if let Some((commit, log_path)) = self.failing.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            if commit == onto {
                return Ok(Some(LandOutcome::TargetFailing { commit: commit.to_string(), log_path }));
            }
        }
        let by = moved_by(&self.repo()?, &self.cfg.target_branch, onto);
        let record = |passed: Option<bool>| {
            let mut moves = self.moves.lock().unwrap_or_else(|e| e.into_inner());
            match moves.last_mut() {
                Some(m) if m.to == onto.to_string() && m.passed.is_none() => m.passed = passed,
                _ => moves.push(TargetMove {
                    from: known.to_string(),
                    to: onto.to_string(),
                    by: by.clone(),
                    passed,
                    announced: false,
                }),
            }
        };
        record(None);
        let Some(argv) = &self.cfg.test_command else {
            *self.owned.lock().unwrap_or_else(|e| e.into_inner()) = onto;
            return Ok(None);
        };
        let label = target_label(&onto.to_string());
        self.checkout_integration(onto)?;
        let failed = match self.prepare_integration(&label).await? {
            Some(log_path) => Some(log_path),
            None => {
                let log_path = self.log_path(&label);
                let header = format!(
                    "`{}` was moved outside the merge gate from {known} to {onto} ({by}): testing it alone",
                    self.cfg.target_branch
                );
                let passed = self.run_tests(argv, &log_path, &header).await?;
                let passed = passed && self.untampered(onto, &log_path)?;
                (!passed).then_some(log_path)
            }
        };
        record(Some(failed.is_none()));
        match failed {
            None => {
                *self.owned.lock().unwrap_or_else(|e| e.into_inner()) = onto;
                *self.failing.lock().unwrap_or_else(|e| e.into_inner()) = None;
                Ok(None)
            }
            Some(log_path) => {
                *self.failing.lock().unwrap_or_else(|e| e.into_inner()) = Some((onto, log_path.clone()));
                Ok(Some(LandOutcome::TargetFailing { commit: onto.to_string(), log_path }))
            }
        }
    }

    /// The first work tree on the target that could not follow a move from `onto` to `commit`
    /// ([`user_checkout::blocker`]; a work-tree scan and a git process, off the async threads).
    pub(super) async fn checkout_blocker(&self, onto: Oid, commit: Oid) -> Option<user_checkout::Blocker> {
        let (repo, target) = (self.repo_path.clone(), self.cfg.target_branch.clone());
        tokio::task::spawn_blocking(move || user_checkout::blocker(&repo, &target, onto, commit)).await.unwrap_or_else(
            |e| {
                Some(user_checkout::Blocker { path: self.repo_path.clone(), reason: format!("the check stopped: {e}") })
            },
        )
    }

    /// Before tests in the integration worktree: the included files, and the setup command when it or a lockfile
    /// changed since it last succeeded there. `Some(log)` when the setup failed (the landing counts as failed tests).
    pub(super) async fn prepare_integration(&self, label: &str) -> CoreResult<Option<PathBuf>> {
        let cfg = &self.cfg;
        if !cfg.include.is_empty() || !cfg.link.is_empty() {
            let (root, dir, include, link) =
                (self.repo_path.clone(), self.integration.clone(), cfg.include.clone(), cfg.link.clone());
            crate::sys::concurrency::blocking(move || {
                crate::workspace::prepare::include_files(&root, &dir, &include, &link)
            })
            .await?;
        }
        let Some(argv) = &cfg.setup else { return Ok(None) };
        let marker = state_dir(&self.repo_path, "gate", true)?.join("setup.fingerprint");
        // The folder's identity too: a worktree made afresh (after a prune) has none of the setup's output.
        let fingerprint = crate::workspace::prepare::folder_fingerprint(argv, &self.integration)?;
        if std::fs::read_to_string(&marker).is_ok_and(|f| f.trim() == fingerprint) {
            return Ok(None);
        }
        let log_path = self.logs.join(format!("{}-setup.log", file_slug(label)));
        let run = crate::workspace::prepare::CommandRun {
            argv,
            dir: &self.integration,
            root: &self.repo_path,
            slot: Some(crate::workspace::ports::GATE_SLOT),
            port_base: cfg.port_base,
            task_id: None,
            log_path: &log_path,
            timeout: cfg.test_timeout,
            sandbox: cfg.sandbox.as_ref(),
        };
        let header = format!("yokeflow merge gate: setup before testing {label}");
        let end = crate::workspace::prepare::run_command(run, &header, &crate::sys::concurrency::Cancel::new()).await?;
        if end.problem().is_some() {
            let _ = std::fs::remove_file(&marker);
            return Ok(Some(log_path));
        }
        std::fs::write(&marker, &fingerprint)
            .map_err(|e| CoreError::io(format!("cannot write {}", marker.display()), e))?;
        Ok(None)
    }

    /// The items of `group` that change a file the person changed in a work tree that has the target checked out
    /// ([`user_checkout::changed_paths`]) are settled as [`LandOutcome::CheckoutBlocked`], each naming those files;
    /// the rest of the group goes on. What a branch changes is what it brings onto `onto` (from their merge base).
    pub(super) fn in_the_way(&self, items: &[Item], group: &[usize], onto: Oid) -> CoreResult<(Vec<usize>, Settled)> {
        let target = &self.cfg.target_branch;
        let theirs = user_checkout::changed_paths(&self.repo_path, target)?;
        if theirs.is_empty() {
            return Ok((group.to_vec(), Vec::new()));
        }
        let repo = self.repo()?;
        let (mut go, mut wait) = (Vec::new(), Vec::new());
        for &i in group {
            let source = items[i].source;
            let base = repo.merge_base(onto, source)?;
            let mut changes = BTreeSet::new();
            let (old, new) = (repo.find_commit(base)?.tree()?, repo.find_commit(source)?.tree()?);
            changed_paths(&repo, Some(&old), Some(&new), &mut Vec::new(), &mut changes)?;
            let hit: Vec<&(String, PathBuf)> =
                theirs.iter().filter(|(path, _)| overlaps(path.as_bytes(), &changes)).collect();
            match hit.first() {
                None => go.push(i),
                Some((_, dir)) => {
                    let files: Vec<String> =
                        hit.iter().filter(|(_, d)| d == dir).map(|(path, _)| path.clone()).collect();
                    let reason = user_checkout::in_the_way(target, dir, &files);
                    wait.push((i, LandOutcome::CheckoutBlocked { path: dir.clone(), reason, tested: false }));
                }
            }
        }
        Ok((go, wait))
    }

    /// Step (1)-(2) for a group: its items merged in order onto the target commit `onto`, each onto the one before
    /// (module docs).
    pub(super) fn chain(&self, items: &[Item], group: &[usize], onto: Oid) -> CoreResult<Chain> {
        let repo = self.repo()?;
        let mut chain = Chain { onto, members: Vec::new(), settled: Vec::new(), deferred: Vec::new() };
        let mut cur = onto;
        let sig = signature(&repo)?;
        for &i in group {
            let source = items[i].source;
            if repo.find_commit(source)?.tree()?.get_name(".yokeflow").is_some() {
                let reason =
                    "its tree holds `.yokeflow`, YokeFlow's own folder (worktrees, logs, locks): a branch that \
                              carries it is never landed; remove it from the branch"
                        .to_string();
                chain.settled.push((i, LandOutcome::Refused { reason }));
                continue;
            }
            if cur == source || repo.graph_descendant_of(cur, source)? {
                if onto == source || repo.graph_descendant_of(onto, source)? {
                    chain.settled.push((i, LandOutcome::NothingToMerge));
                } else {
                    // Contained in a member before it: it lands with that one, or is tried again after.
                    chain.deferred.push(i);
                }
                continue;
            }
            if repo.graph_descendant_of(source, cur)? {
                chain.members.push((i, source));
                cur = source;
                continue;
            }
            let (ours, theirs) = (repo.find_commit(cur)?, repo.find_commit(source)?);
            let mut index = repo.merge_commits(&ours, &theirs, None)?;
            if index.has_conflicts() {
                if cur == onto {
                    chain.settled.push((i, LandOutcome::Conflict { files: conflict_paths(&index)? }));
                } else {
                    match predict_conflicts(&repo, onto, source)? {
                        files if files.is_empty() => chain.deferred.push(i),
                        files => chain.settled.push((i, LandOutcome::Conflict { files })),
                    }
                }
                continue;
            }
            let tree = repo.find_tree(index.write_tree_to(&repo)?)?;
            let commit = repo.commit(None, &sig, &sig, &items[i].message, &tree, &[&ours, &theirs])?;
            chain.members.push((i, commit));
            cur = commit;
        }
        Ok(chain)
    }

    /// Step (3): moves the target from `onto` to `commit` if it still points at `onto`. `false` when it moved.
    pub(super) fn advance(&self, onto: Oid, commit: Oid, label: &str) -> CoreResult<bool> {
        let repo = self.repo()?;
        // If this process dies while git's lock on the target ref is held, recovery knows the lock is ours.
        let _mark = TargetUpdateMark::new(&self.repo_path)?;
        let refname = format!("refs/heads/{}", self.cfg.target_branch);
        let log = format!("yokeflow merge gate: land {label}");
        for _ in 0..100 {
            match repo.reference_matching(&refname, commit, true, onto, &log) {
                Ok(_) => return Ok(true),
                Err(e) if e.code() == ErrorCode::Modified => return Ok(false),
                // Someone else holds the ref's lock for a moment: wait and compare again.
                Err(e) if e.code() == ErrorCode::Locked => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(false)
    }

    /// Checks `commit` out (forced, untracked files removed, ignored ones kept) in the integration worktree.
    pub(super) fn checkout_integration(&self, commit: Oid) -> CoreResult<()> {
        let repo = self.repo()?;
        let wt = detached_worktree(&repo, INTEGRATION_NAME, &self.integration, commit)?;
        let target = wt.find_commit(commit)?;
        let mut checkout = CheckoutBuilder::new();
        checkout.force().remove_untracked(true);
        wt.checkout_tree(target.as_object(), Some(&mut checkout))?;
        wt.set_head_detached(commit)?;
        Ok(())
    }

    /// The test command `argv` in the integration worktree, logging to `log_path` under `header` ([`run_tests`]).
    pub(super) async fn run_tests(&self, argv: &[String], log_path: &Path, header: &str) -> CoreResult<bool> {
        let mark = self.repo_path.display().to_string();
        let run = TestRun {
            argv,
            dir: &self.integration,
            repo: &self.repo_path,
            log_path,
            port_base: self.cfg.port_base,
            ports: crate::workspace::ports::GATE_SLOT,
            mark: &mark,
            who: "merge gate",
            sandbox: self.cfg.sandbox.as_ref(),
        };
        // Whatever kept the tests from passing (a failure, a timeout, a program that would not start) refuses.
        Ok(run_tests(run, header, self.cfg.test_timeout).await? == super::tests_run::Verdict::Passed)
    }

    /// When the tree moving the target from `onto` to `commit` changes a lockfile and no setup command installs
    /// dependencies in the gate's worktree: the sentence that says so (the likely reason its tests failed).
    pub(super) fn uninstalled_lockfiles(&self, onto: Oid, commit: Oid) -> Option<String> {
        if self.cfg.setup.is_some() {
            return None;
        }
        let repo = self.repo().ok()?;
        let (old, new) = (repo.find_commit(onto).ok()?.tree().ok()?, repo.find_commit(commit).ok()?.tree().ok()?);
        let changed: Vec<&str> = crate::workspace::prepare::LOCKFILES
            .iter()
            .copied()
            .filter(|f| old.get_name(f).map(|e| e.id()) != new.get_name(f).map(|e| e.id()))
            .collect();
        (!changed.is_empty()).then(|| {
            format!(
                "it changes {} and no setup command installs the dependencies before the tests (set `setup`, e.g. \
                 [\"npm\", \"ci\"])",
                changed.join(", ")
            )
        })
    }

    /// After the tests: whether the integration worktree still holds exactly `commit` (HEAD there, index and
    /// every tracked file as the commit has them). Anything else means something changed the tree while it was
    /// tested (a process an agent left behind), so the run does not count: the log says what changed.
    pub(super) fn untampered(&self, commit: Oid, log_path: &Path) -> CoreResult<bool> {
        let wt = Repository::open(&self.integration)?;
        let mut found = Vec::new();
        if wt.head().ok().and_then(|h| h.target()) != Some(commit) || wt.head_detached().ok() != Some(true) {
            found.push("HEAD moved".to_string());
        }
        let tree = wt.find_commit(commit)?.tree()?;
        let mut opts = git2::DiffOptions::new();
        opts.include_untracked(false).ignore_submodules(true);
        let diff = wt.diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))?;
        for d in diff.deltas().take(10) {
            let path = d.new_file().path().or(d.old_file().path()).map(|p| p.display().to_string()).unwrap_or_default();
            found.push(format!("{path} ({:?})", d.status()).to_lowercase());
        }
        if found.is_empty() {
            return Ok(true);
        }
        let mut log = std::fs::OpenOptions::new()
            .append(true)
            .open(log_path)
            .map_err(|e| CoreError::io(format!("cannot write {}", log_path.display()), e))?;
        let _ = writeln!(
            log,
            "# the gate's worktree no longer holds the tested tree after the tests ({}): something changed it while \
             they ran, so this run does not count as passed",
            found.join(", ")
        );
        Ok(false)
    }

    pub(super) fn repo(&self) -> CoreResult<Repository> {
        Ok(Repository::open(&self.repo_path)?)
    }

    /// YokeFlow's folders the gate works in are checked again at each use, not once: a link put in their place
    /// since (by an agent, a landed tree) is refused before anything is written through it.
    pub(super) fn check_dirs(&self) -> CoreResult<()> {
        for sub in ["logs", "locks", "gate"] {
            state_dir(&self.repo_path, sub, false)?;
        }
        for sub in ["integration", "resolve"] {
            crate::workspace::worktree::work_dir(&self.repo_path, sub, false)?;
        }
        Ok(())
    }
}

/// The members of a failing batch whose own pre-flight failed (each waited for while it runs), settled with their
/// pre-flight's log, and the others in order.
async fn preflight_failures(items: &[Item], ids: &[usize]) -> (Settled, Vec<usize>) {
    let (mut out, mut rest) = (Vec::new(), Vec::new());
    for &i in ids {
        match super::preflight::ended(items[i].preflight.as_ref()).await {
            Some(Preflight::Failed { log_path, merged_tree_commit }) => {
                let note = Some(super::preflight::PREFLIGHT_NOTE.to_string());
                out.push((i, LandOutcome::TestsFailed { log_path, merged_tree_commit, note }));
            }
            _ => rest.push(i),
        }
    }
    (out, rest)
}
