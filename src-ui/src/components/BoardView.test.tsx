import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { board, task } from "../test/fixtures";
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

  it("renders 1,000 cards", () => {
    const statuses = ["backlog", "in_progress", "review", "done"] as const;
    const tasks = Array.from({ length: 1000 }, (_, i) =>
      task(`t${i}`, { status: statuses[i % 4], epic: i % 3 === 0 ? "search" : null }),
    );
    render(<BoardView board={board(tasks)} />);
    expect(screen.getAllByTestId("task-card")).toHaveLength(1000);
    expect(count("review")).toBe("250");
  });
});
