import { useEffect, useRef } from "react";
import type { ProjectCommand } from "../../bindings";
import { CommandList } from "../CommandList/CommandList";
import { Backdrop } from "../Dialog/Dialog";
import { FormActions } from "../FormActions/FormActions";
import styles from "./ApprovalDialog.module.css";

type Props = {
  projectName: string;
  commands: readonly ProjectCommand[];
  busy: boolean;
  onApprove: () => void;
  onCancel: () => void;
};

/**
 * The commands a repository's tasks file asks YokeFlow to run, shown exactly (one argument per chip, nothing
 * through a shell) before a person lets them run. Nothing runs until "Approve and start"; a changed command needs
 * approval again.
 */
export function ApprovalDialog({ projectName, commands, busy, onApprove, onCancel }: Props) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <Backdrop>
      <div
        className={styles.dialog}
        role="dialog"
        aria-modal="true"
        aria-labelledby="approval-title"
        data-testid="approval-dialog"
        onKeyDown={(e) => {
          if (e.key === "Escape") onCancel();
        }}
      >
        <h2 id="approval-title" className={styles.title}>
          Run these commands from {projectName}?
        </h2>
        <p className={styles.lead}>
          The repository's tasks file names them. YokeFlow runs them as written, without a shell, in the task worktrees
          and on merged trees. Approve them only if you trust this repository.
        </p>
        <CommandList commands={commands} testId="approval-command" />
        <FormActions footer className={styles.actions}>
          <button ref={cancel} type="button" className="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
          <button type="button" className="button primary small" data-testid="approve-commands" onClick={onApprove} disabled={busy}>
            Approve and start
          </button>
        </FormActions>
      </div>
    </Backdrop>
  );
}
