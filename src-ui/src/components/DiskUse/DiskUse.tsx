import { useDiskUsageQuery } from "../../queries";
import styles from "./DiskUse.module.css";

/** `bytes` for a person: `812 KiB`, `1.4 GiB` (as `yokeflow status` says it). */
export function humanBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit + 1 < units.length) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

/** What YokeFlow's folders of the project take on disk; worktrees of finished work are removed as it lands. */
export function DiskUse({ projectId }: { projectId: string }) {
  const usage = useDiskUsageQuery(projectId);
  if (usage.data === undefined) return null;
  const { worktrees, free_slots, worktree_bytes, gate_bytes, log_bytes, cache_bytes } = usage.data;
  const slots = free_slots > 0 ? ` and ${free_slots} free slot${free_slots === 1 ? "" : "s"} kept for reuse` : "";
  return (
    <p className={styles.line} data-testid="disk-use">
      On disk: {worktrees} task worktree{worktrees === 1 ? "" : "s"}
      {slots} <strong>{humanBytes(worktree_bytes)}</strong>,
      the merge gate <strong>{humanBytes(gate_bytes)}</strong>, logs <strong>{humanBytes(log_bytes)}</strong>
      {cache_bytes > 0 && (
        <>
          , the sandbox's package caches <strong>{humanBytes(cache_bytes)}</strong>
        </>
      )}
      .
    </p>
  );
}
