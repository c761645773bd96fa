// Generated from src-tauri/src/commands.rs by the app crate's test `commands_ts`: do not edit (run
// `YOKEFLOW_UPDATE_BINDINGS=1 cargo test -p yokeflow --test commands_ts` after changing a command). Each command
// the window may call: its arguments as Tauri names them (camelCase; `null` for none) and its answer.
import type { Accepted, ActionRoute, AddedProject, AgentPreset, Board, CardEdit, CardResult, Discarded, DiskUsage, DraftPreview, DropTarget, ExecutionPlan, ExpertiseKeep, ExpertiseOverview, FeedbackRoute, InitReport, Project, ProjectCommand, ProjectSettings, ProjectSummary, RunSnapshot, RunStarted, SettingIssue, StatusMove, TaskDiff, TaskFileIssue, TaskLog, TaskPlaces, TaskStatus, TestLog, ToolPermissions } from "./bindings";

export type Commands = {
  list_projects: { args: null; answer: Array<ProjectSummary> };
  /**
   * The project's board. Opening a project also starts its live expertise sync and follows its tasks file (once).
   */
  get_board: { args: { projectId: string }; answer: Board };
  /**
   * What is wrong with a card edit, field by field (empty: it would be accepted); changes nothing.
   */
  check_card_edit: { args: { projectId: string; edit: CardEdit }; answer: Array<TaskFileIssue> };
  /**
   * A new project from an app spec (`init --spec`): the folder (created with a repository if needed), the template,
   * CLAUDE.md and an expert per domain the spec touches, committed; registered. Its tasks are drafted next.
   */
  init_project: { args: { path: string; spec: string }; answer: InitReport };
  /**
   * Session 0: the project's tasks drafted by its agent from an app spec (a file path) and/or a short goal, for one
   * epic if given; a preview, nothing of the project changes. Takes as long as the agent works.
   */
  draft_tasks: { args: { projectId: string; spec?: string | null; goal?: string | null; epic?: string | null }; answer: DraftPreview };
  /**
   * Makes a draft the project's tasks (written to its tasks file, imported, planned).
   */
  accept_draft: { args: { projectId: string; draftId: string }; answer: Accepted };
  /**
   * Drops a draft; nothing changes.
   */
  discard_draft: { args: { projectId: string; draftId: string }; answer: null };
  /**
   * What the project's worktrees, the gate and the logs use on disk.
   */
  disk_usage: { args: { projectId: string }; answer: DiskUsage };
  /**
   * The project's expertise for the Expertise view: domains, skills, routing decisions, open conflicts.
   */
  expertise_overview: { args: { projectId: string }; answer: ExpertiseOverview };
  /**
   * Resolves a domain's open conflict by keeping one side (the database's or the file's; for a deleted file, keeping
   * the file forgets the domain); returns the view's data afterwards.
   */
  resolve_expertise_conflict: { args: { projectId: string; domain: string; keep: ExpertiseKeep }; answer: ExpertiseOverview };
  /**
   * The project's settings.
   */
  get_settings: { args: { projectId: string }; answer: ProjectSettings };
  /**
   * What is wrong with the settings, key by key (empty: they can be saved); changes nothing.
   */
  check_settings: { args: { settings: ProjectSettings }; answer: Array<SettingIssue> };
  /**
   * Stores the settings (checked first; commands approved as set; the tasks file follows); the settings after.
   */
  save_settings: { args: { projectId: string; settings: ProjectSettings }; answer: ProjectSettings };
  /**
   * The agents YokeFlow knows (Claude Code, Codex CLI, Aider) and whether each is installed.
   */
  agent_presets: { args: null; answer: Array<AgentPreset> };
  /**
   * Adds, changes or removes a task, or adds an epic; the tasks file follows and the plan is rebuilt.
   */
  edit_tasks: { args: { projectId: string; edit: CardEdit }; answer: CardResult };
  create_demo_project: { args: null; answer: Project };
  /**
   * Adds the git repository at `path` as a project: its tasks file (if any) is validated first, then imported and
   * planned; a bad file or a folder that is not a repository registers nothing.
   */
  add_project: { args: { path: string }; answer: AddedProject };
  get_plan: { args: { projectId: string }; answer: ExecutionPlan | null };
  build_plan: { args: { projectId: string }; answer: ExecutionPlan };
  start_run: { args: { projectId: string; sequential?: boolean | null; maxCostUsd?: number | null }; answer: RunStarted };
  /**
   * The commands the project's tasks file asks to run (agent, test command) that no one approved yet.
   */
  pending_commands: { args: { projectId: string }; answer: Array<ProjectCommand> };
  /**
   * Approves exactly the commands the person was shown (refused if the project's commands changed meanwhile).
   */
  approve_commands: { args: { projectId: string; commands: Array<ProjectCommand> }; answer: null };
  /**
   * The project's run as the window shows it: the live one, else the last one that ended (`null`: none yet).
   */
  run_view: { args: { projectId: string }; answer: RunSnapshot | null };
  pause_run: { args: { projectId: string }; answer: null };
  resume_run: { args: { projectId: string }; answer: null };
  cancel_run: { args: { projectId: string }; answer: null };
  /**
   * From now on the run starts one task at a time (what is running finishes).
   */
  force_sequential: { args: { projectId: string }; answer: null };
  retry_task: { args: { projectId: string; taskId: string }; answer: ActionRoute };
  /**
   * Lands a Review task's branch again through the gate (after a person fixed it), without its agent.
   */
  retry_merge: { args: { projectId: string; taskId: string }; answer: ActionRoute };
  /**
   * Stops a running task's agent, commits what it left and sends its branch to the gate now.
   */
  merge_now: { args: { projectId: string; taskId: string }; answer: null };
  /**
   * A card dropped on another column: stored when no run is going and the plan allows it; during a run, the moves
   * that mean a run command (retry, retry merge, merge now) are sent to it; anything else is refused
   * (`move_refused`, with the reason).
   */
  set_task_status: { args: { projectId: string; taskId: string; status: TaskStatus }; answer: StatusMove };
  /**
   * The columns a card being dragged could be dropped on, each with the reason a drop there would be refused.
   */
  task_drop_targets: { args: { projectId: string; taskId: string }; answer: Array<DropTarget> };
  /**
   * A card dropped on another worktree lane: pins it there in the stored plan (and in the active run, if any).
   */
  move_task_to_worktree: { args: { projectId: string; taskId: string; worktree: string }; answer: ExecutionPlan };
  /**
   * Opens the task's worktree folder in the file manager (only a path the database recorded).
   */
  open_worktree: { args: { projectId: string; taskId: string }; answer: null };
  /**
   * Opens the agent's latest log of the task in the default viewer.
   */
  open_task_log: { args: { projectId: string; taskId: string }; answer: null };
  /**
   * The end of the test log of the task's latest attempt (`not_found` when the gate's tests did not fail on it).
   */
  task_test_log: { args: { projectId: string; taskId: string }; answer: TestLog };
  /**
   * Where the task's work is on disk (worktree, agent log, test log), for a person to copy when opening fails.
   */
  task_places: { args: { projectId: string; taskId: string }; answer: TaskPlaces };
  /**
   * The task's agent sessions with their transcripts, cost and refusals.
   */
  task_log: { args: { projectId: string; taskId: string }; answer: TaskLog };
  /**
   * Discards a task's work after a person confirmed it; the task goes back to the Backlog.
   */
  discard_work: { args: { projectId: string; taskId: string }; answer: Discarded };
  /**
   * What the task changed against its merge base with the target.
   */
  task_diff: { args: { projectId: string; taskId: string }; answer: TaskDiff };
  /**
   * Sends a person's remark to the task's agent ([`yokeflow_core::run::runs::Runs::feedback`]).
   */
  send_feedback: { args: { projectId: string; taskId: string; remark: string }; answer: FeedbackRoute };
  /**
   * The tools the project's agents may use without asking.
   */
  tool_permissions: { args: { projectId: string }; answer: ToolPermissions };
  /**
   * Allows a tool rule (`Bash(npm install:*)`) for the project's agents; the rules after.
   */
  allow_tool: { args: { projectId: string; rule: string }; answer: ToolPermissions };
  /**
   * Takes back a tool rule a person allowed; the rules after.
   */
  revoke_tool: { args: { projectId: string; rule: string }; answer: ToolPermissions };
};

/** The name of a command. */
export type CommandName = keyof Commands;
