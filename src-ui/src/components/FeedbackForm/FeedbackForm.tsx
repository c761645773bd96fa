import { useId, useState } from "react";
import type { FeedbackRoute } from "../../bindings";
import { useSendFeedback } from "../../queries";
import styles from "./FeedbackForm.module.css";

const ROUTE: Record<FeedbackRoute["kind"], string> = {
  queued: "Sent: its agent gets it when it stops, before the merge gate.",
  sent_to_run: "Sent: the run takes the task again with your feedback.",
  started: "Sent: a run of its own started for the task.",
};

type Props = {
  projectId: string;
  taskId: string;
  /** The task's work has landed: a remark runs as a follow-up from the target. */
  landed?: boolean;
  /** Why no remark can be sent now (said before anyone types); null when one can. */
  blocked?: string | null;
  /** A refusal is shown elsewhere (a toast); this only says what happened to a sent remark. */
  onError: (reason: unknown) => void;
};

/**
 * A remark for the task's agent: it continues its own conversation where its CLI can, in the task's worktree (for
 * landed work: a follow-up from the target, which holds it), and the work then goes through the merge gate.
 * Ctrl+Enter sends. Where no remark can go now, the form says why and takes none.
 */
export function FeedbackForm({ projectId, taskId, landed = false, blocked = null, onError }: Props) {
  const [text, setText] = useState("");
  const [sent, setSent] = useState<FeedbackRoute | null>(null);
  const send = useSendFeedback();
  const id = useId();
  const submit = () => {
    const remark = text.trim();
    if (remark === "" || send.isPending || blocked !== null) return;
    send.mutate(
      { projectId, taskId, remark },
      {
        onSuccess: (route) => {
          setSent(route);
          setText("");
        },
        onError,
      },
    );
  };
  return (
    <form
      className={styles.form}
      data-testid="feedback-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label htmlFor={id} className={styles.label}>
        Feedback for its agent
      </label>
      <textarea
        id={id}
        className={styles.text}
        data-testid="feedback-text"
        rows={3}
        disabled={blocked !== null}
        aria-describedby={`${id}-hint`}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setSent(null);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {blocked !== null ? (
        <p id={`${id}-hint`} className={styles.blocked} data-testid="feedback-blocked">
          {blocked}
        </p>
      ) : (
        <p id={`${id}-hint`} className={styles.hint}>
          {landed
            ? "Its work has landed: your remark runs as a follow-up from the target branch and lands through the merge gate. "
            : ""}
          Say what to change, e.g. “also handle the empty cart, and add a test for it”. Ctrl+Enter sends.
        </p>
      )}
      <div className={styles.row}>
        <button type="submit" className="button small primary" data-testid="feedback-send" disabled={text.trim() === "" || send.isPending || blocked !== null}>
          {send.isPending ? "Sending…" : "Send feedback"}
        </button>
        {sent !== null && (
          <span className={styles.sent} role="status" data-testid="feedback-sent">
            {ROUTE[sent.kind]}
          </span>
        )}
      </div>
    </form>
  );
}
