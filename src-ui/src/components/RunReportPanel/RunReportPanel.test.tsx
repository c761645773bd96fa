import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ReuseStats } from "../../bindings";
import { report } from "../../test/events";
import { RunReportPanel } from "./RunReportPanel";
import styles from "./RunReportPanel.module.css";

function renderWithReuse(expertise_reuse: ReuseStats) {
  render(<RunReportPanel report={report({ expertise_reuse })} onDismiss={() => {}} />);
  return screen.getByTestId("report-expertise");
}

describe("RunReportPanel", () => {
  it("is one line until its details are asked for", async () => {
    const user = userEvent.setup();
    render(
      <RunReportPanel
        report={report({ tasks_done: 8, tasks_total: 10, tasks_review: 2, auto_merged: 8, sent_to_review: 2, cost_usd: 0.42 })}
        onDismiss={() => {}}
      />,
    );
    expect(screen.getByTestId("report-line")).toHaveTextContent("8/10 done · 2 in review · 4.5 s · gain 70% · 8 of 10 merged · $0.42");
    const wall = screen.getByTestId("report-wall");
    expect(wall).not.toBeVisible();
    const details = screen.getByTestId("report-details");
    expect(details).toHaveAttribute("aria-expanded", "false");
    await user.click(details);
    expect(wall).toBeVisible();
    expect(details).toHaveAttribute("aria-expanded", "true");
    expect(details).toHaveTextContent("Less");
  });

  it("shows how many routed tasks prior expertise served", () => {
    const reuse = renderWithReuse({ routed: 5, served_by_expertise: 3, ratio: 0.6 });
    expect(reuse).toHaveTextContent(/^3 of 5 tasks \(60%\)$/);
    // A fact of the report's grid, labelled like the others.
    expect(reuse.previousElementSibling).toHaveTextContent(/^Expertise reuse$/);
  });

  it("says task for a single routed task", () => {
    expect(renderWithReuse({ routed: 1, served_by_expertise: 1, ratio: 1 })).toHaveTextContent(/^1 of 1 task \(100%\)$/);
  });

  it("says so, muted, when no task was routed to an expert", () => {
    const reuse = renderWithReuse({ routed: 0, served_by_expertise: 0, ratio: 0 });
    expect(reuse).toHaveTextContent(/^no tasks routed to an expert$/);
    expect(within(reuse).getByText("no tasks routed to an expert")).toHaveClass(styles.statNote!);
  });

  it("shows the tasks' summed time at the merge gate, with its test runs, when they spent any", () => {
    const { rerender } = render(<RunReportPanel report={report()} onDismiss={() => {}} />);
    expect(screen.queryByTestId("report-gate")).not.toBeInTheDocument();
    rerender(<RunReportPanel report={report({ gate_ms: 12_300, gate_tests_ms: [4_000, 3_500, 4_800] })} onDismiss={() => {}} />);
    const gate = screen.getByTestId("report-gate");
    expect(gate).toHaveTextContent(/^12\.3 s 3 test runs$/);
    expect(gate.previousElementSibling).toHaveTextContent(/^At the merge gate$/);
    expect(within(gate).getByText("3 test runs")).toHaveClass(styles.statNote!);
    rerender(<RunReportPanel report={report({ gate_ms: 900, gate_tests_ms: [800] })} onDismiss={() => {}} />);
    expect(screen.getByTestId("report-gate")).toHaveTextContent(/^900 ms 1 test run$/);
    expect(screen.queryByTestId("report-preflight")).not.toBeInTheDocument();
  });

  it("counts the pre-flights beside the gate's test runs, and those that failed", () => {
    const { rerender } = render(
      <RunReportPanel report={report({ gate_ms: 5_000, gate_tests_ms: [2_000], preflight_tests_ms: [1_500] })} onDismiss={() => {}} />,
    );
    expect(screen.getByTestId("report-gate")).toHaveTextContent(/^5\.0 s 1 test run, 1 pre-flight$/);
    expect(screen.getByTestId("report-preflight")).toHaveClass(styles.statNote!);
    rerender(
      <RunReportPanel
        report={report({ gate_ms: 5_000, gate_tests_ms: [2_000, 2_100], preflight_tests_ms: [1_500, 1_400, 1_600], preflights_failed: 1 })}
        onDismiss={() => {}}
      />,
    );
    expect(screen.getByTestId("report-gate")).toHaveTextContent(/^5\.0 s 2 test runs, 3 pre-flights \(1 failed\)$/);
  });

  it("says what the efficiency gain is measured against", () => {
    const { rerender } = render(<RunReportPanel report={report()} onDismiss={() => {}} />);
    expect(screen.getByTestId("report-gain-basis")).toHaveTextContent(/^estimate: tasks shared the machine$/);
    expect(screen.getByTestId("report-gain-basis")).toHaveClass(styles.statBasis!);
    rerender(
      <RunReportPanel
        report={report({ efficiency_basis: "sequential_runs", sequential_ms: 9_000, efficiency_gain: 0.5 })}
        onDismiss={() => {}}
      />,
    );
    expect(screen.getByTestId("report-gain-basis")).toHaveTextContent(/^vs 9\.0 s one at a time$/);
    rerender(<RunReportPanel report={report({ mode: "sequential", workers: 1 })} onDismiss={() => {}} />);
    expect(screen.queryByTestId("report-gain-basis")).not.toBeInTheDocument();
  });

  it("says when the target was moved outside the gate and which settings changed during the run", () => {
    const { rerender } = render(<RunReportPanel report={report()} onDismiss={() => {}} />);
    expect(screen.queryByTestId("report-target-moves")).not.toBeInTheDocument();
    expect(screen.queryByTestId("report-settings-changed")).not.toBeInTheDocument();
    const moved = { from: "a".repeat(40), to: "b".repeat(40), by: 'reflog: "update-ref" by Agent <a@b>' };
    rerender(
      <RunReportPanel
        report={report({
          target_moves_outside: [{ ...moved, passed: false }],
          settings_changed: [{ key: "test_command", from: '["npm","test"]', to: '["true"]' }],
        })}
        onDismiss={() => {}}
      />,
    );
    expect(screen.getByTestId("report-target-moves")).toHaveTextContent(
      'The target was moved outside the merge gate to bbbbbbbbbb (reflog: "update-ref" by Agent <a@b>): its tests failed on their own; nothing landed on it.',
    );
    expect(screen.getByTestId("report-settings-changed")).toHaveTextContent(/^Changed during the run: test_command$/);
  });

  it("gives no merge success rate for a run that merged nothing (a cancelled one)", () => {
    const { rerender } = render(
      <RunReportPanel report={report({ auto_merged: 0, sent_to_review: 0, merge_success_rate: 1 })} onDismiss={() => {}} />,
    );
    expect(screen.getByTestId("merge-success-rate")).toHaveTextContent(/^no merges$/);
    rerender(<RunReportPanel report={report({ auto_merged: 3, sent_to_review: 1, merge_success_rate: 0.75 })} onDismiss={() => {}} />);
    expect(screen.getByTestId("merge-success-rate")).toHaveTextContent(/^75%$/);
  });

  it("shows what the agents cost, and a spent budget", () => {
    const { rerender } = render(<RunReportPanel report={report()} onDismiss={() => {}} />);
    expect(screen.queryByTestId("report-cost")).not.toBeInTheDocument();
    rerender(<RunReportPanel report={report({ cost_usd: 1.234, budget_usd: 1, stopped_by_budget: true })} onDismiss={() => {}} />);
    expect(screen.getByTestId("report-cost")).toHaveTextContent("$1.23 of a $1.00 budget");
    expect(screen.getByTestId("report-budget-spent")).toHaveTextContent("the tasks left were not started");
  });
});
