// A stand-in for Tauri's event bus, to drive `listen` (mocked with `vi.mock("@tauri-apps/api/event")`) from tests.
import type { EventCallback, UnlistenFn } from "@tauri-apps/api/event";
import { act } from "@testing-library/react";
import type { Mock } from "vitest";
import type { Event, ExpertiseEvent, RunReport, RunSnapshot, TasksFileEvent } from "../bindings";

export type EventBus = {
  /** Delivers events of project `p1`'s runs to every listener of the core's events registered (and not removed) so far. */
  emit: (...events: Event[]) => void;
  /** Delivers events of project `projectId`'s runs. */
  emitFor: (projectId: string, ...events: Event[]) => void;
  /**
   * Sends a run's snapshot, as the core does at each change (`yokeflow://run`); settles once the query cache
   * told its observers (it batches them to the next task).
   */
  run: (snapshot: RunSnapshot) => Promise<void>;
  /** Tells the window it missed events (`yokeflow://resync`). */
  resync: () => void;
  /** Says a project's tasks file changed on disk and was imported, or could not be (`yokeflow://tasks-file`). */
  tasksFile: (event: TasksFileEvent) => void;
  /** Says a project's expertise was synced, or conflicts (`yokeflow://expertise`). */
  expertise: (event: ExpertiseEvent) => void;
  /** Listeners of the core's events currently registered. */
  listenerCount: () => number;
  /** How many times an unlisten function of the core's events was called. */
  unlistenCalls: () => number;
};

const EVENTS = "yokeflow://event";
const RUN = "yokeflow://run";
const RESYNC = "yokeflow://resync";
const TASKS_FILE = "yokeflow://tasks-file";
const EXPERTISE = "yokeflow://expertise";

/** Makes the mocked `listen` register into a fresh bus. */
export function installEventBus(listenMock: Mock): EventBus {
  const listeners = new Map<string, Set<EventCallback<unknown>>>();
  const of = (name: string) => listeners.get(name) ?? listeners.set(name, new Set()).get(name)!;
  let unlistens = 0;
  let id = 0;
  listenMock.mockImplementation((name: string, handler: EventCallback<unknown>): Promise<UnlistenFn> => {
    of(name).add(handler);
    return Promise.resolve(() => {
      if (name === EVENTS) unlistens++;
      of(name).delete(handler);
    });
  });
  const deliver = (name: string, payload: unknown) => {
    for (const listener of [...of(name)]) listener({ event: name, id: id++, payload });
  };
  const emitFor = (projectId: string, ...events: Event[]) => {
    act(() => {
      for (const event of events) deliver(EVENTS, { project_id: projectId, event });
    });
  };
  return {
    emit: (...events) => emitFor("p1", ...events),
    emitFor,
    run: (snapshot) =>
      act(async () => {
        deliver(RUN, snapshot);
        await new Promise((settled) => setTimeout(settled, 0));
      }),
    resync: () => {
      act(() => deliver(RESYNC, 3));
    },
    tasksFile: (event) => {
      act(() => deliver(TASKS_FILE, event));
    },
    expertise: (event) => {
      act(() => deliver(EXPERTISE, event));
    },
    listenerCount: () => of(EVENTS).size,
    unlistenCalls: () => unlistens,
  };
}

export function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    run_id: "r1",
    project_id: "p1",
    mode: "parallel",
    workers: 4,
    status: "finished",
    tasks_total: 10,
    tasks_done: 10,
    tasks_review: 0,
    tasks_remaining: 0,
    tasks_run: 10,
    wall_ms: 4_500,
    task_time_ms: 15_000,
    efficiency_gain: 0.7,
    sequential_ms: 15_000,
    efficiency_basis: "summed_task_times",
    predicted_efficiency_gain: 0.65,
    gate_ms: 0,
    gate_tests_ms: [],
    preflight_tests_ms: [],
    preflights_failed: 0,
    target_moves_outside: [],
    settings_changed: [],
    merge_attempts: 10,
    auto_merged: 10,
    sent_to_review: 0,
    resolved_by_agent: 0,
    merge_success_rate: 1,
    review: [],
    cost_usd: null,
    budget_usd: null,
    stopped_by_budget: false,
    expertise_reuse: { routed: 0, served_by_expertise: 0, ratio: 0 },
    tasks: [],
    ...overrides,
  };
}
