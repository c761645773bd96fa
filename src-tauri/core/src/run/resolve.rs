//! A run's options, resolved once. A caller says what it asks ([`RunRequest`]: the CLI's flags, the window's
//! buttons, a follow-up's one task); [`resolve`] decides everything else from the project and its settings, checks
//! that every command the run will start is installed and, when it comes from the repository, approved, and hands
//! back a [`ResolvedRun`]: the orchestrator's only input. Nothing after this reads the project's settings to decide
//! an option again (the ripgrep LowArgs → HiArgs pattern).

use std::sync::Arc;
use std::time::Duration;

use crate::error::{CoreError, CoreResult};
use crate::model::{CommandKind, Project, RunMode, Task};
use crate::store::approvals;
use crate::store::db::Db;
use crate::store::project;

/// How long an agent may work on one task when neither the request nor the project's settings say.
pub const DEFAULT_AGENT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The hook through which routed expertise reaches a task's prompt (the `## Routed expertise` section).
pub type ExpertiseRouter = Arc<dyn Fn(&Task) -> Option<String> + Send + Sync>;

/// What a person asks of a run (the CLI's flags, the window's buttons). Unset fields fall back to the project's
/// settings, then to the defaults.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub sequential: bool,
    pub max_worktrees: Option<u32>,
    /// The agent's argv template.
    pub agent: Option<Vec<String>>,
    /// Stop an agent after this long (its task goes to Review); default: the project's setting, else 30 minutes.
    pub agent_timeout: Option<Duration>,
    /// The test command run on every merged tree.
    pub test_command: Option<Vec<String>>,
    /// The most the run's agents may cost (USD): once spent, no new task starts.
    pub max_cost_usd: Option<f64>,
    /// Only these tasks run (a follow-up's run of its own); `None`: every task that can.
    pub only_tasks: Option<Vec<String>>,
    /// Review tasks whose kept branches go through the gate again as the run starts ([`crate::run::runs::Runs::land`]).
    pub land: Vec<String>,
}

/// How a run works inside, which no person sets: the defaults for every run the window and the CLI start; tests
/// and benchmarks tune them.
#[derive(Clone)]
pub struct RunTuning {
    /// The longest one test run of the merge gate may take.
    pub test_timeout: Duration,
    /// Between SIGTERM and SIGKILL when an agent is stopped.
    pub kill_grace: Duration,
    /// Extra routed expertise for each task's prompt (added after the expert context of [`RunTuning::learn`]).
    pub expertise: Option<ExpertiseRouter>,
    /// The experts at work (on by default): each task is routed with the expertise router (the decision is
    /// logged), its prompt names the expert's files, and after the agent the domains learn from the branch's
    /// diff, committed on the branch as `expertise: <title>` so it lands through the gate ([`crate::expertise::learn`]).
    pub learn: bool,
    /// On a merge conflict, run the agent again in the gate's resolution worktree (the review-agent path)
    /// before sending the task to Review.
    pub resolve_conflicts: bool,
}

impl Default for RunTuning {
    fn default() -> Self {
        RunTuning {
            test_timeout: Duration::from_secs(10 * 60),
            kill_grace: Duration::from_secs(3),
            expertise: None,
            learn: true,
            resolve_conflicts: true,
        }
    }
}

impl std::fmt::Debug for RunTuning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunTuning")
            .field("test_timeout", &self.test_timeout)
            .field("kill_grace", &self.kill_grace)
            .field("expertise", &self.expertise.is_some())
            .field("learn", &self.learn)
            .field("resolve_conflicts", &self.resolve_conflicts)
            .finish()
    }
}

/// A run with every option decided, before it starts: the orchestrator's only input.
#[derive(Debug, Clone)]
pub struct ResolvedRun {
    /// The project as it was read when the run was resolved.
    pub project: Project,
    /// The agent's argv template, installed (and approved when it comes from the repository).
    pub agent_command: Vec<String>,
    /// True when the demo runs the scripted stand-in agent because no agent is configured or installed.
    pub scripted_demo: bool,
    /// The test command run on every merged tree, installed and approved; `None`: the gate lands untested trees.
    pub test_command: Option<Vec<String>>,
    /// Agents at once (1 for a sequential run).
    pub workers: u32,
    pub mode: RunMode,
    /// Per agent session; `None`: no limit.
    pub agent_timeout: Option<Duration>,
    /// The most the run's agents may cost (USD), a positive amount; `None`: no limit.
    pub max_cost_usd: Option<f64>,
    pub only_tasks: Option<Vec<String>>,
    pub land: Vec<String>,
    /// How agents, tests, setup and cleanup are confined; `None`: not confined (the project's `sandbox` is off).
    pub sandbox: Option<crate::workspace::sandbox::SandboxPolicy>,
    /// Finished branches are tested in their own worktrees while they wait for the gate (the project's `preflight`).
    pub preflight: bool,
    /// Test runs at once, the gate's included (the project's `parallel_tests`, else the machine's cores).
    pub parallel_tests: u32,
    /// The most branches one test run of the gate lands together (the project's `batch_size`).
    pub batch_size: usize,
    pub tuning: RunTuning,
}

/// Decides everything a run of the project with `request` will use: the agent (the request's, else the project's,
/// else, for the demo with nothing configured and no `claude` installed, the scripted stand-in, else Claude Code's
/// CLI), which must be installed; the test, setup and cleanup commands, installed, and approved when they come from
/// the repository's tasks file; how many agents at once; the timeout and the budget (the request's, else the
/// project's settings).
pub async fn resolve(db: &Db, project_id: &str, request: &RunRequest, tuning: RunTuning) -> CoreResult<ResolvedRun> {
    let p = project::get(db, project_id).await?;
    let demo = if request.agent.is_none() { crate::agents::command::demo_fallback(&p) } else { None };
    let agent_command = crate::agents::command::effective_command(&p, request.agent.as_deref().or(demo.as_deref()));
    // The project's stored commands may come from its tasks file: they run only once approved.
    if request.agent.is_none() && demo.is_none() && p.agent_command.is_some() {
        approvals::require(db, project_id, CommandKind::Agent, &agent_command).await?;
    }
    if let (None, Some(tests)) = (&request.test_command, &p.test_command) {
        approvals::require(db, project_id, CommandKind::Test, tests).await?;
    }
    for (kind, argv) in [(CommandKind::Setup, &p.setup_command), (CommandKind::Cleanup, &p.cleanup_command)] {
        if let Some(argv) = argv {
            approvals::require(db, project_id, kind, argv).await?;
            crate::agents::command::check_test_command(argv)?;
        }
    }
    crate::agents::command::check_agent(&agent_command)?;
    let test_command = request.test_command.clone().or(p.test_command.clone());
    if let Some(tests) = &test_command {
        crate::agents::command::check_test_command(tests)?;
    }
    let workers = if request.sequential { 1 } else { request.max_worktrees.unwrap_or(p.max_worktrees).max(1) };
    // The project's settings give what the request leaves out.
    let settings = crate::tasks::settings::of(db, p.clone()).await?;
    let agent_timeout =
        request.agent_timeout.or(settings.agent_timeout_secs.map(Duration::from_secs)).or(Some(DEFAULT_AGENT_TIMEOUT));
    let max_cost_usd = request.max_cost_usd.or(settings.max_cost_usd);
    if let Some(budget) = max_cost_usd {
        if !(budget.is_finite() && budget > 0.0) {
            return Err(CoreError::InvalidInput(format!(
                "the run's budget must be a positive amount of US dollars, not {budget}"
            )));
        }
    }
    let sandbox = crate::tasks::settings::sandbox_policy(&settings, db.path())?;
    Ok(ResolvedRun {
        project: p,
        agent_command,
        scripted_demo: demo.is_some(),
        test_command,
        workers,
        mode: RunMode::for_workers(workers),
        agent_timeout,
        max_cost_usd,
        only_tasks: request.only_tasks.clone(),
        land: request.land.clone(),
        sandbox,
        preflight: settings.preflight,
        parallel_tests: crate::tasks::settings::parallel_tests(&settings),
        batch_size: settings.batch_size.max(1) as usize,
        tuning,
    })
}
