import { useEffect, useState } from "react";
import type { ErrorDto } from "../../bindings";
import { cx } from "../../classNames";
import styles from "./Toasts.module.css";

/** An error, or news of something the person did not do here (an info toast); see [`passes`] for how long each stays. */
export type Toast = { id: number; tone: "error" | "info"; error: ErrorDto };

/** The class that tells an info toast from an error. */
const INFO: Record<Toast["tone"], string | undefined> = { error: undefined, info: styles.info };

type Props = { toasts: readonly Toast[]; onDismiss: (id: number) => void };

/** What a toast's heading says, by the core's error code: words, not the code (kept in `data-error-code`). */
const HEADINGS: Record<string, string> = {
  info: "Done",
  warning: "Warning",
  invalid_task_file: "The tasks file has problems",
  not_found: "Not found",
  not_a_repository: "Not a git repository",
  project_not_registered: "Not a project yet",
  invalid_input: "Check the input",
  database: "Database error",
  git: "Git error",
  io: "File error",
  unmerged_work: "Unmerged work",
  unresolved_conflicts: "Unresolved conflicts",
  target_contended: "The target moved",
  agent_not_found: "Agent not installed",
  test_command_not_found: "Test command not installed",
  run_incomplete: "The run did not finish",
  run_in_progress: "A run is going",
  no_active_run: "No run is going",
  command_not_approved: "Needs your approval",
  move_refused: "Move refused",
  refused_in_agent_session: "Refused inside an agent's session",
};

/** The heading of a toast with `code`: its words, "Plan problem" for a plan's, else a plain "Error". */
export function toastHeading(code: string): string {
  return HEADINGS[code] ?? (code.startsWith("plan_") ? "Plan problem" : "Error");
}

/** How long a passing toast (news, or a refusal of something the person just tried) stays on screen. */
export const PASSING_TOAST_MS = 8000;

/**
 * Whether a toast goes away on its own: news, and the refusals that answer what the person just did (the reason is
 * read at once, and nothing is left to do about it). Failures (the database, git, files, an agent not installed…)
 * stay until dismissed.
 */
export function passes(toast: Pick<Toast, "tone" | "error">): boolean {
  if (toast.tone === "info") return true;
  const code = toast.error.code;
  return code === "move_refused" || code === "no_active_run" || code === "run_in_progress" || code.startsWith("plan_");
}

/** Errors and news, newest last; news and refusals go after a few seconds (not while the pointer rests on them). */
export function Toasts({ toasts, onDismiss }: Props) {
  const [held, setHeld] = useState(false);
  return (
    <div
      className={styles.toasts}
      aria-live="assertive"
      onPointerEnter={() => setHeld(true)}
      onPointerLeave={() => setHeld(false)}
    >
      {toasts.map((toast) => (
        <ToastItem key={toast.id} toast={toast} held={held} onDismiss={onDismiss} />
      ))}
    </div>
  );
}

function ToastItem({ toast, held, onDismiss }: { toast: Toast; held: boolean; onDismiss: (id: number) => void }) {
  const { id, tone, error } = toast;
  const passing = passes(toast);
  useEffect(() => {
    if (!passing || held) return;
    const timer = setTimeout(() => onDismiss(id), PASSING_TOAST_MS);
    return () => clearTimeout(timer);
  }, [passing, held, id, onDismiss]);
  return (
    <div
      className={cx(styles.toast, INFO[tone])}
      role={tone === "error" ? "alert" : "status"}
      data-testid="toast"
      data-tone={tone}
      data-error-code={error.code}
      data-passing={passing}
    >
      <div className={styles.toastText}>
        <span className={styles.toastCode} title={error.code}>
          {toastHeading(error.code)}
        </span>
        <span className={styles.toastMessage} data-testid="toast-message">{error.message}</span>
      </div>
      <button type="button" className={styles.toastClose} data-testid="toast-dismiss" aria-label="Dismiss" onClick={() => onDismiss(id)}>
        ×
      </button>
    </div>
  );
}
