import { act, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PASSING_TOAST_MS, Toasts, toastHeading } from "./Toasts";

describe("Toasts", () => {
  it("lead with words, not the core's code, which stays on the toast for tests and support", () => {
    render(
      <Toasts
        toasts={[
          { id: 1, tone: "error", error: { code: "move_refused", message: "cannot move `a` back to Backlog" } },
          { id: 2, tone: "info", error: { code: "info", message: "Settings saved" } },
        ]}
        onDismiss={() => {}}
      />,
    );
    const [refused, saved] = screen.getAllByTestId("toast");
    expect(refused).toHaveTextContent(/^Move refusedcannot move `a` back to Backlog/);
    expect(refused).not.toHaveTextContent("move_refused");
    expect(refused).toHaveAttribute("data-error-code", "move_refused");
    expect(saved).toHaveTextContent(/^DoneSettings saved/);
  });

  it("names every kind of error, a plan's by its family and an unknown one plainly", () => {
    expect(toastHeading("command_not_approved")).toBe("Needs your approval");
    expect(toastHeading("plan_cycle")).toBe("Plan problem");
    expect(toastHeading("something_new")).toBe("Error");
  });

  describe("going away", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("news and refusals go on their own, failures stay until dismissed, none while the pointer rests on them", () => {
      vi.useFakeTimers();
      const onDismiss = vi.fn();
      render(
        <Toasts
          toasts={[
            { id: 1, tone: "error", error: { code: "move_refused", message: "cannot move `a`" } },
            { id: 2, tone: "info", error: { code: "info", message: "Settings saved" } },
            { id: 3, tone: "error", error: { code: "database", message: "disk full" } },
          ]}
          onDismiss={onDismiss}
        />,
      );
      const box = screen.getAllByTestId("toast")[0]!.parentElement!;
      fireEvent.pointerEnter(box);
      act(() => {
        vi.advanceTimersByTime(PASSING_TOAST_MS * 2);
      });
      expect(onDismiss).not.toHaveBeenCalled();
      fireEvent.pointerLeave(box);
      act(() => {
        vi.advanceTimersByTime(PASSING_TOAST_MS - 1);
      });
      expect(onDismiss).not.toHaveBeenCalled();
      act(() => {
        vi.advanceTimersByTime(1);
      });
      expect(onDismiss.mock.calls.map(([id]) => id as number).sort()).toEqual([1, 2]);
      act(() => {
        vi.advanceTimersByTime(PASSING_TOAST_MS * 10);
      });
      expect(onDismiss).toHaveBeenCalledTimes(2);
    });
  });
});
