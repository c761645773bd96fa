//! Moving a task's work onto a newer target: an in-memory rebase of its commits, the branch moved by compare-and-swap.

use crate::sys::git::signature;

use super::git_ops::{branch_or_commit, branch_tip, count_unmerged, git_command};
use super::worktrees::{Rebase, WorktreeInfo, Worktrees, BRANCH_PREFIX};
use crate::error::{CoreError, CoreResult};

impl Worktrees {
    /// Brings the branch of `info` (work of an earlier attempt being continued) up to date: rebased onto the current
    /// tip of `target_branch` (or the commit it names in full hex: the gate's trusted one) in its worktree with git's own `rebase --autostash` (uncommitted files are kept), the
    /// repository's hooks off, a clean git environment. A conflict aborts the rebase, leaving branch and files as
    /// they were, and says where. On success the saved base commit is the target's tip.
    pub fn rebase_onto_target(&self, info: &WorktreeInfo, target_branch: &str) -> CoreResult<Rebase> {
        let repo = self.repo()?;
        let (tip, onto) = (branch_tip(&repo, &info.branch)?, branch_or_commit(&repo, target_branch)?);
        if tip == onto || repo.graph_descendant_of(tip, onto)? {
            return Ok(Rebase::UpToDate);
        }
        let behind = repo.graph_ahead_behind(tip, onto)?.1;
        let sig = signature(&repo)?;
        let git = |args: &[&str]| {
            git_command(&info.path, args)
                .env("GIT_EDITOR", "true")
                .env("GIT_COMMITTER_NAME", sig.name().unwrap_or("YokeFlow"))
                .env("GIT_COMMITTER_EMAIL", sig.email().unwrap_or("yokeflow@localhost"))
                .output()
                .map_err(|e| CoreError::io("cannot run git rebase", e))
        };
        let onto_hex = onto.to_string();
        let out = git(&["rebase", "--autostash", "--no-verify", "--quiet", &onto_hex])?;
        if !out.status.success() {
            let conflicted = git(&["diff", "--name-only", "--diff-filter=U"])?;
            let mut files: Vec<String> = String::from_utf8_lossy(&conflicted.stdout)
                .lines()
                .map(str::to_string)
                .filter(|l| !l.is_empty())
                .collect();
            let _ = git(&["rebase", "--abort"]);
            if files.is_empty() {
                let err = String::from_utf8_lossy(&out.stderr);
                files
                    .push(err.lines().find(|l| !l.trim().is_empty()).unwrap_or("git rebase failed").trim().to_string());
            }
            return Ok(Rebase::Conflict { files });
        }
        let rebased = WorktreeInfo { base_commit: onto_hex, ..info.clone() };
        if let Some(name) = info.branch.strip_prefix(BRANCH_PREFIX) {
            self.write_meta(name, &rebased)?;
        }
        Ok(Rebase::Rebased { info: rebased, behind })
    }

    /// [`Worktrees::rebase_onto_target`] for a kept branch no folder has checked out, made in memory: the branch
    /// moves once, by compare-and-swap, to the rebased commits (a crash leaves it before or after, never between),
    /// and no folder is touched; the saved base is updated ([`Worktrees::reattach`] reads it).
    pub fn rebase_branch(&self, branch_name: &str, target_branch: &str) -> CoreResult<Rebase> {
        let repo = self.repo()?;
        let name = branch_name.strip_prefix(BRANCH_PREFIX).unwrap_or(branch_name);
        let info = self.read_meta(name).unwrap_or_else(|| WorktreeInfo {
            id: uuid::Uuid::new_v4().to_string(),
            task_id: String::new(),
            branch: branch_name.to_string(),
            path: self.root.join(name),
            base_commit: String::new(),
        });
        let (tip, onto) = (branch_tip(&repo, branch_name)?, branch_or_commit(&repo, target_branch)?);
        if tip == onto || repo.graph_descendant_of(tip, onto)? {
            return Ok(Rebase::UpToDate);
        }
        let behind = repo.graph_ahead_behind(tip, onto)?.1;
        let sig = signature(&repo)?;
        let (branch, upstream) = (repo.find_annotated_commit(tip)?, repo.find_annotated_commit(onto)?);
        let mut opts = git2::RebaseOptions::new();
        opts.inmemory(true);
        let mut rebase = repo.rebase(Some(&branch), Some(&upstream), None, Some(&mut opts))?;
        let mut last = onto;
        while let Some(op) = rebase.next() {
            op?;
            let index = rebase.inmemory_index()?;
            if index.has_conflicts() {
                let mut files: Vec<String> = index
                    .conflicts()?
                    .flatten()
                    .filter_map(|c| c.our.or(c.their).or(c.ancestor))
                    .map(|e| String::from_utf8_lossy(&e.path).into_owned())
                    .collect();
                files.dedup();
                rebase.abort()?;
                return Ok(Rebase::Conflict { files });
            }
            last = match rebase.commit(None, &sig, None) {
                Ok(id) => id,
                // The commit's change is on the target already: nothing of it is left to replay.
                Err(e) if e.code() == git2::ErrorCode::Applied => last,
                Err(e) => return Err(e.into()),
            };
        }
        rebase.finish(Some(&sig))?;
        let log = format!("yokeflow: rebased onto {target_branch} ({onto})");
        repo.reference_matching(&format!("refs/heads/{branch_name}"), last, true, tip, &log)?;
        let rebased = WorktreeInfo { base_commit: onto.to_string(), ..info };
        self.write_meta(name, &rebased)?;
        Ok(Rebase::Rebased { info: rebased, behind })
    }

    /// How many commits of `branch` are not reachable from `target_branch`.
    pub fn unmerged_commits(&self, branch: &str, target_branch: &str) -> CoreResult<usize> {
        let repo = self.repo()?;
        count_unmerged(&repo, branch_tip(&repo, branch)?, branch_tip(&repo, target_branch)?)
    }
}
