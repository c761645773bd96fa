import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useEffectEvent, useRef } from "react";
import { followEvents, followExpertise, followResync, followTasksFile } from "../api";
import type { Event, ExpertiseEvent, TasksFileEvent } from "../bindings";
import { describeImport } from "../cards";
import { useLiveRunControls, useLiveState } from "../liveRun";
import { queryKeys, refreshProject, rereadRunState, taskChanged } from "../queries";
import { eventLogItems, isRelevant, targetMovedText } from "../runStore";
import { useUiActions } from "../uiStore";

/**
 * Follows the core's events for the whole window: each one is folded into the live state (every event, in order),
 * its output lines go to the log store, and the end of the selected project's run makes what the database holds
 * stale (the projects, the board, the plan are invalidated, so they are read again). Missed events (a resync)
 * invalidate the same and re-read whether the run still goes. The selected project's tasks file changed on disk:
 * imported, its board and plan are read again and a toast says what changed; refused, a toast says why. Any
 * expertise sync of the selected project (a file imported or written, a conflict found or resolved) makes its
 * Expertise tab's data stale.
 */
export function useEvents(selectedId: string | null): void {
  const client = useQueryClient();
  const liveState = useLiveState();
  const { dispatch, logs } = useLiveRunControls();
  const { pushError, pushInfo } = useUiActions();

  // The project of each run whose `run_started` came, as soon as it came: several events can arrive before the
  // next render (a run started by feedback sends its first events right after `run_started`), and the committed
  // `liveState` would not know that run yet.
  const runOwners = useRef(new Map<string, string>());
  // `liveState` here is the last committed one; the reducer sees every event in order.
  const onEvent = useEffectEvent((event: Event) => {
    if (event.type === "run_started") runOwners.current.set(event.run_id, event.project_id);
    const owner = "run_id" in event ? runOwners.current.get(event.run_id) : undefined;
    const relevant = owner !== undefined && event.type !== "run_failed" ? owner === selectedId : isRelevant(liveState, event);
    dispatch({ kind: "event", event, at: Date.now() });
    if (!relevant) return;
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
      case "agent_exited":
      case "branch_committed":
      case "merge_result":
      case "task_status_changed":
        taskChanged(client, selectedId, event.task_id);
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

  // Events were missed (a burst): re-read the board, the plan and whether the run still goes.
  const onResync = useEffectEvent(() => {
    refreshProject(client, selectedId);
    const projectId = selectedId;
    if (projectId === null) return;
    void rereadRunState(client, projectId).then((state) => {
      if (state !== null && !state.active) dispatch({ kind: "run_gone", projectId, failed: false });
    });
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
