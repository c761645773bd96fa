import type { ErrorDto } from "../../bindings";
import { useApproveCommands, usePendingCommandsQuery } from "../../queries";
import { CommandList } from "../CommandList/CommandList";
import { FormActions } from "../FormActions/FormActions";
import styles from "./DraftDialog.module.css";

type Props = {
  projectId: string;
  /** The commands were approved: draft again. */
  onApproved: () => void;
};


/**
 * A draft refused with `command_not_approved`: the commands the repository's tasks file asks to run, shown exactly
 * (one argument per chip), to approve here before drafting again (as a run's start asks, see ApprovalDialog).
 */
export function DraftApproval({ projectId, onApproved }: Props) {
  const pending = usePendingCommandsQuery(projectId, true);
  const approve = useApproveCommands();
  const commands = pending.data ?? [];
  const failure: ErrorDto | null = pending.error ?? approve.error;
  return (
    <section className={styles.approval} data-testid="draft-approval" aria-label="Commands to approve">
      {commands.length > 0 && (
        <>
          <p>
            The repository's tasks file names these commands. YokeFlow runs them as written, without a shell. Approve them
            only if you trust this repository.
          </p>
          <CommandList commands={commands} testId="draft-approval-command" compact />
          <FormActions>
            <button
              type="button"
              className="button small"
              data-testid="draft-approve"
              disabled={approve.isPending}
              onClick={() => approve.mutate({ projectId, commands }, { onSuccess: onApproved })}
            >
              Approve and draft
            </button>
          </FormActions>
        </>
      )}
      {pending.isSuccess && commands.length === 0 && <p className={styles.hint}>Nothing is left to approve: draft again.</p>}
      {failure !== null && (
        <p className={styles.hint} data-error-code={failure.code}>
          {failure.message}
        </p>
      )}
    </section>
  );
}
