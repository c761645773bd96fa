import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { report } from "../../test/events";
import { executionPlan, runSnapshot, task } from "../../test/fixtures";
import { GanttView } from "./GanttView";
import styles from "./GanttView.module.css";

const tasks = [task("a", { title: "Cart API" }), task("b", { title: "Search box" }), task("c", { title: "Checkout", depends_on: ["a"] })];

describe("GanttView", () => {
  it("draws planned bars, dependency arrows and the actual overlay from the report", () => {
    const plan = executionPlan({
      schedule: [
        { task_id: "a", worker: 0, start: 0, end: 30, landed: 30 },
        { task_id: "b", worker: 1, start: 0, end: 30, landed: 30 },
        { task_id: "c", worker: 0, start: 30, end: 60, landed: 60 },
      ],
    });
    const { rerender } = render(<GanttView tasks={tasks} plan={plan} report={null} timings={[]} />);
    const gantt = screen.getByTestId("gantt");
    expect(gantt.querySelectorAll('[data-testid="gantt-planned"]')).toHaveLength(3);
    expect(gantt.querySelector('[data-testid="gantt-arrows"]')!.getAttribute("d")).toMatch(/^M/);
    expect(gantt.querySelectorAll('[data-testid="gantt-actual"]')).toHaveLength(0);

    // The run's report, as the core's snapshot of the finished run holds it.
    const finished = runSnapshot({
      workers: 3,
      phase: "finished",
      report: report({
        tasks: [
          { task_id: "a", slot: 0, started_ms: 0, ended_ms: 4000, work_ms: 4000, gate_ms: 0, outcome: "done", reason: null },
          { task_id: "b", slot: 1, started_ms: 0, ended_ms: 3000, work_ms: 3000, gate_ms: 0, outcome: "review", reason: "conflict" },
        ],
      }),
    });
    rerender(<GanttView tasks={tasks} plan={plan} report={finished.report} timings={finished.timings} />);
    const bars = screen.getByTestId("gantt").querySelectorAll('[data-testid="gantt-actual"]');
    expect(bars).toHaveLength(2);
    expect(bars[1]!.getAttribute("data-outcome")).toBe("review");
    expect(screen.getByTestId("gantt")).toHaveTextContent("actual");
    // The legend names each colour the bars use, Review's too.
    const keys = screen.getAllByTestId("gantt-legend-outcome").map((key) => [key.getAttribute("data-outcome"), key.textContent?.trim()]);
    expect(keys).toEqual([
      ["done", "landed"],
      ["review", "to Review"],
    ]);
  });

  it("draws one axis: each tick a share of the plan (minutes) and of the run (real time), at the same place", () => {
    const plan = executionPlan({ schedule: [{ task_id: "a", worker: 0, start: 0, end: 60, landed: 60 }] });
    const finished = report({
      tasks: [{ task_id: "a", slot: 0, started_ms: 0, ended_ms: 20_000, work_ms: 20_000, gate_ms: 0, outcome: "done", reason: null }],
    });
    render(<GanttView tasks={tasks} plan={plan} report={finished} timings={[]} />);
    const planned = screen.getAllByTestId("gantt-tick-planned");
    const actual = screen.getAllByTestId("gantt-tick-actual");
    expect(planned.map((t) => t.textContent)).toEqual(["0 min", "6 min", "12 min", "18 min", "24 min", "30 min", "36 min", "42 min", "48 min", "54 min", "60 min"]);
    expect(actual.map((t) => t.getAttribute("x"))).toEqual(planned.map((t) => t.getAttribute("x")));
    expect(actual[5]).toHaveTextContent("10.0 s");
    // Both rows sit above the chart: no second axis under it.
    const y = (el: Element) => Number(el.getAttribute("y"));
    const firstBar = screen.getByTestId("gantt").querySelector('[data-testid="gantt-planned"]')!;
    expect(Math.max(...actual.map(y))).toBeLessThan(y(firstBar));
  });

  it("draws the end of a finished task's actual bar spent at the merge gate as its own segment", () => {
    const finished = report({
      wall_ms: 8000,
      gate_ms: 1200,
      tasks: [
        { task_id: "a", slot: 0, started_ms: 0, ended_ms: 8000, work_ms: 6800, gate_ms: 1200, outcome: "done", reason: null },
        { task_id: "b", slot: 1, started_ms: 0, ended_ms: 3000, work_ms: 3000, gate_ms: 0, outcome: "review", reason: "conflict" },
      ],
    });
    render(<GanttView tasks={tasks} plan={executionPlan()} report={finished} timings={[]} />);
    const gantt = screen.getByTestId("gantt");
    const segments = gantt.querySelectorAll('[data-testid="gantt-gate-segment"]');
    expect(segments).toHaveLength(1);
    const segment = segments[0]!;
    expect(segment.closest("[data-task]")).toHaveAttribute("data-task", "a");
    expect(segment).toHaveClass(styles.ganttGate!);
    expect(segment.querySelector("title")).toHaveTextContent("at the merge gate 1.2 s");
    // The last 1.2 s of an 8 s bar: it ends where the bar ends and is 15% of its width.
    const bar = gantt.querySelector('[data-task="a"] [data-testid="gantt-actual"]')!;
    const x = (el: Element, name: string) => Number(el.getAttribute(name));
    expect(x(segment, "x") + x(segment, "width")).toBeCloseTo(x(bar, "x") + x(bar, "width"));
    expect(x(segment, "width") / x(bar, "width")).toBeCloseTo(0.15);
    expect(segment.getAttribute("fill")).toMatch(/^url\(#.+\)$/);
    expect(gantt.querySelector(`pattern[id="${segment.getAttribute("fill")!.slice(5, -1)}"]`)).not.toBeNull();
    expect(gantt).toHaveTextContent("at the merge gate");
  });

  it("shows the live run's bars while there is no report", () => {
    const live = runSnapshot({ slots: ["a", null], timings: [{ task_id: "a", slot: 0, start_ms: 0, end_ms: null }] });
    render(<GanttView tasks={tasks} plan={executionPlan()} report={live.report} timings={live.timings} />);
    const bars = screen.getByTestId("gantt").querySelectorAll('[data-testid="gantt-actual"]');
    expect(bars).toHaveLength(1);
    expect(bars[0]!.getAttribute("data-outcome")).toBe("running");
    expect(screen.getByTestId("gantt")).toHaveTextContent("actual (live");
    expect(screen.queryByTestId("gantt-gate-segment")).not.toBeInTheDocument();
    expect(screen.getByTestId("gantt")).not.toHaveTextContent("at the merge gate");
  });

  it("says there is nothing to schedule without tasks", () => {
    render(<GanttView tasks={[]} plan={null} report={null} timings={[]} />);
    expect(screen.getByTestId("gantt")).toHaveTextContent("No tasks to schedule.");
  });

  it("renders 1,000 tasks in one SVG without a per-arrow element", () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      task(`t${i}`, { effort_minutes: 5 + (i % 40), depends_on: i === 0 ? [] : [`t${Math.floor(i / 2)}`] }),
    );
    const schedule = many.map((t, i) => ({ task_id: t.id, worker: i % 4, start: i, end: i + t.effort_minutes, landed: i + t.effort_minutes }));
    render(<GanttView tasks={many} plan={executionPlan({ worktree_assignments: [], schedule })} report={null} timings={[]} />);
    const gantt = screen.getByTestId("gantt");
    expect(gantt.querySelectorAll("svg")).toHaveLength(1);
    expect(gantt.querySelectorAll('[data-testid="gantt-planned"]')).toHaveLength(1000);
    expect(gantt.querySelectorAll("path")).toHaveLength(2);
    // How fast it renders is the render benchmark's business (npm run bench:render), not a unit test's.
  });

  it("says where the planned bars are missing: no plan yet, or a plan stored before they were", () => {
    const { rerender } = render(<GanttView tasks={tasks} plan={null} report={null} timings={[]} />);
    expect(screen.getByTestId("gantt")).toHaveTextContent("planned (no plan yet: build one)");
    rerender(<GanttView tasks={tasks} plan={executionPlan()} report={null} timings={[]} />);
    expect(screen.getByTestId("gantt")).toHaveTextContent("planned (rebuild the plan to see its schedule)");
    expect(screen.getByTestId("gantt").querySelectorAll('[data-testid="gantt-planned"]')).toHaveLength(0);
  });

  it("says where a task ran when it is not where it was planned", () => {
    const plan = executionPlan({ schedule: [{ task_id: "a", worker: 0, start: 0, end: 30, landed: 30 }] });
    const timings = [
      { task_id: "a", slot: 1, start_ms: 0, end_ms: 4000 },
      { task_id: "b", slot: 1, start_ms: 0, end_ms: 3000 },
    ];
    render(<GanttView tasks={tasks} plan={plan} report={null} timings={timings} laneNames={["wt-1", "wt-2"]} />);
    const ranOn = screen.getAllByTestId("gantt-ran-on");
    expect(ranOn).toHaveLength(1);
    expect(ranOn[0]!.closest("[data-task]")).toHaveAttribute("data-task", "a");
    expect(ranOn[0]).toHaveTextContent("ran on wt-2");
  });
});
