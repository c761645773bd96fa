// Session 0 in the window: what the draft dialog says of a draft (its summary, the plan's figures, why a step was
// refused, what accepting did). Pure functions over the generated types; the dialog is components/DraftDialog.
import type { Accepted, DraftPreview, ExecutionPlan, TaskFileIssue } from "./bindings";
import { formatEffort } from "./board";
import { fileName } from "./cards";
import { formatCost } from "./runStore";

/** `1 task`, `3 tasks`. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the agent went through to write the file: once, or a second time after its first version was refused. */
export function attemptsText(attempts: number, valid: boolean): string {
  if (attempts <= 1) return "written in one attempt";
  if (attempts === 2) return valid ? "fixed after its first version was refused" : "still invalid after the agent's fix";
  return `${attempts} attempts`;
}

/** The draft in one line: `5 tasks, 2 epics · fixed after its first version was refused · $0.42`. */
export function draftSummary(preview: DraftPreview): string {
  const parts = [
    `${count(preview.tasks.length, "task")}, ${count(preview.epics.length, "epic")}`,
    attemptsText(preview.attempts, preview.issues.length === 0),
  ];
  if (preview.cost_usd !== null) parts.push(formatCost(preview.cost_usd));
  return parts.join(" · ");
}

/** The plan's figures: `3 batches · predicted 1 h with 2 workers, 2 h one after another · 1 conflict group`. */
export function planSummary(plan: ExecutionPlan): string {
  const { stats } = plan;
  return [
    count(plan.batches.length, "batch", "batches"),
    `predicted ${formatEffort(stats.predicted_makespan)} with ${count(stats.workers, "worker")}, ${formatEffort(stats.total_effort)} one after another`,
    count(plan.conflict_groups.length, "conflict group"),
  ].join(" · ");
}

/** Where an issue of the drafted file sits: `tasks[3] (auth) · depends_on · line 12`; empty for the whole file. */
export function issuePlace(issue: TaskFileIssue): string {
  const where = issue.location === null ? issue.task : issue.task === null ? issue.location : `${issue.location} (${issue.task})`;
  return [where, issue.field, issue.line === null ? null : `line ${issue.line}`].filter((part) => part !== null).join(" · ");
}

/** The step of a draft that was refused. */
export type DraftStep = "draft" | "accept";

/** What a refusal means, by the error's code (its message says the rest). */
export function draftRefusalTitle(code: string, step: DraftStep): string {
  if (step === "draft") {
    switch (code) {
      case "agent_not_found":
        return "The project's agent was not found.";
      case "command_not_approved":
        return "The project's agent command is not approved yet.";
      case "invalid_input":
        return "The tasks could not be drafted.";
      default:
        return "Couldn't draft the tasks.";
    }
  }
  switch (code) {
    case "move_refused":
      return "Not now.";
    case "invalid_input":
      return "The tasks file could not be replaced.";
    case "invalid_task_file":
      return "The draft was not accepted.";
    case "not_found":
      return "This draft is gone: discard it and draft again.";
    default:
      return "Couldn't accept the draft.";
  }
}

/** What accepting did, for a toast: `Imported 5 tasks into yokeflow.yaml (2 removed from the Backlog)`. */
export function describeAccepted(accepted: Accepted, preview: DraftPreview): string {
  const removed = accepted.summary.removed.length;
  const tail = removed > 0 ? ` (${count(removed, "task")} removed from the Backlog)` : "";
  return `Imported ${count(preview.tasks.length, "task")} into ${fileName(accepted.file)}${tail}`;
}

/** Whole seconds from `startedAt` to `now` (ms), never below zero. */
export function elapsedSeconds(startedAt: number, now: number): number {
  return Math.max(0, Math.floor((now - startedAt) / 1000));
}
