// A thin typed wrapper over the Tauri commands of the Rust side. Every rejection reaches callers as an
// `ErrorDto`; the UI branches on `code`, never on `message`.
import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { CHANNELS } from "./bindings";
import type { CommandName, Commands } from "./commands";
import type {
  Accepted,
  ActionRoute,
  RunStarted,
  AddedProject,
  AgentPreset,
  Board,
  CardEdit,
  CardResult,
  Discarded,
  DiskUsage,
  DropTarget,
  DraftPreview,
  ErrorDto,
  RunEvent,
  RunSnapshot,
  ExecutionPlan,
  ExpertiseEvent,
  ExpertiseKeep,
  ExpertiseOverview,
  FeedbackRoute,
  InitReport,
  Project,
  ProjectCommand,
  ProjectSettings,
  ProjectSummary,
  SettingIssue,
  StatusMove,
  TaskDiff,
  TaskFileIssue,
  TaskLog,
  TaskPlaces,
  TestLog,
  TasksFileEvent,
  TaskStatus,
  ToolPermissions,
} from "./bindings";

/** The code given to rejections that did not carry an `ErrorDto`. */
export const UNKNOWN_ERROR = "unknown";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Turns anything a command may reject with into an `ErrorDto`. */
export function toErrorDto(reason: unknown): ErrorDto {
  if (typeof reason === "string") {
    return { code: UNKNOWN_ERROR, message: reason };
  }
  if (isRecord(reason)) {
    const code = typeof reason.code === "string" && reason.code !== "" ? reason.code : UNKNOWN_ERROR;
    if (typeof reason.message === "string") {
      return { code, message: reason.message };
    }
    if (code !== UNKNOWN_ERROR) {
      return { code, message: code };
    }
    return { code, message: describe(reason) };
  }
  return { code: UNKNOWN_ERROR, message: describe(reason) };
}

function describe(value: unknown): string {
  if (value === undefined) return "Unknown error";
  try {
    return JSON.stringify(value) ?? "Unknown error";
  } catch {
    return "Unknown error";
  }
}

/** What a command takes: nothing, or its arguments (`commands.ts`, generated from the Rust side). */
type ArgsOf<C extends CommandName> = Commands[C]["args"] extends null ? [] : [Commands[C]["args"]];

/**
 * Calls a command by its name, with its arguments, for its answer, all as `commands.ts` (generated from the Rust
 * commands) declares them, so a drift from the Rust side fails the type check; a rejection becomes an `ErrorDto`.
 */
function call<C extends CommandName>(command: C, ...args: ArgsOf<C>): Promise<Commands[C]["answer"]> {
  // `ArgsOf` gives one argument exactly when the command takes some: an object of named arguments.
  const sent = invoke<Commands[C]["answer"]>(command, args[0] as InvokeArgs | undefined);
  // Not an Error on purpose: callers branch on `code` (see the eslint config).
  return sent.catch((reason: unknown) => Promise.reject(toErrorDto(reason)));
}

export function listProjects(): Promise<ProjectSummary[]> {
  return call("list_projects");
}

export function getBoard(projectId: string): Promise<Board> {
  return call("get_board", { projectId });
}

/** Creates the bundled demo project, or returns it when it already exists. */
export function createDemoProject(): Promise<Project> {
  return call("create_demo_project");
}

/** Adds the git repository at `path` as a project; its tasks file, if any, is validated, imported and planned. */
export function addProject(path: string): Promise<AddedProject> {
  return call("add_project", { path });
}

/**
 * A new project from an app spec: the folder at `path` (created, with a git repository on `main`, if needed) gets the
 * project template, CLAUDE.md and an expert per domain the spec (the Markdown file at `spec`) touches, committed, and
 * is registered. Both are full paths. Rejects with `invalid_input` (the spec is not a file, the folder is inside
 * another repository, …), `not_a_repository` or `io`.
 */
export function initProject(path: string, spec: string): Promise<InitReport> {
  return call("init_project", { path, spec });
}

// Runs. Each control command resolves once the core has taken the order; the run itself reports through its
// snapshots on `yokeflow://run` (see `followRuns`) and its events on `yokeflow://event` (see `followEvents`).

/** The webview event every core event is forwarded on, with its project (`runs::EVENT` on the Rust side). */
export const EVENT_NAME = CHANNELS.event;
/** The webview event every changed run snapshot is sent on (`runs::RUN` on the Rust side). */
export const RUN_EVENT_NAME = CHANNELS.run;
/** Sent when a project's tasks file changed on disk and was imported, or could not be. */
export const TASKS_FILE_EVENT_NAME = CHANNELS.tasksFile;
/** Sent when a project's expertise files and database rows were synced, or conflict (`expertise_sync::EVENT`). */
export const EXPERTISE_EVENT_NAME = CHANNELS.expertise;
/** Sent when the window missed events (it could not keep up): re-read the board, the plan and the run's state. */
export const RESYNC_EVENT_NAME = CHANNELS.resync;

/** Starts a run in the background; errors known up front (`agent_not_found`, `run_in_progress`, `plan_empty`) reject. */
/** Starts a run; `maxCostUsd` (when given) is its budget: once the agents spent it, no new task starts. */
export function startRun(projectId: string, sequential: boolean, maxCostUsd: number | null = null): Promise<RunStarted> {
  return call("start_run", { projectId, sequential, maxCostUsd });
}

/** Discards a task's work (a person confirmed it): worktree gone, branch kept out of sight, task to the Backlog. */
export function discardWork(projectId: string, taskId: string): Promise<Discarded> {
  return call("discard_work", { projectId, taskId });
}

// Cards: tasks and epics created, edited and removed from the window. The project's tasks file (if any) follows.

/** What is wrong with a card edit, each issue naming its field when it has one; empty: it would be accepted. */
export function checkCardEdit(projectId: string, edit: CardEdit): Promise<TaskFileIssue[]> {
  return call("check_card_edit", { projectId, edit });
}

/**
 * Applies a card edit: the tasks are imported and the plan rebuilt. Rejects with `invalid_task_file` (the edit is
 * wrong), `move_refused` (a run is going) or `invalid_input` (the tasks file changed on disk, or can't be edited).
 */
export function editTasks(projectId: string, edit: CardEdit): Promise<CardResult> {
  return call("edit_tasks", { projectId, edit });
}

// Session 0: the project's tasks drafted by its agent, previewed, then accepted or discarded.

/** What a draft is made from: an app spec (a file's path) and/or a short goal, for one epic if given (null: none). */
export type DraftRequest = { spec: string | null; goal: string | null; epic: string | null };

/**
 * Runs the project's agent once to draft its tasks (minutes); resolves with the preview, nothing of the project
 * changes. A draft still invalid after the agent's fix comes back with `issues`. Rejects with `invalid_input` (no spec
 * nor goal, an unreadable spec, an agent that ended badly), `agent_not_found` or `command_not_approved`.
 */
export function draftTasks(projectId: string, request: DraftRequest): Promise<DraftPreview> {
  return call("draft_tasks", { projectId, ...request });
}

/**
 * Makes a draft the project's tasks: written as its tasks file, imported, the plan rebuilt. Rejects with
 * `move_refused` (a run is going), `invalid_input` (the tasks file changed on disk since its import),
 * `invalid_task_file` or `not_found`.
 */
export function acceptDraft(projectId: string, draftId: string): Promise<Accepted> {
  return call("accept_draft", { projectId, draftId });
}

/** Drops a draft; nothing changes. */
export function discardDraft(projectId: string, draftId: string): Promise<null> {
  return call("discard_draft", { projectId, draftId });
}

/** The task's agent sessions with their transcripts, cost and refused tools. */
export function taskLog(projectId: string, taskId: string): Promise<TaskLog> {
  return call("task_log", { projectId, taskId });
}

/** The end of the test log of the task's latest attempt; rejects with `not_found` when its tests did not fail. */
export function taskTestLog(projectId: string, taskId: string): Promise<TestLog> {
  return call("task_test_log", { projectId, taskId });
}

/** Where the task's work is on disk (its worktree, its agent's log, its test log), each only when it exists. */
export function taskPlaces(projectId: string, taskId: string): Promise<TaskPlaces> {
  return call("task_places", { projectId, taskId });
}

/** What the task changed against its merge base with the target. */
export function taskDiff(projectId: string, taskId: string): Promise<TaskDiff> {
  return call("task_diff", { projectId, taskId });
}

/** Sends a person's remark to the task's agent; where it went (queued, sent to the run, a run of its own). */
export function sendFeedback(projectId: string, taskId: string, remark: string): Promise<FeedbackRoute> {
  return call("send_feedback", { projectId, taskId, remark });
}

/** The tool rules the project's agents get. */
export function toolPermissions(projectId: string): Promise<ToolPermissions> {
  return call("tool_permissions", { projectId });
}

/** Allows a tool rule (`Bash(npm install:*)`) for the project's agents; the rules after. */
export function allowTool(projectId: string, rule: string): Promise<ToolPermissions> {
  return call("allow_tool", { projectId, rule });
}

/** Takes back a tool rule a person allowed; the rules after. */
export function revokeTool(projectId: string, rule: string): Promise<ToolPermissions> {
  return call("revoke_tool", { projectId, rule });
}

// Project settings: the agent, the commands around a task's worktree, the files it gets, the worktrees at once, the
// agent's timeout and a run's budget.

/** The project's settings as stored. */
export function getSettings(projectId: string): Promise<ProjectSettings> {
  return call("get_settings", { projectId });
}

/** What is wrong with `settings`, key by key (empty: they can be saved); nothing is stored. */
export function checkSettings(settings: ProjectSettings): Promise<SettingIssue[]> {
  return call("check_settings", { settings });
}

/**
 * Stores the project's settings (its commands approved as set; the keys its tasks file names are edited there too);
 * the settings after. Rejects with `invalid_input` (a setting is wrong, its message names it; or the tasks file
 * changed on disk and must be imported first) or `not_found`.
 */
export function saveSettings(projectId: string, settings: ProjectSettings): Promise<ProjectSettings> {
  return call("save_settings", { projectId, settings });
}

/** The agents YokeFlow knows (Claude Code, Codex CLI, Aider), each with its argv and whether it is installed. */
export function agentPresets(): Promise<AgentPreset[]> {
  return call("agent_presets");
}

/** What the project's task worktrees, the merge gate's worktrees and the logs take on disk. */
export function diskUsage(projectId: string): Promise<DiskUsage> {
  return call("disk_usage", { projectId });
}

// Expertise: what the project learned per domain (kept both in the database and in `.claude/` files a person may
// edit), the skills the router can pick, its latest decisions, and the conflicts between a file and its row.

/** The project's domains, skills, latest routing decisions (newest first) and open conflicts. */
export function expertiseOverview(projectId: string): Promise<ExpertiseOverview> {
  return call("expertise_overview", { projectId });
}

/**
 * Resolves a domain's open conflict by keeping the database's version (`db`: the file is rewritten, or restored when
 * it was deleted) or the file's (`file`: imported; a deleted file forgets the domain); the overview after. Rejects
 * with `not_found` (no open conflict for the domain any more) or `invalid_input` (the file changed meanwhile).
 */
export function resolveExpertiseConflict(projectId: string, domain: string, keep: ExpertiseKeep): Promise<ExpertiseOverview> {
  return call("resolve_expertise_conflict", { projectId, domain, keep });
}

export function pauseRun(projectId: string): Promise<null> {
  return call("pause_run", { projectId });
}

export function resumeRun(projectId: string): Promise<null> {
  return call("resume_run", { projectId });
}

export function cancelRun(projectId: string): Promise<null> {
  return call("cancel_run", { projectId });
}

/** Sends a task in Review back to the run's queue. */
export function retryTask(projectId: string, taskId: string): Promise<ActionRoute> {
  return call("retry_task", { projectId, taskId });
}

/** From now on the run starts one task at a time; the tasks running finish (`run_sequential` reports it). */
export function forceSequential(projectId: string): Promise<null> {
  return call("force_sequential", { projectId });
}

/** Lands a Review task's kept branch through the merge gate again, without its agent (e.g. after a fix by hand). */
export function retryMerge(projectId: string, taskId: string): Promise<ActionRoute> {
  return call("retry_merge", { projectId, taskId });
}

/** Stops an in-progress task's agent, commits what it left and sends its branch to the merge gate now. */
export function mergeNow(projectId: string, taskId: string): Promise<null> {
  return call("merge_now", { projectId, taskId });
}

/** The commands the project's tasks file asks to run (agent, test command) that no one approved yet. */
export function pendingCommands(projectId: string): Promise<ProjectCommand[]> {
  return call("pending_commands", { projectId });
}

/** Approves exactly these commands (as shown); rejects when the project's commands changed meanwhile. */
export function approveCommands(projectId: string, commands: readonly ProjectCommand[]): Promise<null> {
  return call("approve_commands", { projectId, commands: [...commands] });
}

/**
 * The project's run as the core folds it (phase, lanes, the gate, timings, what each agent does, the report once it
 * ended): the live one, else the last one that ended in this process; `null` before the first.
 */
export function runView(projectId: string): Promise<RunSnapshot | null> {
  return call("run_view", { projectId });
}

/** The stored execution plan, `null` when none was built yet. */
export function getPlan(projectId: string): Promise<ExecutionPlan | null> {
  return call("get_plan", { projectId });
}

export function buildPlan(projectId: string): Promise<ExecutionPlan> {
  return call("build_plan", { projectId });
}

// Moves made on the board by hand. A move that would break the plan rejects with `move_refused` (or
// `plan_invalid_edit`) and a message meant for the user.

/**
 * Moves a task to another column. Without a run the status is stored (`applied`; board and plan are then
 * stale); during a run the move becomes a run command (`sent_to_run`) whose outcome the run's events report.
 */
export function setTaskStatus(projectId: string, taskId: string, status: TaskStatus): Promise<StatusMove> {
  return call("set_task_status", { projectId, taskId, status });
}

/** The other columns a card being dragged could be dropped on, each with the reason a drop there would be refused. */
export function taskDropTargets(projectId: string, taskId: string): Promise<DropTarget[]> {
  return call("task_drop_targets", { projectId, taskId });
}

/** Pins a task to a worktree of the plan (`wt-2`, or the next new one within the worker limit); the edited plan. */
export function moveTaskToWorktree(projectId: string, taskId: string, worktree: string): Promise<ExecutionPlan> {
  return call("move_task_to_worktree", { projectId, taskId, worktree });
}

/** Opens the folder of a task's open worktree in the user's file manager. */
export function openWorktree(projectId: string, taskId: string): Promise<null> {
  return call("open_worktree", { projectId, taskId });
}

/** Opens the latest log file of a task's agent. */
export function openTaskLog(projectId: string, taskId: string): Promise<null> {
  return call("open_task_log", { projectId, taskId });
}

/**
 * Hands each payload of the webview event `name` to `onPayload` until the returned function is called. Safe against
 * a cleanup that comes before `listen` resolved (React StrictMode runs effects twice): the listener is then removed
 * as soon as it exists. A failure to listen reaches `onError` as an `ErrorDto`.
 */
function follow<T>(name: string, onPayload: (payload: T) => void, onError: (error: ErrorDto) => void): () => void {
  let stopped = false;
  let unlisten: (() => void) | null = null;
  listen<T>(name, (message) => {
    if (!stopped) onPayload(message.payload);
  }).then(
    (stop) => {
      if (stopped) stop();
      else unlisten = stop;
    },
    (reason: unknown) => {
      if (!stopped) onError(toErrorDto(reason));
    },
  );
  return () => {
    stopped = true;
    if (unlisten !== null) {
      unlisten();
      unlisten = null;
    }
  };
}

/** Calls `onResync` whenever the app says the window missed events and must re-read what it shows. */
export function followResync(onResync: () => void): () => void {
  return follow<number>(RESYNC_EVENT_NAME, () => onResync(), () => {});
}

/** Follows the imports of the projects' tasks files changed on disk (`yokeflow://tasks-file`), of every project. */
export function followTasksFile(onEvent: (event: TasksFileEvent) => void, onError: (error: ErrorDto) => void): () => void {
  return follow<TasksFileEvent>(TASKS_FILE_EVENT_NAME, onEvent, onError);
}

/** Follows the expertise sync of the projects opened (`yokeflow://expertise`), of every project. */
export function followExpertise(onEvent: (event: ExpertiseEvent) => void, onError: (error: ErrorDto) => void): () => void {
  return follow<ExpertiseEvent>(EXPERTISE_EVENT_NAME, onEvent, onError);
}

/**
 * Follows the core's events until the returned function is called (see `follow`). A failure to listen reaches
 * `onError` as an `ErrorDto`.
 */
export function followEvents(onEvent: (event: RunEvent) => void, onError: (error: ErrorDto) => void): () => void {
  return follow<RunEvent>(EVENT_NAME, onEvent, onError);
}

/** Follows every run's snapshot, each time it changes (`yokeflow://run`), of every project. */
export function followRuns(onRun: (run: RunSnapshot) => void, onError: (error: ErrorDto) => void): () => void {
  return follow<RunSnapshot>(RUN_EVENT_NAME, onRun, onError);
}
