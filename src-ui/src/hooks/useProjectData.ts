import { useEffect } from "react";
import { useLiveRunControls } from "../liveRun";
import { useBoardQuery, usePlanQuery, useRunStateQuery } from "../queries";

/**
 * Reads the selected project's board, plan and run state (queries), and hands each board and run state that
 * arrives to the live state, which keeps the board up to date with the run's events until the next read.
 * `onBoardArrived` hears each board answer before it is rendered (render timing).
 */
export function useProjectData(projectId: string, onBoardArrived?: (projectId: string) => void) {
  const { dispatch, logs } = useLiveRunControls();
  const board = useBoardQuery(projectId, onBoardArrived);
  const plan = usePlanQuery(projectId);
  const run = useRunStateQuery(projectId);

  // A newly selected project's log panes start empty.
  useEffect(() => {
    logs.clear();
  }, [projectId, logs]);

  // Every read is a new object (queries.ts), even one equal to the last: it replaces what events changed since.
  const boardData = board.data;
  useEffect(() => {
    if (boardData !== undefined) dispatch({ kind: "board_loaded", projectId, board: boardData });
  }, [dispatch, projectId, boardData]);

  const runData = run.data;
  useEffect(() => {
    if (runData !== undefined) dispatch({ kind: "state_loaded", projectId, active: runData.active, paused: runData.paused });
  }, [dispatch, projectId, runData]);

  return { board, plan, run };
}
