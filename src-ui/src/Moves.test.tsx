// Moves made by hand through the whole window: a card dragged to another column, a planned task dragged to
// another worktree, the lanes' open buttons, and the board's render timing.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Board, DropTarget, ErrorDto, ExecutionPlan, StatusMove } from "./bindings";
import { board, executionPlan, lane as laneOf, lanes, project, runSnapshot, summary, task } from "./test/fixtures";
import { installEventBus, type EventBus } from "./test/events";
import { boardLayout, installLayout, lanesLayout } from "./test/layout";
import { renderWithClient } from "./test/render";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);

const p1 = project({ id: "p1", name: "Shop" });

type Backend = {
  board: Board;
  plan: ExecutionPlan | null;
  /** What `set_task_status` answers, and the board it leaves when applied. */
  statusMove: StatusMove;
  movedBoard: Board | null;
  /** What `move_task_to_worktree` answers. */
  movedPlan: ExecutionPlan | null;
  /** What `task_drop_targets` answers. */
  dropTargets: DropTarget[];
  reject: Record<string, ErrorDto>;
};

function backend(overrides: Partial<Backend> = {}): Backend {
  const state: Backend = {
    board: board([task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout" })], p1),
    plan: executionPlan(),
    statusMove: { kind: "applied", status: "done" },
    movedBoard: null,
    movedPlan: null,
    dropTargets: [],
    reject: {},
    ...overrides,
  };
  invokeMock.mockImplementation((command) => {
    const rejection = state.reject[command];
    if (rejection !== undefined) return Promise.reject(rejection);
    switch (command) {
      case "list_projects":
        return Promise.resolve([summary(p1, 3, 0)]);
      case "get_board":
        return Promise.resolve(state.board);
      case "run_view":
        return Promise.resolve(null);
      case "get_plan":
        return Promise.resolve(state.plan);
      case "start_run":
        return Promise.resolve({ run_id: "r1", project_id: "p1", mode: "parallel", workers: 2, agent: ["claude"], stand_in: false, test_command: null });
      case "open_worktree":
      case "open_task_log":
        return Promise.resolve(null);
      case "set_task_status":
        if (state.statusMove.kind === "applied" && state.movedBoard !== null) state.board = state.movedBoard;
        return Promise.resolve(state.statusMove);
      case "task_drop_targets":
        return Promise.resolve(state.dropTargets);
      case "move_task_to_worktree":
        state.plan = state.movedPlan;
        return Promise.resolve(state.movedPlan);
      default:
        return Promise.reject(`unknown command ${command}`);
    }
  });
  return state;
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args);
}

function cardIds(status: string) {
  return within(screen.getByTestId(`column-${status}`))
    .queryAllByTestId("task-card")
    .map((card) => card.getAttribute("data-task-id"));
}

function card(id: string) {
  return screen.getAllByTestId("task-card").find((element) => element.getAttribute("data-task-id") === id)!;
}

function lane(worktree: string) {
  return screen.getAllByTestId("lane").find((element) => element.getAttribute("data-worktree") === worktree)!;
}

function chipIds(worktree: string) {
  return within(lane(worktree))
    .queryAllByTestId("lane-chip")
    .map((chip) => chip.getAttribute("data-task-id"));
}

/** Picks up `element` with the keyboard, presses `keys`, drops it. */
async function keyboardDrag(user: UserEvent, element: HTMLElement, keys: string) {
  act(() => element.focus());
  await user.keyboard(" ");
  await user.keyboard(keys);
  await user.keyboard(" ");
}

let bus: EventBus;

async function renderApp() {
  renderWithClient(<App />);
  await screen.findAllByTestId("task-card");
  await waitFor(() => expect(bus.listenerCount()).toBe(1));
  await waitFor(() => expect(callsOf("get_plan")).toHaveLength(1));
}

beforeEach(() => {
  invokeMock.mockReset();
  vi.mocked(listen).mockReset();
  bus = installEventBus(vi.mocked(listen));
});

describe("moving a card to another column", () => {
  beforeEach(() => {
    installLayout(boardLayout);
  });

  it("asks the core, then reloads the board and the plan", async () => {
    backend({
      statusMove: { kind: "applied", status: "done" },
      movedBoard: board([task("a", { status: "done" }), task("b"), task("c")], p1),
    });
    const user = userEvent.setup();
    await renderApp();
    await keyboardDrag(user, card("a"), "{ArrowRight}{ArrowRight}{ArrowRight}");
    expect(callsOf("set_task_status")).toEqual([{ projectId: "p1", taskId: "a", status: "done" }]);
    await waitFor(() => expect(cardIds("done")).toEqual(["a"]));
    expect(callsOf("get_board")).toHaveLength(2);
    await waitFor(() => expect(callsOf("get_plan")).toHaveLength(2));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("shows a refusal in a toast and leaves the card where it was", async () => {
    const message = "cannot mark `a` done: it depends on `b`, which is in Backlog";
    backend({ reject: { set_task_status: { code: "move_refused", message } } });
    const user = userEvent.setup();
    await renderApp();
    await keyboardDrag(user, card("a"), "{ArrowRight}{ArrowRight}{ArrowRight}");
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "move_refused");
    expect(toast).toHaveTextContent(message);
    expect(cardIds("backlog")).toEqual(["a", "b", "c"]);
    expect(cardIds("done")).toEqual([]);
    expect(callsOf("get_board")).toHaveLength(1);
  });

  it("leaves a move sent to the run to the run's events", async () => {
    backend({ statusMove: { kind: "sent_to_run", action: "merge_now" } });
    const user = userEvent.setup();
    await renderApp();
    await keyboardDrag(user, card("b"), "{ArrowRight}{ArrowRight}");
    await waitFor(() => expect(callsOf("set_task_status")).toEqual([{ projectId: "p1", taskId: "b", status: "review" }]));
    expect(callsOf("get_board")).toHaveLength(1);
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("lights up only the columns the core would take the card in, and says why the others refuse it", async () => {
    const refusal = "cannot mark `a` done: it depends on `b`, which is in Backlog";
    backend({
      dropTargets: [
        { status: "in_progress", refusal: "`a` cannot be put In Progress by hand" },
        { status: "review", refusal: null },
        { status: "done", refusal },
      ],
    });
    const user = userEvent.setup();
    await renderApp();
    act(() => card("a").focus());
    await user.keyboard(" ");
    await waitFor(() => expect(callsOf("task_drop_targets")).toEqual([{ projectId: "p1", taskId: "a" }]));
    const column = (status: string) => screen.getByTestId(`column-${status}`);
    await waitFor(() => expect(column("done")).toHaveAttribute("data-drop-refused", "true"));
    expect(column("review")).toHaveAttribute("data-drop-refused", "false");
    await user.keyboard("{ArrowRight}{ArrowRight}");
    expect(column("review")).toHaveAttribute("data-drop-target", "true");
    expect(screen.queryByTestId("drop-refusal")).not.toBeInTheDocument();
    await user.keyboard("{ArrowRight}");
    expect(column("done")).toHaveAttribute("data-drop-target", "false");
    expect(within(column("done")).getByTestId("drop-refusal")).toHaveTextContent(refusal);
    await user.keyboard("{Escape}");
    await waitFor(() => expect(column("done")).toHaveAttribute("data-drop-refused", "false"));
    expect(screen.queryByTestId("drop-refusal")).not.toBeInTheDocument();
    expect(callsOf("set_task_status")).toEqual([]);
  });

  it("does not ask the core when the card is dropped back on its column", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    await keyboardDrag(user, card("a"), "{ArrowRight}{ArrowLeft}");
    expect(callsOf("set_task_status")).toEqual([]);
  });
});

describe("moving a planned task to another worktree", () => {
  beforeEach(() => {
    installLayout(lanesLayout);
  });

  async function openLanes(user: UserEvent) {
    await renderApp();
    await user.click(screen.getByTestId("view-lanes"));
    await waitFor(() => expect(chipIds("wt-1")).toEqual(["a", "c"]));
  }

  it("pins it there and shows the plan the core answered", async () => {
    backend({
      movedPlan: executionPlan({
        pinned: ["a"],
        worktree_assignments: [
          { worktree: "wt-1", task_ids: ["c"], total_effort: 30 },
          { worktree: "wt-2", task_ids: ["b", "a"], total_effort: 60 },
        ],
      }),
    });
    const user = userEvent.setup();
    await openLanes(user);
    const chip = within(lane("wt-1")).getAllByTestId("lane-chip")[0]!;
    expect(chip).toHaveAttribute("data-pinned", "false");
    await keyboardDrag(user, chip, "{ArrowDown}");
    expect(callsOf("move_task_to_worktree")).toEqual([{ projectId: "p1", taskId: "a", worktree: "wt-2" }]);
    await waitFor(() => expect(chipIds("wt-2")).toEqual(["b", "a"]));
    expect(chipIds("wt-1")).toEqual(["c"]);
    const moved = within(lane("wt-2")).getAllByTestId("lane-chip")[1]!;
    expect(moved).toHaveAttribute("data-pinned", "true");
    expect(within(moved).getByTestId("pin-mark")).toBeInTheDocument();
  });

  it("offers a new worktree while the plan is under its worker count", async () => {
    backend({
      plan: executionPlan({}, { workers: 3 }),
      movedPlan: executionPlan(
        {
          pinned: ["c"],
          worktree_assignments: [
            { worktree: "wt-1", task_ids: ["a"], total_effort: 30 },
            { worktree: "wt-2", task_ids: ["b"], total_effort: 30 },
            { worktree: "wt-3", task_ids: ["c"], total_effort: 30 },
          ],
        },
        { workers: 3 },
      ),
    });
    const user = userEvent.setup();
    await openLanes(user);
    const lanes = screen.getAllByTestId("lane");
    expect(lanes.map((element) => element.getAttribute("data-worktree"))).toEqual(["wt-1", "wt-2", "wt-3"]);
    expect(lanes[2]).toHaveAttribute("data-new", "true");
    expect(lanes[2]).toHaveTextContent("new worktree");

    await keyboardDrag(user, within(lane("wt-1")).getAllByTestId("lane-chip")[1]!, "{ArrowDown}{ArrowDown}");
    expect(callsOf("move_task_to_worktree")).toEqual([{ projectId: "p1", taskId: "c", worktree: "wt-3" }]);
    await waitFor(() => expect(chipIds("wt-3")).toEqual(["c"]));
    expect(lane("wt-3")).not.toHaveAttribute("data-new");
  });

  it("shows a refusal in a toast and keeps the plan", async () => {
    const message = "`a` is already running in its worktree; it cannot move while it runs";
    backend({ reject: { move_task_to_worktree: { code: "move_refused", message } } });
    const user = userEvent.setup();
    await openLanes(user);
    await keyboardDrag(user, within(lane("wt-1")).getAllByTestId("lane-chip")[0]!, "{ArrowDown}");
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "move_refused");
    expect(toast).toHaveTextContent(message);
    expect(chipIds("wt-1")).toEqual(["a", "c"]);
    expect(chipIds("wt-2")).toEqual(["b"]);
  });

  it("does not drag a task that is done", async () => {
    const state = backend();
    state.board = board([task("a", { status: "done" }), task("b"), task("c")], p1);
    const user = userEvent.setup();
    await openLanes(user);
    const done = within(lane("wt-1")).getAllByTestId("lane-chip")[0]!;
    expect(done).toHaveAttribute("aria-disabled", "true");
    await keyboardDrag(user, done, "{ArrowDown}");
    expect(callsOf("move_task_to_worktree")).toEqual([]);
  });
});

describe("a lane's open buttons", () => {
  it("open the worktree's folder and its agent's log once there are some", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("view-lanes"));
    const second = await waitFor(() => lane("wt-2"));
    expect(within(second).getByTestId("open-worktree")).toBeDisabled();
    expect(within(second).getByTestId("open-log")).toBeDisabled();

    await user.click(screen.getByTestId("start-run"));
    const running = laneOf(1, { task_id: "b", busy: true, branch: "yokeflow/b", agent: { state: "running" } });
    await bus.run(runSnapshot({ slots: [null, "b"], lanes: [laneOf(0), running] }));
    await user.click(within(lane("wt-2")).getByTestId("open-worktree"));
    await user.click(within(lane("wt-2")).getByTestId("open-log"));
    expect(callsOf("open_worktree")).toEqual([{ projectId: "p1", taskId: "b" }]);
    expect(callsOf("open_task_log")).toEqual([{ projectId: "p1", taskId: "b" }]);
    expect(within(lane("wt-1")).getByTestId("open-worktree")).toBeDisabled();

    // Merged: its worktree is gone, its log stays.
    await bus.run(runSnapshot({ lanes: [laneOf(0), { ...running, busy: false, merge: "clean", merge_detail: "abc" }] }));
    expect(within(lane("wt-2")).getByTestId("open-worktree")).toBeDisabled();
    expect(within(lane("wt-2")).getByTestId("open-log")).toBeEnabled();
  });

  it("show a failure in a toast", async () => {
    const state = backend();
    state.reject.open_task_log = { code: "not_found", message: "no log for `b` yet" };
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("view-lanes"));
    await user.click(screen.getByTestId("start-run"));
    await bus.run(runSnapshot({ slots: [null, "b"], lanes: [...lanes(1), laneOf(1, { task_id: "b", busy: true })] }));
    await user.click(within(lane("wt-2")).getByTestId("open-log"));
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "not_found");
    expect(toast).toHaveTextContent("no log for `b` yet");
  });
});

describe("board render timing", () => {
  beforeEach(() => {
    delete window.__yokeflowRender;
    performance.clearMeasures();
  });

  it("records the first render of a project's board, not its reloads", async () => {
    const state = backend();
    const user = userEvent.setup();
    await renderApp();
    await waitFor(() => expect(window.__yokeflowRender).toBeDefined());
    const timing = window.__yokeflowRender!;
    expect(timing.projectId).toBe("p1");
    expect(timing.cards).toBe(3);
    expect(timing.dataMs).toBeGreaterThan(0);
    expect(timing.commitMs).toBeGreaterThanOrEqual(0);
    expect(timing.paintMs).toBeGreaterThanOrEqual(timing.commitMs);
    expect(performance.getEntriesByName("yokeflow-board-render", "measure")).toHaveLength(1);

    delete window.__yokeflowRender;
    state.board = board([task("a"), task("b"), task("c"), task("d")], p1);
    await user.click(screen.getByTestId("refresh"));
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(4));
    await waitFor(() => expect(callsOf("get_board")).toHaveLength(2));
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    expect(window.__yokeflowRender).toBeUndefined();
    expect(performance.getEntriesByName("yokeflow-board-render", "measure")).toHaveLength(1);
  });
});
