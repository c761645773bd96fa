import { useEffect } from "react";
import { useLogs } from "../liveRun";
import { useBoardQuery, usePlanQuery, useRunQuery } from "../queries";

/**
 * Reads the selected project's board, plan and run (queries; the run's entry is kept current by the core's
 * snapshots). `onBoardArrived` hears each board answer before it is rendered (render timing).
 */
export function useProjectData(projectId: string, onBoardArrived?: (projectId: string) => void) {
  const logs = useLogs();
  const board = useBoardQuery(projectId, onBoardArrived);
  const plan = usePlanQuery(projectId);
  const run = useRunQuery(projectId);

  // A newly selected project's log panes start empty.
  useEffect(() => {
    logs.clear();
  }, [projectId, logs]);

  return { board, plan, run };
}
