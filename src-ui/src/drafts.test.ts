import { describe, expect, it } from "vitest";
import type { DraftPreview } from "./bindings";
import { attemptsText, describeAccepted, draftRefusalTitle, draftSummary, elapsedSeconds, issuePlace, planSummary } from "./drafts";
import { executionPlan } from "./test/fixtures";

function preview(overrides: Partial<DraftPreview> = {}): DraftPreview {
  return {
    draft_id: "d1",
    text: "",
    issues: [],
    attempts: 1,
    epics: [],
    tasks: [{ id: "a", title: "A", description: "", epic: null, depends_on: [], files: [], effort_minutes: 30, priority: 0 }],
    plan: null,
    changes: { added: ["a"], changed: [], removed: [], kept: [] },
    cost_usd: null,
    log_path: "/log",
    ...overrides,
  };
}

describe("drafts", () => {
  it("sums a draft up: tasks, epics, attempts, and the cost when known", () => {
    expect(draftSummary(preview())).toBe("1 task, 0 epics · written in one attempt");
    const epics = [
      { id: "e1", title: "", description: "" },
      { id: "e2", title: "", description: "" },
    ];
    expect(draftSummary(preview({ attempts: 2, epics, cost_usd: 1.5 }))).toBe(
      "1 task, 2 epics · fixed after its first version was refused · $1.50",
    );
    const issue = { task: null, location: null, field: null, line: 1, message: "bad" };
    expect(draftSummary(preview({ attempts: 2, issues: [issue] }))).toBe("1 task, 0 epics · still invalid after the agent's fix");
    expect(attemptsText(3, true)).toBe("3 attempts");
  });

  it("gives the plan's batches, its predicted time against one after another, and its conflict groups", () => {
    const plan = executionPlan(
      { batches: [{ batch_id: "batch-1", task_ids: ["a"], can_parallel: false, depends_on: [] }] },
      { predicted_makespan: 45, total_effort: 130, workers: 1 },
    );
    expect(planSummary(plan)).toBe("1 batch · predicted 45 min with 1 worker, 2 h 10 min one after another · 0 conflict groups");
  });

  it("places an issue by its location, task, field and line", () => {
    expect(issuePlace({ task: "a", location: "tasks[0]", field: "files", line: null, message: "" })).toBe("tasks[0] (a) · files");
    expect(issuePlace({ task: "a", location: null, field: null, line: null, message: "" })).toBe("a");
    expect(issuePlace({ task: null, location: null, field: null, line: null, message: "" })).toBe("");
  });

  it("names a refusal by its code and the step refused", () => {
    expect(draftRefusalTitle("agent_not_found", "draft")).toBe("The project's agent was not found.");
    expect(draftRefusalTitle("move_refused", "accept")).toBe("Not now.");
    expect(draftRefusalTitle("move_refused", "draft")).toBe("Couldn't draft the tasks.");
    expect(draftRefusalTitle("invalid_input", "accept")).toBe("The tasks file could not be replaced.");
  });

  it("says what accepting imported, and the Backlog tasks it removed", () => {
    const summary = { added: ["a"], updated: [], removed: [], kept: [], plan_warning: null };
    expect(describeAccepted({ summary, file: "/r/yokeflow.yaml" }, preview())).toBe("Imported 1 task into yokeflow.yaml");
    expect(describeAccepted({ summary: { ...summary, removed: ["x", "y"] }, file: "/r/tasks.yaml" }, preview())).toBe(
      "Imported 1 task into tasks.yaml (2 tasks removed from the Backlog)",
    );
  });

  it("counts whole seconds, never below zero", () => {
    expect(elapsedSeconds(1_000, 1_999)).toBe(0);
    expect(elapsedSeconds(1_000, 62_500)).toBe(61);
    expect(elapsedSeconds(5_000, 1_000)).toBe(0);
  });
});
