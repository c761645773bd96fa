import { useCallback } from "react";
import { openTaskLog, openWorktree } from "../api";
import type { TaskStatus } from "../bindings";
import { useBuildPlan, useMoveTaskToWorktree, useSetTaskStatus } from "../queries";
import { useUiActions } from "../uiStore";

/**
 * What a person does to a project's tasks and plan: moves made by hand (a card to another column, a planned task
 * to another worktree), rebuilding the plan, and opening a task's folder or agent log. A refusal explains itself
 * in a toast and nothing moves; the cache is updated by the mutations (queries.ts).
 */
export function useTaskActions(projectId: string) {
  const { pushError } = useUiActions();
  const { mutateAsync: setStatus } = useSetTaskStatus();
  const { mutateAsync: pin } = useMoveTaskToWorktree();
  const { mutateAsync: build, isPending: buildingPlan } = useBuildPlan();

  const moveTask = useCallback(
    (taskId: string, status: TaskStatus) => {
      setStatus({ projectId, taskId, status }).catch(pushError);
    },
    [projectId, setStatus, pushError],
  );
  const moveToWorktree = useCallback(
    (taskId: string, worktree: string) => {
      pin({ projectId, taskId, worktree }).catch(pushError);
    },
    [projectId, pin, pushError],
  );
  const rebuildPlan = useCallback(() => {
    build(projectId).catch(pushError);
  }, [projectId, build, pushError]);
  const openFolder = useCallback(
    (taskId: string) => {
      openWorktree(projectId, taskId).catch(pushError);
    },
    [projectId, pushError],
  );
  const openAgentLog = useCallback(
    (taskId: string) => {
      openTaskLog(projectId, taskId).catch(pushError);
    },
    [projectId, pushError],
  );

  return { moveTask, moveToWorktree, rebuildPlan, buildingPlan, openFolder, openAgentLog };
}
