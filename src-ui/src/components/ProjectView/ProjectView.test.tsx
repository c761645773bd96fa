// The selected project's view on its own (no App around it): its data through queries, against a mocked core.
import { invoke } from "@tauri-apps/api/core";
import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Board, CardEdit, DraftPreview, ErrorDto, ExecutionPlan, ProjectSettings, RunSnapshot } from "../../bindings";
import { queryKeys } from "../../queries";
import { board, executionPlan, project, runSnapshot, summary, task } from "../../test/fixtures";
import { renderWithStores } from "../../test/render";
import { STAND_IN_NOTICE } from "../RunToolbar/RunToolbar";
import { useUiState } from "../../uiStore";
import { Toasts } from "../Toasts/Toasts";
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
  /** What `edit_tasks` says of the plan. */
  planWarning: string | null;
  /** What `get_settings` answers (`save_settings` stores what it gets). */
  settings: ProjectSettings;
  /** Whether `start_run` says the run uses the scripted stand-in agent. */
  standIn: boolean;
  /** What `run_view` answers (`start_run` makes it a run starting, as the core does). */
  run: RunSnapshot | null;
};

function backend(overrides: Partial<Backend> = {}): Backend {
  const state: Backend = {
    board: board([task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })], p1),
    plan: null,
    boardError: null,
    heldBoard: null,
    planWarning: null,
    settings: {
      agent: null,
      test_command: null,
      setup: null,
      cleanup: null,
      worktree_include: [],
      worktree_link: [],
      max_worktrees: 3,
      reuse_worktrees: false,
      agent_timeout_secs: null,
      max_cost_usd: null,
      sandbox: false,
      sandbox_network: true,
      sandbox_caches: [],
      preflight: true,
      parallel_tests: null,
      batch_size: 8,
    },
    standIn: false,
    run: null,
    ...overrides,
  };
  invokeMock.mockImplementation((command, args) => {
    switch (command) {
      case "get_board":
        if (state.boardError !== null) return Promise.reject(state.boardError);
        return state.heldBoard ?? Promise.resolve(state.board);
      case "run_view":
        return Promise.resolve(state.run);
      case "get_plan":
        return Promise.resolve(state.plan);
      case "list_projects":
        return Promise.resolve([summary(p1, 3, 0)]);
      case "task_log":
        return Promise.resolve({ task_id: "b", sessions: [], cost_usd: null });
      case "check_card_edit":
        return Promise.resolve([]);
      case "draft_tasks":
        return Promise.resolve(DRAFT);
      case "accept_draft":
        state.board = { ...state.board, tasks: [task("oauth", { title: "OAuth login" })] };
        return Promise.resolve({ summary: { added: ["oauth"], updated: [], removed: ["a", "b", "c"], kept: [], plan_warning: null }, file: "/r/yokeflow.yaml" });
      case "discard_draft":
        return Promise.resolve(null);
      case "get_settings":
        return Promise.resolve(state.settings);
      case "agent_presets":
        return Promise.resolve([]);
      case "check_settings":
        return Promise.resolve([]);
      case "start_run":
        state.run = runSnapshot({ phase: "starting" });
        return Promise.resolve({
          run_id: "r1",
          project_id: "p1",
          mode: "parallel",
          workers: 3,
          agent: state.standIn ? ["yokeflow-scripted-agent"] : ["claude"],
          stand_in: state.standIn,
          test_command: null,
        });
      case "save_settings":
        state.settings = (args as { settings: ProjectSettings }).settings;
        return Promise.resolve(state.settings);
      case "tool_permissions":
        return Promise.resolve({ effective: ["Edit"], allowed: [] });
      case "expertise_overview":
        return Promise.resolve({ domains: [], skills: [], routing: [], conflicts: [] });
      case "edit_tasks": {
        const edit = (args as { edit: CardEdit }).edit;
        if (edit.kind === "add_task") state.board = { ...state.board, tasks: [...state.board.tasks, task(edit.task.id, { title: edit.task.title })] };
        return Promise.resolve({ summary: { added: [], updated: [], removed: [], kept: [], plan_warning: state.planWarning }, file: "/r/yokeflow.yaml" });
      }
      default:
        return Promise.reject(`unknown command ${command}`);
    }
  });
  return state;
}

const DRAFT: DraftPreview = {
  draft_id: "d1",
  text: "tasks: []\n",
  issues: [],
  attempts: 1,
  epics: [],
  tasks: [{ id: "oauth", title: "OAuth login", description: "", epic: null, depends_on: [], files: [], effort_minutes: 30, priority: 0 }],
  plan: null,
  changes: { added: ["oauth"], changed: [], removed: ["a", "b", "c"], kept: [] },
  cost_usd: null,
  log_path: "/r/draft.log",
};

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args);
}

/** The toasts of the UI store (App shows them). */
function ShownToasts() {
  return <Toasts toasts={useUiState().toasts} onDismiss={() => {}} />;
}

function renderView() {
  return renderWithStores(<ProjectView projectId="p1" summary={summary(p1, 3, 0)} projectsBusy={false} />);
}

/** The view with the UI store's toasts shown beside it, as App shows them. */
function renderViewWithToasts() {
  return renderWithStores(
    <>
      <ProjectView projectId="p1" summary={summary(p1, 3, 0)} projectsBusy={false} />
      <ShownToasts />
    </>,
  );
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
    expect(callsOf("run_view")).toEqual([{ projectId: "p1" }]);
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

  it("offers neither a run nor a plan for a project with no tasks", async () => {
    backend({ board: board([], p1) });
    renderView();
    expect(await screen.findByTestId("empty-board")).toBeInTheDocument();
    expect(screen.getByTestId("start-run")).toBeDisabled();
    expect(screen.getByTestId("rebuild-plan")).toBeDisabled();
  });

  it("says plainly when the run uses the scripted stand-in agent instead of an AI", async () => {
    backend({ standIn: true });
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    await user.click(screen.getByTestId("start-run"));
    const standIn = await screen.findByTestId("run-stand-in");
    expect(standIn).toHaveTextContent("stand-in agent, not an AI");
    expect(standIn).toHaveAttribute("title", STAND_IN_NOTICE);
    expect(screen.getByTestId("run-status")).toContainElement(standIn);
    expect(callsOf("start_run")).toEqual([{ projectId: "p1", sequential: false, maxCostUsd: null }]);
  });

  it("says nothing of a stand-in when a real agent runs", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    await user.click(screen.getByTestId("start-run"));
    await waitFor(() => expect(callsOf("start_run")).toHaveLength(1));
    // The answer is handled: the start's promise settled before the toasts are looked at.
    await act(async () => {
      await invokeMock.mock.results.at(-1)?.value;
    });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
    expect(screen.queryByTestId("run-stand-in")).not.toBeInTheDocument();
  });

  it("opens the project's settings on the Settings tab, and says when they are saved", async () => {
    const state = backend();
    const user = userEvent.setup();
    renderViewWithToasts();
    await screen.findAllByTestId("task-card");
    expect(screen.queryByTestId("settings-panel")).not.toBeInTheDocument();
    expect(callsOf("get_settings")).toEqual([]);

    await user.click(screen.getByRole("tab", { name: "Settings" }));
    expect(screen.getByTestId("view-settings")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("settings-panel")).toBeInTheDocument();
    expect(screen.queryByTestId("board")).not.toBeInTheDocument();
    const workers = await screen.findByLabelText("Worktrees at once");
    expect(callsOf("get_settings")).toEqual([{ projectId: "p1" }]);

    await user.clear(workers);
    await user.type(workers, "2");
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("toast")).toHaveTextContent("Settings saved"));
    expect(screen.getByTestId("toast")).toHaveAttribute("data-error-code", "info");
    expect(state.settings.max_worktrees).toBe(2);
    // The worker count changes the plan: it is read again.
    await waitFor(() => expect(callsOf("get_plan")).toHaveLength(2));

    await user.click(screen.getByTestId("view-board"));
    expect(screen.queryByTestId("settings-panel")).not.toBeInTheDocument();
    expect(screen.getByTestId("board")).toBeInTheDocument();
  });

  it("opens the project's expertise on the Expertise tab", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    expect(callsOf("expertise_overview")).toEqual([]);

    await user.click(screen.getByRole("tab", { name: "Expertise" }));
    expect(screen.getByTestId("view-expertise")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("expertise-view")).toBeInTheDocument();
    expect(screen.queryByTestId("board")).not.toBeInTheDocument();
    expect(await screen.findByTestId("expertise-empty")).toBeInTheDocument();
    expect(callsOf("expertise_overview")).toEqual([{ projectId: "p1" }]);

    await user.click(screen.getByTestId("view-board"));
    expect(screen.queryByTestId("expertise-view")).not.toBeInTheDocument();
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

  it("adds a task from the Backlog's New task: the form closes and the board is read again", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    // Only the Backlog offers it.
    expect(within(screen.getByTestId("column-backlog")).getByTestId("new-task")).toBeInTheDocument();
    expect(screen.getAllByTestId("new-task")).toHaveLength(1);

    await user.click(screen.getByTestId("new-task"));
    const form = screen.getByTestId("task-form");
    expect(within(form).getByTestId("task-form-title")).toHaveFocus();
    await user.type(within(form).getByTestId("task-form-title"), "Wish list");
    await user.click(within(form).getByTestId("task-form-save"));

    await waitFor(() => expect(screen.queryByTestId("task-form")).not.toBeInTheDocument());
    expect(callsOf("edit_tasks")).toHaveLength(1);
    expect(callsOf("edit_tasks")[0]).toMatchObject({ projectId: "p1", edit: { kind: "add_task", task: { id: "wish-list", title: "Wish list" } } });
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(4));
    expect(callsOf("get_plan")).toHaveLength(2);
    expect(screen.getByTestId("new-task")).toHaveFocus();
  });

  it("opens the new task's form on n, unless a field has the focus", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    await user.click(screen.getByTestId("run-budget"));
    await user.keyboard("n");
    expect(screen.queryByTestId("task-form")).not.toBeInTheDocument();

    await user.click(screen.getByRole("heading", { level: 1 }));
    await user.keyboard("n");
    expect(screen.getByTestId("task-form")).toBeInTheDocument();
    // Typed into the form, not opening another one.
    await user.keyboard("n");
    expect(screen.getAllByTestId("task-form")).toHaveLength(1);
    expect(screen.getByTestId("task-form-title")).toHaveValue("n");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("task-form")).not.toBeInTheDocument();
  });

  it("gives the focus back to the card once its pane is closed with Escape", async () => {
    backend();
    const user = userEvent.setup();
    renderView();
    await screen.findAllByTestId("task-card");
    const open = screen.getByRole("button", { name: "Search box" });
    await user.click(open);
    expect(await screen.findByTestId("log-pane")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("log-pane")).not.toBeInTheDocument();
    expect(open).toHaveFocus();
  });

  it("offers New task on an empty board", async () => {
    backend({ board: board([], p1) });
    const user = userEvent.setup();
    renderView();
    const empty = await screen.findByTestId("empty-board");
    expect(screen.queryByTestId("board")).not.toBeInTheDocument();
    await user.click(within(empty).getByTestId("new-task"));
    expect(screen.getByRole("dialog", { name: "New task" })).toBeInTheDocument();
  });

  it("offers Draft tasks on an empty board, opening the draft dialog; Escape closes it", async () => {
    backend({ board: board([], p1) });
    const user = userEvent.setup();
    renderView();
    const empty = await screen.findByTestId("empty-board");
    await user.click(within(empty).getByTestId("draft-tasks"));
    expect(screen.getByRole("dialog", { name: "Draft tasks with the agent" })).toHaveAttribute("data-testid", "draft-dialog");
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("draft-dialog")).not.toBeInTheDocument();
    expect(within(empty).getByTestId("draft-tasks")).toHaveFocus();
  });

  it("drafts from the Backlog's head; accepting closes the dialog, reads the board again and says what was imported", async () => {
    backend();
    const user = userEvent.setup();
    renderViewWithToasts();
    await screen.findAllByTestId("task-card");
    // Only the Backlog offers it.
    expect(screen.getAllByTestId("draft-tasks")).toHaveLength(1);
    await user.click(within(screen.getByTestId("column-backlog")).getByTestId("draft-tasks"));
    const dialog = screen.getByTestId("draft-dialog");
    // n types into the dialog, it opens no task form over it.
    await user.click(screen.getByRole("heading", { name: "Draft tasks with the agent" }));
    await user.keyboard("n");
    expect(screen.queryByTestId("task-form")).not.toBeInTheDocument();

    await user.type(within(dialog).getByTestId("draft-goal"), "add OAuth login");
    await user.click(within(dialog).getByTestId("draft-start"));
    await within(dialog).findByTestId("draft-preview");
    expect(within(dialog).getByTestId("draft-removes")).toHaveTextContent("Accepting removes 3 Backlog tasks.");
    await user.click(within(dialog).getByTestId("draft-accept"));

    await waitFor(() => expect(screen.queryByTestId("draft-dialog")).not.toBeInTheDocument());
    expect(callsOf("accept_draft")).toEqual([{ projectId: "p1", draftId: "d1" }]);
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(1));
    expect(screen.getByTestId("toast")).toHaveAttribute("data-error-code", "info");
    expect(screen.getByTestId("toast")).toHaveTextContent("Imported 1 task into yokeflow.yaml (3 tasks removed from the Backlog)");
    expect(callsOf("discard_draft")).toEqual([]);
  });

  it("edits the task of the log pane, and shows a plan that could not be rebuilt", async () => {
    backend({ planWarning: "dependency cycle: a -> c -> a" });
    const user = userEvent.setup();
    renderViewWithToasts();
    await screen.findAllByTestId("task-card");
    await user.click(screen.getByRole("button", { name: "Search box" }));
    await user.click(screen.getByTestId("edit-task"));
    const form = screen.getByRole("dialog", { name: "Edit task b" });
    expect(within(form).getByTestId("task-form-title")).toHaveValue("Search box");
    await user.type(within(form).getByTestId("task-form-title"), "es");
    await user.keyboard("{Control>}{Enter}{/Control}");
    await waitFor(() => expect(screen.queryByTestId("task-form")).not.toBeInTheDocument());
    expect(callsOf("edit_tasks")).toHaveLength(1);
    expect(callsOf("edit_tasks")[0]).toMatchObject({ projectId: "p1", edit: { kind: "edit_task", task: { id: "b", title: "Search boxes" } } });
    expect(screen.getByTestId("toast")).toHaveAttribute("data-error-code", "warning");
    expect(screen.getByTestId("toast")).toHaveTextContent("the plan could not be rebuilt: dependency cycle");
    expect(screen.getByTestId("edit-task")).toHaveFocus();
  });
});
