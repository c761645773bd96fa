import { invoke } from "@tauri-apps/api/core";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createDemoProject, getBoard, listProjects, toErrorDto } from "./api";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

describe("toErrorDto", () => {
  it("keeps an ErrorDto as it is", () => {
    expect(toErrorDto({ code: "not_found", message: "project `x` not found" })).toEqual({
      code: "not_found",
      message: "project `x` not found",
    });
  });

  it("turns a string rejection into code unknown", () => {
    expect(toErrorDto("boom")).toEqual({ code: "unknown", message: "boom" });
  });

  it("turns an Error into code unknown with its message", () => {
    expect(toErrorDto(new TypeError("window.__TAURI_INTERNALS__ is undefined"))).toEqual({
      code: "unknown",
      message: "window.__TAURI_INTERNALS__ is undefined",
    });
  });

  it("fills in what an odd object lacks", () => {
    expect(toErrorDto({ code: "git" })).toEqual({ code: "git", message: "git" });
    expect(toErrorDto({ code: 42, message: "m" })).toEqual({ code: "unknown", message: "m" });
    expect(toErrorDto({ detail: 1 })).toEqual({ code: "unknown", message: '{"detail":1}' });
  });

  it("handles null, undefined and numbers", () => {
    expect(toErrorDto(undefined)).toEqual({ code: "unknown", message: "Unknown error" });
    expect(toErrorDto(null)).toEqual({ code: "unknown", message: "null" });
    expect(toErrorDto(7)).toEqual({ code: "unknown", message: "7" });
  });
});

describe("commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it("calls the snake_case commands with camelCase arguments", async () => {
    invokeMock.mockResolvedValue([]);
    await listProjects();
    await getBoard("p1");
    await createDemoProject();
    expect(invokeMock.mock.calls).toEqual([
      ["list_projects", undefined],
      ["get_board", { projectId: "p1" }],
      ["create_demo_project", undefined],
    ]);
  });

  it("rejects with an ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce("backend exploded");
    await expect(listProjects()).rejects.toEqual({ code: "unknown", message: "backend exploded" });
    invokeMock.mockRejectedValueOnce({ code: "not_found", message: "project `p9` not found" });
    await expect(getBoard("p9")).rejects.toEqual({ code: "not_found", message: "project `p9` not found" });
  });
});
