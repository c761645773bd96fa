import { describe, expect, it } from "vitest";
import type { ExpertiseConflict } from "./bindings";
import { describeUsage, formatClock, formatScore, isDeletion, isEmptyOverview } from "./expertise";

const EMPTY = { domains: [], skills: [], routing: [], conflicts: [] };

function conflict(file_version: string): ExpertiseConflict {
  return { id: 1, domain: "database", db_version: "domain: database\n", file_version, detected_at: 0, resolved_at: null, resolution: null };
}

describe("expertise", () => {
  it("is empty with no domain, skill, decision or conflict", () => {
    expect(isEmptyOverview(EMPTY)).toBe(true);
    expect(isEmptyOverview({ ...EMPTY, routing: [{ task_id: "a", domain: null, source: "none", score: 0, at: 0 }] })).toBe(false);
    expect(isEmptyOverview({ ...EMPTY, skills: [{ domain: "zoom", file: ".claude/skills/zoom/SKILL.md", description: "", generated: false }] })).toBe(
      false,
    );
  });

  it("reads an empty file side as the file's deletion", () => {
    expect(isDeletion(conflict(""))).toBe(true);
    expect(isDeletion(conflict("domain: database\n"))).toBe(false);
  });

  it("writes scores with two decimals", () => {
    expect(formatScore(0.8349)).toBe("0.83");
    expect(formatScore(1)).toBe("1.00");
    expect(formatScore(Number.NaN)).toBe("—");
  });

  it("writes a time of the same day as HH:MM, another day's with its date", () => {
    const now = new Date(2025, 2, 2, 18, 30).getTime();
    expect(formatClock(new Date(2025, 2, 2, 9, 5).getTime(), now)).toBe("09:05");
    expect(formatClock(new Date(2025, 2, 1, 23, 59).getTime(), now)).toBe("2025-03-01 23:59");
  });

  it("says how often a domain was used", () => {
    expect(describeUsage(0)).toBe("never used");
    expect(describeUsage(1)).toBe("used once");
    expect(describeUsage(4)).toBe("used 4 times");
  });
});
