import { useCallback, useEffect, useRef, useState } from "react";
import { createDemoProject, getBoard, listProjects, toErrorDto } from "./api";
import type { Board, ErrorDto, ProjectSummary } from "./bindings";
import { BoardView } from "./components/BoardView";
import { EmptyState } from "./components/EmptyState";
import { ErrorPanel } from "./components/ErrorPanel";
import { Loading } from "./components/Loading";
import { Sidebar } from "./components/Sidebar";
import { Toasts, type Toast } from "./components/Toasts";

/** The latest answer of `list_projects`, for reload number `key`. A failed reload keeps the last good list. */
type ProjectsState = { key: number; list: ProjectSummary[] | null; error: ErrorDto | null };
/** The latest answer of `get_board` for one project and reload number. */
type BoardState = { projectId: string; key: number; board: Board | null; error: ErrorDto | null };

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

  // The selected project's board. Bumping `boardKey` reloads it.
  const [boardKey, setBoardKey] = useState(0);
  const [boardState, setBoardState] = useState<BoardState | null>(null);
  useEffect(() => {
    if (selectedId === null) return;
    let live = true;
    getBoard(selectedId).then(
      (board) => {
        if (live) setBoardState({ projectId: selectedId, key: boardKey, board, error: null });
      },
      (reason: unknown) => {
        if (!live) return;
        const error = toErrorDto(reason);
        setBoardState((prev) => ({
          projectId: selectedId,
          key: boardKey,
          board: prev?.projectId === selectedId ? prev.board : null,
          error,
        }));
        pushError(error);
      },
    );
    return () => {
      live = false;
    };
  }, [selectedId, boardKey, pushError]);
  const current = boardState !== null && boardState.projectId === selectedId ? boardState : null;
  const board = current?.board ?? null;
  const boardError = current?.error ?? null;
  const boardLoading = selectedId !== null && (current === null || current.key !== boardKey);

  const refresh = useCallback(() => {
    setProjectsKey((k) => k + 1);
    setBoardKey((k) => k + 1);
  }, []);

  const [creatingDemo, setCreatingDemo] = useState(false);
  const createDemo = useCallback(() => {
    setCreatingDemo(true);
    createDemoProject().then(
      (project) => {
        setCreatingDemo(false);
        setChosenId(project.id);
        setProjectsKey((k) => k + 1);
        setBoardKey((k) => k + 1);
      },
      (reason: unknown) => {
        setCreatingDemo(false);
        pushError(reason);
      },
    );
  }, [pushError]);

  const project = selectedSummary?.project ?? board?.project ?? null;
  const busy = projectsLoading || boardLoading;

  let content;
  if (selectedId !== null) {
    if (board !== null) {
      content = <BoardView board={board} />;
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
          <button type="button" className="button" data-testid="refresh" onClick={refresh} disabled={busy}>
            {busy ? "Refreshing…" : "Refresh"}
          </button>
        </header>
        <div className="main-body">{content}</div>
      </main>
      <Toasts toasts={toasts} onDismiss={dismissToast} />
    </div>
  );
}
