import { describe, expect, it } from "vitest";
import { MAX_TOASTS, initialUiState, uiReducer, type UiAction, type UiState } from "./uiStore";

function run(...actions: UiAction[]): UiState {
  return actions.reduce(uiReducer, initialUiState);
}

describe("uiReducer", () => {
  it("keeps the newest toasts, each with its own id, until dismissed", () => {
    const pushes: UiAction[] = Array.from({ length: MAX_TOASTS + 2 }, (_, i) => ({
      kind: "push_error",
      error: { code: "e", message: `error ${i}` },
    }));
    const state = run(...pushes);
    expect(state.toasts.map((t) => t.error.message)).toEqual(["error 2", "error 3", "error 4", "error 5", "error 6"]);
    expect(new Set(state.toasts.map((t) => t.id)).size).toBe(MAX_TOASTS);
    const dismissed = uiReducer(state, { kind: "dismiss_toast", id: state.toasts[0]!.id });
    expect(dismissed.toasts.map((t) => t.error.message)).toEqual(["error 3", "error 4", "error 5", "error 6"]);
  });

  it("tells info toasts from error toasts", () => {
    const state = run({ kind: "push_error", error: { code: "git", message: "boom" } }, { kind: "push_info", message: "imported" });
    expect(state.toasts.map((t) => [t.tone, t.error.code, t.error.message])).toEqual([
      ["error", "git", "boom"],
      ["info", "info", "imported"],
    ]);
  });

  it("opens the task form on a new task or a task of a project, and closes it", () => {
    expect(run({ kind: "open_task_form", projectId: "p1", taskId: null }).taskForm).toEqual({ projectId: "p1", taskId: null });
    const editing = run({ kind: "open_task_form", projectId: "p1", taskId: "a" });
    expect(editing.taskForm).toEqual({ projectId: "p1", taskId: "a" });
    expect(uiReducer(editing, { kind: "close_task_form" }).taskForm).toBeNull();
  });

  it("opens the draft dialog in a project, and closes it", () => {
    const open = run({ kind: "open_draft_dialog", projectId: "p1", spec: null });
    expect(open.draftDialog).toEqual({ projectId: "p1", spec: null });
    expect(uiReducer(open, { kind: "open_draft_dialog", projectId: "p1", spec: null })).toBe(open);
    expect(uiReducer(open, { kind: "open_draft_dialog", projectId: "p2", spec: null }).draftDialog).toEqual({ projectId: "p2", spec: null });
    expect(uiReducer(open, { kind: "close_draft_dialog" }).draftDialog).toBeNull();
  });

  it("opens the draft dialog with the app spec a project was just created from", () => {
    const open = run({ kind: "open_draft_dialog", projectId: "p1", spec: "/specs/shop.md" });
    expect(open.draftDialog).toEqual({ projectId: "p1", spec: "/specs/shop.md" });
    expect(uiReducer(open, { kind: "open_draft_dialog", projectId: "p1", spec: "/specs/shop.md" })).toBe(open);
    expect(uiReducer(open, { kind: "open_draft_dialog", projectId: "p1", spec: null }).draftDialog).toEqual({ projectId: "p1", spec: null });
  });

  it("opens and closes the new-project dialog", () => {
    const open = run({ kind: "open_new_project" });
    expect(open.newProject).toBe(true);
    expect(uiReducer(open, { kind: "open_new_project" })).toBe(open);
    expect(uiReducer(open, { kind: "close_new_project" }).newProject).toBe(false);
    expect(uiReducer(initialUiState, { kind: "close_new_project" })).toBe(initialUiState);
  });

  it("remembers the open task with its project, and closes it", () => {
    const open = run({ kind: "open_task", projectId: "p1", taskId: "a" });
    expect(open.openTask).toEqual({ projectId: "p1", taskId: "a" });
    expect(uiReducer(open, { kind: "close_task" }).openTask).toBeNull();
  });

  it("holds an approval until it is closed", () => {
    const commands = [{ kind: "agent" as const, argv: ["my-agent"] }];
    const asked = run({ kind: "ask_approval", projectId: "p1", commands });
    expect(asked.approval).toEqual({ projectId: "p1", commands });
    expect(uiReducer(asked, { kind: "close_approval" }).approval).toBeNull();
  });

  it("returns the same state when nothing changes", () => {
    const state = run({ kind: "choose_project", projectId: "p1" }, { kind: "set_view", view: "lanes" }, { kind: "set_sequential", sequential: true });
    expect(state).toMatchObject({ chosenId: "p1", view: "lanes", sequential: true });
    for (const action of [
      { kind: "choose_project", projectId: "p1" },
      { kind: "set_view", view: "lanes" },
      { kind: "set_sequential", sequential: true },
      { kind: "close_task" },
      { kind: "close_approval" },
      { kind: "close_draft_dialog" },
    ] satisfies UiAction[]) {
      expect(uiReducer(state, action)).toBe(state);
    }
  });
});
