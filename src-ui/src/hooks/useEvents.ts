import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useEffectEvent } from "react";
import { followEvents, followExpertise, followResync, followRuns, followTasksFile } from "../api";
import type { ExpertiseEvent, RunEvent, RunSnapshot, TasksFileEvent } from "../bindings";
import { describeImport } from "../cards";
import { useLogs } from "../liveRun";
import { putRun, queryKeys, refreshBoard, refreshProject, rereadRun, taskChanged } from "../queries";
import { eventLogItems, targetMovedText } from "../runStore";
import { useUiActions } from "../uiStore";

/**
 * Follows the core for the whole window. Each run's snapshot (its whole live view, folded by the core) goes into
 * its project's query entry. Each event of the selected project's runs adds its output lines to the log store and
 * makes what the database holds stale where it changed: a task's status (the board), its work (its sessions and
 * diff), the end of the run (the projects, the board, the plan). Missed events (a resync) invalidate the same and
 * the run. The selected project's tasks file changed on disk: imported, its board and plan are read again and a
 * toast says what changed; refused, a toast says why. Any expertise sync of the selected project (a file imported
 * or written, a conflict found or resolved) makes its Expertise tab's data stale.
 */
export function useEvents(selectedId: string | null): void {
  const client = useQueryClient();
  const logs = useLogs();
  const { pushError, pushInfo } = useUiActions();

  const onRun = useEffectEvent((run: RunSnapshot) => putRun(client, run));
  useEffect(() => followRuns((run) => onRun(run), pushError), [pushError]);

  const onEvent = useEffectEvent(({ project_id: projectId, event }: RunEvent) => {
    if (projectId !== selectedId) return;
    if (event.type === "run_failed") {
      // The run could not go on (before it started, or while it ended): say why, and show what the database holds.
      pushError(event.error);
      refreshProject(client, selectedId);
      return;
    }
    const logged = eventLogItems(event);
    if (logged !== null) logs.append(logged.taskId, ...logged.items);
    // What a task's pane reads from the database (its sessions, its diff) is stale once its work changed.
    switch (event.type) {
      case "task_status_changed":
        refreshBoard(client, selectedId);
        // The projects' list counts what is done too.
        if (event.status === "done") void client.invalidateQueries({ queryKey: queryKeys.projects() });
        taskChanged(client, selectedId, event.task_id);
        break;
      case "agent_exited":
      case "branch_committed":
      case "merge_result":
        taskChanged(client, selectedId, event.task_id);
        break;
      case "recovered":
        refreshBoard(client, selectedId);
        break;
      default:
        break;
    }
    if (event.type === "warning") {
      pushError({ code: "warning", message: event.task_id === null ? event.message : `${event.task_id}: ${event.message}` });
    } else if (event.type === "target_moved_outside") {
      pushError({ code: "warning", message: targetMovedText(event) });
    } else if (event.type === "run_finished") {
      refreshProject(client, selectedId);
    }
  });
  useEffect(() => followEvents((event) => onEvent(event), pushError), [pushError]);

  // Events were missed (a burst): re-read the board, the plan and the run.
  const onResync = useEffectEvent(() => {
    refreshProject(client, selectedId);
    if (selectedId !== null) rereadRun(client, selectedId);
  });
  useEffect(() => followResync(() => onResync()), []);

  const onTasksFile = useEffectEvent((event: TasksFileEvent) => {
    if (event.project_id !== selectedId) return;
    if (event.kind === "refused") {
      pushError(event.error);
      return;
    }
    refreshProject(client, selectedId);
    pushInfo(describeImport(event.file, event.summary));
    if (event.summary.plan_warning !== null) pushError({ code: "warning", message: event.summary.plan_warning });
  });
  useEffect(() => followTasksFile((event) => onTasksFile(event), pushError), [pushError]);

  const onExpertise = useEffectEvent((event: ExpertiseEvent) => {
    if (event.project_id !== selectedId) return;
    void client.invalidateQueries({ queryKey: queryKeys.expertise(event.project_id) });
  });
  useEffect(() => followExpertise((event) => onExpertise(event), pushError), [pushError]);
}
