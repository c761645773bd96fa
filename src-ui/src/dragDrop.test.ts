import type { Active, ClientRect, Over, SensorContext } from "@dnd-kit/core";
import { describe, expect, it } from "vitest";
import { arrowStep, dragAnnouncements, dropDestination, jumpCoordinates, jumpTo, type DropTarget } from "./dragDrop";

function rect(left: number, top: number, width: number, height: number): ClientRect {
  return { left, top, width, height, right: left + width, bottom: top + height };
}

function centerOf(point: { x: number; y: number } | undefined, dragged: ClientRect) {
  return point === undefined ? undefined : { x: point.x + dragged.width / 2, y: point.y + dragged.height / 2 };
}

// Four 240 px columns 10 px apart, listed out of order (targets come in registration order).
const columns: DropTarget[] = [
  { id: "review", rect: rect(510, 10, 240, 700) },
  { id: "backlog", rect: rect(10, 10, 240, 700) },
  { id: "done", rect: rect(760, 10, 240, 700) },
  { id: "in_progress", rect: rect(260, 10, 240, 700) },
];
const card = rect(20, 50, 220, 60);

function active(id: string, home: string, label = `task “${id}”`, homeLabel = home): Pick<Active, "id" | "data"> {
  return { id, data: { current: { label, home, homeLabel } } };
}

function over(id: string, label: string): Over {
  return { id, rect: rect(0, 0, 1, 1), disabled: false, data: { current: { label } } };
}

describe("arrowStep", () => {
  it("maps the arrows of the axis to a step and ignores the others", () => {
    expect(arrowStep("ArrowRight", "x")).toBe(1);
    expect(arrowStep("ArrowLeft", "x")).toBe(-1);
    expect(arrowStep("ArrowDown", "x")).toBe(0);
    expect(arrowStep("ArrowDown", "y")).toBe(1);
    expect(arrowStep("ArrowUp", "y")).toBe(-1);
    expect(arrowStep("ArrowRight", "y")).toBe(0);
    expect(arrowStep("KeyA", "x")).toBe(0);
  });
});

describe("jumpTo", () => {
  it("centres the dragged card on the next column's centre, in screen order", () => {
    expect(centerOf(jumpTo(columns, "backlog", card, "x", 1), card)).toEqual({ x: 380, y: 360 });
    expect(centerOf(jumpTo(columns, "in_progress", card, "x", 1), card)).toEqual({ x: 630, y: 360 });
    expect(centerOf(jumpTo(columns, "done", card, "x", -1), card)).toEqual({ x: 630, y: 360 });
  });

  it("goes nowhere past either end", () => {
    expect(jumpTo(columns, "backlog", card, "x", -1)).toBeUndefined();
    expect(jumpTo(columns, "done", card, "x", 1)).toBeUndefined();
    expect(jumpTo([], null, card, "x", 1)).toBeUndefined();
  });

  it("without a current target takes the next one past the card's centre", () => {
    const between = rect(480, 100, 60, 20); // centre x 510: between In Progress (380) and Review (630)
    expect(centerOf(jumpTo(columns, null, between, "x", 1), between)?.x).toBe(630);
    expect(centerOf(jumpTo(columns, null, between, "x", -1), between)?.x).toBe(380);
  });

  it("works on the vertical axis for lanes", () => {
    const lanes: DropTarget[] = [0, 1, 2].map((slot) => ({ id: `wt-${slot + 1}`, rect: rect(10, 10 + slot * 110, 900, 100) }));
    const chip = rect(600, 50, 40, 20);
    expect(centerOf(jumpTo(lanes, "wt-1", chip, "y", 1), chip)).toEqual({ x: 460, y: 170 });
    expect(centerOf(jumpTo(lanes, "wt-2", chip, "y", -1), chip)).toEqual({ x: 460, y: 60 });
    expect(jumpTo(lanes, "wt-3", chip, "y", 1)).toBeUndefined();
  });
});

describe("jumpCoordinates", () => {
  function context(overId: string | null, disabled: string[] = []): SensorContext {
    const containers = columns.map((column) => ({ id: column.id, disabled: disabled.includes(String(column.id)) }));
    return {
      collisionRect: card,
      over: overId === null ? null : over(overId, overId),
      droppableRects: new Map(columns.map((column) => [column.id, column.rect])),
      droppableContainers: { getEnabled: () => containers.filter((container) => !container.disabled) },
    } as unknown as SensorContext;
  }
  const getter = jumpCoordinates("x");
  const press = (code: string, ctx: SensorContext) =>
    centerOf(getter(new KeyboardEvent("keydown", { code }), { active: "a", currentCoordinates: { x: 20, y: 50 }, context: ctx }) ?? undefined, card);

  it("jumps from the column the card is over to the one next to it", () => {
    expect(press("ArrowRight", context("backlog"))).toEqual({ x: 380, y: 360 });
    expect(press("ArrowLeft", context("review"))).toEqual({ x: 380, y: 360 });
  });

  it("skips disabled drop targets and ignores other keys", () => {
    expect(press("ArrowRight", context("backlog", ["in_progress"]))).toEqual({ x: 630, y: 360 });
    expect(press("ArrowDown", context("backlog"))).toBeUndefined();
    expect(press("ArrowLeft", context("backlog"))).toBeUndefined();
  });
});

describe("dropDestination", () => {
  it("is the target dropped on, unless it is where the item already was", () => {
    expect(dropDestination(active("a", "backlog"), over("done", "Done"))).toBe("done");
    expect(dropDestination(active("a", "backlog"), over("backlog", "Backlog"))).toBeNull();
    expect(dropDestination(active("a", "backlog"), null)).toBeNull();
  });
});

describe("dragAnnouncements", () => {
  const say = dragAnnouncements("column");
  const a = active("a", "backlog", "task “Cart API”", "Backlog");

  it("names the task and the columns", () => {
    expect(say.onDragStart({ active: a as Active })).toBe("Picked up task “Cart API”, in Backlog.");
    expect(say.onDragOver({ active: a as Active, over: over("done", "Done") })).toBe("Task “Cart API” is over Done.");
    expect(say.onDragOver({ active: a as Active, over: null })).toBe("Task “Cart API” is no longer over a column.");
    expect(say.onDragEnd({ active: a as Active, over: over("done", "Done") })).toBe("Moved task “Cart API” to Done.");
    expect(say.onDragEnd({ active: a as Active, over: over("backlog", "Backlog") })).toBe(
      "Task “Cart API” was dropped back in Backlog.",
    );
    expect(say.onDragEnd({ active: a as Active, over: null })).toBe(
      "Task “Cart API” was dropped outside any column; it stays in Backlog.",
    );
    expect(say.onDragCancel({ active: a as Active, over: null })).toBe("Cancelled. Task “Cart API” stays in Backlog.");
  });
});
