// Pure board helpers, kept apart from the components so they are cheap to test and to memoize.
import type { Epic, Task, TaskStatus } from "./bindings";

export type ColumnDef = { status: TaskStatus; label: string };

/** The four kanban columns, in order (mirrors `TaskStatus::ALL` and `label()` in the Rust core). */
export const COLUMNS: readonly ColumnDef[] = [
  { status: "backlog", label: "Backlog" },
  { status: "in_progress", label: "In Progress" },
  { status: "review", label: "Review" },
  { status: "done", label: "Done" },
];

export type GroupedTasks = Record<TaskStatus, Task[]>;

/** Splits tasks into their columns in one pass, keeping the order the core gave them. */
export function groupByStatus(tasks: readonly Task[]): GroupedTasks {
  const groups: GroupedTasks = { backlog: [], in_progress: [], review: [], done: [] };
  for (const task of tasks) {
    // A status this build does not know (a newer core) lands in the backlog rather than vanishing.
    (groups[task.status] ?? groups.backlog).push(task);
  }
  return groups;
}

export function epicsById(epics: readonly Epic[]): Map<string, Epic> {
  return new Map(epics.map((epic) => [epic.id, epic]));
}

/** Hues that stay told apart as chip backgrounds, in light and dark mode alike. */
export const EPIC_HUES: readonly number[] = [0, 25, 45, 90, 140, 172, 195, 215, 240, 265, 290, 320];

/** A stable hue for an epic id: FNV-1a over its UTF-16 code units picks one of `EPIC_HUES`. */
export function epicHue(epicId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < epicId.length; i++) {
    hash ^= epicId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return EPIC_HUES[(hash >>> 0) % EPIC_HUES.length] ?? 215;
}

/** "45 min", "1 h", "1 h 30 min". */
export function formatEffort(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** The last component of a path, for the sidebar ("/home/me/src/shop/" → "shop"). */
export function pathTail(path: string): string {
  const parts = path.split(/[\\/]+/).filter((part) => part !== "");
  return parts[parts.length - 1] ?? path;
}
