import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { board, executionPlan, lane, task } from "../../test/fixtures";
import { boardLayout, installLayout } from "../../test/layout";
import { BoardView } from "./BoardView";

function column(status: string) {
  return screen.getByTestId(`column-${status}`);
}

function count(status: string) {
  return within(column(status)).getByTestId("column-count").textContent;
}

function cardIds(status: string) {
  return within(column(status))
    .queryAllByTestId("task-card")
    .map((card) => card.getAttribute("data-task-id"));
}

describe("BoardView", () => {
  it("groups the tasks into the four columns, with counts", () => {
    render(
      <BoardView
        board={board([
          task("t1", { status: "backlog" }),
          task("t2", { status: "backlog" }),
          task("t3", { status: "in_progress" }),
          task("t4", { status: "done" }),
          task("t5", { status: "done" }),
          task("t6", { status: "done" }),
        ])}
      />,
    );
    expect(screen.getAllByRole("heading", { level: 2 }).map((h) => h.textContent)).toEqual([
      "Backlog",
      "In Progress",
      "Review",
      "Done",
    ]);
    expect(cardIds("backlog")).toEqual(["t1", "t2"]);
    expect(cardIds("in_progress")).toEqual(["t3"]);
    expect(cardIds("review")).toEqual([]);
    expect(cardIds("done")).toEqual(["t4", "t5", "t6"]);
    expect([count("backlog"), count("in_progress"), count("review"), count("done")]).toEqual(["2", "1", "0", "3"]);
  });

  it("shows a card's title, id, epic, effort and dependencies", () => {
    render(
      <BoardView
        board={board([
          task("cart-api", {
            title: "Add the cart API",
            epic: "checkout",
            effort_minutes: 45,
            depends_on: ["db-schema", "auth"],
          }),
        ])}
      />,
    );
    const card = screen.getByTestId("task-card");
    expect(card).toHaveAttribute("data-task-id", "cart-api");
    expect(within(card).getByText("Add the cart API")).toBeInTheDocument();
    expect(within(card).getByText("cart-api")).toBeInTheDocument();
    expect(within(card).getByTestId("epic-chip")).toHaveTextContent("Checkout");
    expect(within(card).getByText("45 min")).toBeInTheDocument();
    expect(card).toHaveTextContent("after: db-schema, auth");
  });

  it("renders only the cards in view of a long column, and every card of a short one", () => {
    const tasks = [
      ...Array.from({ length: 1000 }, (_, i) => task(`t${i}`, { status: "backlog", epic: i % 3 === 0 ? "search" : null })),
      ...Array.from({ length: 12 }, (_, i) => task(`d${i}`, { status: "done" })),
    ];
    // The backlog's scrolling body is 600 px tall and a card 110 px (the virtualizer reads clientHeight, offsetHeight).
    const clientHeight = vi
      .spyOn(HTMLElement.prototype, "clientHeight", "get")
      .mockImplementation(function (this: HTMLElement) {
        return this.dataset.testid === "card-list" ? 600 : 0;
      });
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(240);
    vi.spyOn(HTMLElement.prototype, "offsetHeight", "get").mockImplementation(function (this: HTMLElement) {
      return this.dataset.testid === "virtual-card" ? 110 : 0;
    });
    try {
      render(<BoardView board={board(tasks)} />);
    } finally {
      vi.restoreAllMocks();
    }
    expect(clientHeight).toHaveBeenCalled();
    expect(count("backlog")).toBe("1000");
    const shown = cardIds("backlog");
    expect(shown.length).toBeGreaterThan(4);
    expect(shown.length).toBeLessThan(20);
    expect(shown[0]).toBe("t0");
    expect(cardIds("done")).toHaveLength(12);
    const space = within(column("backlog")).getByTestId("virtual-space");
    expect(parseFloat(space.style.height)).toBeGreaterThan(1000 * 100);
  });
});

function card(id: string) {
  return screen.getAllByTestId("task-card").find((element) => element.getAttribute("data-task-id") === id)!;
}

describe("card facts", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("shows the plan's worktree with its pin, and the predicted conflicts", () => {
    const plan = executionPlan({ pinned: ["b"], conflict_groups: [{ tasks: ["a", "c"], files: ["src/cart.ts"] }] });
    render(<BoardView board={board([task("a"), task("b"), task("c", { status: "done" })])} plan={plan} />);
    const a = card("a");
    expect(within(a).getByTestId("card-worktree")).toHaveTextContent("wt-1");
    expect(within(a).getByTestId("card-worktree")).toHaveAttribute("data-source", "plan");
    expect(within(a).queryByTestId("pin-mark")).not.toBeInTheDocument();
    expect(within(a).getByTestId("card-conflict")).toHaveTextContent("conflicts with c");
    expect(within(a).getByTestId("card-conflict")).toHaveAttribute("title", "Predicted conflict with c on:\nsrc/cart.ts");
    const b = card("b");
    expect(within(b).getByTestId("card-worktree")).toHaveTextContent("wt-2");
    expect(within(b).getByTestId("pin-mark")).toHaveAccessibleName("pinned");
    expect(within(b).queryByTestId("card-conflict")).not.toBeInTheDocument();
    // Done: the work landed, the plan's worktree and conflicts no longer matter.
    expect(within(card("c")).queryByTestId("card-worktree")).not.toBeInTheDocument();
    expect(within(card("c")).queryByTestId("card-conflict")).not.toBeInTheDocument();
  });

  it("shows the run's worktree, the agent, a live conflict warning and the time spent; only running cards tick", () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(100_000);
    const lanes = [lane(0), lane(1, { task_id: "a", busy: true, agent: { state: "running" } })];
    const timings = [
      { task_id: "b", slot: 0, start_ms: 0, end_ms: 4_500 },
      { task_id: "a", slot: 1, start_ms: 5_000, end_ms: null },
    ];
    const warning = JSON.stringify([{ other: { kind: "target" }, files: ["src/cart.ts"] }]);
    render(
      <BoardView
        board={board([task("a", { status: "in_progress", conflict_warning: warning }), task("b", { status: "done" })])}
        plan={executionPlan()}
        slots={{ a: 1 }}
        lanes={lanes}
        timings={timings}
        runStartedAt={90_000}
      />,
    );
    const a = card("a");
    expect(within(a).getByTestId("card-worktree")).toHaveTextContent("wt-2");
    expect(within(a).getByTestId("card-worktree")).toHaveAttribute("data-source", "run");
    expect(within(a).getByTestId("card-agent")).toHaveTextContent("agent running");
    expect(within(a).getByTestId("card-conflict")).toHaveTextContent("conflict with the target branch");
    expect(within(a).getByTestId("card-conflict")).toHaveAttribute("title", "the target branch: src/cart.ts");
    // Started at 90 s + 5 s, now 100 s.
    expect(within(a).getByTestId("card-time")).toHaveTextContent(/^5 s$/);
    expect(within(card("b")).getByTestId("card-time")).toHaveTextContent(/^4\.5 s$/);
    act(() => {
      vi.advanceTimersByTime(3_000);
    });
    expect(within(a).getByTestId("card-time")).toHaveTextContent(/^8 s$/);
    expect(within(card("b")).getByTestId("card-time")).toHaveTextContent(/^4\.5 s$/);
    expect(within(card("b")).queryByTestId("card-agent")).not.toBeInTheDocument();
  });
});

describe("drag and drop", () => {
  function setup(tasks = [task("a", { title: "Cart API" }), task("b"), task("c", { status: "review" })]) {
    installLayout(boardLayout);
    const onMoveTask = vi.fn();
    const onOpenTask = vi.fn();
    const user = userEvent.setup();
    render(<BoardView board={board(tasks)} onMoveTask={onMoveTask} onOpenTask={onOpenTask} />);
    return { user, onMoveTask, onOpenTask };
  }

  function announced() {
    return Array.from(document.querySelectorAll("[aria-live]"), (region) => region.textContent).join(" ");
  }

  it("moves a card to another column with the keyboard", async () => {
    const { user, onMoveTask } = setup();
    act(() => card("a").focus());
    await user.keyboard(" ");
    expect(announced()).toContain("Cart API");
    await user.keyboard("{ArrowRight}");
    expect(announced()).toContain("Task “Cart API” is over In Progress.");
    await user.keyboard("{ArrowRight}");
    await user.keyboard("{ArrowRight}");
    await user.keyboard("{ArrowLeft}");
    expect(announced()).toContain("Task “Cart API” is over Review.");
    await user.keyboard("{Enter}");
    expect(onMoveTask).toHaveBeenCalledTimes(1);
    expect(onMoveTask).toHaveBeenCalledWith("a", "review");
    expect(announced()).toContain("Moved task “Cart API” to Review.");
    // Nothing moved here: the board changes once the core has stored the move.
    expect(within(screen.getByTestId("column-backlog")).getAllByTestId("task-card")).toHaveLength(2);
  });

  it("does nothing when a card is dropped back on its column or the drag is cancelled", async () => {
    const { user, onMoveTask } = setup();
    act(() => card("c").focus());
    await user.keyboard(" ");
    await user.keyboard("{ArrowRight}");
    await user.keyboard("{ArrowLeft}");
    await user.keyboard(" ");
    expect(announced()).toContain("was dropped back in Review.");

    act(() => card("c").focus());
    await user.keyboard(" ");
    await user.keyboard("{ArrowRight}");
    await user.keyboard("{Escape}");
    expect(announced()).toContain("Cancelled. Task “Task c” stays in Review.");
    expect(onMoveTask).not.toHaveBeenCalled();
  });

  it("moves a card dragged with the pointer, and still opens the log on a click", async () => {
    const { user, onMoveTask, onOpenTask } = setup();
    const title = within(card("b")).getByRole("button", { name: "Task b" });
    await user.click(title);
    expect(onOpenTask).toHaveBeenCalledWith("b");
    expect(onMoveTask).not.toHaveBeenCalled();

    await user.pointer([
      { keys: "[MouseLeft>]", target: title, coords: { clientX: 100, clientY: 140 } },
      { coords: { clientX: 110, clientY: 140 } },
      { coords: { clientX: 880, clientY: 300 } },
      { keys: "[/MouseLeft]" },
    ]);
    expect(onMoveTask).toHaveBeenCalledWith("b", "done");
    expect(onOpenTask).toHaveBeenCalledTimes(1);
    // dnd-kit swallows clicks on the document for 50 ms after a pointer drag ends: let that pass before the
    // next test clicks.
    await new Promise((resolve) => setTimeout(resolve, 60));
  });

  it("picks up from the card, not from its title button", async () => {
    const { user, onMoveTask, onOpenTask } = setup();
    act(() => within(card("a")).getByRole("button", { name: "Cart API" }).focus());
    await user.keyboard("{Enter}");
    expect(onOpenTask).toHaveBeenCalledWith("a");
    await user.keyboard("{ArrowRight}");
    await user.keyboard("{Enter}");
    expect(onMoveTask).not.toHaveBeenCalled();
  });
});
