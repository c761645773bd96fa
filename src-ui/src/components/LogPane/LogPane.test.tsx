import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { describe, expect, it, vi } from "vitest";
import { LogStore } from "../../runStore";
import { task } from "../../test/fixtures";
import { LogPane } from "./LogPane";

type Props = ComponentProps<typeof LogPane>;

function renderPane(overrides: Partial<Props> = {}) {
  const props: Props = {
    task: task("a", { title: "Cart API", description: "Add the cart endpoints" }),
    logs: new LogStore(),
    slot: undefined,
    runActive: false,
    onRetry: vi.fn(() => Promise.resolve()),
    onRetryMerge: vi.fn(() => Promise.resolve()),
    onMergeNow: vi.fn(() => Promise.resolve()),
    onClose: vi.fn(),
    ...overrides,
  };
  return { ...render(<LogPane {...props} />), props };
}

describe("LogPane", () => {
  it("shows the task's details and streams its output, not another task's", () => {
    const logs = new LogStore();
    logs.append("a", "writing src/cart.ts");
    renderPane({
      logs,
      task: task("a", { title: "Cart API", description: "Add the cart endpoints", predicted_files: [{ path: "src/cart.ts", reason: "declared" }] }),
    });
    const pane = screen.getByTestId("log-pane");
    expect(pane).toHaveAttribute("data-task-id", "a");
    expect(pane).toHaveTextContent("Add the cart endpoints");
    expect(within(pane).getByTestId("predicted-files")).toHaveTextContent("src/cart.ts");
    expect(within(pane).getByTestId("log-lines")).toHaveTextContent("writing src/cart.ts");

    act(() => {
      logs.append("a", "tests pass");
      logs.append("b", "not this task");
    });
    expect(within(pane).getByTestId("log-lines").textContent).toBe("writing src/cart.ts\ntests pass");
  });

  it("says so while there is no output", () => {
    renderPane();
    expect(screen.getByTestId("log-lines")).toHaveTextContent("No output yet.");
  });

  it("offers Retry and Retry merge for a task in review during a run only", async () => {
    const review = task("a", { title: "Cart API", status: "review", review_reason: "merge conflict in src/cart.ts" });
    const { rerender, props } = renderPane({ task: review });
    expect(screen.getByTestId("log-review-reason")).toHaveTextContent("merge conflict in src/cart.ts");
    expect(screen.queryByTestId("retry-task")).not.toBeInTheDocument();

    rerender(<LogPane {...props} runActive />);
    const user = userEvent.setup();
    await user.click(screen.getByTestId("retry-task"));
    await user.click(screen.getByTestId("retry-merge"));
    expect(props.onRetry).toHaveBeenCalledWith("a");
    expect(props.onRetryMerge).toHaveBeenCalledWith("a");
    expect(screen.queryByTestId("merge-now")).not.toBeInTheDocument();
  });

  it("offers Merge now for a task in progress during a run", async () => {
    const { props } = renderPane({ task: task("a", { status: "in_progress" }), slot: 1, runActive: true });
    expect(screen.getByTestId("log-pane")).toHaveTextContent("wt-2");
    await userEvent.setup().click(screen.getByTestId("merge-now"));
    expect(props.onMergeNow).toHaveBeenCalledWith("a");
    expect(screen.queryByTestId("retry-task")).not.toBeInTheDocument();
  });

  it("closes with its button or Escape", async () => {
    const { props } = renderPane();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Close the log" }));
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(2);
  });
});
