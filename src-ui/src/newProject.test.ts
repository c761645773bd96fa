import { describe, expect, it } from "vitest";
import type { InitReport } from "./bindings";
import { describeInit, initRefusalTitle, isFullPath, pathProblem } from "./newProject";

function report(overrides: Partial<InitReport> = {}): InitReport {
  return {
    project_id: "p1",
    repo_path: "/home/me/code/shop",
    repo_created: true,
    created: Array.from({ length: 11 }, (_, i) => `file-${i}`),
    updated: ["CLAUDE.md"],
    kept: [],
    unchanged: [],
    domains: [
      { domain: "api", matched: ["endpoint"] },
      { domain: "frontend", matched: ["react"] },
    ],
    committed: "abc1234def567890",
    ...overrides,
  };
}

describe("describeInit", () => {
  it("says what init wrote, the experts and the commit in one line", () => {
    expect(describeInit(report())).toBe("Created shop: 12 files, experts: api, frontend; committed abc1234");
  });

  it("says when the repository was there, files were left alone, no expert or nothing to commit", () => {
    const line = describeInit(
      report({
        repo_created: false,
        created: ["CLAUDE.md"],
        updated: [],
        kept: [{ path: ".claude/settings.json", reason: "edited" }],
        domains: [],
        committed: null,
      }),
    );
    expect(line).toBe("Set up shop: 1 file, 1 file left alone, no experts; nothing to commit");
  });
});

describe("paths", () => {
  it("tells full paths from others", () => {
    for (const full of ["/code/shop", "C:\\code\\shop", "c:/code/shop", "\\\\server\\share\\shop"]) expect(isFullPath(full), full).toBe(true);
    for (const other of ["code/shop", "./shop", "~/code/shop", "shop.md", "C:shop"]) expect(isFullPath(other), other).toBe(false);
  });

  it("names the field whose path is not a full one", () => {
    expect(pathProblem("/code/shop", "/specs/shop.md")).toBeNull();
    expect(pathProblem("shop", "/specs/shop.md")).toMatch(/^The project folder must be a full path/);
    expect(pathProblem("/code/shop", "shop.md")).toMatch(/^The app spec must be a full path/);
  });
});

describe("initRefusalTitle", () => {
  it("tells the refusals apart by their code", () => {
    expect(initRefusalTitle("invalid_input")).toBe("This project can't be created here.");
    expect(initRefusalTitle("not_a_repository")).toBe("The folder's git repository can't be used.");
    expect(initRefusalTitle("io")).toBe("A file could not be read or written.");
    expect(initRefusalTitle("database")).toBe("Couldn't create the project.");
  });
});
