import type { ProjectSummary } from "../../bindings";
import { useRunControls } from "../../hooks/useRunControls";
import { useApproveCommands } from "../../queries";
import { useUiActions, useUiState } from "../../uiStore";
import { ApprovalDialog } from "../ApprovalDialog/ApprovalDialog";

type Props = { selectedId: string | null; projects: readonly ProjectSummary[] | null };

/** The approval asked for by a refused start (the UI store's `approval`); approving starts the run again. */
export function ApprovalPrompt({ selectedId, projects }: Props) {
  const { approval } = useUiState();
  const { closeApproval, pushError } = useUiActions();
  const { mutateAsync: approveCommands, isPending } = useApproveCommands();
  const { start } = useRunControls(selectedId);
  if (approval === null) return null;
  const approve = () => {
    approveCommands(approval).then(
      () => {
        closeApproval();
        if (approval.projectId === selectedId) start();
      },
      (reason: unknown) => {
        closeApproval();
        pushError(reason);
      },
    );
  };
  return (
    <ApprovalDialog
      projectName={projects?.find((p) => p.project.id === approval.projectId)?.project.name ?? "this repository"}
      commands={approval.commands}
      busy={isPending}
      onApprove={approve}
      onCancel={closeApproval}
    />
  );
}
