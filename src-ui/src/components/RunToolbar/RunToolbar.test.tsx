import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { describe, expect, it, vi } from "vitest";
import { parseBudget } from "../../hooks/useRunControls";
import { RunToolbar, SANDBOXED_NOTICE, UNCONFINED_NOTICE } from "./RunToolbar";
import styles from "./RunToolbar.module.css";

type Props = ComponentProps<typeof RunToolbar>;

function renderToolbar(overrides: Partial<Props> = {}) {
  const props: Props = {
    phase: "idle",
    mode: null,
    ready: true,
    sequential: false,
    done: 1,
    total: 3,
    onSequentialChange: vi.fn(),
    onStart: vi.fn(),
    onPause: vi.fn(),
    onResume: vi.fn(),
    onCancel: vi.fn(),
    onForceSequential: vi.fn(() => Promise.resolve()),
    ...overrides,
  };
  const result = render(<RunToolbar {...props} />);
  return { ...result, props };
}

describe("RunToolbar", () => {
  it("offers Start and the Sequential choice while idle, with the progress", async () => {
    const { props } = renderToolbar();
    const user = userEvent.setup();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "idle");
    expect(screen.getByTestId("run-progress")).toHaveTextContent("1/3 done");
    expect(screen.getByTestId("pause-run")).toBeDisabled();
    expect(screen.getByTestId("cancel-run")).toBeDisabled();
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("sequential"));
    expect(props.onSequentialChange).toHaveBeenCalledWith(true);
    await user.click(screen.getByTestId("start-run"));
    expect(props.onStart).toHaveBeenCalledTimes(1);
  });

  it("says whether the running run's agents are confined, once the run says", () => {
    const { rerender, props } = renderToolbar({ phase: "running", mode: "parallel", sandboxed: null });
    expect(screen.queryByTestId("run-sandboxed")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run-unconfined")).not.toBeInTheDocument();
    rerender(<RunToolbar {...props} sandboxed={true} />);
    expect(screen.getByTestId("run-sandboxed")).toHaveAttribute("title", SANDBOXED_NOTICE);
    rerender(<RunToolbar {...props} sandboxed={false} />);
    expect(screen.getByTestId("run-unconfined")).toHaveTextContent("not confined");
    expect(screen.getByTestId("run-unconfined")).toHaveAttribute("title", UNCONFINED_NOTICE);
    expect(screen.getByTestId("run-unconfined")).toHaveClass(styles.unconfined!);
    rerender(<RunToolbar {...props} phase="finished" sandboxed={false} />);
    expect(screen.queryByTestId("run-unconfined")).not.toBeInTheDocument();
  });

  it("does not start before the board is loaded", () => {
    renderToolbar({ ready: false });
    expect(screen.getByTestId("start-run")).toBeDisabled();
  });

  it("shows no progress without tasks", () => {
    renderToolbar({ done: 0, total: 0 });
    expect(screen.queryByTestId("run-progress")).not.toBeInTheDocument();
  });

  it("offers Pause, Cancel and Go sequential during a parallel run", async () => {
    const { props } = renderToolbar({ phase: "running", mode: "parallel" });
    const user = userEvent.setup();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
    expect(screen.getByTestId("start-run")).toBeDisabled();
    expect(screen.getByTestId("sequential")).toBeDisabled();
    expect(screen.getByTestId("sequential")).not.toBeChecked();
    await user.click(screen.getByTestId("pause-run"));
    await user.click(screen.getByTestId("force-sequential"));
    await user.click(screen.getByTestId("cancel-run"));
    expect(props.onPause).toHaveBeenCalledTimes(1);
    expect(props.onForceSequential).toHaveBeenCalledTimes(1);
    expect(props.onCancel).toHaveBeenCalledTimes(1);
  });

  it("offers Resume instead of Pause while paused", async () => {
    const { props } = renderToolbar({ phase: "paused", mode: "parallel" });
    const user = userEvent.setup();
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "paused");
    expect(screen.queryByTestId("pause-run")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("resume-run"));
    expect(props.onResume).toHaveBeenCalledTimes(1);
  });

  it("shows a sequential run as such, without Go sequential", () => {
    renderToolbar({ phase: "running", mode: "sequential" });
    expect(screen.getByTestId("run-status")).toHaveTextContent("sequential");
    expect(screen.getByTestId("sequential")).toBeChecked();
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
  });

  it("turns everything off but the status while a cancel is under way", () => {
    renderToolbar({ phase: "cancelling", mode: "parallel" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-state", "running");
    expect(screen.getByTestId("run-status")).toHaveTextContent("Cancelling…");
    expect(screen.getByTestId("cancel-run")).toHaveTextContent("Cancelling…");
    expect(screen.getByTestId("cancel-run")).toBeDisabled();
    expect(screen.getByTestId("pause-run")).toBeDisabled();
    expect(screen.getByTestId("start-run")).toBeDisabled();
    expect(screen.getByTestId("sequential")).toBeDisabled();
    expect(screen.queryByTestId("force-sequential")).not.toBeInTheDocument();
  });

  it("says a finished run left tasks in Review instead of showing it all green", () => {
    const { rerender, props } = renderToolbar({ phase: "finished", inReview: 2 });
    const pill = screen.getByTestId("run-status");
    expect(pill).toHaveTextContent("Finished · 2 in Review");
    expect(pill).toHaveClass(styles.runStatusReview!);
    rerender(<RunToolbar {...props} inReview={0} />);
    expect(pill).toHaveTextContent("Finished");
    expect(pill).not.toHaveTextContent("Review");
    expect(pill).toHaveClass(styles.runStatusFinished!);
  });

  it("takes a budget for the next run, not during one", async () => {
    const onBudgetChange = vi.fn();
    const { rerender, props } = renderToolbar({ budget: "", onBudgetChange });
    await userEvent.setup().type(screen.getByTestId("run-budget"), "5");
    expect(onBudgetChange).toHaveBeenLastCalledWith("5");
    rerender(<RunToolbar {...props} budget="5" phase="running" />);
    expect(screen.getByTestId("run-budget")).toBeDisabled();
    expect(screen.getByTestId("run-budget")).toHaveValue(5);
  });
});

describe("parseBudget", () => {
  it("reads a positive amount of dollars, else no limit", () => {
    expect(parseBudget("2.5")).toBe(2.5);
    expect(parseBudget(" $3 ")).toBe(3);
    for (const none of ["", "0", "-1", "abc", "Infinity"]) expect(parseBudget(none)).toBeNull();
  });
});
