import { describe, expect, it } from "vitest";
import { EPIC_HUES, epicHue, formatEffort, groupByStatus, pathTail } from "./board";
import { task } from "./test/fixtures";

describe("groupByStatus", () => {
  it("puts each task in its column and keeps their order", () => {
    const groups = groupByStatus([
      task("a", { status: "done" }),
      task("b"),
      task("c", { status: "in_progress" }),
      task("d", { status: "review" }),
      task("e", { status: "done" }),
    ]);
    expect(groups.backlog.map((t) => t.id)).toEqual(["b"]);
    expect(groups.in_progress.map((t) => t.id)).toEqual(["c"]);
    expect(groups.review.map((t) => t.id)).toEqual(["d"]);
    expect(groups.done.map((t) => t.id)).toEqual(["a", "e"]);
  });
});

describe("helpers", () => {
  it("gives an epic the same hue every time, and different epics different hues", () => {
    expect(epicHue("checkout")).toBe(epicHue("checkout"));
    expect(epicHue("checkout")).not.toBe(epicHue("catalog"));
    for (const id of ["", "a", "checkout", "ünïcødé"]) {
      expect(EPIC_HUES).toContain(epicHue(id));
    }
    // Spread: a dozen ids land on at least half of the palette.
    const ids = Array.from({ length: 12 }, (_, i) => `epic-${i}`);
    expect(new Set(ids.map(epicHue)).size).toBeGreaterThanOrEqual(6);
  });

  it("formats effort", () => {
    expect(formatEffort(30)).toBe("30 min");
    expect(formatEffort(60)).toBe("1 h");
    expect(formatEffort(90)).toBe("1 h 30 min");
  });

  it("takes the tail of a path", () => {
    expect(pathTail("/home/me/src/shop")).toBe("shop");
    expect(pathTail("/home/me/src/shop/")).toBe("shop");
    expect(pathTail("C:\\Users\\me\\shop")).toBe("shop");
  });
});
