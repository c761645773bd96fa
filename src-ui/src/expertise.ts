// What the Expertise tab says of a project's expertise, as pure functions: whether there is anything to show, how a
// conflict's file side reads, and how scores, sources and times are written.
import type { ExpertiseConflict, ExpertiseOverview, RouteSource } from "./bindings";

/** How many patterns a domain shows before "+N more". */
export const PATTERNS_SHOWN = 5;

/** Nothing to show yet: no domain, no skill, no routing decision and no conflict. */
export function isEmptyOverview(overview: ExpertiseOverview): boolean {
  return (
    overview.domains.length === 0 &&
    overview.skills.length === 0 &&
    overview.routing.length === 0 &&
    overview.conflicts.length === 0
  );
}

/** The conflict is the person's deletion of the domain's file (the core sends its file side empty). */
export function isDeletion(conflict: ExpertiseConflict): boolean {
  return conflict.file_version === "";
}

/** Where a routing decision came from, in words. */
export const SOURCE_LABEL: Record<RouteSource, string> = {
  skill: "skill",
  db: "database",
  none: "none",
};

/** A router's score, two decimals: 0.8349 → "0.83". */
export function formatScore(score: number): string {
  return Number.isFinite(score) ? score.toFixed(2) : "—";
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * A moment (ms) as a clock shows it, in local time: "14:05" when it is on the day of `now`, else with its date,
 * "2025-03-02 14:05".
 */
export function formatClock(at: number, now: number = Date.now()): string {
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return "—";
  const clock = `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
  const today = new Date(now);
  const sameDay =
    date.getFullYear() === today.getFullYear() && date.getMonth() === today.getMonth() && date.getDate() === today.getDate();
  if (sameDay) return clock;
  return `${date.getFullYear()}-${twoDigits(date.getMonth() + 1)}-${twoDigits(date.getDate())} ${clock}`;
}

/** A moment (ms) as `<time dateTime>` takes it (ISO 8601); `undefined` for one that is no date. */
export function isoTime(at: number): string | undefined {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** "used once", "used 3 times", "never used". */
export function describeUsage(count: number): string {
  if (count === 0) return "never used";
  return count === 1 ? "used once" : `used ${count} times`;
}
