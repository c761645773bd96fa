import { memo } from "react";
import type { ConflictGroup, ExecutionPlan } from "../../bindings";
import { formatEffort } from "../../board";
import styles from "./PlanStrip.module.css";

type Props = {
  plan: ExecutionPlan | null;
  building: boolean;
  /** A run is going: the run loop schedules on its own, the plan stays as it is. */
  disabled: boolean;
  onRebuild: () => void;
};

function PlanStripInner({ plan, building, disabled, onRebuild }: Props) {
  const stats = plan?.stats;
  return (
    <section className={styles.planStrip} data-testid="plan-summary" aria-label="Execution plan">
      {plan === null || stats === undefined ? (
        <span className={styles.planEmpty}>No execution plan yet</span>
      ) : (
        <dl className={styles.planStats}>
          <PlanStat label="Batches" value={String(plan.batches.length)} testId="plan-batches" />
          <PlanStat label="Worktrees" value={String(plan.worktree_assignments.length)} testId="plan-worktrees" />
          <PlanStat
            label="Critical path"
            value={formatEffort(stats.critical_path_minutes)}
            testId="plan-critical-path"
            title={stats.critical_path.join(" → ")}
          />
          <PlanStat label="Lower bound" value={formatEffort(stats.lower_bound)} testId="plan-lower-bound" />
          <PlanStat label="Predicted" value={formatEffort(stats.predicted_makespan)} testId="plan-makespan" />
          {stats.predicted_with_gate !== null && (
            <PlanStat
              label="With the merge gate"
              value={formatEffort(stats.predicted_with_gate)}
              testId="plan-makespan-gated"
              title={`Each landing tested (${formatEffort(stats.gate_minutes)} a test run, as the last runs measured it); what waits is tested together`}
            />
          )}
          {plan.conflict_groups.length > 0 && (
            <PlanStat
              label="Predicted conflicts"
              value={conflictSummary(plan.conflict_groups)}
              testId="plan-conflicts"
              title={plan.conflict_groups.map((g) => `${g.files.join(", ")}: ${g.tasks.length} tasks`).join("\n")}
            />
          )}
        </dl>
      )}
      <button
        type="button"
        className="button small"
        data-testid="rebuild-plan"
        onClick={onRebuild}
        disabled={building || disabled}
      >
        {building ? "Planning…" : plan === null ? "Build plan" : "Rebuild plan"}
      </button>
    </section>
  );
}

/** "2 files, 7 tasks": how many shared files (or glob overlaps) and how many tasks they hold back. */
export function conflictSummary(groups: readonly ConflictGroup[]): string {
  const tasks = new Set(groups.flatMap((g) => g.tasks)).size;
  return `${groups.length} ${groups.length === 1 ? "file" : "files"}, ${tasks} tasks`;
}

function PlanStat({ label, value, testId, title }: { label: string; value: string; testId: string; title?: string }) {
  return (
    <div className={styles.planStat} title={title}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** The plan's numbers in one line above the board (the Gantt view comes later). */
export const PlanStrip = memo(PlanStripInner);
