// The Worktrees and Timeline views, driven through the whole window (events → run store → views).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Event, ExecutionPlan } from "./bindings";
import { GanttView } from "./components/GanttView";
import { acceptsDrop } from "./components/LanesView";
import { board, executionPlan, project, summary, task } from "./test/fixtures";
import { installEventBus, report, type EventBus } from "./test/events";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);

const p1 = project({ id: "p1", name: "Shop" });

function plan(): ExecutionPlan {
  return executionPlan();
}

function backend(withPlan: boolean) {
  const b = board([task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })], p1);
  invokeMock.mockImplementation((command) => {
    switch (command) {
      case "list_projects":
        return Promise.resolve([summary(p1, 3, 0)]);
      case "get_board":
        return Promise.resolve(b);
      case "run_state":
        return Promise.resolve({ active: false, paused: false });
      case "get_plan":
        return Promise.resolve(withPlan ? plan() : null);
      case "start_run":
        return Promise.resolve(null);
      default:
        return Promise.reject(`unknown command ${command}`);
    }
  });
}

let bus: EventBus;

async function renderApp() {
  render(<App />);
  await screen.findAllByTestId("task-card");
  await waitFor(() => expect(bus.listenerCount()).toBe(1));
}

const started: Event = { type: "run_started", run_id: "r1", project_id: "p1", mode: "parallel", workers: 3, task_count: 3, done_count: 0 };

describe("views", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    vi.mocked(listen).mockReset();
    bus = installEventBus(vi.mocked(listen));
  });

  it("switches between board, worktrees and timeline", async () => {
    backend(false);
    const user = userEvent.setup();
    await renderApp();
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

  it("shows one lane per worker with branch, task, agent, merge state and the planned queue", async () => {
    backend(true);
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("view-lanes"));
    await waitFor(() => expect(screen.getAllByTestId("lane")).toHaveLength(2));
    expect(within(screen.getAllByTestId("lane")[0]!).getByTestId("lane-queue")).toHaveTextContent("Planned (2)ac");

    await user.click(screen.getByTestId("start-run"));
    bus.emit(
      started,
      { type: "task_status_changed", run_id: "r1", task_id: "b", status: "in_progress", reason: null, slot: 1 },
      { type: "worktree_created", run_id: "r1", task_id: "b", slot: 1, branch: "yokeflow/b", path: "/wt/b", reattached: false },
      { type: "agent_started", run_id: "r1", task_id: "b", session_id: "s1", pid: 9, log_path: "/l" },
    );
    const lanes = screen.getAllByTestId("lane");
    expect(lanes).toHaveLength(3);
    const lane = lanes[1]!;
    expect(within(lane).getByTestId("lane-branch")).toHaveTextContent("yokeflow/b");
    expect(within(lane).getByTestId("lane-task")).toHaveTextContent("Search box");
    expect(within(lane).getByTestId("lane-agent")).toHaveTextContent("running");
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("not merged yet");
    expect(within(lane).getByTestId("lane-commit")).toHaveTextContent("none yet");

    const sha = "89abcdef0123456789abcdef0123456789abcdef";
    bus.emit(
      { type: "branch_committed", run_id: "r1", task_id: "b", branch: "yokeflow/b", commit: sha, summary: "b: search box" },
      { type: "conflict_predicted", run_id: "r1", task_id: "b", other: "a", files: ["src/search.ts"] },
    );
    expect(within(lane).getByTestId("lane-commit")).toHaveTextContent("89abcdef b: search box");
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("conflict predicted");
    expect(within(lane).getByTestId("lane-merge")).toHaveAttribute("title", "with a in src/search.ts");

    bus.emit(
      { type: "agent_exited", run_id: "r1", task_id: "b", session_id: "s1", outcome: "succeeded", exit_code: 0 },
      { type: "merge_started", run_id: "r1", task_id: "b", branch: "yokeflow/b" },
    );
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("tests running");
    bus.emit({ type: "merge_result", run_id: "r1", task_id: "b", result: "tests_failed", detail: "2 failed" });
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("tests failed");
    expect(within(lane).getByTestId("lane-merge")).toHaveAttribute("title", "2 failed");
    expect(within(lanes[0]!).getByTestId("lane-task")).toHaveTextContent("idle");
  });

  it("draws planned bars, dependency arrows and the actual overlay from the report", async () => {
    backend(true);
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId("view-timeline"));
    const gantt = await screen.findByTestId("gantt");
    await waitFor(() => expect(gantt.querySelectorAll(".gantt-planned")).toHaveLength(3));
    expect(gantt.querySelector(".gantt-arrows")!.getAttribute("d")).toMatch(/^M/);
    expect(gantt.querySelectorAll(".gantt-actual")).toHaveLength(0);

    await user.click(screen.getByTestId("start-run"));
    bus.emit(started, {
      type: "run_finished",
      run_id: "r1",
      status: "finished",
      report: report({
        tasks: [
          { task_id: "a", slot: 0, started_ms: 0, ended_ms: 4000, work_ms: 4000, outcome: "done", reason: null },
          { task_id: "b", slot: 1, started_ms: 0, ended_ms: 3000, work_ms: 3000, outcome: "review", reason: "conflict" },
        ],
      }),
    });
    const bars = screen.getByTestId("gantt").querySelectorAll(".gantt-actual");
    expect(bars).toHaveLength(2);
    expect(bars[1]!.getAttribute("data-outcome")).toBe("review");
    expect(screen.getByTestId("gantt")).toHaveTextContent("actual");
  });
});

describe("GanttView", () => {
  it("renders 1,000 tasks in one SVG without a per-arrow element", () => {
    const tasks = Array.from({ length: 1000 }, (_, i) =>
      task(`t${i}`, { effort_minutes: 5 + (i % 40), depends_on: i === 0 ? [] : [`t${Math.floor(i / 2)}`] }),
    );
    render(<GanttView tasks={tasks} plan={null} report={null} timings={null} />);
    const gantt = screen.getByTestId("gantt");
    expect(gantt.querySelectorAll("svg")).toHaveLength(1);
    expect(gantt.querySelectorAll(".gantt-planned")).toHaveLength(1000);
    expect(gantt.querySelectorAll("path")).toHaveLength(2);
    // How fast it renders is the render benchmark's business (npm run bench:render), not a unit test's.
  });
});

describe("acceptsDrop", () => {
  it("takes the plan's worktrees and the next one while under the worker limit, nothing else", () => {
    const plan = executionPlan({}, { workers: 4 });
    expect([0, 1, 2, 3, 4].map((slot) => acceptsDrop(plan, slot))).toEqual([true, true, true, false, false]);
    const full = executionPlan({}, { workers: 2 });
    expect([0, 1, 2].map((slot) => acceptsDrop(full, slot))).toEqual([true, true, false]);
    expect(acceptsDrop(null, 0)).toBe(false);
  });
});
