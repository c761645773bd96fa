import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Lane } from "../../bindings";
import { executionPlan, lane, lanes, task } from "../../test/fixtures";
import { LanesView, acceptsDrop, laneCount } from "./LanesView";

const tasks = [task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })];

describe("LanesView", () => {
  it("says there is nothing to show without a plan or a run", () => {
    render(<LanesView tasks={tasks} plan={null} lanes={[]} workers={null} />);
    expect(screen.getByTestId("lanes-empty")).toBeInTheDocument();
    expect(screen.queryByTestId("lane")).not.toBeInTheDocument();
  });

  it("says of each lane at work whether its agent runs in the sandbox", () => {
    const working = [lane(0, { task_id: "a", busy: true, agent: { state: "running" } }), lane(1)];
    const { rerender } = render(<LanesView tasks={tasks} plan={null} lanes={working} workers={2} sandboxed={true} />);
    const [first, idle] = screen.getAllByTestId("lane");
    expect(within(first!).getByTestId("lane-sandbox")).toHaveTextContent("sandboxed");
    expect(within(idle!).queryByTestId("lane-sandbox")).not.toBeInTheDocument();
    rerender(<LanesView tasks={tasks} plan={null} lanes={working} workers={2} sandboxed={false} />);
    expect(screen.getByTestId("lane-sandbox")).toHaveTextContent("not confined");
    rerender(<LanesView tasks={tasks} plan={null} lanes={working} workers={2} sandboxed={null} />);
    expect(screen.queryByTestId("lane-sandbox")).not.toBeInTheDocument();
  });

  it("shows one lane per worker with branch, task, agent, merge state and the planned queue", () => {
    const plan = executionPlan();
    const view = (shown: Lane[], workers: number | null) => <LanesView tasks={tasks} plan={plan} lanes={shown} workers={workers} />;
    const { rerender } = render(view([], null));
    expect(screen.getAllByTestId("lane")).toHaveLength(2);
    expect(within(screen.getAllByTestId("lane")[0]!).getByTestId("lane-queue")).toHaveTextContent("Planned (2)ac");

    // A run of 3 workers, b in slot 1 with its worktree and its agent running (the core's snapshot of its lanes).
    const b = lane(1, { task_id: "b", busy: true, agent: { state: "running" }, branch: "yokeflow/b" });
    const show = (slot1: Lane) => rerender(view([lane(0), slot1, lane(2)], 3));
    show(b);
    const rows = screen.getAllByTestId("lane");
    expect(rows).toHaveLength(3);
    const row = rows[1]!;
    expect(within(row).getByTestId("lane-branch")).toHaveTextContent("yokeflow/b");
    expect(within(row).getByTestId("lane-task")).toHaveTextContent("Search box");
    expect(within(row).getByTestId("lane-agent")).toHaveTextContent("running");
    expect(within(row).getByTestId("lane-agent")).toHaveAttribute("data-agent", "running");
    expect(within(row).getByTestId("lane-merge")).toHaveTextContent("not merged yet");
    expect(within(row).getByTestId("lane-commit")).toHaveTextContent("none yet");

    // Its agent committed, and a conflict is predicted before the merge.
    const sha = "89abcdef0123456789abcdef0123456789abcdef";
    const committed: Lane = {
      ...b,
      last_commit: { sha, summary: "b: search box" },
      merge: "predicted",
      merge_detail: "with a in src/search.ts",
    };
    show(committed);
    expect(within(row).getByTestId("lane-commit")).toHaveTextContent("89abcdef b: search box");
    expect(within(row).getByTestId("lane-merge")).toHaveTextContent("conflict predicted");
    expect(within(row).getByTestId("lane-merge")).toHaveAttribute("title", "with a in src/search.ts");

    // The agent exited and the work went to the merge gate, whose tests then failed.
    const exited: Lane = { ...committed, agent: { state: "exited", outcome: "succeeded" }, merge: "testing", merge_detail: null };
    show(exited);
    expect(within(row).getByTestId("lane-agent")).toHaveAttribute("data-agent", "succeeded");
    expect(within(row).getByTestId("lane-merge")).toHaveTextContent("at the merge gate");
    show({ ...exited, merge: "failed", merge_detail: "2 failed" });
    expect(within(row).getByTestId("lane-merge")).toHaveTextContent("tests failed");
    expect(within(row).getByTestId("lane-merge")).toHaveAttribute("title", "2 failed");
    expect(within(rows[0]!).getByTestId("lane-task")).toHaveTextContent("idle");
  });

  it("opens the task of a lane, its folder while it runs, and its agent's log", async () => {
    const two = [lane(0), lane(1, { task_id: "b", busy: true, agent: { state: "running" }, branch: "yokeflow/b" })];
    const onOpenTask = vi.fn();
    const onOpenWorktree = vi.fn();
    const onOpenLog = vi.fn();
    const user = userEvent.setup();
    render(
      <LanesView
        tasks={tasks}
        plan={executionPlan()}
        lanes={two}
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

describe("LanesView, where a task ran", () => {
  it("marks a planned task that ran in another lane than the plan gave it", () => {
    const ranOn = new Map([
      ["a", "wt-2"],
      ["b", "wt-2"],
    ]);
    render(<LanesView tasks={tasks} plan={executionPlan()} lanes={[]} workers={2} ranOn={ranOn} />);
    const chip = (id: string) => screen.getAllByTestId("lane-chip").find((c) => c.dataset.taskId === id)!;
    expect(chip("a")).toHaveAttribute("data-ran-on", "wt-2");
    expect(chip("a")).toHaveTextContent("a → wt-2");
    expect(chip("a")).toHaveAttribute("title", expect.stringContaining("planned for wt-1, ran on wt-2"));
    // `b` ran where it was planned; `c` has not run.
    expect(chip("b")).not.toHaveAttribute("data-ran-on");
    expect(chip("c")).not.toHaveAttribute("data-ran-on");
  });
});

describe("laneCount", () => {
  it("is the most of the plan's worktrees, the run's workers and the lanes seen", () => {
    expect(laneCount(null, null, [])).toBe(0);
    expect(laneCount(executionPlan(), null, [])).toBe(2);
    expect(laneCount(executionPlan(), 4, [])).toBe(4);
    expect(laneCount(null, 1, lanes(3))).toBe(3);
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
