import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CardEdit, ErrorDto, TaskFileIssue } from "../../bindings";
import { queryKeys } from "../../queries";
import { board, task } from "../../test/fixtures";
import { renderWithClient } from "../../test/render";
import { TaskForm } from "./TaskForm";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

type Props = ComponentProps<typeof TaskForm>;

/** What `check_card_edit` answers for an edit (default: nothing wrong). */
let checkAnswer: (edit: CardEdit) => TaskFileIssue[];
/** `check_card_edit` rejects with this while set. */
let checkRefusal: ErrorDto | null;
/** `edit_tasks` rejects with this while set. */
let saveRefusal: ErrorDto | null;

function issue(field: string | null, message: string, taskId: string | null = null): TaskFileIssue {
  return { task: taskId, location: "tasks[3]", field, line: null, message };
}

const RESULT = { summary: { added: ["add-the-cart"], updated: [], removed: [], kept: [], plan_warning: null }, file: "/r/yokeflow.yaml" };

beforeEach(() => {
  checkAnswer = () => [];
  checkRefusal = null;
  saveRefusal = null;
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string, args: { edit: CardEdit }) => {
    switch (command) {
      case "check_card_edit":
        return checkRefusal === null ? Promise.resolve(checkAnswer(args.edit)) : Promise.reject(checkRefusal);
      case "edit_tasks":
        return saveRefusal === null ? Promise.resolve(RESULT) : Promise.reject(saveRefusal);
      default:
        return Promise.reject({ code: "unknown", message: `unexpected ${command}` });
    }
  });
});

const TASKS = [
  task("db-schema", { title: "Database schema" }),
  task("auth", { title: "Sign in" }),
  task("cart-api", { title: "Cart API", description: "The cart endpoints", epic: "checkout", depends_on: ["db-schema"], files: ["src/cart/**"], effort_minutes: 45, priority: 2 }),
];

function renderForm(overrides: Partial<Props> = {}) {
  const props: Props = {
    projectId: "p1",
    tasks: TASKS,
    epics: board([]).epics,
    task: null,
    onClose: vi.fn(),
    onSaved: vi.fn(),
    ...overrides,
  };
  return { ...renderWithClient(<TaskForm {...props} />), props };
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => (args as { edit: CardEdit }).edit);
}

describe("TaskForm", () => {
  it("opens on the title, and derives the id from it until the id is typed", async () => {
    const user = userEvent.setup();
    renderForm();
    const dialog = screen.getByRole("dialog", { name: "New task" });
    expect(dialog).toHaveAttribute("data-testid", "task-form");
    const title = screen.getByLabelText("Title");
    expect(title).toHaveFocus();

    await user.type(title, "Add the Cart!");
    expect(screen.getByLabelText("Id")).toHaveValue("add-the-cart");
    await user.clear(screen.getByLabelText("Id"));
    await user.type(screen.getByLabelText("Id"), "cart-2");
    await user.type(title, " now");
    expect(screen.getByLabelText("Id")).toHaveValue("cart-2");
  });

  it("shows each issue the core finds beside its field, the others on top, and keeps Save disabled meanwhile", async () => {
    checkAnswer = (edit) =>
      edit.kind === "add_task" && edit.task.depends_on.length > 0
        ? [issue("depends_on", "`db-schema` waits for this task: dependency cycle", "add-the-cart"), issue(null, "the file has 2 projects")]
        : [];
    const user = userEvent.setup();
    renderForm();
    await user.type(screen.getByTestId("task-form-title"), "Add the cart");
    await waitFor(() => expect(callsOf("check_card_edit").length).toBeGreaterThan(0));
    expect(screen.getByTestId("task-form-save")).toBeEnabled();

    await user.click(within(screen.getByTestId("task-form-deps")).getByLabelText(/db-schema/));
    const depsIssue = await screen.findByTestId("field-issue-depends_on");
    expect(depsIssue).toHaveTextContent("dependency cycle");
    // Beside its field: inside the dependencies' group, which it describes.
    expect(screen.getByTestId("task-form-deps")).toContainElement(depsIssue);
    expect(screen.getByRole("group", { name: /Depends on/ })).toHaveAccessibleDescription(/dependency cycle/);
    expect(screen.getByTestId("task-form-issues")).toHaveTextContent("the file has 2 projects");
    expect(screen.queryByTestId("field-issue-title")).not.toBeInTheDocument();
    expect(screen.getByTestId("task-form-save")).toBeDisabled();
    // The last check is of the draft as shown.
    expect(callsOf("check_card_edit").at(-1)).toMatchObject({
      kind: "add_task",
      task: { id: "add-the-cart", title: "Add the cart", depends_on: ["db-schema"] },
    });

    await user.click(within(screen.getByTestId("task-form-deps")).getByLabelText(/db-schema/));
    await waitFor(() => expect(screen.queryByTestId("field-issue-depends_on")).not.toBeInTheDocument());
    expect(screen.queryByTestId("task-form-issues")).not.toBeInTheDocument();
    expect(screen.getByTestId("task-form-save")).toBeEnabled();
  });

  it("says at once what the core could not be sent (a number that is not whole)", async () => {
    const user = userEvent.setup();
    renderForm();
    await user.type(screen.getByTestId("task-form-title"), "Cart");
    await user.clear(screen.getByTestId("task-form-effort"));
    expect(screen.getByTestId("field-issue-effort")).toHaveTextContent("whole number of minutes");
    expect(screen.getByLabelText("Effort (minutes)")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("task-form-save")).toBeDisabled();
  });

  it("sends a new task as add_task, closes, and makes the board and plan stale", async () => {
    const user = userEvent.setup();
    const { props, client } = renderForm();
    const invalidated = vi.spyOn(client, "invalidateQueries");
    expect(screen.getByTestId("task-form-save")).toBeDisabled();

    await user.type(screen.getByTestId("task-form-title"), "Add the cart");
    await user.type(screen.getByLabelText("Description"), "Endpoints for the cart");
    await user.selectOptions(screen.getByLabelText("Epic"), "checkout");
    await user.type(screen.getByTestId("task-form-deps-filter"), "sign");
    expect(within(screen.getByTestId("task-form-deps")).getAllByRole("checkbox").map((box) => box.dataset.taskId)).toEqual(["auth"]);
    await user.click(screen.getByRole("checkbox", { name: /auth/ }));
    await user.type(screen.getByLabelText("Files or globs"), "src/cart/**{Enter}{Enter}src/api/cart.ts");
    await user.clear(screen.getByLabelText("Effort (minutes)"));
    await user.type(screen.getByLabelText("Effort (minutes)"), "45");
    await user.clear(screen.getByLabelText("Priority"));
    await user.type(screen.getByLabelText("Priority"), "2");
    await user.click(screen.getByTestId("task-form-save"));

    await waitFor(() => expect(props.onClose).toHaveBeenCalledTimes(1));
    expect(callsOf("edit_tasks")).toEqual([
      {
        kind: "add_task",
        task: {
          id: "add-the-cart",
          title: "Add the cart",
          description: "Endpoints for the cart",
          epic: "checkout",
          depends_on: ["auth"],
          files: ["src/cart/**", "src/api/cart.ts"],
          effort_minutes: 45,
          priority: 2,
        },
      },
    ]);
    expect(invokeMock).toHaveBeenCalledWith("edit_tasks", expect.objectContaining({ projectId: "p1" }));
    expect(props.onSaved).toHaveBeenCalledWith(RESULT);
    const keys = invalidated.mock.calls.map(([filters]) => filters?.queryKey);
    expect(keys).toContainEqual(queryKeys.board("p1"));
    expect(keys).toContainEqual(queryKeys.plan("p1"));
  });

  it("edits a task: its id is read-only, it is not its own dependency, and Ctrl+Enter saves edit_task", async () => {
    const user = userEvent.setup();
    const { props } = renderForm({ task: TASKS[2]! });
    expect(screen.getByRole("dialog", { name: "Edit task cart-api" })).toBeInTheDocument();
    expect(screen.getByTestId("task-form-id")).toHaveValue("cart-api");
    expect(screen.getByTestId("task-form-id")).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Epic")).toHaveValue("checkout");
    expect(screen.getByLabelText("Files or globs")).toHaveValue("src/cart/**");
    const boxes = within(screen.getByTestId("task-form-deps")).getAllByRole("checkbox");
    expect(boxes.map((box) => [box.dataset.taskId, (box as HTMLInputElement).checked])).toEqual([
      ["db-schema", true],
      ["auth", false],
    ]);
    // Nothing changed yet: nothing to save.
    expect(screen.getByTestId("task-form-save")).toBeDisabled();

    await user.selectOptions(screen.getByLabelText("Epic"), "");
    await user.type(screen.getByLabelText("Title"), "s{Control>}{Enter}{/Control}");
    await waitFor(() => expect(props.onClose).toHaveBeenCalledTimes(1));
    expect(callsOf("edit_tasks")).toEqual([
      {
        kind: "edit_task",
        task: {
          id: "cart-api",
          title: "Cart APIs",
          description: "The cart endpoints",
          epic: null,
          depends_on: ["db-schema"],
          files: ["src/cart/**"],
          effort_minutes: 45,
          priority: 2,
        },
      },
    ]);
  });

  it("cancels on Escape and on Cancel, sending nothing", async () => {
    const user = userEvent.setup();
    const { props } = renderForm();
    await user.type(screen.getByTestId("task-form-title"), "Half a thought");
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("task-form-cancel"));
    expect(props.onClose).toHaveBeenCalledTimes(2);
    expect(callsOf("edit_tasks")).toEqual([]);
  });

  it("keeps Tab inside the form, every control reachable", async () => {
    const user = userEvent.setup();
    renderForm();
    const title = screen.getByTestId("task-form-title");
    expect(title).toHaveFocus();
    // Save is disabled (nothing typed): Cancel is the last control, and Shift+Tab from the first goes there.
    await user.tab({ shift: true });
    expect(screen.getByTestId("task-form-cancel")).toHaveFocus();
    await user.tab();
    expect(title).toHaveFocus();
    const reached = new Set<string | null>();
    for (let i = 0; i < 12; i++) {
      await user.tab();
      reached.add(document.activeElement?.getAttribute("data-testid") ?? null);
    }
    for (const id of ["task-form-id", "task-form-description", "task-form-epic", "new-epic", "task-form-deps-filter", "task-form-dep", "task-form-files", "task-form-effort", "task-form-priority", "task-form-cancel"]) {
      expect(reached).toContain(id);
    }
  });

  it("shows why the core refused to save, by its code, and stays open", async () => {
    saveRefusal = { code: "move_refused", message: "a run of this project is going: add, edit or remove tasks once it has finished" };
    const user = userEvent.setup();
    const { props } = renderForm({ task: TASKS[1]! });
    await user.type(screen.getByLabelText("Title"), " again");
    await user.click(screen.getByTestId("task-form-save"));
    const error = await screen.findByTestId("task-form-error");
    expect(error).toHaveAttribute("data-error-code", "move_refused");
    expect(error).toHaveTextContent("a run of this project is going");
    expect(props.onClose).not.toHaveBeenCalled();
    expect(screen.getByTestId("task-form")).toBeInTheDocument();
    // Typing again clears it.
    await user.type(screen.getByLabelText("Title"), "!");
    expect(screen.queryByTestId("task-form-error")).not.toBeInTheDocument();
  });

  it("says when the core cannot check the task (its tasks file changed on disk)", async () => {
    checkRefusal = { code: "invalid_input", message: "yokeflow.yaml changed since it was last imported: import it first" };
    const user = userEvent.setup();
    renderForm();
    await user.type(screen.getByTestId("task-form-title"), "Cart");
    const notice = await screen.findByTestId("task-form-check-error");
    expect(notice).toHaveAttribute("data-error-code", "invalid_input");
    expect(notice).toHaveTextContent("import it first");
  });

  it("creates a new epic from the form and chooses it", async () => {
    checkAnswer = (edit) => (edit.kind === "add_epic" && edit.epic.id === "checkout" ? [issue("id", "duplicate epic id `checkout`")] : []);
    const user = userEvent.setup();
    renderForm();
    await user.click(screen.getByTestId("new-epic"));
    const epicForm = screen.getByTestId("epic-form");
    expect(within(epicForm).getByLabelText("Title")).toHaveFocus();

    await user.type(within(epicForm).getByLabelText("Id"), "checkout");
    expect(await within(epicForm).findByTestId("epic-issue-id")).toHaveTextContent("duplicate epic id");
    expect(within(epicForm).getByTestId("epic-form-save")).toBeDisabled();

    await user.clear(within(epicForm).getByLabelText("Id"));
    await user.type(within(epicForm).getByLabelText("Title"), "Payments");
    // The id typed (now empty) is kept: type one again.
    await user.type(within(epicForm).getByLabelText("Id"), "payments");
    await user.type(within(epicForm).getByLabelText("Description"), "Taking the money");
    await waitFor(() => expect(within(epicForm).queryByTestId("epic-issue-id")).not.toBeInTheDocument());
    await user.click(within(epicForm).getByTestId("epic-form-save"));

    await waitFor(() => expect(screen.queryByTestId("epic-form")).not.toBeInTheDocument());
    expect(callsOf("edit_tasks")).toEqual([{ kind: "add_epic", epic: { id: "payments", title: "Payments", description: "Taking the money" } }]);
    expect(screen.getByLabelText("Epic")).toHaveValue("payments");
    expect(screen.getByTestId("new-epic")).toHaveFocus();
  });

  it("closes only the epic form on Escape", async () => {
    const user = userEvent.setup();
    const { props } = renderForm();
    await user.click(screen.getByTestId("new-epic"));
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("epic-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("task-form")).toBeInTheDocument();
    expect(props.onClose).not.toHaveBeenCalled();
  });
});
