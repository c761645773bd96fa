import { useCallback, useMemo, useState } from "react";
import type { Accepted, CardResult, DraftPreview, GateState, Lane, ProjectSummary, TimingSpan } from "../../bindings";
import { describeAccepted } from "../../drafts";
import { useKeyShortcut } from "../../hooks/useKeyShortcut";
import { useProjectData } from "../../hooks/useProjectData";
import { useRunControls } from "../../hooks/useRunControls";
import { useTaskActions } from "../../hooks/useTaskActions";
import { useLogs } from "../../liveRun";
import { useDropRefusals, useRefresh } from "../../queries";
import { useBoardArrival, useBoardShown } from "../../renderTiming";
import { isActive, lanesRunIn, progress, shownPhase, slotsByTask } from "../../runStore";
import { useUiActions, useUiState } from "../../uiStore";
import { BoardView } from "../BoardView/BoardView";
import { DraftDialog } from "../DraftDialog/DraftDialog";
import { EmptyBoard } from "../EmptyBoard/EmptyBoard";
import { ErrorPanel } from "../ErrorPanel/ErrorPanel";
import { ExpertiseView } from "../ExpertiseView/ExpertiseView";
import { GanttView } from "../GanttView/GanttView";
import { LanesView } from "../LanesView/LanesView";
import { Loading } from "../Loading/Loading";
import { LogPane } from "../LogPane/LogPane";
import { MainPanel } from "../MainPanel/MainPanel";
import { MergeQueue } from "../MergeQueue/MergeQueue";
import { PlanStrip } from "../PlanStrip/PlanStrip";
import { RunReportPanel } from "../RunReportPanel/RunReportPanel";
import { RunToolbar } from "../RunToolbar/RunToolbar";
import { SettingsPanel } from "../SettingsPanel/SettingsPanel";
import { TaskForm } from "../TaskForm/TaskForm";
import { ViewTabs } from "../ViewTabs/ViewTabs";
import styles from "./ProjectView.module.css";

const NO_LANES: readonly Lane[] = [];
const NO_TIMINGS: readonly TimingSpan[] = [];
const EMPTY_GATE: GateState = { waiting: [], preflight: [], preflight_failed: [], testing: [], testing_batch: 0, recent: [] };

type Props = {
  projectId: string;
  /** The project as the list shows it, for the title (the board's copy until the list has it). */
  summary: ProjectSummary | undefined;
  /** The list of projects is being read: Refresh waits for it too. */
  projectsBusy: boolean;
};

/**
 * The selected project: its title and run toolbar, its plan, the last run's report, and its board, worktree lanes
 * (with the merge gate below them), timeline, expertise or settings, with a task's log pane beside them, and the task form
 * (New task, `n`, Edit task) or the draft dialog (Draft tasks) over them. Reads its data through queries
 * (useProjectData): the board, read again as the run's events change tasks, and the run, the core's snapshot.
 */
export function ProjectView({ projectId, summary, projectsBusy }: Props) {
  const logs = useLogs();
  const ui = useUiState();
  const {
    setView,
    setSequential,
    setBudget,
    openTask,
    closeTask,
    openTaskForm,
    closeTaskForm,
    openDraftDialog,
    closeDraftDialog,
    dismissReport: dismissRunReport,
    pushError,
    pushInfo,
  } = useUiActions();
  const probe = useBoardArrival();
  const { board: boardQuery, plan: planQuery, run: runQuery } = useProjectData(projectId, probe.arrived);
  const board = boardQuery.data ?? null;
  useBoardShown(probe, board, ui.view === "board");
  const live = runQuery.data ?? null;
  const refresh = useRefresh(projectId);
  const run = useRunControls(projectId);
  const tasks = useTaskActions(projectId);

  const plan = planQuery.data ?? null;
  const phase = shownPhase(live, run.starting);
  const slots = useMemo(() => slotsByTask(live), [live]);
  const ranOn = useMemo(() => lanesRunIn(live), [live]);
  const report = live?.report != null && ui.dismissedReport !== live.run_id ? live.report : null;
  const runActive = isActive(phase);
  const { done, total } = progress(board);
  const inReview = board?.tasks.filter((task) => task.status === "review").length ?? 0;
  const boardLoading = boardQuery.isFetching;

  // The task whose log pane is open (it closes when another project is chosen).
  const openTaskId = ui.openTask !== null && ui.openTask.projectId === projectId ? ui.openTask.taskId : null;
  const [draggedTask, setDraggedTask] = useState<string | null>(null);
  const refusals = useDropRefusals(projectId, draggedTask);
  const openLog = useCallback((taskId: string) => openTask(projectId, taskId), [openTask, projectId]);
  const logTask = openTaskId === null ? undefined : board?.tasks.find((task) => task.id === openTaskId);
  // Closing the pane (Escape, ×) gives the focus back to the card that opened it, not to the page.
  const closePane = useCallback(() => {
    if (openTaskId !== null) {
      const card = document.querySelector(`[data-testid="task-card"][data-task-id="${CSS.escape(openTaskId)}"]`);
      card?.querySelector<HTMLElement>("button[aria-expanded]")?.focus();
    }
    closeTask();
  }, [openTaskId, closeTask]);
  const runId = live?.run_id ?? null;
  const dismissReport = useCallback(() => {
    if (runId !== null) dismissRunReport(runId);
  }, [dismissRunReport, runId]);

  // The task form (closed when another project is chosen); an edited task that is gone closes it.
  const form = ui.taskForm !== null && ui.taskForm.projectId === projectId ? ui.taskForm : null;
  const formTask = form?.taskId == null ? null : (board?.tasks.find((task) => task.id === form.taskId) ?? null);
  const formShown = form !== null && (form.taskId === null || formTask !== null);
  const newTask = useCallback(() => openTaskForm(projectId, null), [openTaskForm, projectId]);
  const editTask = useCallback((taskId: string) => openTaskForm(projectId, taskId), [openTaskForm, projectId]);
  const saved = useCallback(
    (result: CardResult) => {
      const warning = result.summary.plan_warning;
      if (warning !== null) pushError({ code: "warning", message: `Saved, but the plan could not be rebuilt: ${warning}` });
    },
    [pushError],
  );
  // The draft dialog (closed when another project is chosen), its spec field filled for a project just created.
  const draft = ui.draftDialog !== null && ui.draftDialog.projectId === projectId ? ui.draftDialog : null;
  const draftShown = draft !== null;
  const draftTasks = useCallback(() => openDraftDialog(projectId), [openDraftDialog, projectId]);
  const accepted = useCallback(
    (result: Accepted, preview: DraftPreview) => {
      pushInfo(describeAccepted(result, preview));
      const warning = result.summary.plan_warning;
      if (warning !== null) pushError({ code: "warning", message: `Imported, but the plan could not be rebuilt: ${warning}` });
    },
    [pushInfo, pushError],
  );
  const settingsSaved = useCallback(() => pushInfo("Settings saved"), [pushInfo]);
  useKeyShortcut("n", board !== null && !formShown && !draftShown && ui.approval === null, newTask);

  let content;
  if (board !== null) {
    content = (
      <>
        <PlanStrip plan={plan} building={tasks.buildingPlan} disabled={runActive || total === 0} onRebuild={tasks.rebuildPlan} />
        {report !== null && <RunReportPanel report={report} onDismiss={dismissReport} />}
        <ViewTabs view={ui.view} onChange={setView} />
        <div className={styles.workspace}>
          {ui.view === "board" && board.tasks.length === 0 && (
            <EmptyBoard tasksFile={board.project.tasks_file} onNewTask={newTask} onDraftTasks={draftTasks} />
          )}
          {ui.view === "board" && board.tasks.length > 0 && (
            <BoardView
              board={board}
              plan={plan}
              slots={slots}
              lanes={live?.lanes}
              timings={live?.timings}
              runStartedAt={live?.started_at_ms}
              selectedTaskId={openTaskId}
              laneNames={live?.lane_names}
              activity={live?.activity}
              onOpenTask={openLog}
              onDragTask={setDraggedTask}
              refusals={refusals}
              onMoveTask={tasks.moveTask}
              onNewTask={newTask}
              onDraftTasks={draftTasks}
            />
          )}
          {ui.view === "lanes" && (
            <div className={styles.lanesColumn}>
              <LanesView
                tasks={board.tasks}
                plan={plan}
                lanes={live?.lanes ?? NO_LANES}
                workers={live?.workers ?? null}
                laneNames={live?.lane_names}
                sandboxed={live !== null && live.started_at_ms !== null ? live.sandboxed : null}
                ranOn={ranOn}
                onOpenTask={openLog}
                onMoveTask={tasks.moveToWorktree}
                onOpenWorktree={tasks.openFolder}
                onOpenLog={tasks.openAgentLog}
              />
              <MergeQueue gate={live?.gate ?? EMPTY_GATE} onOpenTask={openLog} />
            </div>
          )}
          {ui.view === "timeline" && (
            <GanttView
              tasks={board.tasks}
              plan={plan}
              report={live?.report ?? null}
              timings={live?.timings ?? NO_TIMINGS}
              laneNames={live?.lane_names}
            />
          )}
          {ui.view === "expertise" && <ExpertiseView projectId={projectId} onError={pushError} />}
          {ui.view === "settings" && <SettingsPanel projectId={projectId} isDemo={board.project.is_demo} onSaved={settingsSaved} onError={pushError} />}
          {logTask !== undefined && (
            <LogPane
              projectId={projectId}
              task={logTask}
              columns={board.columns}
              logs={logs}
              slot={slots[logTask.id]}
              laneNames={live?.lane_names}
              runActive={runActive}
              onOpenFolder={tasks.openFolder}
              onError={pushError}
              onRetry={run.retry}
              onRetryMerge={run.retryLanding}
              onMergeNow={run.landNow}
              onEditTask={editTask}
              onClose={closePane}
            />
          )}
        </div>
        {formShown && (
          <TaskForm
            key={form.taskId ?? "new"}
            projectId={projectId}
            tasks={board.tasks}
            epics={board.epics}
            task={formTask}
            onClose={closeTaskForm}
            onSaved={saved}
          />
        )}
        {draft !== null && (
          <DraftDialog
            projectId={projectId}
            epics={board.epics}
            initialSpec={draft.spec}
            onClose={closeDraftDialog}
            onAccepted={accepted}
            onError={pushError}
          />
        )}
      </>
    );
  } else if (boardQuery.error !== null && !boardLoading) {
    content = <ErrorPanel title="Couldn't load this board" error={boardQuery.error} onRetry={refresh} />;
  } else {
    content = <Loading label="Loading board…" />;
  }

  return (
    <MainPanel
      project={summary?.project ?? board?.project ?? null}
      busy={projectsBusy || boardLoading}
      onRefresh={refresh}
      actions={
        <RunToolbar
          phase={phase}
          mode={live?.mode ?? null}
          ready={board !== null && total > 0}
          inReview={inReview}
          sequential={ui.sequential}
          budget={ui.budget}
          onBudgetChange={setBudget}
          done={done}
          total={total}
          onSequentialChange={setSequential}
          onStart={run.start}
          standIn={run.standIn}
          sandboxed={live !== null && live.started_at_ms !== null ? live.sandboxed : null}
          onPause={run.pause}
          onResume={run.resume}
          onCancel={run.cancel}
          onForceSequential={run.goSequential}
        />
      }
    >
      {content}
    </MainPanel>
  );
}
