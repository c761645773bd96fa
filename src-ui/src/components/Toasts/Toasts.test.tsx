import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Toasts, toastHeading } from "./Toasts";

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
});
