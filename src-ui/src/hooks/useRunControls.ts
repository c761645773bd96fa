import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import {
  cancelRun,
  forceSequential,
  mergeNow,
  pauseRun,
  pendingCommands,
  resumeRun,
  retryMerge,
  retryTask,
  startRun,
  toErrorDto,
} from "../api";
import { useLogs } from "../liveRun";
import { refreshProject, rereadRun } from "../queries";
import { useUiActions, useUiState } from "../uiStore";

const noop = () => {};

/**
/** A typed budget in US dollars: a positive amount, or null (empty, zero or not a number: no limit). */
export function parseBudget(text: string): number | null {
  const value = Number(text.trim().replace(/^\$/, ""));
  return text.trim() !== "" && Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * The commands to the project's run. They are not cached data: the core takes each order and the run's snapshot
 * (its query entry) shows what came of it; a refusal shows in a toast. Each command resolves once taken.
 */
export function useRunControls(projectId: string | null) {
  const client = useQueryClient();
  const logs = useLogs();
  const { pushError, askApproval } = useUiActions();
  /** The project whose run (started here) uses the scripted stand-in agent. */
  const [standInOf, setStandInOf] = useState<string | null>(null);
  /**
   * The start asked for last: its project, and the run the core started (null until it answered). The window shows
   * it starting until the project's run snapshot is that run (its snapshot comes on a channel of its own).
   */
  const [startingOf, setStartingOf] = useState<{ projectId: string; runId: string | null } | null>(null);
  const { sequential, budget } = useUiState();

  /** A control answered `no_active_run`: the run is over though its end was not seen here. */
  const lostRun = useCallback(
    (id: string, reason: unknown) => {
      const error = toErrorDto(reason);
      pushError(error);
      if (error.code === "no_active_run") {
        rereadRun(client, id);
        refreshProject(client, id);
      }
    },
    [client, pushError],
  );

  const start = useCallback(() => {
    if (projectId === null) return;
    const id = projectId;
    logs.clear();
    setStartingOf({ projectId: id, runId: null });
    setStandInOf(null);
    startRun(id, sequential, parseBudget(budget)).then((started) => {
      setStartingOf({ projectId: id, runId: started.run_id });
      if (started.stand_in) setStandInOf(id);
      // Its snapshot is on its way; a read makes sure the window has it.
      rereadRun(client, id);
    }, (reason: unknown) => {
      setStartingOf(null);
      const error = toErrorDto(reason);
      if (error.code === "command_not_approved") {
        // The repository's tasks file names commands no one approved: show them, exactly, and ask.
        pendingCommands(id).then(
          (commands) => (commands.length > 0 ? askApproval(id, commands) : pushError(error)),
          () => pushError(error),
        );
        return;
      }
      pushError(error);
      if (error.code === "run_in_progress") rereadRun(client, id);
    });
  }, [projectId, sequential, budget, logs, pushError, askApproval, client]);

  const pause = useCallback(() => {
    if (projectId === null) return;
    const id = projectId;
    pauseRun(id).then(noop, (reason: unknown) => lostRun(id, reason));
  }, [projectId, lostRun]);

  const resume = useCallback(() => {
    if (projectId === null) return;
    const id = projectId;
    resumeRun(id).then(noop, (reason: unknown) => lostRun(id, reason));
  }, [projectId, lostRun]);

  const cancel = useCallback(() => {
    if (projectId === null) return;
    const id = projectId;
    cancelRun(id).then(noop, (reason: unknown) => lostRun(id, reason));
  }, [projectId, lostRun]);

  /** Sends a command to the project's run; settles once it was taken or its refusal reported. */
  const toRun = useCallback(
    (send: (id: string) => Promise<unknown>): Promise<void> => {
      if (projectId === null) return Promise.resolve();
      const id = projectId;
      return send(id).then(noop, (reason: unknown) => lostRun(id, reason));
    },
    [projectId, lostRun],
  );
  const goSequential = useCallback(() => toRun(forceSequential), [toRun]);
  const retry = useCallback((taskId: string) => toRun((id) => retryTask(id, taskId)), [toRun]);
  const retryLanding = useCallback((taskId: string) => toRun((id) => retryMerge(id, taskId)), [toRun]);
  const landNow = useCallback((taskId: string) => toRun((id) => mergeNow(id, taskId)), [toRun]);

  const standIn = projectId !== null && standInOf === projectId;
  const starting = projectId !== null && startingOf?.projectId === projectId ? startingOf : null;
  return { start, pause, resume, cancel, goSequential, retry, retryLanding, landNow, standIn, starting };
}
