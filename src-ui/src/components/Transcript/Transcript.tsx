import { memo, useState } from "react";
import type { SessionLog, SessionState } from "../../bindings";
import { cx } from "../../classNames";
import { formatCost, type LogItem } from "../../runStore";
import styles from "./Transcript.module.css";

/** Entries shown per session before "N earlier entries" (the stored transcript keeps them all). */
export const ENTRIES_SHOWN = 400;

const OUTCOME: Record<SessionState, string> = {
  running: "running",
  succeeded: "succeeded",
  no_changes: "made no change",
  failed: "failed",
  timed_out: "timed out",
  cancelled: "cancelled",
  refused: "refused a tool",
  interrupted: "interrupted",
};

/** One line of a transcript: what the agent said, a tool call, its result, a refusal, the session's end, or a run note. */
const Row = memo(function Row({ item }: { item: LogItem }) {
  const first = item.text.split("\n", 1)[0] ?? "";
  const more = item.text.length > first.length;
  switch (item.kind) {
    case "tool_call":
      return (
        <li className={cx(styles.row, styles.call)} data-kind="tool_call">
          <span className={styles.tool}>{item.tool ?? "tool"}</span> <span className={styles.input}>{item.text}</span>
        </li>
      );
    case "tool_result":
      return (
        <li className={cx(styles.row, styles.result, item.isError && styles.error)} data-kind="tool_result">
          {more ? (
            <details>
              <summary>{first || "(no output)"}</summary>
              <pre className={styles.output}>{item.text}</pre>
            </details>
          ) : (
            <span>{first || "(no output)"}</span>
          )}
        </li>
      );
    case "permission_denied":
      return (
        <li className={cx(styles.row, styles.denied)} data-kind="permission_denied">
          refused <span className={styles.tool}>{item.tool ?? "a tool"}</span>{" "}
          <span className={styles.input}>{item.text}</span>
        </li>
      );
    case "result":
      return (
        <li className={cx(styles.row, styles.end, item.isError && styles.error)} data-kind="result">
          {item.text}
        </li>
      );
    case "event":
      return (
        <li className={cx(styles.row, styles.note, item.isError && styles.error)} data-kind="event">
          {item.text}
        </li>
      );
    default:
      return (
        <li className={cx(styles.row, styles.text, item.isError && styles.error)} data-kind="text">
          {item.text}
        </li>
      );
  }
});

/** Transcript items, the newest `ENTRIES_SHOWN` of them. */
export function TranscriptList({ items, testId, label }: { items: readonly LogItem[]; testId?: string; label: string }) {
  const hidden = Math.max(0, items.length - ENTRIES_SHOWN);
  const shown = hidden > 0 ? items.slice(hidden) : items;
  return (
    <ol className={styles.list} data-testid={testId} aria-label={label}>
      {hidden > 0 && <li className={cx(styles.row, styles.note)}>… {hidden} earlier entries (see `yokeflow log`)</li>}
      {shown.map((item, index) => (
        <Row key={hidden + index} item={item} />
      ))}
    </ol>
  );
}

/** The figures of a session: outcome, cost, tokens, turns, and whether it ran in the sandbox. */
export function sessionSummary(session: SessionLog): string {
  const parts = [OUTCOME[session.outcome]];
  if (session.cost_usd !== null) parts.push(formatCost(session.cost_usd));
  if (session.input_tokens !== null && session.output_tokens !== null) {
    parts.push(`${session.input_tokens.toLocaleString("en")} tokens in, ${session.output_tokens.toLocaleString("en")} out`);
  }
  if (session.turns !== null) parts.push(`${session.turns} turn${session.turns === 1 ? "" : "s"}`);
  parts.push(session.sandboxed ? "sandboxed" : "not confined");
  return parts.join(" · ");
}

/**
 * A stored session: its figures, the person's remark it answered, and its transcript (folded but for the last; a
 * folded one renders no rows, so a task with many sessions stays light).
 */
export function StoredSession({ session, index, open: openFirst }: { session: SessionLog; index: number; open: boolean }) {
  const [open, setOpen] = useState(openFirst);
  const items: LogItem[] = open
    ? session.entries.map((entry) => ({
        kind: entry.kind,
        tool: entry.tool,
        text: entry.text,
        isError: entry.is_error,
        sessionId: session.session_id,
      }))
    : [];
  const earlier = session.entries_total - session.entries.length;
  return (
    <details
      className={styles.session}
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-testid="stored-session"
      data-outcome={session.outcome}
    >
      <summary className={styles.sessionHead}>
        Session {index + 1} <span className={styles.figures}>{sessionSummary(session)}</span>
      </summary>
      {session.remark !== null && (
        <p className={styles.remark} data-testid="session-remark">
          <strong>Your feedback:</strong> {session.remark}
        </p>
      )}
      {open &&
        (session.entries.length === 0 ? (
          <p className={styles.empty}>No transcript (the agent printed nothing, or an older version of YokeFlow ran it).</p>
        ) : (
          <>
            {earlier > 0 && (
              <p className={styles.empty}>
                {earlier.toLocaleString("en")} earlier entries are in the log (`yokeflow log {"<task>"}`).
              </p>
            )}
            <TranscriptList items={items} label={`Transcript of session ${index + 1}`} />
          </>
        ))}
    </details>
  );
}
