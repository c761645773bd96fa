import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { GateLanding, GateState } from "../../bindings";
import { EMPTY_GATE } from "../../test/fixtures";
import { MergeQueue, describeLanding } from "./MergeQueue";

const landed = (task_id: string, result: GateLanding["result"], batch: number): GateLanding => ({ task_id, result, batch });

describe("MergeQueue", () => {
  it("renders nothing while the gate has seen nothing", () => {
    const { container } = render(<MergeQueue gate={EMPTY_GATE} />);
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByTestId("merge-queue")).not.toBeInTheDocument();
  });

  it("follows the run's gate: what it tests together, what waits, and what it landed", () => {
    const { rerender } = render(<MergeQueue gate={EMPTY_GATE} />);
    const show = (gate: GateState) => rerender(<MergeQueue gate={gate} />);

    // Four tasks' work went to the gate.
    show({ ...EMPTY_GATE, waiting: ["a", "b", "c", "d"] });
    const gate = screen.getByTestId("merge-queue");
    expect(gate).toHaveAttribute("aria-label", "Merge gate");
    expect(within(gate).getByRole("heading")).toHaveTextContent("Merge gate");
    expect(screen.getByTestId("merge-queue-waiting")).toHaveTextContent(/^Waiting: a, b, c, d$/);
    expect(screen.queryByTestId("merge-queue-testing")).not.toBeInTheDocument();
    expect(screen.queryByTestId("merge-queue-recent")).not.toBeInTheDocument();

    show({ ...EMPTY_GATE, waiting: ["d"], testing: ["a", "b", "c"], testing_batch: 3, recent: [] });
    expect(screen.getByTestId("merge-queue-testing")).toHaveTextContent(/^Testing together: a, b, c$/);
    expect(screen.getByTestId("merge-queue-waiting")).toHaveTextContent(/^Waiting: d$/);

    // The gate bisected the failing batch: b broke it, a and c landed.
    const bisected = [landed("c", "merged", 3), landed("b", "tests_failed", 3), landed("a", "merged", 3)];
    show({ ...EMPTY_GATE, testing: ["d"], testing_batch: 1, recent: bisected });
    expect(screen.getByTestId("merge-queue-testing")).toHaveTextContent(/^Testing: d$/);
    expect(screen.queryByTestId("merge-queue-waiting")).not.toBeInTheDocument();
    show({ ...EMPTY_GATE, testing_batch: 1, recent: [landed("d", "conflict", 1), ...bisected] });
    expect(screen.queryByTestId("merge-queue-testing")).not.toBeInTheDocument();

    // Folded to the newest landing, so the lanes keep their room; the whole list unfolds.
    const latest = screen.getByTestId("merge-queue-latest");
    expect(latest).not.toHaveAttribute("open");
    expect(latest.querySelector("summary")).toHaveTextContent("Latest (4): d: conflict");
    const landings = within(screen.getByTestId("merge-queue-recent")).getAllByTestId("merge-queue-landing");
    expect(landings.map((item) => [item.dataset.taskId, item.dataset.result, item.textContent])).toEqual([
      ["d", "conflict", "d: conflict"],
      ["c", "merged", "c landed (with 2 others)"],
      ["b", "tests_failed", "b: tests failed — broke a batch of 3"],
      ["a", "merged", "a landed (with 2 others)"],
    ]);
    // Task ids read like everywhere else; plain text without a way to open a task.
    expect(within(landings[0]!).getByText("d")).toHaveClass("card-id");
    expect(screen.queryByRole("button")).not.toBeInTheDocument();
  });

  it("shows the branches in their pre-flight, and those it left out, beside what waits", () => {
    const { rerender } = render(<MergeQueue gate={{ ...EMPTY_GATE, preflight: ["a"] }} />);
    const show = (gate: GateState) => rerender(<MergeQueue gate={gate} />);

    // A pre-flight alone is enough for the panel.
    expect(screen.getByTestId("merge-queue")).toBeInTheDocument();
    expect(screen.getByTestId("merge-queue-preflight")).toHaveTextContent(/^Pre-flight: a$/);
    expect(screen.queryByTestId("merge-queue-preflight-failed")).not.toBeInTheDocument();

    // The tasks waiting for the gate stay in its Waiting line while their pre-flight runs.
    show({ ...EMPTY_GATE, waiting: ["a", "b", "c"], preflight: ["a", "b"] });
    expect(screen.getByTestId("merge-queue-waiting")).toHaveTextContent(/^Waiting: a, b, c$/);
    expect(screen.getByTestId("merge-queue-preflight")).toHaveTextContent(/^Pre-flight: a, b$/);

    // b's pre-flight failed: left out of the gate's batches.
    show({ ...EMPTY_GATE, waiting: ["a", "c"], preflight: ["c"], preflight_failed: ["b"] });
    expect(screen.getByTestId("merge-queue-preflight")).toHaveTextContent(/^Pre-flight: c$/);
    expect(screen.getByTestId("merge-queue-preflight-failed")).toHaveTextContent(/^Left out by their pre-flight: b$/);

    // Nothing else left but the failed ones: the panel still says so.
    show({ ...EMPTY_GATE, preflight_failed: ["b", "d"] });
    expect(screen.queryByTestId("merge-queue-preflight")).not.toBeInTheDocument();
    expect(screen.queryByTestId("merge-queue-waiting")).not.toBeInTheDocument();
    expect(screen.getByTestId("merge-queue-preflight-failed")).toHaveTextContent(/^Left out by their pre-flight: b, d$/);
  });

  it("opens a task when its id is clicked", async () => {
    const onOpenTask = vi.fn();
    const gate: GateState = {
      ...EMPTY_GATE,
      waiting: ["e"],
      preflight: ["f"],
      preflight_failed: ["g"],
      testing: ["c", "d"],
      testing_batch: 2,
      recent: [landed("a", "merged", 1)],
    };
    render(<MergeQueue gate={gate} onOpenTask={onOpenTask} />);
    await userEvent.click(within(screen.getByTestId("merge-queue-testing")).getByRole("button", { name: "d" }));
    await userEvent.click(within(screen.getByTestId("merge-queue-waiting")).getByRole("button", { name: "e" }));
    await userEvent.click(within(screen.getByTestId("merge-queue-recent")).getByRole("button", { name: "a" }));
    await userEvent.click(within(screen.getByTestId("merge-queue-preflight")).getByRole("button", { name: "f" }));
    await userEvent.click(within(screen.getByTestId("merge-queue-preflight-failed")).getByRole("button", { name: "g" }));
    expect(onOpenTask.mock.calls).toEqual([["d"], ["e"], ["a"], ["f"], ["g"]]);
    expect(screen.getByTestId("merge-queue-landing")).toHaveTextContent(/^a landed$/);
  });

  it.each([
    [{ result: "merged", batch: 2 }, " landed (with 1 other)"],
    [{ result: "tests_failed", batch: 1 }, ": tests failed"],
    [{ result: "nothing_to_merge", batch: 3 }, ": nothing to merge"],
    [{ result: "checkout_blocked", batch: 1 }, ": not landed: checkout"],
    [{ result: "error", batch: 4 }, ": merge error"],
  ] as const)("says %o as %j", (landing, text) => {
    expect(describeLanding({ task_id: "x", ...landing })).toBe(text);
  });
});
