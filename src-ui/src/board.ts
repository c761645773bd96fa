// Pure board helpers, kept apart from the components so they are cheap to test and to memoize.
import type { BoardColumn, ConflictWith, Epic, Task, TaskStatus } from "./bindings";

/** A column's heading, as the core names it on the board (`Board.columns`); the status itself when not listed. */
export function columnLabel(columns: readonly BoardColumn[], status: TaskStatus): string {
  return columns.find((column) => column.status === status)?.label ?? status;
}

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

/** "850 ms", "12.4 s", "3 min 5 s", "1 h 2 min": a run's measured times. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 59_950) return `${(Math.round(ms / 100) / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) {
    const rest = seconds % 60;
    return rest === 0 ? `${Math.floor(seconds / 60)} min` : `${Math.floor(seconds / 60)} min ${rest} s`;
  }
  const minutes = Math.round(seconds / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${Math.floor(minutes / 60)} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/** A ratio as a whole percentage: 1 → "100%", 0.4567 → "46%". */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return "—";
  return `${Math.round(ratio * 100)}%`;
}

/**
 * The worktree name of a 0-based worker slot: the run's own name for it (`run_started.lanes`), else the name the
 * core's plan gives a worktree at that position (`plan::worktree_name`: 1 → "wt-2"; the plan's edits name lanes so).
 */
export function slotName(slot: number, laneNames: readonly string[] = []): string {
  return laneNames[slot] ?? `wt-${slot + 1}`;
}

/** What a conflict is with, as a person reads it. */
export function conflictName(other: ConflictWith): string {
  return other.kind === "target" ? "the target branch" : other.id;
}
