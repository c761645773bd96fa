import { memo, useId, useState, type ReactNode } from "react";
import type { ReuseStats, RunReport } from "../../bindings";
import { formatDuration, formatPercent } from "../../board";
import { formatCost } from "../../runStore";
import styles from "./RunReportPanel.module.css";

type Props = { report: RunReport; onDismiss: () => void };

const STATUS_LABEL: Record<string, string> = { finished: "Run finished", cancelled: "Run cancelled", failed: "Run failed" };

/** The report in one line: tasks, wall time and gain, merges, cost. */
export function reportLine(report: RunReport): string {
  const parts = [`${report.tasks_done}/${report.tasks_total} done`];
  if (report.tasks_review > 0) parts.push(`${report.tasks_review} in review`);
  parts.push(`${formatDuration(report.wall_ms)}`);
  if (report.mode !== "sequential" && report.tasks_run > 0) parts.push(`gain ${formatPercent(report.efficiency_gain)}`);
  const merges = report.auto_merged + report.sent_to_review;
  parts.push(merges === 0 ? "no merges" : `${report.auto_merged} of ${merges} merged`);
  if (report.cost_usd !== null) parts.push(formatCost(report.cost_usd));
  return parts.join(" · ");
}

function RunReportPanelInner({ report, onDismiss }: Props) {
  const sequential = report.mode === "sequential";
  // One line until asked for more: the board keeps its room.
  const [open, setOpen] = useState(false);
  const detailsId = useId();
  return (
    <section
      className={styles.runReport}
      data-testid="run-report"
      data-status={report.status}
      data-open={open}
      aria-labelledby="run-report-title"
    >
      <header className={styles.runReportHead}>
        <h2 id="run-report-title">
          {STATUS_LABEL[report.status] ?? `Run ${report.status}`}
          <span className={styles.runReportMode}>
            {sequential ? "sequential" : `parallel, ${report.workers} workers`}
          </span>
        </h2>
        <span className={styles.runReportLine} data-testid="report-line">
          {reportLine(report)}
        </span>
        <button
          type="button"
          className="button small"
          data-testid="report-details"
          aria-expanded={open}
          aria-controls={detailsId}
          onClick={() => setOpen((was) => !was)}
        >
          {open ? "Less" : "Details"}
        </button>
        <button type="button" className="icon-button" aria-label="Close the run report" onClick={onDismiss}>
          ×
        </button>
      </header>
      <div id={detailsId} hidden={!open}>
      <dl className={styles.runReportStats}>
        <Stat label="Tasks" testId="report-tasks">
          {report.tasks_done}/{report.tasks_total} done
          {report.tasks_review > 0 && `, ${report.tasks_review} in review`}
          {report.tasks_remaining > 0 && `, ${report.tasks_remaining} left`}
        </Stat>
        <Stat label={sequential ? "Wall time" : "Wall time (parallel)"} testId="report-wall">
          {formatDuration(report.wall_ms)}
        </Stat>
        <Stat label="Summed task time" testId="report-task-time">
          {formatDuration(report.task_time_ms)}
        </Stat>
        <Stat label="Efficiency gain" testId="report-gain">
          {formatPercent(report.efficiency_gain)}
          <span className={styles.statNote}> predicted {formatPercent(report.predicted_efficiency_gain)}</span>
          {!sequential && (
            <span className={styles.statBasis} data-testid="report-gain-basis">
              {report.efficiency_basis === "sequential_runs"
                ? `vs ${formatDuration(report.sequential_ms)} one at a time`
                : "estimate: tasks shared the machine"}
            </span>
          )}
        </Stat>
        {report.gate_ms > 0 && (
          <Stat label="At the merge gate" testId="report-gate">
            {formatDuration(report.gate_ms)}
            <span className={styles.statNote}> {testRuns(report.gate_tests_ms.length)}</span>
            {report.preflight_tests_ms.length > 0 && (
              <span className={styles.statNote} data-testid="report-preflight">
                , {preflights(report.preflight_tests_ms.length, report.preflights_failed)}
              </span>
            )}
          </Stat>
        )}
        <Stat label="Merges" testId="report-merges">
          {report.auto_merged} auto-merged, {report.sent_to_review} sent to review
          {report.resolved_by_agent > 0 && (
            <span className={styles.statNote}> ({report.resolved_by_agent} resolved by the agent)</span>
          )}
        </Stat>
        <Stat label="Merge success rate" testId="merge-success-rate">
          {report.auto_merged + report.sent_to_review === 0 ? (
            <span className={styles.statNote}>no merges</span>
          ) : (
            formatPercent(report.merge_success_rate)
          )}
        </Stat>
        <Stat label="Expertise reuse" testId="report-expertise">
          <Reuse stats={report.expertise_reuse} />
        </Stat>
        {report.cost_usd !== null && (
          <Stat label="Agent cost" testId="report-cost">
            {formatCost(report.cost_usd)}
            {report.budget_usd !== null && <span className={styles.statNote}> of a {formatCost(report.budget_usd)} budget</span>}
          </Stat>
        )}
      </dl>
      {report.target_moves_outside.length > 0 && (
        <ul className={styles.runReportReview} aria-label="The target moved outside the merge gate" data-testid="report-target-moves">
          {report.target_moves_outside.map((m) => (
            <li key={`${m.from}-${m.to}`}>
              The target was moved outside the merge gate to <span className="card-id">{m.to.slice(0, 10)}</span> ({m.by}):{" "}
              {m.passed === true
                ? "it passed the tests on its own."
                : m.passed === false
                  ? "its tests failed on their own; nothing landed on it."
                  : "not tested (no test command)."}
            </li>
          ))}
        </ul>
      )}
      {report.settings_changed.length > 0 && (
        <p className={styles.statNote} data-testid="report-settings-changed">
          Changed during the run: {report.settings_changed.map((c) => c.key).join(", ")}
        </p>
      )}
      {report.stopped_by_budget && (
        <p className="card-review" data-testid="report-budget-spent">
          The run's budget was spent: the tasks left were not started.
        </p>
      )}
      {report.review.length > 0 && (
        <ul className={styles.runReportReview} aria-label="Sent to review">
          {report.review.map((item) => (
            <li key={item.task_id}>
              <span className="card-id">{item.task_id}</span> {item.reason}
            </li>
          ))}
        </ul>
      )}
      </div>
    </section>
  );
}

/** How many of the routed tasks prior expertise served: "3 of 5 tasks (60%)". */
function Reuse({ stats }: { stats: ReuseStats }) {
  if (stats.routed === 0) return <span className={styles.statNote}>no tasks routed to an expert</span>;
  return (
    <>
      {stats.served_by_expertise} of {stats.routed} {stats.routed === 1 ? "task" : "tasks"} ({formatPercent(stats.ratio)})
    </>
  );
}

/** "1 test run", "3 test runs". */
function testRuns(count: number): string {
  return `${count} ${count === 1 ? "test run" : "test runs"}`;
}

/** "4 pre-flights (1 failed)": the branches tested in their own worktrees while they waited for the gate. */
function preflights(count: number, failed: number): string {
  const runs = `${count} ${count === 1 ? "pre-flight" : "pre-flights"}`;
  return failed > 0 ? `${runs} (${failed} failed)` : runs;
}

function Stat({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return (
    <div className={styles.stat}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{children}</dd>
    </div>
  );
}

/** The report of the run that just finished: measured against summed task time and the plan's prediction. */
export const RunReportPanel = memo(RunReportPanelInner);
