import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Event } from "../../bindings";
import { freshLanes } from "../../runStore";
import { executionPlan, runStarted, task } from "../../test/fixtures";
import { liveAfter } from "../../test/live";
import { LanesView, acceptsDrop, laneCount } from "./LanesView";

const tasks = [task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })];

describe("LanesView", () => {
  it("says there is nothing to show without a plan or a run", () => {
    render(<LanesView tasks={tasks} plan={null} lanes={[]} workers={null} />);
    expect(screen.getByTestId("lanes-empty")).toBeInTheDocument();
    expect(screen.queryByTestId("lane")).not.toBeInTheDocument();
  });

  it("shows one lane per worker with branch, task, agent, merge state and the planned queue", () => {
    const plan = executionPlan();
    let live = liveAfter([]);
    const view = () => <LanesView tasks={tasks} plan={plan} lanes={live.lanes} workers={live.workers} />;
    const { rerender } = render(view());
    const emit = (...events: Event[]) => {
      live = liveAfter(events, "p1", live);
      rerender(view());
    };
    expect(screen.getAllByTestId("lane")).toHaveLength(2);
    expect(within(screen.getAllByTestId("lane")[0]!).getByTestId("lane-queue")).toHaveTextContent("Planned (2)ac");

    emit(
      runStarted({ workers: 3 }),
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
    emit(
      { type: "branch_committed", run_id: "r1", task_id: "b", branch: "yokeflow/b", commit: sha, summary: "b: search box" },
      { type: "conflict_predicted", run_id: "r1", task_id: "b", other: { kind: "task", id: "a" }, files: ["src/search.ts"] },
    );
    expect(within(lane).getByTestId("lane-commit")).toHaveTextContent("89abcdef b: search box");
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("conflict predicted");
    expect(within(lane).getByTestId("lane-merge")).toHaveAttribute("title", "with a in src/search.ts");

    emit(
      { type: "agent_exited", run_id: "r1", task_id: "b", session_id: "s1", outcome: "succeeded", exit_code: 0 , cost_usd: null},
      { type: "merge_started", run_id: "r1", task_id: "b", branch: "yokeflow/b" },
    );
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("at the merge gate");
    emit({ type: "merge_result", run_id: "r1", task_id: "b", result: "tests_failed", detail: "2 failed" });
    expect(within(lane).getByTestId("lane-merge")).toHaveTextContent("tests failed");
    expect(within(lane).getByTestId("lane-merge")).toHaveAttribute("title", "2 failed");
    expect(within(lanes[0]!).getByTestId("lane-task")).toHaveTextContent("idle");
  });

  it("opens the task of a lane, its folder while it runs, and its agent's log", async () => {
    const lanes = freshLanes(2);
    lanes[1] = { ...lanes[1]!, branch: "yokeflow/b", taskId: "b", busy: true, agent: "running" };
    const onOpenTask = vi.fn();
    const onOpenWorktree = vi.fn();
    const onOpenLog = vi.fn();
    const user = userEvent.setup();
    render(
      <LanesView
        tasks={tasks}
        plan={executionPlan()}
        lanes={lanes}
        workers={2}
        onOpenTask={onOpenTask}
        onOpenWorktree={onOpenWorktree}
        onOpenLog={onOpenLog}
      />,
    );
    const [idle, busy] = screen.getAllByTestId("lane");
    expect(within(idle!).getByTestId("open-worktree")).toBeDisabled();
    expect(within(idle!).getByTestId("open-log")).toBeDisabled();
    await user.click(within(busy!).getByRole("button", { name: "Search box" }));
    await user.click(within(busy!).getByTestId("open-worktree"));
    await user.click(within(busy!).getByTestId("open-log"));
    expect(onOpenTask).toHaveBeenCalledWith("b");
    expect(onOpenWorktree).toHaveBeenCalledWith("b");
    expect(onOpenLog).toHaveBeenCalledWith("b");
  });
});

describe("laneCount", () => {
  it("is the most of the plan's worktrees, the run's workers and the lanes seen", () => {
    expect(laneCount(null, null, [])).toBe(0);
    expect(laneCount(executionPlan(), null, [])).toBe(2);
    expect(laneCount(executionPlan(), 4, [])).toBe(4);
    expect(laneCount(null, 1, freshLanes(3))).toBe(3);
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
