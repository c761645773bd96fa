import { useCallback, useEffect, useEffectEvent, useReducer, useRef, useState } from "react";
import {
  approveCommands,
  buildPlan,
  cancelRun,
  addProject,
  createDemoProject,
  followEvents,
  followResync,
  forceSequential,
  getBoard,
  getPlan,
  listProjects,
  mergeNow,
  moveTaskToWorktree,
  openTaskLog,
  openWorktree,
  pauseRun,
  pendingCommands,
  resumeRun,
  retryMerge,
  retryTask,
  runState,
  setTaskStatus,
  startRun,
  toErrorDto,
} from "./api";
import type { ErrorDto, Event, ExecutionPlan, ProjectCommand, ProjectSummary, TaskStatus } from "./bindings";
import { ApprovalDialog } from "./components/ApprovalDialog/ApprovalDialog";
import { BoardView } from "./components/BoardView";
import { EmptyState } from "./components/EmptyState";
import { ErrorPanel } from "./components/ErrorPanel";
import { GanttView } from "./components/GanttView";
import { LanesView } from "./components/LanesView";
import { Loading } from "./components/Loading";
import { LogPane } from "./components/LogPane";
import { PlanStrip } from "./components/PlanStrip";
import { RunReportPanel } from "./components/RunReportPanel";
import { RunToolbar } from "./components/RunToolbar";
import { Sidebar } from "./components/Sidebar";
import { Toasts, type Toast } from "./components/Toasts";
import { ViewTabs, type MainView } from "./components/ViewTabs";
import { useBoardRenderTiming } from "./renderTiming";
import { LogStore, type Lane, eventLogLines, initialLiveState, isActive, isRelevant, liveReducer, progress } from "./runStore";

/** The latest answer of `list_projects`, for reload number `key`. A failed reload keeps the last good list. */
type ProjectsState = { key: number; list: ProjectSummary[] | null; error: ErrorDto | null };
/** How the latest `get_board` of one project and reload number went (the board itself is in the live state). */
type BoardLoad = { projectId: string; key: number; error: ErrorDto | null };
/** The latest answer of `get_plan` for one project. */
type PlanState = { projectId: string; plan: ExecutionPlan | null };

const noop = () => {};
const NO_LANES: readonly Lane[] = [];

export function App() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextToastId = useRef(1);
  const pushError = useCallback((reason: unknown) => {
    const error = toErrorDto(reason);
    const id = nextToastId.current++;
    setToasts((current) => [...current.slice(-4), { id, error }]);
  }, []);
  const dismissToast = useCallback((id: number) => {
    setToasts((current) => current.filter((toast) => toast.id !== id));
  }, []);

  // Projects. Bumping `projectsKey` reloads them.
  const [projectsKey, setProjectsKey] = useState(0);
  const [projects, setProjects] = useState<ProjectsState | null>(null);
  useEffect(() => {
    let live = true;
    listProjects().then(
      (list) => {
        if (live) setProjects({ key: projectsKey, list, error: null });
      },
      (reason: unknown) => {
        if (!live) return;
        const error = toErrorDto(reason);
        setProjects((prev) => ({ key: projectsKey, list: prev?.list ?? null, error }));
        pushError(error);
      },
    );
    return () => {
      live = false;
    };
  }, [projectsKey, pushError]);
  const projectList = projects?.list ?? null;
  const projectsLoading = projects?.key !== projectsKey;

  // Selection: the project clicked last, else the first one listed. A choice that vanished from a fresh list
  // falls back to the first project.
  const [chosenId, setChosenId] = useState<string | null>(null);
  const chosenListed = chosenId !== null && (projectList?.some((s) => s.project.id === chosenId) ?? false);
  const selectedId =
    chosenId !== null && (chosenListed || projectsLoading) ? chosenId : (projectList?.[0]?.project.id ?? null);
  const selectedSummary = projectList?.find((s) => s.project.id === selectedId);

  // The selected project's live state: its board as loaded and changed by events since, and its run.
  const [liveState, dispatch] = useReducer(liveReducer, null, initialLiveState);
  const live = liveState.projectId === selectedId ? liveState : null;
  const [logs] = useState(() => new LogStore());

  const [view, setView] = useState<MainView>("board");
  const boardArrived = useBoardRenderTiming(live?.board ?? null, view === "board");

  // The selected project's board. Bumping `boardKey` reloads it.
  const [boardKey, setBoardKey] = useState(0);
  const [boardLoad, setBoardLoad] = useState<BoardLoad | null>(null);
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    getBoard(selectedId).then(
      (board) => {
        if (!live) return;
        boardArrived(selectedId);
        dispatch({ kind: "board_loaded", projectId: selectedId, board });
        setBoardLoad({ projectId: selectedId, key: boardKey, error: null });
      },
      (reason: unknown) => {
        if (!live) return;
        const error = toErrorDto(reason);
        setBoardLoad({ projectId: selectedId, key: boardKey, error });
        pushError(error);
      },
    );
    return () => {
      live = false;
    };
  }, [selectedId, boardKey, pushError, boardArrived]);
  const current = boardLoad !== null && boardLoad.projectId === selectedId ? boardLoad : null;
  const board = live?.board ?? null;
  const boardError = current?.error ?? null;
  const boardLoading = selectedId !== null && (current === null || current.key !== boardKey);

  // Whether the selected project has a run going (the window may have been reloaded during one), then its events.
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    logs.clear();
    runState(selectedId).then(
      (state) => {
        if (live) dispatch({ kind: "state_loaded", projectId: selectedId, active: state.active, paused: state.paused });
      },
      (reason: unknown) => {
        if (live) pushError(reason);
      },
    );
    return () => {
      live = false;
    };
  }, [selectedId, logs, pushError]);

  // The selected project's execution plan. Bumping `planKey` reloads it.
  const [planKey, setPlanKey] = useState(0);
  const [planState, setPlanState] = useState<PlanState | null>(null);
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    getPlan(selectedId).then(
      (plan) => {
        if (live) setPlanState({ projectId: selectedId, plan });
      },
      (reason: unknown) => {
        if (live) pushError(reason);
      },
    );
    return () => {
      live = false;
    };
  }, [selectedId, planKey, pushError]);
  const plan = planState !== null && planState.projectId === selectedId ? planState.plan : null;
  const [buildingPlan, setBuildingPlan] = useState(false);
  const rebuildPlan = useCallback(() => {
    if (selectedId === null) return;
    const projectId = selectedId;
    setBuildingPlan(true);
    buildPlan(projectId).then(
      (built) => {
        setBuildingPlan(false);
        setPlanState({ projectId, plan: built });
      },
      (reason: unknown) => {
        setBuildingPlan(false);
        pushError(reason);
      },
    );
  }, [selectedId, pushError]);

  const refresh = useCallback(() => {
    setProjectsKey((k) => k + 1);
    setBoardKey((k) => k + 1);
    setPlanKey((k) => k + 1);
  }, []);

  // The core's events. `liveState` here is the last committed one; the reducer sees every event in order.
  const onEvent = useEffectEvent((event: Event) => {
    const relevant = isRelevant(liveState, event);
    dispatch({ kind: "event", event, at: Date.now() });
    if (!relevant) return;
    if (event.type === "run_failed") {
      // The run could not go on (before it started, or while it ended): say why, and show what the database holds.
      pushError(event.error);
      refresh();
      return;
    }
    const logged = eventLogLines(event);
    if (logged !== null) for (const line of logged.lines) logs.append(logged.taskId, line);
    if (event.type === "warning") {
      pushError({ code: "warning", message: event.task_id === null ? event.message : `${event.task_id}: ${event.message}` });
    } else if (event.type === "run_finished") {
      refresh();
    }
  });
  useEffect(() => followEvents((event) => onEvent(event), pushError), [pushError]);
  // Events were missed (a burst): re-read the board, the plan and whether the run still goes.
  const onResync = useEffectEvent(() => {
    refresh();
    const projectId = selectedId;
    if (projectId === null) return;
    runState(projectId).then((state) => {
      dispatch({ kind: "state_loaded", projectId, active: state.active, paused: state.paused });
      if (!state.active) dispatch({ kind: "run_gone", projectId, failed: false });
    }, noop);
  });
  useEffect(() => followResync(() => onResync()), []);

  // Run controls.
  const [sequential, setSequential] = useState(false);
  /** A control answered `no_active_run`: the run is over though its end was not seen here. */
  const lostRun = useCallback(
    (projectId: string, reason: unknown) => {
      const error = toErrorDto(reason);
      pushError(error);
      if (error.code === "no_active_run") {
        dispatch({ kind: "run_gone", projectId, failed: false });
        refresh();
      }
    },
    [pushError, refresh],
  );
  /** Commands of the selected repository's tasks file waiting for a person's approval before a run may start. */
  const [approval, setApproval] = useState<{ projectId: string; commands: ProjectCommand[]; busy: boolean } | null>(null);
  const start = useCallback(() => {
    if (selectedId === null) return;
    const projectId = selectedId;
    logs.clear();
    dispatch({ kind: "start_requested", projectId });
    startRun(projectId, sequential).then(noop, (reason: unknown) => {
      dispatch({ kind: "start_failed", projectId });
      const error = toErrorDto(reason);
      if (error.code === "command_not_approved") {
        // The repository's tasks file names commands no one approved: show them, exactly, and ask.
        pendingCommands(projectId).then(
          (commands) => (commands.length > 0 ? setApproval({ projectId, commands, busy: false }) : pushError(error)),
          () => pushError(error),
        );
        return;
      }
      pushError(error);
      if (error.code === "run_in_progress") {
        runState(projectId).then(
          (state) => dispatch({ kind: "state_loaded", projectId, active: state.active, paused: state.paused }),
          noop,
        );
      }
    });
  }, [selectedId, sequential, logs, pushError]);
  const approve = useCallback(() => {
    if (approval === null) return;
    setApproval({ ...approval, busy: true });
    approveCommands(approval.projectId, approval.commands).then(
      () => {
        setApproval(null);
        if (approval.projectId === selectedId) start();
      },
      (reason: unknown) => {
        setApproval(null);
        pushError(toErrorDto(reason));
      },
    );
  }, [approval, selectedId, start, pushError, setApproval]);
  const pause = useCallback(() => {
    if (selectedId === null) return;
    const projectId = selectedId;
    pauseRun(projectId).then(
      () => dispatch({ kind: "paused", projectId }),
      (reason: unknown) => lostRun(projectId, reason),
    );
  }, [selectedId, lostRun]);
  const resume = useCallback(() => {
    if (selectedId === null) return;
    const projectId = selectedId;
    resumeRun(projectId).then(
      () => dispatch({ kind: "resumed", projectId }),
      (reason: unknown) => lostRun(projectId, reason),
    );
  }, [selectedId, lostRun]);
  const cancel = useCallback(() => {
    if (selectedId === null) return;
    const projectId = selectedId;
    dispatch({ kind: "cancel_requested", projectId });
    cancelRun(projectId).then(noop, (reason: unknown) => {
      dispatch({ kind: "cancel_failed", projectId });
      lostRun(projectId, reason);
    });
  }, [selectedId, lostRun]);
  /** Sends a command to the selected project's run; settles once it was taken or its refusal reported. */
  const toRun = useCallback(
    (send: (projectId: string) => Promise<null>): Promise<void> => {
      if (selectedId === null) return Promise.resolve();
      const projectId = selectedId;
      return send(projectId).then(noop, (reason: unknown) => lostRun(projectId, reason));
    },
    [selectedId, lostRun],
  );
  const goSequential = useCallback(() => toRun(forceSequential), [toRun]);
  const retry = useCallback((taskId: string) => toRun((projectId) => retryTask(projectId, taskId)), [toRun]);
  const retryLanding = useCallback((taskId: string) => toRun((projectId) => retryMerge(projectId, taskId)), [toRun]);
  const landNow = useCallback((taskId: string) => toRun((projectId) => mergeNow(projectId, taskId)), [toRun]);
  // Moves made by hand: a card to another column, a planned task to another worktree. A refusal explains itself
  // in a toast and nothing moves; a stored status change makes the board and the plan stale.
  const moveTask = useCallback(
    (taskId: string, status: TaskStatus) => {
      if (selectedId === null) return;
      setTaskStatus(selectedId, taskId, status).then((move) => {
        if (move.kind === "applied") {
          setBoardKey((k) => k + 1);
          setPlanKey((k) => k + 1);
        }
      }, pushError);
    },
    [selectedId, pushError],
  );
  const moveToWorktree = useCallback(
    (taskId: string, worktree: string) => {
      if (selectedId === null) return;
      const projectId = selectedId;
      moveTaskToWorktree(projectId, taskId, worktree).then((moved) => setPlanState({ projectId, plan: moved }), pushError);
    },
    [selectedId, pushError],
  );
  const openFolder = useCallback(
    (taskId: string) => {
      if (selectedId !== null) openWorktree(selectedId, taskId).catch(pushError);
    },
    [selectedId, pushError],
  );
  const openAgentLog = useCallback(
    (taskId: string) => {
      if (selectedId !== null) openTaskLog(selectedId, taskId).catch(pushError);
    },
    [selectedId, pushError],
  );

  const dismissReport = useCallback(() => {
    if (selectedId !== null) dispatch({ kind: "dismiss_report", projectId: selectedId });
  }, [selectedId]);

  // The task whose log pane is open (it closes when another project is chosen).
  const [openTask, setOpenTask] = useState<{ projectId: string; taskId: string } | null>(null);
  const openTaskId = openTask !== null && openTask.projectId === selectedId ? openTask.taskId : null;
  const openLog = useCallback(
    (taskId: string) => {
      if (selectedId !== null) setOpenTask({ projectId: selectedId, taskId });
    },
    [selectedId],
  );
  const closeLog = useCallback(() => setOpenTask(null), []);
  const logTask = openTaskId === null ? undefined : board?.tasks.find((task) => task.id === openTaskId);

  const [creatingDemo, setCreatingDemo] = useState(false);
  const createDemo = useCallback(() => {
    setCreatingDemo(true);
    createDemoProject().then(
      (project) => {
        setCreatingDemo(false);
        setChosenId(project.id);
        setProjectsKey((k) => k + 1);
        setBoardKey((k) => k + 1);
        setPlanKey((k) => k + 1);
      },
      (reason: unknown) => {
        setCreatingDemo(false);
        pushError(reason);
      },
    );
  }, [pushError]);

  // Resolves when added (the new project is selected), rejects after showing why.
  const addRepository = useCallback(
    (path: string) =>
      addProject(path).then(
        (added) => {
          setChosenId(added.project.id);
          setProjectsKey((k) => k + 1);
          setBoardKey((k) => k + 1);
          setPlanKey((k) => k + 1);
          const warning = added.imported?.plan_warning;
          if (warning != null) pushError({ code: "warning", message: warning });
        },
        (reason: unknown) => {
          pushError(reason);
          return Promise.reject(reason);
        },
      ),
    [pushError],
  );

  const project = selectedSummary?.project ?? board?.project ?? null;
  const busy = projectsLoading || boardLoading;
  const phase = live?.phase ?? "idle";
  const runActive = isActive(phase);
  const { done, total } = progress(board);

  let content;
  if (selectedId !== null) {
    if (board !== null) {
      content = (
        <>
          <PlanStrip plan={plan} building={buildingPlan} disabled={runActive} onRebuild={rebuildPlan} />
          {live?.report != null && <RunReportPanel report={live.report} onDismiss={dismissReport} />}
          <ViewTabs view={view} onChange={setView} />
          <div className="workspace">
            {view === "board" && (
              <BoardView
                board={board}
                plan={plan}
                slots={live?.slots}
                lanes={live?.lanes}
                timings={live?.timings}
                runStartedAt={live?.runStartedAt}
                selectedTaskId={openTaskId}
                onOpenTask={openLog}
                onMoveTask={moveTask}
              />
            )}
            {view === "lanes" && (
              <LanesView
                tasks={board.tasks}
                plan={plan}
                lanes={live?.lanes ?? NO_LANES}
                workers={live?.workers ?? null}
                onOpenTask={openLog}
                onMoveTask={moveToWorktree}
                onOpenWorktree={openFolder}
                onOpenLog={openAgentLog}
              />
            )}
            {view === "timeline" && (
              <GanttView tasks={board.tasks} plan={plan} report={live?.report ?? null} timings={live?.timings ?? null} />
            )}
            {logTask !== undefined && (
              <LogPane
                task={logTask}
                logs={logs}
                slot={live?.slots[logTask.id]}
                runActive={runActive}
                onRetry={retry}
                onRetryMerge={retryLanding}
                onMergeNow={landNow}
                onClose={closeLog}
              />
            )}
          </div>
        </>
      );
    } else if (boardError !== null && !boardLoading) {
      content = <ErrorPanel title="Couldn't load this board" error={boardError} onRetry={refresh} />;
    } else {
      content = <Loading label="Loading board…" />;
    }
  } else if (projectList === null) {
    content =
      projects?.error != null && !projectsLoading ? (
        <ErrorPanel title="Couldn't load your projects" error={projects.error} onRetry={refresh} />
      ) : (
        <Loading label="Loading projects…" />
      );
  } else {
    content = <EmptyState creating={creatingDemo} onCreateDemo={createDemo} />;
  }

  return (
    <div className="app">
      <Sidebar
        projects={projectList}
        failed={projects?.error != null && !projectsLoading}
        selectedId={selectedId}
        onSelect={setChosenId}
        onAddRepository={addRepository}
      />
      <main className="main" aria-busy={busy}>
        <header className="main-head">
          <div className="main-title">
            <h1>{project?.name ?? "YokeFlow"}</h1>
            {project !== null && (
              <p className="main-meta">
                <span title="Target branch" className="branch">
                  {project.target_branch}
                </span>
                <span className="repo-path">{project.repo_path}</span>
              </p>
            )}
          </div>
          <div className="main-actions">
            {selectedId !== null && (
              <RunToolbar
                phase={phase}
                mode={live?.mode ?? null}
                ready={board !== null}
                cancelling={live?.cancelling ?? false}
                sequential={sequential}
                done={done}
                total={total}
                onSequentialChange={setSequential}
                onStart={start}
                onPause={pause}
                onResume={resume}
                onCancel={cancel}
                onForceSequential={goSequential}
              />
            )}
            <button type="button" className="button" data-testid="refresh" onClick={refresh} disabled={busy}>
              {busy ? "Refreshing…" : "Refresh"}
            </button>
          </div>
        </header>
        <div className="main-body">{content}</div>
      </main>
      {approval !== null && (
        <ApprovalDialog
          projectName={projectList?.find((p) => p.project.id === approval.projectId)?.project.name ?? "this repository"}
          commands={approval.commands}
          busy={approval.busy}
          onApprove={approve}
          onCancel={() => setApproval(null)}
        />
      )}
      <Toasts toasts={toasts} onDismiss={dismissToast} />
    </div>
  );
}
