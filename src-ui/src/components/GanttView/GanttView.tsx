import { memo, useId, useMemo } from "react";
import type { ExecutionPlan, RunReport, Task, TimingSpan } from "../../bindings";
import { formatDuration, formatEffort } from "../../board";
import { cx } from "../../classNames";
import {
  GROUP_HEADER,
  ROW_HEIGHT,
  actualFromReport,
  actualFromTimings,
  ganttLayout,
  gateSegment,
  plannedTick,
  ranElsewhere,
  shareTicks,
  type ActualSpan,
  type GanttLayout,
} from "../../gantt";
import { useElementWidth } from "../../hooks/useElementWidth";
import styles from "./GanttView.module.css";

type Props = {
  tasks: readonly Task[];
  plan: ExecutionPlan | null;
  /** The last run's report: its task timings are the actual overlay. */
  report: RunReport | null;
  /** The live run's starts and ends, used when there is no report. */
  timings: readonly TimingSpan[];
  /** The run's names of its worker slots, to say where each task ran. */
  laneNames?: readonly string[];
};

const LABEL_W = 220;
/** The plot's width before the chart is measured (and where it cannot be). */
const PLOT_W = 900;
/** The narrowest plot: below it the chart scrolls sideways. */
const MIN_PLOT_W = 320;
/** The axis: one row of planned ticks, a second of actual ones when there are actual bars. */
const AXIS_ROW = 16;
const PAD_R = 56;

/** The actual bars' colours, by the outcome a run gave each task, as the legend names them. */
const OUTCOMES: { outcome: string; label: string }[] = [
  { outcome: "done", label: "landed" },
  { outcome: "review", label: "to Review" },
  { outcome: "running", label: "running" },
  { outcome: "in_progress", label: "stopped running" },
  { outcome: "backlog", label: "not run" },
];

function outcomeOf(span: ActualSpan): string {
  return span.outcome ?? (span.end === null ? "running" : "done");
}

const NO_NAMES: readonly string[] = [];

function GanttViewInner({ tasks, plan, report, timings, laneNames = NO_NAMES }: Props) {
  // The live timeline does not know when a task's work went to the merge gate: no gate segments.
  const actual = useMemo(
    () => (report !== null ? actualFromReport(report, laneNames) : actualFromTimings(timings, laneNames)),
    [report, timings, laneNames],
  );
  const layout = useMemo(() => ganttLayout(tasks, plan, actual), [tasks, plan, actual]);
  const gated = useMemo(() => actual.some((span) => gateSegment(span) !== null), [actual]);
  const outcomes = useMemo(() => new Set(actual.map(outcomeOf)), [actual]);
  const [measured, scroll] = useElementWidth<HTMLDivElement>();
  const plotWidth = measured === null ? PLOT_W : Math.max(MIN_PLOT_W, Math.floor(measured) - LABEL_W - PAD_R);
  const svg = useMemo(
    () => <GanttSvg layout={layout} live={report === null} plotWidth={plotWidth} />,
    [layout, report, plotWidth],
  );
  if (tasks.length === 0) {
    return (
      <div className={styles.gantt} data-testid="gantt">
        <p className="view-empty">No tasks to schedule.</p>
      </div>
    );
  }
  return (
    <div className={styles.gantt} data-testid="gantt">
      <div className={styles.ganttLegend} aria-label="Legend">
        <span className={cx(styles.ganttKey, styles.planned)} /> planned (
        {plan === null
          ? "no plan yet: build one"
          : plan.schedule.length === 0
            ? "rebuild the plan to see its schedule"
            : `${layout.workers} workers, estimated minutes`}
        ) · actual ({report !== null ? "last run" : "live"}, real time), each scaled to the full width:
        {OUTCOMES.filter(({ outcome }) => outcomes.has(outcome)).map(({ outcome, label }) => (
          <span key={outcome} className={styles.ganttOutcome} data-testid="gantt-legend-outcome" data-outcome={outcome}>
            <span className={cx(styles.ganttKey, styles.actual)} data-outcome={outcome} /> {label}
          </span>
        ))}
        {gated && (
          <>
            <span className={cx(styles.ganttKey, styles.gate)} /> at the merge gate (the end of an actual bar)
          </>
        )}
        <span className={cx(styles.ganttKey, styles.arrow)} /> dependency
      </div>
      <div className={styles.ganttScroll} ref={scroll}>
        {svg}
      </div>
    </div>
  );
}

/** The whole chart as one SVG: a few thousand plain elements, arrows in one path, rendered once per layout. */
function GanttSvg({ layout, live, plotWidth }: { layout: GanttLayout; live: boolean; plotWidth: number }) {
  const { rows, groups, arrows, makespan, actualSpanMs } = layout;
  const width = LABEL_W + plotWidth + PAD_R;
  const axisH = AXIS_ROW * (actualSpanMs > 0 ? 2 : 1) + 10;
  const height = axisH + layout.height + 8;
  const planX = (minutes: number) => LABEL_W + (makespan > 0 ? (minutes / makespan) * plotWidth : 0);
  const realX = (ms: number) => LABEL_W + (actualSpanMs > 0 ? (ms / actualSpanMs) * plotWidth : 0);
  const shareX = (share: number) => LABEL_W + share * plotWidth;
  // The first tick's label starts at its line, the last one's ends there: neither runs into the row names.
  const anchor = (share: number) => (share === 0 ? "start" : share === 1 ? "end" : "middle");
  const top = axisH;
  const hatch = useId();
  const gated = rows.some((row) => row.actual !== null && gateSegment(row.actual) !== null);

  const rowById = new Map(rows.map((row) => [row.taskId, row]));
  let lines = "";
  let heads = "";
  for (const { from, to } of arrows) {
    const a = rowById.get(from);
    const b = rowById.get(to);
    if (a?.planned == null || b?.planned == null) continue;
    const x1 = planX(a.planned.landed);
    const y1 = top + a.y + ROW_HEIGHT / 2;
    const x2 = planX(b.planned.start);
    const y2 = top + b.y + ROW_HEIGHT / 2;
    const elbow = x1 + 4;
    lines += `M${x1.toFixed(1)} ${y1}H${elbow.toFixed(1)}V${y2}H${(x2 - 1).toFixed(1)}`;
    heads += `M${(x2 - 1).toFixed(1)} ${y2}l-4 -3v6z`;
  }

  const shares = shareTicks(plotWidth);

  return (
    <svg
      className={styles.ganttSvg}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label="Planned and actual timeline"
    >
      {gated && (
        <defs>
          <pattern id={hatch} width={4} height={4} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect className={styles.ganttHatch} width={2} height={4} />
          </pattern>
        </defs>
      )}
      {groups.map((group, i) => (
        <g key={group.name}>
          <rect className={cx(styles.ganttBand, i % 2 !== 0 && styles.alt)} x={0} y={top + group.y} width={width} height={group.height} />
          <text className={styles.ganttGroupLabel} x={6} y={top + group.y + GROUP_HEADER - 6}>
            {group.name}
          </text>
        </g>
      ))}
      <g className={styles.ganttGrid}>
        {shares.map((share) => (
          <line key={share} x1={shareX(share)} x2={shareX(share)} y1={top} y2={top + layout.height} />
        ))}
      </g>
      <g className={styles.ganttAxis} data-testid="gantt-axis">
        <text x={LABEL_W - 8} y={AXIS_ROW} textAnchor="end">
          planned
        </text>
        {makespan > 0 &&
          shares.map((share) => (
            <text key={share} x={shareX(share)} y={AXIS_ROW} textAnchor={anchor(share)} data-testid="gantt-tick-planned">
              {plannedTick(share * makespan)}
            </text>
          ))}
        {actualSpanMs > 0 && (
          <>
            <text className={styles.ganttAxisActual} x={LABEL_W - 8} y={2 * AXIS_ROW} textAnchor="end">
              actual
            </text>
            {shares.map((share) => (
              <text
                key={share}
                className={styles.ganttAxisActual}
                x={shareX(share)}
                y={2 * AXIS_ROW}
                textAnchor={anchor(share)}
                data-testid="gantt-tick-actual"
              >
                {formatDuration(share * actualSpanMs)}
              </text>
            ))}
          </>
        )}
      </g>
      <g>
        {rows.map((row) => {
          const y = top + row.y;
          const planned = row.planned;
          const actual = row.actual;
          const actualEnd = actual === null ? 0 : (actual.end ?? actualSpanMs);
          const gate = actual === null ? null : gateSegment(actual);
          return (
            <g key={row.taskId} data-task={row.taskId}>
              <text className={styles.ganttLabel} x={14} y={y + ROW_HEIGHT - 5}>
                <title>{row.title}</title>
                {row.taskId.length > 28 ? `${row.taskId.slice(0, 27)}…` : row.taskId}
              </text>
              {planned !== null && (
                <rect
                  className={styles.ganttPlanned}
                  data-testid="gantt-planned"
                  x={planX(planned.start)}
                  y={y + 2}
                  width={Math.max(1, planX(planned.end) - planX(planned.start))}
                  height={ROW_HEIGHT - 4}
                  rx={2}
                >
                  <title>
                    {`${row.title}\nplanned: ${formatEffort(planned.start)} → ${formatEffort(planned.end)}`}
                  </title>
                </rect>
              )}
              {planned !== null && planned.landed > planned.end && (
                <rect
                  className={styles.ganttPlannedGate}
                  data-testid="gantt-planned-gate"
                  x={planX(planned.end)}
                  y={y + 2}
                  width={Math.max(1, planX(planned.landed) - planX(planned.end))}
                  height={ROW_HEIGHT - 4}
                  rx={2}
                >
                  <title>{`${row.title}\nplanned at the merge gate: ${formatEffort(planned.end)} → ${formatEffort(planned.landed)}`}</title>
                </rect>
              )}
              {actual !== null && (
                <rect
                  className={styles.ganttActual}
                  data-testid="gantt-actual"
                  data-outcome={outcomeOf(actual)}
                  x={realX(actual.start)}
                  y={y + ROW_HEIGHT - 8}
                  width={Math.max(1, realX(actualEnd) - realX(actual.start))}
                  height={5}
                >
                  <title>
                    {`${row.title}\nactual: ${formatDuration(actual.start)} → ${actual.end === null ? (live ? "running" : "?") : formatDuration(actual.end)}${actual.outcome !== null ? ` (${actual.outcome})` : ""}${actual.lane !== null ? ` on ${actual.lane}` : ""}`}
                  </title>
                </rect>
              )}
              {actual !== null && ranElsewhere(row) && (
                <text
                  className={styles.ganttRanOn}
                  data-testid="gantt-ran-on"
                  x={realX(actualEnd) + 4}
                  y={y + ROW_HEIGHT - 3}
                >
                  ran on {actual.lane}
                </text>
              )}
              {actual !== null && gate !== null && (
                <rect
                  className={styles.ganttGate}
                  data-testid="gantt-gate-segment"
                  fill={`url(#${hatch})`}
                  x={realX(gate.start)}
                  y={y + ROW_HEIGHT - 8}
                  width={Math.max(1, realX(gate.end) - realX(gate.start))}
                  height={5}
                >
                  <title>{`${row.title}\nat the merge gate ${formatDuration(actual.gateMs)}`}</title>
                </rect>
              )}
            </g>
          );
        })}
      </g>
      <path className={styles.ganttArrows} data-testid="gantt-arrows" d={lines} />
      <path className={styles.ganttArrowheads} d={heads} />
    </svg>
  );
}

/** Planned list schedule and actual run times, per task, grouped by worktree. */
export const GanttView = memo(GanttViewInner);
