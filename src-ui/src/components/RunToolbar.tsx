import { memo } from "react";
import type { RunPhase } from "../runStore";

type Props = {
  phase: RunPhase;
  /** The run runs one task at a time (asked for, or the core fell back to it). */
  mode: string | null;
  /** A project is selected and its board is loaded. */
  ready: boolean;
  cancelling: boolean;
  sequential: boolean;
  done: number;
  total: number;
  onSequentialChange: (sequential: boolean) => void;
  onStart: () => void;
  onPause: () => void;
  onResume: () => void;
  onCancel: () => void;
};

/** What the status pill says, and its `data-state` (`starting` shows as running). */
const PILL: Record<RunPhase, { state: string; label: string }> = {
  idle: { state: "idle", label: "Idle" },
  starting: { state: "running", label: "Starting…" },
  running: { state: "running", label: "Running" },
  paused: { state: "paused", label: "Paused" },
  finished: { state: "finished", label: "Finished" },
  cancelled: { state: "cancelled", label: "Cancelled" },
  failed: { state: "failed", label: "Failed" },
};

function RunToolbarInner(props: Props) {
  const { phase, mode, ready, cancelling, sequential, done, total } = props;
  const active = phase === "starting" || phase === "running" || phase === "paused";
  const pill = PILL[phase];
  return (
    <div className="run-toolbar" role="group" aria-label="Run">
      <span
        className={`run-status run-status-${pill.state}`}
        data-testid="run-status"
        data-state={pill.state}
        role="status"
        title={mode === null ? undefined : `${mode} run`}
      >
        <span className="run-status-dot" aria-hidden="true" />
        {pill.label}
        {active && mode === "sequential" && <span className="run-status-mode">sequential</span>}
        {total > 0 && (
          <span className="run-progress" data-testid="run-progress">
            {done}/{total} done
          </span>
        )}
      </span>
      <label className="run-sequential" title="Run one task at a time (to compare with a parallel run)">
        <input
          type="checkbox"
          data-testid="sequential"
          checked={sequential}
          disabled={active}
          onChange={(e) => props.onSequentialChange(e.currentTarget.checked)}
        />
        Sequential
      </label>
      {phase === "paused" ? (
        <button type="button" className="button" data-testid="resume-run" onClick={props.onResume} disabled={cancelling}>
          Resume
        </button>
      ) : (
        <button
          type="button"
          className="button"
          data-testid="pause-run"
          onClick={props.onPause}
          disabled={phase !== "running" || cancelling}
        >
          Pause
        </button>
      )}
      <button
        type="button"
        className="button danger"
        data-testid="cancel-run"
        onClick={props.onCancel}
        disabled={!(phase === "running" || phase === "paused") || cancelling}
      >
        {cancelling ? "Cancelling…" : "Cancel"}
      </button>
      <button
        type="button"
        className="button primary small"
        data-testid="start-run"
        onClick={props.onStart}
        disabled={!ready || active}
      >
        {phase === "starting" ? "Starting…" : "Start run"}
      </button>
    </div>
  );
}

/** Start, Sequential, Pause/Resume and Cancel, with the run's status pill and progress. */
export const RunToolbar = memo(RunToolbarInner);
