import { describe, expect, it } from "vitest";
import { describeImport, localIssues, slugify, sortIssues, taskDraft, taskFields, uniqueSlug } from "./cards";
import { task } from "./test/fixtures";

function issue(field: string | null, message: string, taskId: string | null = "cart") {
  return { task: taskId, location: null, field, line: null, message };
}

describe("slugify", () => {
  it("keeps lowercase letters and digits, one dash for anything else, none at the ends", () => {
    expect(slugify("Add the Cart API!")).toBe("add-the-cart-api");
    expect(slugify("  --Crème brûlée v2 ")).toBe("creme-brulee-v2");
    expect(slugify("¿¡!")).toBe("");
  });

  it("cuts at 64 characters without a trailing dash", () => {
    const id = slugify(`${"a".repeat(63)} b`);
    expect(id).toBe("a".repeat(63));
    expect(slugify("x".repeat(100))).toHaveLength(64);
  });
});

describe("uniqueSlug", () => {
  it("appends a number when the id is taken", () => {
    expect(uniqueSlug("Cart", new Set(["search"]))).toBe("cart");
    expect(uniqueSlug("Cart", new Set(["cart", "cart-2"]))).toBe("cart-3");
    expect(uniqueSlug("", new Set([""]))).toBe("");
  });
});

describe("taskDraft", () => {
  it("sends trimmed text, one file per non-empty line and the numbers typed", () => {
    const fields = { ...taskFields(null), title: "  Cart  ", files: " src/cart/**\n\n  src/api.ts \n", effort: "45", priority: "-2", epic: "checkout", dependsOn: ["db"] };
    expect(taskDraft(fields, "cart")).toEqual({
      id: "cart",
      title: "Cart",
      description: "",
      epic: "checkout",
      depends_on: ["db"],
      files: ["src/cart/**", "src/api.ts"],
      effort_minutes: 45,
      priority: -2,
    });
  });

  it("starts from an existing task's values, and reports numbers it could not send", () => {
    const fields = taskFields(task("cart", { files: ["a.ts", "b.ts"], effort_minutes: 90, priority: 3, epic: null }));
    expect(fields).toMatchObject({ id: "cart", files: "a.ts\nb.ts", effort: "90", priority: "3", epic: "" });
    expect(localIssues(fields)).toEqual({});
    expect(Object.keys(localIssues({ ...fields, effort: "1.5", priority: "" }))).toEqual(["effort", "priority"]);
    expect(localIssues({ ...fields, effort: "-1" }).effort).toBeDefined();
    expect(taskDraft({ ...fields, effort: "" }, "cart").effort_minutes).toBe(30);
  });
});

describe("sortIssues", () => {
  it("puts an issue of a shown field beside it, and the rest on top", () => {
    const sorted = sortIssues(
      [
        issue("title", "title is empty"),
        issue("depends_on", "unknown task `x`"),
        issue(null, "started work is never removed"),
        issue("depends_on", "dependency cycle", "other"),
        issue("project", "odd", null),
      ],
      "cart",
      ["title", "depends_on"],
    );
    expect(Object.fromEntries(sorted.byField)).toEqual({ title: ["title is empty"], depends_on: ["unknown task `x`"] });
    expect(sorted.general).toEqual(["started work is never removed", "other: dependency cycle", "odd"]);
  });
});

describe("describeImport", () => {
  it("says what changed, by the file's name", () => {
    const summary = { added: ["a"], updated: ["b", "c"], removed: [], kept: [], plan_warning: null };
    expect(describeImport("/home/me/shop/yokeflow.yaml", summary)).toBe("yokeflow.yaml changed on disk: imported (1 added, 2 updated)");
    expect(describeImport("C:\\shop\\tasks.json", { ...summary, added: [], updated: [] })).toBe("tasks.json changed on disk: imported (no change)");
  });
});
