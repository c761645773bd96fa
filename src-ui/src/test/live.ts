// Drives a view from the core's events without the window: the events are folded by the real reducer
// (runStore.ts), as the window does, and the view is rendered again with the live state they leave.
import type { Event } from "../bindings";
import { initialLiveState, liveReducer, type LiveState } from "../runStore";

/** The live state of project `projectId` after Start was clicked and `events` arrived. */
export function liveAfter(events: readonly Event[], projectId = "p1", from?: LiveState): LiveState {
  let state = from ?? liveReducer(initialLiveState(projectId), { kind: "start_requested", projectId });
  for (const event of events) state = liveReducer(state, { kind: "event", event, at: Date.now() });
  return state;
}
