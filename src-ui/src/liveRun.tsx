// The selected project's live state (runStore.ts's `liveReducer`: its board as loaded and changed by events since,
// and its run: phase, slots, lanes, timings, report) and the agents' output (`LogStore`), for the whole window.
// It outlives a project switch on purpose: the reducer remembers which run belongs to which project.
import { createContext, useContext, useMemo, useReducer, useState, type Dispatch, type ReactNode } from "react";
import { LogStore, initialLiveState, liveReducer, type LiveAction, type LiveState } from "./runStore";

type LiveRunControls = { dispatch: Dispatch<LiveAction>; logs: LogStore };

const StateContext = createContext<LiveState | null>(null);
const ControlsContext = createContext<LiveRunControls | null>(null);

export function LiveRunProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(liveReducer, null, initialLiveState);
  const [logs] = useState(() => new LogStore());
  const controls = useMemo(() => ({ dispatch, logs }), [logs]);
  return (
    <ControlsContext value={controls}>
      <StateContext value={state}>{children}</StateContext>
    </ControlsContext>
  );
}

/** The live state as last committed (it may belong to a project no longer selected: compare `projectId`). */
export function useLiveState(): LiveState {
  const state = useContext(StateContext);
  if (state === null) throw new Error("useLiveState outside a LiveRunProvider");
  return state;
}

/** The live state of `projectId`, or null while it holds another project's. */
export function useProjectLive(projectId: string | null): LiveState | null {
  const state = useLiveState();
  return state.projectId === projectId ? state : null;
}

/** The reducer's dispatch and the log store; stable for the provider's life. */
export function useLiveRunControls(): LiveRunControls {
  const controls = useContext(ControlsContext);
  if (controls === null) throw new Error("useLiveRunControls outside a LiveRunProvider");
  return controls;
}
