// The selected project's view on its own (no App around it): its data through queries, against a mocked core.
import { invoke } from "@tauri-apps/api/core";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Board, ErrorDto, ExecutionPlan } from "../../bindings";
import { queryKeys } from "../../queries";
import { board, executionPlan, project, summary, task } from "../../test/fixtures";
import { renderWithStores } from "../../test/render";
import { ProjectView } from "./ProjectView";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn(() => Promise.resolve(() => {})) }));
const invokeMock = vi.mocked(invoke);

const p1 = project({ id: "p1", name: "Shop" });

type Backend = {
  board: Board;
  plan: ExecutionPlan | null;
  /** `get_board` rejects with this while set. */
  boardError: ErrorDto | null;
  /** `get_board` answers this promise while set. */
  heldBoard: Promise<Board> | null;
};

function backend(overrides: Partial<Backend> = {}): Backend {
  const state: Backend = {
    board: board([task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })], p1),
    plan: null,
    boardError: null,
    heldBoard: null,
    ...overrides,
  };
  invokeMock.mockImplementation((command) => {
    switch (command) {
      case "get_board":
        if (state.boardError !== null) return Promise.reject(state.boardError);
        return state.heldBoard ?? Promise.resolve(state.board);
      case "run_state":
        return Promise.resolve({ active: false, paused: false });
      case "get_plan":
        return Promise.resolve(state.plan);
      case "list_projects":
        return Promise.resolve([summary(p1, 3, 0)]);
      default:
        return Promise.reject(`unknown command ${command}`);
    }
  });
  return state;
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args);
}

function renderView() {
  return renderWithStores(<ProjectView projectId="p1" summary={summary(p1, 3, 0)} projectsBusy={false} />);
}

describe("ProjectView", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it("reads the project's board, plan and run state once, and titles itself with the project", async () => {
    backend();
    const { client } = renderView();
    expect(await screen.findAllByTestId("task-card")).toHaveLength(3);
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Shop");
    expect(callsOf("get_board")).toEqual([{ projectId: "p1" }]);
    expect(callsOf("get_plan")).toEqual([{ projectId: "p1" }]);
    expect(callsOf("run_state")).toEqual([{ projectId: "p1" }]);
    expect(client.getQueryData(queryKeys.board("p1"))).toEqual(expect.objectContaining({ project: p1 }));
  });

  it("switches between board, worktrees and timeline", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    expect(screen.getByTestId("view-board")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("board")).toBeInTheDocument();

    await user.click(screen.getByTestId("view-lanes"));
    expect(screen.queryByTestId("board")).not.toBeInTheDocument();
    expect(screen.getByTestId("view-lanes")).toHaveAttribute("aria-selected", "true");
    // No plan, no run: nothing to show yet.
    expect(screen.getByTestId("lanes-empty")).toBeInTheDocument();

    await user.click(screen.getByTestId("view-timeline"));
    expect(screen.getByTestId("gantt")).toBeInTheDocument();
    expect(screen.queryByTestId("lanes")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("view-board"));
    expect(screen.getByTestId("board")).toBeInTheDocument();
  });

  it("shows the plan's worktrees once the plan is read", async () => {
    backend({ plan: executionPlan() });
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    expect(await screen.findByTestId("plan-worktrees")).toHaveTextContent("2");
    await user.click(screen.getByTestId("view-lanes"));
    expect(screen.getAllByTestId("lane")).toHaveLength(2);
  });

  it("shows why the board could not be read, and reads it again on Try again", async () => {
    const state = backend({ boardError: { code: "database", message: "database is locked" } });
    const user = userEvent.setup();
    renderView();
    const panel = await screen.findByTestId("error-state");
    expect(panel).toHaveAttribute("data-error-code", "database");
    expect(panel).toHaveTextContent("Couldn't load this board");
    expect(panel).toHaveTextContent("database is locked");
    expect(screen.getByTestId("start-run")).toBeDisabled();

    state.boardError = null;
    await user.click(within(panel).getByRole("button", { name: "Try again" }));
    expect(await screen.findAllByTestId("task-card")).toHaveLength(3);
    expect(callsOf("get_board")).toHaveLength(2);
    expect(screen.queryByTestId("error-state")).not.toBeInTheDocument();
    expect(screen.getByTestId("start-run")).toBeEnabled();
  });

  it("says Refreshing… while the board is read again, and keeps showing the board meanwhile", async () => {
    const state = backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    const refresh = screen.getByTestId("refresh");
    expect(refresh).toHaveTextContent("Refresh");
    expect(refresh).toBeEnabled();

    let answer: (board: Board) => void = () => {};
    state.heldBoard = new Promise<Board>((resolve) => (answer = resolve));
    await user.click(refresh);
    await waitFor(() => expect(refresh).toHaveTextContent("Refreshing…"));
    expect(refresh).toBeDisabled();
    expect(screen.getByRole("main")).toHaveAttribute("aria-busy", "true");
    expect(screen.getAllByTestId("task-card")).toHaveLength(3);

    act(() => answer(board([task("a"), task("b"), task("c"), task("d")], p1)));
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(4));
    expect(refresh).toHaveTextContent("Refresh");
    expect(refresh).toBeEnabled();
    expect(callsOf("get_plan")).toHaveLength(2);
  });

  it("opens a task's log pane from its card and closes it", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    await user.click(screen.getByRole("button", { name: "Search box" }));
    expect(screen.getByTestId("log-pane")).toHaveAttribute("data-task-id", "b");
    await user.click(screen.getByRole("button", { name: "Close the log" }));
    expect(screen.queryByTestId("log-pane")).not.toBeInTheDocument();
  });
});
