import { memo } from "react";
import type { RunMode } from "../../bindings";
import { cx } from "../../classNames";
import { isActive, type ShownPhase } from "../../runStore";
import { RequestButton } from "../RequestButton/RequestButton";
import styles from "./RunToolbar.module.css";

/** What the run's status says when the demo's run uses YokeFlow's scripted stand-in instead of an AI agent. */
export const STAND_IN_NOTICE =
  "This run uses YokeFlow's scripted stand-in agent, not an AI: no agent is set and Claude Code is not installed. " +
  "It edits the files each task names and commits. Choose an agent in Settings to run a real one.";

type Props = {
  phase: ShownPhase;
  /** `parallel` or `sequential` (asked for, fallen back to, or forced during the run); null when not known. */
  mode: RunMode | null;
  /** A project is selected and its board is loaded. */
  ready: boolean;
  /** The Sequential choice for the next run. */
  sequential: boolean;
  /** The budget for the next run as typed (US dollars; empty: no limit). */
  budget?: string;
  onBudgetChange?: (budget: string) => void;
  done: number;
  total: number;
  onSequentialChange: (sequential: boolean) => void;
  onStart: () => void;
  onPause: () => void;
  onResume: () => void;
  onCancel: () => void;
  /** Turns the running run sequential; settles once the core took the order or refused it. */
  onForceSequential: () => Promise<unknown>;
  /** The run uses YokeFlow's scripted stand-in agent, not an AI (the demo without Claude Code). */
  standIn?: boolean;
  /** The run's agents and tests are confined by the sandbox; `null` until the run says. */
  sandboxed?: boolean | null;
  /** Tasks waiting in Review: a finished run with some is not all green. */
  inReview?: number;
};

/** What the run's status says of a run whose agents are not confined. */
export const UNCONFINED_NOTICE =
  "This project's sandbox is off: its agents, tests, setup and cleanup run as you, and can change anything you " +
  "can (your home, your checkout, other worktrees). Turn it on in Settings (it needs bubblewrap).";

/** What the run's status says of a sandboxed run. */
export const SANDBOXED_NOTICE =
  "Agents, tests, setup and cleanup run in the sandbox: each writes only to its own worktree, a private /tmp, its " +
  "CLI's state and the caches in Settings.";

/** What the status pill says, its `data-state` (`starting` shows as running) and its colour. */
const PILL: Record<ShownPhase, { state: string; label: string; className: string | undefined }> = {
  idle: { state: "idle", label: "Idle", className: undefined },
  starting: { state: "running", label: "Starting…", className: styles.runStatusRunning },
  running: { state: "running", label: "Running", className: styles.runStatusRunning },
  paused: { state: "paused", label: "Paused", className: styles.runStatusPaused },
  cancelling: { state: "running", label: "Cancelling…", className: styles.runStatusRunning },
  finished: { state: "finished", label: "Finished", className: styles.runStatusFinished },
  cancelled: { state: "cancelled", label: "Cancelled", className: styles.runStatusCancelled },
  failed: { state: "failed", label: "Failed", className: styles.runStatusFailed },
};

function RunToolbarInner(props: Props) {
  const { phase, mode, ready, sequential, done, total } = props;
  const cancelling = phase === "cancelling";
  const active = isActive(phase);
  const runSequential = active && mode === "sequential";
  const canGoSequential = (phase === "running" || phase === "paused") && !runSequential;
  const review = props.inReview ?? 0;
  // A run that finished with work waiting in Review says so, in the colour of what waits for a person.
  const pill =
    phase === "finished" && review > 0
      ? { state: "finished", label: `Finished · ${review} in Review`, className: styles.runStatusReview }
      : PILL[phase];
  return (
    <div className={styles.runToolbar} role="group" aria-label="Run">
      <span
        className={cx(styles.runStatus, pill.className)}
        data-testid="run-status"
        data-state={pill.state}
        role="status"
        title={mode === null ? undefined : `${mode} run`}
      >
        <span className={styles.runStatusDot} aria-hidden="true" />
        {pill.label}
        {runSequential && <span className={styles.runStatusMode}>sequential</span>}
        {active && props.standIn === true && (
          <span className={styles.runStatusMode} data-testid="run-stand-in" title={STAND_IN_NOTICE}>
            stand-in agent, not an AI
          </span>
        )}
        {active && props.sandboxed === true && (
          <span className={styles.runStatusMode} data-testid="run-sandboxed" title={SANDBOXED_NOTICE}>
            sandboxed
          </span>
        )}
        {active && props.sandboxed === false && (
          <span
            className={cx(styles.runStatusMode, styles.unconfined)}
            data-testid="run-unconfined"
            title={UNCONFINED_NOTICE}
          >
            not confined
          </span>
        )}
        {total > 0 && (
          <span className={styles.runProgress} data-testid="run-progress">
            {done}/{total} done
          </span>
        )}
      </span>
      {/* The choice for the next run; during a run, the run's mode once known. */}
      <label className={styles.runSequential} title="Run one task at a time (to compare with a parallel run)">
        <input
          type="checkbox"
          data-testid="sequential"
          checked={active && mode !== null ? runSequential : sequential}
          disabled={active}
          onChange={(e) => props.onSequentialChange(e.currentTarget.checked)}
        />
        Sequential
      </label>
      {props.onBudgetChange !== undefined && (
        <label className={styles.runBudget} title="Budget: once the run's agents have cost this much, no new task starts">
          <span className={styles.runBudgetLabel}>Budget</span> $
          <input
            type="number"
            min="0"
            step="0.5"
            inputMode="decimal"
            data-testid="run-budget"
            value={props.budget ?? ""}
            placeholder="no limit"
            disabled={active}
            onChange={(e) => props.onBudgetChange?.(e.currentTarget.value)}
          />
        </label>
      )}
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
      {canGoSequential && (
        <RequestButton
          testId="force-sequential"
          className="button"
          title="From now on, one task at a time; the tasks running finish"
          onRequest={props.onForceSequential}
          disabled={cancelling}
        >
          Go sequential
        </RequestButton>
      )}
    </div>
  );
}

/**
 * The run's status pill and progress, the choices for the next run (Sequential, budget), Pause/Resume, Cancel and
 * Start in one row that keeps its place whatever the run does (Go sequential comes last, only while it applies).
 */
export const RunToolbar = memo(RunToolbarInner);
