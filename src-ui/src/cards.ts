// What the task and epic forms need besides the core: ids derived from titles, a task's draft as the form holds it,
// the core's issues sorted by field, and what an import of the tasks file changed, in words. Pure functions.
import type { ImportSummary, Task, TaskDraft, TaskFileIssue } from "./bindings";

/** The longest id the core accepts. */
export const MAX_ID_LENGTH = 64;
/** A new task's effort until a person says otherwise (minutes). */
export const DEFAULT_EFFORT_MINUTES = 30;

/** An id from a title: lowercase ASCII letters and digits, runs of anything else as one `-` (`[a-z0-9][a-z0-9-]*`). */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "");
  return slug.slice(0, MAX_ID_LENGTH).replace(/-+$/, "");
}

/** `slugify(title)`, with `-2`, `-3`… appended when the id is taken (`""` for a title with no letter or digit). */
export function uniqueSlug(title: string, taken: ReadonlySet<string>): string {
  const base = slugify(title);
  if (base === "" || !taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, MAX_ID_LENGTH - suffix.length).replace(/-+$/, "")}${suffix}`;
    if (!taken.has(id)) return id;
  }
}

/** What the task form edits, as typed: numbers and file lists stay text until sent. */
export type TaskFields = {
  title: string;
  /** `null` while the id follows the title (a new task whose id no one typed). */
  id: string | null;
  description: string;
  /** `""`: no epic. */
  epic: string;
  dependsOn: readonly string[];
  /** Paths or globs, one per line. */
  files: string;
  effort: string;
  priority: string;
};

/** The form's fields for a new task (`null`) or an existing one. */
export function taskFields(task: Task | null): TaskFields {
  if (task === null) {
    return { title: "", id: null, description: "", epic: "", dependsOn: [], files: "", effort: String(DEFAULT_EFFORT_MINUTES), priority: "0" };
  }
  return {
    title: task.title,
    id: task.id,
    description: task.description,
    epic: task.epic ?? "",
    dependsOn: task.depends_on,
    files: task.files.join("\n"),
    effort: String(task.effort_minutes),
    priority: String(task.priority),
  };
}

const U32_MAX = 4_294_967_295;
const I32_MIN = -2_147_483_648;
const I32_MAX = 2_147_483_647;

/** A whole number typed in a field, within `[min, max]`; `null` otherwise (empty, a fraction, out of range). */
export function wholeNumber(text: string, min: number, max: number): number | null {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : null;
}

/** What is wrong with the fields before the core is asked (what it could not even be sent), by field. */
export function localIssues(fields: TaskFields): Partial<Record<"effort" | "priority", string>> {
  const issues: Partial<Record<"effort" | "priority", string>> = {};
  if (wholeNumber(fields.effort, 0, U32_MAX) === null) issues.effort = "Effort is a whole number of minutes, 0 or more.";
  if (wholeNumber(fields.priority, I32_MIN, I32_MAX) === null) issues.priority = "Priority is a whole number (higher goes first).";
  return issues;
}

/**
 * The draft the core gets from the fields. `id` is the id shown (typed, or derived from the title); a number the
 * core could not take is sent as its default (`localIssues` reports it, and Save waits for it).
 */
export function taskDraft(fields: TaskFields, id: string): TaskDraft {
  return {
    id: id.trim(),
    title: fields.title.trim(),
    description: fields.description.trim(),
    epic: fields.epic === "" ? null : fields.epic,
    depends_on: [...fields.dependsOn],
    files: fields.files
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== ""),
    effort_minutes: wholeNumber(fields.effort, 0, U32_MAX) ?? DEFAULT_EFFORT_MINUTES,
    priority: wholeNumber(fields.priority, I32_MIN, I32_MAX) ?? 0,
  };
}

/** The core's issues about an edit: those of each field the form shows, and the rest (shown at its top). */
export type SortedIssues = { byField: ReadonlyMap<string, readonly string[]>; general: readonly string[] };

/**
 * Sorts `issues` for a form showing `fields` of the task (or epic) `subject`: an issue of one of those fields, about
 * the subject (or no task in particular), goes beside that field; the others (the whole task, another task) on top.
 */
export function sortIssues(issues: readonly TaskFileIssue[], subject: string, fields: readonly string[]): SortedIssues {
  const byField = new Map<string, string[]>();
  const general: string[] = [];
  for (const issue of issues) {
    const ours = issue.task === null || issue.task === subject;
    if (ours && issue.field !== null && fields.includes(issue.field)) {
      byField.set(issue.field, [...(byField.get(issue.field) ?? []), issue.message]);
    } else {
      general.push(ours || issue.task === null ? issue.message : `${issue.task}: ${issue.message}`);
    }
  }
  return { byField, general };
}

/** The file's name without its folders. */
export function fileName(path: string): string {
  const parts = path.split(/[\\/]/).filter((part) => part !== "");
  return parts.at(-1) ?? path;
}

/** What an import of the tasks file changed, e.g. `yokeflow.yaml changed on disk: imported (1 added, 2 updated)`. */
export function describeImport(file: string, summary: ImportSummary): string {
  const parts = [
    [summary.added.length, "added"],
    [summary.updated.length, "updated"],
    [summary.removed.length, "removed"],
    [summary.kept.length, "kept (started)"],
  ] as const;
  const changed = parts.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what}`);
  return `${fileName(file)} changed on disk: imported (${changed.length > 0 ? changed.join(", ") : "no change"})`;
}

/** What a refused card edit means, by the error's code (its message says the rest). */
export function refusalTitle(code: string, subject: "task" | "epic"): string {
  switch (code) {
    case "invalid_task_file":
      return subject === "task" ? "The task was not accepted." : "The epic was not accepted.";
    case "move_refused":
      return "Not now.";
    case "invalid_input":
      return "The tasks file could not be edited.";
    default:
      return "Couldn't save.";
  }
}
