// The core's data as the window holds it: TanStack Query caches what the read commands answer (the projects, and a
// project's board, plan and run state) under the keys below, and the mutations update or invalidate those entries.
// `api.ts` stays the only caller of Tauri. Events from the core invalidate entries too (see hooks/useEvents.ts).
import { keepPreviousData, QueryClient, skipToken, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useState } from "react";
import {
  acceptDraft,
  addProject,
  agentPresets,
  approveCommands,
  buildPlan,
  checkCardEdit,
  checkSettings,
  createDemoProject,
  discardDraft,
  discardWork,
  diskUsage,
  draftTasks,
  editTasks,
  expertiseOverview,
  getBoard,
  getPlan,
  getSettings,
  initProject,
  listProjects,
  allowTool,
  moveTaskToWorktree,
  pendingCommands,
  resolveExpertiseConflict,
  revokeTool,
  runView,
  saveSettings,
  sendFeedback,
  setTaskStatus,
  taskDropTargets,
  taskDiff,
  taskLog,
  taskPlaces,
  taskTestLog,
  toolPermissions,
  type DraftRequest,
} from "./api";
import type { CardEdit, ErrorDto, ExpertiseKeep, ProjectCommand, ProjectSettings, RunSnapshot, TaskStatus } from "./bindings";

declare module "@tanstack/react-query" {
  interface Register {
    // Every rejection of api.ts is an ErrorDto.
    defaultError: ErrorDto;
  }
}

/** The cache's keys: one list of projects, and per project its board, plan and run state. */
export const queryKeys = {
  projects: () => ["projects"] as const,
  board: (projectId: string | null) => ["board", projectId] as const,
  plan: (projectId: string | null) => ["plan", projectId] as const,
  /** The project's run as the core folds it (`RunSnapshot`, versioned), sent by the core at every change. */
  run: (projectId: string | null) => ["run", projectId] as const,
  /** A task's stored sessions and transcripts. */
  taskLog: (projectId: string | null, taskId: string | null) => ["taskLog", projectId, taskId] as const,
  /** A task's diff against its merge base. */
  taskDiff: (projectId: string | null, taskId: string | null) => ["taskDiff", projectId, taskId] as const,
  /** The end of a task's test log (its latest attempt's, when the gate's tests failed on it). */
  taskTestLog: (projectId: string | null, taskId: string | null) => ["taskTestLog", projectId, taskId] as const,
  /** Where a task's work is on disk. */
  taskPlaces: (projectId: string | null, taskId: string | null) => ["taskPlaces", projectId, taskId] as const,
  /** The columns a card being dragged could go to, and why the others would refuse it (read at each drag). */
  dropTargets: (projectId: string | null, taskId: string | null) => ["dropTargets", projectId, taskId] as const,
  toolPermissions: (projectId: string | null) => ["toolPermissions", projectId] as const,
  /** What the core finds wrong with a card edit (a form's draft), before it is sent. */
  cardCheck: (projectId: string | null, edit: CardEdit | null) => ["cardCheck", projectId, edit] as const,
  /** The commands of a project's tasks file no one approved yet. */
  pendingCommands: (projectId: string | null) => ["pendingCommands", projectId] as const,
  /** A project's stored settings. */
  settings: (projectId: string | null) => ["settings", projectId] as const,
  /** What the core finds wrong with settings as edited, before they are saved. */
  settingsCheck: (settings: ProjectSettings | null) => ["settingsCheck", settings] as const,
  /** The agents YokeFlow knows, and whether each is installed. */
  agentPresets: () => ["agentPresets"] as const,
  /** What the project's worktrees, the gate and the logs take on disk (read when shown, and on Refresh). */
  diskUsage: (projectId: string | null) => ["diskUsage", projectId] as const,
  /** A project's domains of expertise, skills, latest routing decisions and open conflicts. */
  expertise: (projectId: string | null) => ["expertise", projectId] as const,
};

/** A task's work changed (its agent ended, a commit, a merge, a move): its log and diff are read again. */
export function taskChanged(client: QueryClient, projectId: string | null, taskId: string): void {
  if (projectId === null) return;
  void client.invalidateQueries({ queryKey: queryKeys.taskLog(projectId, taskId) });
  void client.invalidateQueries({ queryKey: queryKeys.taskDiff(projectId, taskId) });
  void client.invalidateQueries({ queryKey: queryKeys.taskTestLog(projectId, taskId) });
  void client.invalidateQueries({ queryKey: queryKeys.taskPlaces(projectId, taskId) });
}

/** The sessions of a task (read when its pane opens, again when its work changed). */
export function useTaskLogQuery(projectId: string | null, taskId: string | null) {
  return useQuery({
    queryKey: queryKeys.taskLog(projectId, taskId),
    queryFn: projectId === null || taskId === null ? skipToken : () => taskLog(projectId, taskId),
  });
}

/** A task's diff, while it is shown (`enabled`). `not_found` means it has no work to show yet. */
export function useTaskDiffQuery(projectId: string | null, taskId: string | null, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.taskDiff(projectId, taskId),
    queryFn: projectId === null || taskId === null || !enabled ? skipToken : () => taskDiff(projectId, taskId),
    // A diff is read afresh each time the tab opens: the worktree may have changed with no event (a person's edit).
    refetchOnMount: "always",
    // The diff panel says why there is no diff (`not_found`: no work yet) or what failed: no toast besides.
    meta: { toast: false },
  });
}

/** The end of a task's test log; `not_found` (its tests did not fail) shows nothing, no toast. */
export function useTestLogQuery(projectId: string | null, taskId: string | null) {
  return useQuery({
    queryKey: queryKeys.taskTestLog(projectId, taskId),
    queryFn: projectId === null || taskId === null ? skipToken : () => taskTestLog(projectId, taskId),
    meta: { toast: false },
  });
}

/** Where a task's work is on disk. */
export function useTaskPlacesQuery(projectId: string | null, taskId: string | null) {
  return useQuery({
    queryKey: queryKeys.taskPlaces(projectId, taskId),
    queryFn: projectId === null || taskId === null ? skipToken : () => taskPlaces(projectId, taskId),
    meta: { toast: false },
  });
}

/**
 * Why each column would refuse the card being dragged (`taskId`; null when nothing is dragged), by column: read
 * afresh at each drag, so a column lights up as a drop target only when the core would take the card. Null while
 * the answer is awaited; none when it could not be read (the drop itself is still checked by the core).
 */
export function useDropRefusals(projectId: string | null, taskId: string | null): Partial<Record<TaskStatus, string>> | null {
  const { data, isError } = useQuery({
    queryKey: queryKeys.dropTargets(projectId, taskId),
    queryFn: projectId === null || taskId === null ? skipToken : () => taskDropTargets(projectId, taskId),
    staleTime: 0,
    gcTime: 0,
    meta: { toast: false },
  });
  const awaited = taskId !== null && data === undefined && !isError;
  return useMemo(() => {
    if (awaited) return null;
    const refusals: Partial<Record<TaskStatus, string>> = {};
    for (const target of data ?? []) if (target.refusal !== null) refusals[target.status] = target.refusal;
    return refusals;
  }, [awaited, data]);
}

export function useToolPermissionsQuery(projectId: string | null) {
  return useQuery({
    queryKey: queryKeys.toolPermissions(projectId),
    queryFn: projectId === null ? skipToken : () => toolPermissions(projectId),
  });
}

/** Allows (`allow: true`) or revokes a tool rule; the answer is the project's rules after. */
export function useSetToolRule() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, rule, allow }: { projectId: string; rule: string; allow: boolean }) =>
      allow ? allowTool(projectId, rule) : revokeTool(projectId, rule),
    onSuccess: (rules, { projectId }) => client.setQueryData(queryKeys.toolPermissions(projectId), rules),
  });
}

/** Discards a task's work: the board, plan, and the task's log and diff are read again. */
export function useDiscardWork() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, taskId }: { projectId: string; taskId: string }) => discardWork(projectId, taskId),
    onSuccess: (_done, { projectId, taskId }) => {
      taskChanged(client, projectId, taskId);
      void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
      void client.invalidateQueries({ queryKey: queryKeys.plan(projectId) });
    },
  });
}

/** Sends feedback; the task's log and the board follow (it moves back to the queue, or its agent takes it). */
export function useSendFeedback() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, taskId, remark }: { projectId: string; taskId: string; remark: string }) =>
      sendFeedback(projectId, taskId, remark),
    onSuccess: (_route, { projectId, taskId }) => {
      taskChanged(client, projectId, taskId);
      void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
    },
  });
}

/** How long a draft must stay unchanged before the core checks it (ms): one check per pause in typing. */
export const CARD_CHECK_DELAY_MS = 250;

/** `value` once it stayed the same (by identity) for `delayMs`; the first value at once. */
function useSettled<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    if (delayMs <= 0) return;
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [value, delayMs]);
  return delayMs <= 0 ? value : settled;
}

/**
 * What the core finds wrong with `edit` (a memoized draft; `null`: nothing to check), asked once the draft stayed
 * unchanged for `delayMs`. The last answer stays until the next one arrives (no flicker while typing).
 */
export function useCardCheckQuery(projectId: string, edit: CardEdit | null, delayMs = CARD_CHECK_DELAY_MS) {
  const settled = useSettled(edit, delayMs);
  return useQuery({
    queryKey: queryKeys.cardCheck(projectId, settled),
    queryFn: settled === null ? skipToken : () => checkCardEdit(projectId, settled),
    placeholderData: keepPreviousData,
    // The form shows a failed check itself (no toast per pause in typing).
    meta: { toast: false },
  });
}

/**
 * Adds, edits or removes a task, or adds an epic. The tasks were imported again and the plan rebuilt: the board,
 * the plan and the projects' task counts are read again.
 */
export function useEditTasks() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, edit }: { projectId: string; edit: CardEdit }) => editTasks(projectId, edit),
    onSuccess: (_result, { projectId }) => refreshProject(client, projectId),
  });
}

/** Drafts a project's tasks with its agent (minutes): a preview, nothing cached changes. */
export function useDraftTasks() {
  return useMutation({
    mutationFn: ({ projectId, request }: { projectId: string; request: DraftRequest }) => draftTasks(projectId, request),
  });
}

/**
 * Makes a draft the project's tasks: they were imported and the plan rebuilt, so the board, the plan and the
 * projects' task counts are read again.
 */
export function useAcceptDraft() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, draftId }: { projectId: string; draftId: string }) => acceptDraft(projectId, draftId),
    onSuccess: (_accepted, { projectId }) => refreshProject(client, projectId),
  });
}

/** The commands of the project's tasks file no one approved yet, while `enabled` (the caller shows a failure). */
export function usePendingCommandsQuery(projectId: string, enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.pendingCommands(projectId),
    queryFn: enabled ? () => pendingCommands(projectId) : skipToken,
    meta: { toast: false },
  });
}

/** Drops a draft; nothing cached changes. */
export function useDiscardDraft() {
  return useMutation({
    mutationFn: ({ projectId, draftId }: { projectId: string; draftId: string }) => discardDraft(projectId, draftId),
  });
}

/** A project's stored settings (read when the settings panel opens). */
export function useSettingsQuery(projectId: string) {
  return useQuery({
    queryKey: queryKeys.settings(projectId),
    queryFn: () => getSettings(projectId),
    // The panel shows a failed read itself.
    meta: { toast: false },
  });
}

/** The agent presets, read once per window (whether each is installed is asked again when the panel opens anew). */
export function useDiskUsageQuery(projectId: string | null) {
  return useQuery({
    queryKey: queryKeys.diskUsage(projectId),
    queryFn: projectId === null ? skipToken : () => diskUsage(projectId),
    refetchOnMount: "always",
    meta: { toast: false },
  });
}

export function useAgentPresetsQuery() {
  return useQuery({
    queryKey: queryKeys.agentPresets(),
    queryFn: agentPresets,
    // Without them the agent is still edited as a custom command.
    meta: { toast: false },
  });
}

/**
 * What the core finds wrong with `settings` (memoized; `null`: nothing to check), asked once they stayed unchanged
 * for `delayMs`. The last answer stays until the next one arrives (no flicker while typing); `checking` is true
 * until the answer is about `settings` as they are now.
 */
export function useSettingsCheckQuery(settings: ProjectSettings | null, delayMs = CARD_CHECK_DELAY_MS) {
  const settled = useSettled(settings, delayMs);
  const query = useQuery({
    queryKey: queryKeys.settingsCheck(settled),
    queryFn: settled === null ? skipToken : () => checkSettings(settled),
    placeholderData: keepPreviousData,
    // The panel shows a failed check itself (no toast per pause in typing).
    meta: { toast: false },
  });
  const { data, error, refetch, isFetching, isPlaceholderData } = query;
  return { data, error, refetch, checking: settled !== settings || isFetching || isPlaceholderData };
}

/**
 * Saves a project's settings: the answer (the settings stored) is cached as its settings, and the board, the plan
 * (the worktrees at once change it) and the projects are read again.
 */
export function useSaveSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, settings }: { projectId: string; settings: ProjectSettings }) => saveSettings(projectId, settings),
    onSuccess: (stored, { projectId }) => {
      client.setQueryData(queryKeys.settings(projectId), stored);
      void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
      void client.invalidateQueries({ queryKey: queryKeys.plan(projectId) });
      void client.invalidateQueries({ queryKey: queryKeys.projects() });
    },
  });
}

/**
 * A project's expertise as the Expertise tab shows it (read when it opens; an expertise event of the project makes
 * it stale, see hooks/useEvents.ts).
 */
export function useExpertiseQuery(projectId: string) {
  return useQuery({
    queryKey: queryKeys.expertise(projectId),
    queryFn: () => expertiseOverview(projectId),
    // The view shows a failed read itself.
    meta: { toast: false },
  });
}

/** The codes of a resolution refused because what it was about changed meanwhile (resolved, the file edited). */
const STALE_CONFLICT_CODES: ReadonlySet<string> = new Set(["not_found", "invalid_input"]);

/**
 * Resolves a domain's open conflict by keeping one side: the answer (the overview after) is cached as the project's
 * expertise. A refusal because the conflict or its file changed meanwhile reads the overview again; the caller shows
 * the refusal.
 */
export function useResolveExpertiseConflict() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, domain, keep }: { projectId: string; domain: string; keep: ExpertiseKeep }) =>
      resolveExpertiseConflict(projectId, domain, keep),
    onSuccess: (overview, { projectId }) => client.setQueryData(queryKeys.expertise(projectId), overview),
    onError: (error, { projectId }) => {
      if (STALE_CONFLICT_CODES.has(error.code)) void client.invalidateQueries({ queryKey: queryKeys.expertise(projectId) });
    },
  });
}

/** The window's query client (one per window; tests make one per test). */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The core is a local process: nothing waits for a network, and a failed read is shown at once (a toast),
        // never retried behind the user's back.
        networkMode: "always",
        retry: false,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
        // Data is read when it is first shown, on Refresh, and when an event or a move made it stale (invalidation);
        // not because one more component shows it.
        refetchOnMount: false,
        // The events of a project that is not selected are not followed, so its cached board or plan would go
        // stale: a project's data is dropped once nothing shows it, and read afresh when it is selected again.
        gcTime: 0,
      },
      mutations: { networkMode: "always", retry: false },
    },
  });
}

export function useProjectsQuery() {
  return useQuery({ queryKey: queryKeys.projects(), queryFn: listProjects });
}

/**
 * A project's board as the core stores it, read again whenever a run's event changes a task; `onArrived` hears each
 * answer before it is rendered (render timing). Structural sharing keeps the objects of unchanged tasks, so a read
 * after one move renders only the cards that changed.
 */
export function useBoardQuery(projectId: string | null, onArrived?: (projectId: string) => void) {
  return useQuery({
    queryKey: queryKeys.board(projectId),
    queryFn:
      projectId === null
        ? skipToken
        : () =>
            getBoard(projectId).then((board) => {
              onArrived?.(projectId);
              return board;
            }),
  });
}

/** A project's stored execution plan (`null`: none built yet). */
export function usePlanQuery(projectId: string | null) {
  return useQuery({
    queryKey: queryKeys.plan(projectId),
    queryFn: projectId === null ? skipToken : () => getPlan(projectId),
  });
}

/**
 * The project's run (the live one, else the last that ended; `null`: none yet), read once and then kept current by
 * the core's snapshots (`putRun`): the window's whole view of a run is this one entry.
 */
export function useRunQuery(projectId: string | null) {
  const client = useQueryClient();
  return useQuery({
    queryKey: queryKeys.run(projectId),
    queryFn:
      projectId === null
        ? skipToken
        : () => runView(projectId).then((run) => newerRun(client.getQueryData<RunSnapshot | null>(queryKeys.run(projectId)), run)),
  });
}

/**
 * Of the run cached and one just read or sent, the newer: the higher version. A read that found no run while a
 * snapshot came in is older (the core keeps a project's last run once it had one).
 */
export function newerRun(cached: RunSnapshot | null | undefined, run: RunSnapshot | null): RunSnapshot | null {
  if (cached == null) return run;
  return run === null || cached.version > run.version ? cached : run;
}

/** Takes a run snapshot the core sent, unless the cache holds a newer one of the project. */
export function putRun(client: QueryClient, run: RunSnapshot): void {
  client.setQueryData<RunSnapshot | null>(queryKeys.run(run.project_id), (cached) => newerRun(cached, run));
}

/** Reads a project's run again (after missed events, or a control answered that no run goes). */
export function rereadRun(client: QueryClient, projectId: string): void {
  void client.invalidateQueries({ queryKey: queryKeys.run(projectId) });
}

/**
 * Re-reads what Refresh re-reads: the projects, and the project's board and plan (and its settings when shown: its
 * tasks file may have changed them; its disk use and expertise when shown).
 */
export function refreshProject(client: QueryClient, projectId: string | null): void {
  void client.invalidateQueries({ queryKey: queryKeys.projects() });
  if (projectId === null) return;
  void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
  void client.invalidateQueries({ queryKey: queryKeys.plan(projectId) });
  void client.invalidateQueries({ queryKey: queryKeys.settings(projectId) });
  void client.invalidateQueries({ queryKey: queryKeys.diskUsage(projectId) });
  void client.invalidateQueries({ queryKey: queryKeys.expertise(projectId) });
}

/** Re-reads a project's board (a run's event changed a task's status). */
export function refreshBoard(client: QueryClient, projectId: string | null): void {
  if (projectId !== null) void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
}

/** `refreshProject` for one project, as a stable callback. */
export function useRefresh(projectId: string | null): () => void {
  const client = useQueryClient();
  return useCallback(() => refreshProject(client, projectId), [client, projectId]);
}

/** A project was created or added: the list changed, and its board and plan are to be read. */
function projectAdded(client: QueryClient, projectId: string): void {
  refreshProject(client, projectId);
}

// Mutations. Each updates or invalidates what it changed in the cache; callers show failures (a toast).

export function useBuildPlan() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (projectId: string) => buildPlan(projectId),
    onSuccess: (plan, projectId) => client.setQueryData(queryKeys.plan(projectId), plan),
  });
}

/** A card moved to another column: a stored change (`applied`) makes the board and the plan stale. */
export function useSetTaskStatus() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, taskId, status }: { projectId: string; taskId: string; status: TaskStatus }) =>
      setTaskStatus(projectId, taskId, status),
    onSuccess: (move, { projectId }) => {
      if (move.kind !== "applied") return;
      void client.invalidateQueries({ queryKey: queryKeys.board(projectId) });
      void client.invalidateQueries({ queryKey: queryKeys.plan(projectId) });
    },
  });
}

/** A planned task pinned to another worktree: the core answers the edited plan. */
export function useMoveTaskToWorktree() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ projectId, taskId, worktree }: { projectId: string; taskId: string; worktree: string }) =>
      moveTaskToWorktree(projectId, taskId, worktree),
    onSuccess: (plan, { projectId }) => client.setQueryData(queryKeys.plan(projectId), plan),
  });
}

export function useCreateDemoProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => createDemoProject(),
    onSuccess: (project) => projectAdded(client, project.id),
  });
}

export function useAddProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (path: string) => addProject(path),
    onSuccess: (added) => projectAdded(client, added.project.id),
  });
}

/** A new project from an app spec (see `initProject`): the list changed, and the new project's board is to be read. */
export function useInitProject() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ path, spec }: { path: string; spec: string }) => initProject(path, spec),
    onSuccess: (report) => projectAdded(client, report.project_id),
  });
}

export function useApproveCommands() {
  return useMutation({
    mutationFn: ({ projectId, commands }: { projectId: string; commands: readonly ProjectCommand[] }) =>
      approveCommands(projectId, commands),
  });
}
