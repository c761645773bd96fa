import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  agentPresets,
  buildPlan,
  cancelRun,
  checkCardEdit,
  checkSettings,
  editTasks,
  expertiseOverview,
  followExpertise,
  followTasksFile,
  addProject,
  createDemoProject,
  followEvents,
  followRuns,
  forceSequential,
  getBoard,
  getPlan,
  getSettings,
  listProjects,
  mergeNow,
  moveTaskToWorktree,
  openTaskLog,
  openWorktree,
  pauseRun,
  resumeRun,
  retryMerge,
  resolveExpertiseConflict,
  retryTask,
  runView,
  saveSettings,
  setTaskStatus,
  startRun,
  toErrorDto,
} from "./api";
import type { ProjectSettings } from "./bindings";
import { executionPlan, runSnapshot } from "./test/fixtures";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);
const listenMock = vi.mocked(listen);

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
    await addProject("/code/shop");
    expect(invokeMock.mock.calls).toEqual([
      ["list_projects", undefined],
      ["get_board", { projectId: "p1" }],
      ["create_demo_project", undefined],
      ["add_project", { path: "/code/shop" }],
    ]);
  });

  it("rejects with an ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce("backend exploded");
    await expect(listProjects()).rejects.toEqual({ code: "unknown", message: "backend exploded" });
    invokeMock.mockRejectedValueOnce({ code: "not_found", message: "project `p9` not found" });
    await expect(getBoard("p9")).rejects.toEqual({ code: "not_found", message: "project `p9` not found" });
  });
});

describe("settings commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  const settings: ProjectSettings = {
    agent: ["my agent", "{prompt}"],
    test_command: null,
    setup: ["npm", "ci"],
    cleanup: null,
    worktree_include: [".env"],
    worktree_link: ["node_modules"],
    max_worktrees: 2,
    reuse_worktrees: false,
    agent_timeout_secs: 600,
    max_cost_usd: null,
    sandbox: true,
    sandbox_network: true,
    sandbox_caches: [],
    preflight: true,
    parallel_tests: null,
    batch_size: 8,
  };

  it("send the project id in camelCase and the settings as they are", async () => {
    invokeMock.mockResolvedValue([]);
    await getSettings("p1");
    await checkSettings(settings);
    await saveSettings("p1", settings);
    await agentPresets();
    expect(invokeMock.mock.calls).toEqual([
      ["get_settings", { projectId: "p1" }],
      ["check_settings", { settings }],
      ["save_settings", { projectId: "p1", settings }],
      ["agent_presets", undefined],
    ]);
  });

  it("rejects a refused save with the core's ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce({ code: "invalid_input", message: "setting `max_worktrees` must be between 1 and 64, not 0" });
    await expect(saveSettings("p1", settings)).rejects.toEqual({
      code: "invalid_input",
      message: "setting `max_worktrees` must be between 1 and 64, not 0",
    });
  });
});

describe("run commands", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it("sends the project id (and task id, sequential) in camelCase", async () => {
    invokeMock.mockResolvedValue(null);
    await startRun("p1", false);
    await startRun("p1", true);
    await pauseRun("p1");
    await resumeRun("p1");
    await cancelRun("p1");
    await retryTask("p1", "cart-api");
    await forceSequential("p1");
    await retryMerge("p1", "cart-api");
    await mergeNow("p1", "search-box");
    await runView("p1");
    await getPlan("p1");
    await buildPlan("p1");
    expect(invokeMock.mock.calls).toEqual([
      ["start_run", { projectId: "p1", sequential: false, maxCostUsd: null }],
      ["start_run", { projectId: "p1", sequential: true, maxCostUsd: null }],
      ["pause_run", { projectId: "p1" }],
      ["resume_run", { projectId: "p1" }],
      ["cancel_run", { projectId: "p1" }],
      ["retry_task", { projectId: "p1", taskId: "cart-api" }],
      ["force_sequential", { projectId: "p1" }],
      ["retry_merge", { projectId: "p1", taskId: "cart-api" }],
      ["merge_now", { projectId: "p1", taskId: "search-box" }],
      ["run_view", { projectId: "p1" }],
      ["get_plan", { projectId: "p1" }],
      ["build_plan", { projectId: "p1" }],
    ]);
  });

  it("rejects a refused start with the core's ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce({ code: "agent_not_found", message: "install claude" });
    await expect(startRun("p1", false)).rejects.toEqual({ code: "agent_not_found", message: "install claude" });
  });

  it("rejects the commands sent to a running run with an ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce({ code: "no_active_run" });
    await expect(forceSequential("p1")).rejects.toEqual({ code: "no_active_run", message: "no_active_run" });
    invokeMock.mockRejectedValueOnce("run loop gone");
    await expect(retryMerge("p1", "cart-api")).rejects.toEqual({ code: "unknown", message: "run loop gone" });
    invokeMock.mockRejectedValueOnce(new Error("IPC closed"));
    await expect(mergeNow("p1", "cart-api")).rejects.toEqual({ code: "unknown", message: "IPC closed" });
  });
});

describe("board moves", () => {
  beforeEach(() => {
    invokeMock.mockReset();
  });

  it("sends moves and open requests with camelCase arguments", async () => {
    invokeMock.mockResolvedValue(null);
    await openWorktree("p1", "cart-api");
    await openTaskLog("p1", "cart-api");
    invokeMock.mockResolvedValueOnce({ kind: "applied", status: "done" });
    await expect(setTaskStatus("p1", "cart-api", "done")).resolves.toEqual({ kind: "applied", status: "done" });
    invokeMock.mockResolvedValueOnce({ kind: "sent_to_run", action: "merge_now" });
    await expect(setTaskStatus("p1", "cart-api", "done")).resolves.toEqual({ kind: "sent_to_run", action: "merge_now" });
    const moved = executionPlan({ pinned: ["cart-api"] });
    invokeMock.mockResolvedValueOnce(moved);
    await expect(moveTaskToWorktree("p1", "cart-api", "wt-3")).resolves.toEqual(moved);
    expect(invokeMock.mock.calls).toEqual([
      ["open_worktree", { projectId: "p1", taskId: "cart-api" }],
      ["open_task_log", { projectId: "p1", taskId: "cart-api" }],
      ["set_task_status", { projectId: "p1", taskId: "cart-api", status: "done" }],
      ["set_task_status", { projectId: "p1", taskId: "cart-api", status: "done" }],
      ["move_task_to_worktree", { projectId: "p1", taskId: "cart-api", worktree: "wt-3" }],
    ]);
  });

  it("rejects a refused move with the core's ErrorDto", async () => {
    const refusal = { code: "move_refused", message: "cannot mark `b` done: it depends on `a`, which is in Backlog" };
    invokeMock.mockRejectedValueOnce(refusal);
    await expect(setTaskStatus("p1", "b", "done")).rejects.toEqual(refusal);
    invokeMock.mockRejectedValueOnce({ code: "plan_invalid_edit", message: "no worktree `wt-9`" });
    await expect(moveTaskToWorktree("p1", "b", "wt-9")).rejects.toEqual({ code: "plan_invalid_edit", message: "no worktree `wt-9`" });
    invokeMock.mockRejectedValueOnce("no file manager");
    await expect(openWorktree("p1", "cart-api")).rejects.toEqual({ code: "unknown", message: "no file manager" });
  });
});

describe("followEvents", () => {
  beforeEach(() => {
    listenMock.mockReset();
  });

  it("listens on yokeflow://event and hands over the payloads", async () => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValue(unlisten);
    const seen: unknown[] = [];
    const stop = followEvents((event) => seen.push(event), () => {});
    expect(listenMock).toHaveBeenCalledWith("yokeflow://event", expect.any(Function));
    const handler = listenMock.mock.calls[0]![1];
    handler({ event: "yokeflow://event", id: 1, payload: { project_id: "p1", event: { type: "run_paused", run_id: "r1" } } });
    expect(seen).toEqual([{ project_id: "p1", event: { type: "run_paused", run_id: "r1" } }]);
    await Promise.resolve();
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
    handler({ event: "yokeflow://event", id: 2, payload: { project_id: "p1", event: { type: "run_resumed", run_id: "r1" } } });
    expect(seen).toHaveLength(1);
  });

  it("follows the runs' snapshots on yokeflow://run until stopped", async () => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValue(unlisten);
    const seen: unknown[] = [];
    const stop = followRuns((run) => seen.push(run), () => {});
    expect(listenMock).toHaveBeenCalledWith("yokeflow://run", expect.any(Function));
    const handler = listenMock.mock.calls[0]![1];
    const run = runSnapshot({ phase: "paused" });
    handler({ event: "yokeflow://run", id: 1, payload: run });
    expect(seen).toEqual([run]);
    await Promise.resolve();
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
    handler({ event: "yokeflow://run", id: 2, payload: runSnapshot() });
    expect(seen).toHaveLength(1);
  });

  it("removes the listener once it exists when stopped before listen resolved", async () => {
    const unlisten = vi.fn();
    let resolve: (fn: () => void) => void = () => {};
    listenMock.mockReturnValue(new Promise((done) => (resolve = done)));
    const stop = followEvents(() => {}, () => {});
    stop();
    expect(unlisten).not.toHaveBeenCalled();
    resolve(unlisten);
    await vi.waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });

  it("reports a failure to listen as an ErrorDto", async () => {
    listenMock.mockRejectedValue(new TypeError("window.__TAURI_INTERNALS__ is undefined"));
    const errors: unknown[] = [];
    followEvents(() => {}, (error) => errors.push(error));
    await vi.waitFor(() =>
      expect(errors).toEqual([{ code: "unknown", message: "window.__TAURI_INTERNALS__ is undefined" }]),
    );
  });
});

describe("cards", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    listenMock.mockReset();
  });

  it("checks and applies card edits with the project id in camelCase", async () => {
    invokeMock.mockResolvedValue([]);
    const edit = { kind: "remove_task" as const, id: "cart-api" };
    await checkCardEdit("p1", edit);
    await editTasks("p1", edit);
    expect(invokeMock.mock.calls).toEqual([
      ["check_card_edit", { projectId: "p1", edit }],
      ["edit_tasks", { projectId: "p1", edit }],
    ]);
  });

  it("rejects a refused edit with the core's ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce({ code: "move_refused", message: "a run of this project is going" });
    await expect(editTasks("p1", { kind: "remove_task", id: "a" })).rejects.toEqual({
      code: "move_refused",
      message: "a run of this project is going",
    });
  });

  it("follows yokeflow://tasks-file and hands over its payloads until stopped", async () => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValue(unlisten);
    const seen: unknown[] = [];
    const stop = followTasksFile((event) => seen.push(event), () => {});
    expect(listenMock).toHaveBeenCalledWith("yokeflow://tasks-file", expect.any(Function));
    const handler = listenMock.mock.calls[0]![1];
    const refused = { kind: "refused", project_id: "p1", file: "/r/yokeflow.yaml", error: { code: "invalid_task_file", message: "bad" } };
    handler({ event: "yokeflow://tasks-file", id: 1, payload: refused });
    expect(seen).toEqual([refused]);
    await Promise.resolve();
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
    handler({ event: "yokeflow://tasks-file", id: 2, payload: refused });
    expect(seen).toHaveLength(1);
  });
});

describe("expertise", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    listenMock.mockReset();
  });

  it("reads the overview and resolves a conflict with camelCase arguments", async () => {
    invokeMock.mockResolvedValue({ domains: [], skills: [], routing: [], conflicts: [] });
    await expertiseOverview("p1");
    await resolveExpertiseConflict("p1", "database", "file");
    expect(invokeMock.mock.calls).toEqual([
      ["expertise_overview", { projectId: "p1" }],
      ["resolve_expertise_conflict", { projectId: "p1", domain: "database", keep: "file" }],
    ]);
  });

  it("rejects a refused resolution with the core's ErrorDto", async () => {
    invokeMock.mockRejectedValueOnce({ code: "not_found", message: "open expertise conflict for domain `database` not found" });
    await expect(resolveExpertiseConflict("p1", "database", "db")).rejects.toEqual({
      code: "not_found",
      message: "open expertise conflict for domain `database` not found",
    });
  });

  it("follows yokeflow://expertise and hands over its payloads until stopped", async () => {
    const unlisten = vi.fn();
    listenMock.mockResolvedValue(unlisten);
    const seen: unknown[] = [];
    const stop = followExpertise((event) => seen.push(event), () => {});
    expect(listenMock).toHaveBeenCalledWith("yokeflow://expertise", expect.any(Function));
    const handler = listenMock.mock.calls[0]![1];
    const imported = { type: "imported", project_id: "p1", domain: "database" };
    handler({ event: "yokeflow://expertise", id: 1, payload: imported });
    expect(seen).toEqual([imported]);
    await Promise.resolve();
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
    handler({ event: "yokeflow://expertise", id: 2, payload: imported });
    expect(seen).toHaveLength(1);
  });
});
