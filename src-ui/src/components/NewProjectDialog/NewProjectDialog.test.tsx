import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { InitReport } from "../../bindings";
import { queryKeys } from "../../queries";
import { renderWithClient } from "../../test/render";
import { NewProjectDialog } from "./NewProjectDialog";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

type Props = ComponentProps<typeof NewProjectDialog>;

const REPORT: InitReport = {
  project_id: "shop-1",
  repo_path: "/code/shop",
  repo_created: true,
  created: ["CLAUDE.md", ".claude/settings.json"],
  updated: [],
  kept: [],
  unchanged: [],
  domains: [{ domain: "api", matched: ["endpoint"] }],
  committed: "abc1234def5678",
};

/** What `init_project` answers next: the report, a refusal, or a promise the test settles. */
let initAnswer: () => Promise<InitReport>;

beforeEach(() => {
  initAnswer = () => Promise.resolve(REPORT);
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string) =>
    command === "init_project" ? initAnswer() : Promise.reject({ code: "unknown", message: `unexpected ${command}` }),
  );
});

function renderDialog(overrides: Partial<Props> = {}) {
  const props: Props = { onClose: vi.fn(), onCreated: vi.fn(), ...overrides };
  return { ...renderWithClient(<NewProjectDialog {...props} />), props };
}

function initCalls() {
  return invokeMock.mock.calls.filter(([command]) => command === "init_project").map(([, args]) => args as unknown);
}

describe("NewProjectDialog", () => {
  it("opens on the folder, its fields named by their labels, and offers Create only once both paths are given", async () => {
    const user = userEvent.setup();
    renderDialog();
    expect(screen.getByRole("dialog", { name: "New project from a spec" })).toHaveAttribute("data-testid", "new-project-dialog");
    const folder = screen.getByLabelText("Project folder");
    const spec = screen.getByLabelText("App spec (Markdown)");
    expect(folder).toHaveAttribute("data-testid", "new-project-path");
    expect(spec).toHaveAttribute("data-testid", "new-project-spec");
    expect(folder).toHaveFocus();
    const create = screen.getByTestId("new-project-create");
    expect(create).toBeDisabled();

    await user.type(folder, "/code/shop");
    expect(create).toBeDisabled();
    await user.type(spec, "   ");
    expect(create).toBeDisabled();
    await user.type(spec, "/specs/shop.md");
    expect(create).toBeEnabled();
    await user.clear(folder);
    expect(create).toBeDisabled();
    await user.type(folder, "  ");
    expect(create).toBeDisabled();
    expect(initCalls()).toEqual([]);
  });

  it("sends both paths trimmed, shows the work under way, and hands the report and the spec over", async () => {
    let answer: (report: InitReport) => void = () => {};
    initAnswer = () => new Promise<InitReport>((resolve) => (answer = resolve));
    const user = userEvent.setup();
    const { props, client } = renderDialog();
    const invalidated = vi.spyOn(client, "invalidateQueries");
    await user.type(screen.getByTestId("new-project-path"), "  /code/shop ");
    await user.type(screen.getByTestId("new-project-spec"), " /specs/shop.md  ");
    await user.keyboard("{Enter}");

    expect(initCalls()).toEqual([{ path: "/code/shop", spec: "/specs/shop.md" }]);
    const status = await screen.findByRole("status");
    expect(status).toHaveTextContent("Creating the project…");
    expect(status).toHaveFocus();
    for (const id of ["new-project-path", "new-project-spec", "new-project-create", "new-project-cancel"]) {
      expect(screen.getByTestId(id)).toBeDisabled();
    }
    // Not closed while the project is being created.
    await user.keyboard("{Escape}");
    expect(props.onClose).not.toHaveBeenCalled();

    act(() => answer(REPORT));
    await waitFor(() => expect(props.onCreated).toHaveBeenCalledWith(REPORT, "/specs/shop.md"));
    expect(props.onCreated).toHaveBeenCalledTimes(1);
    expect(props.onClose).not.toHaveBeenCalled();
    const keys = invalidated.mock.calls.map(([filters]) => filters?.queryKey);
    expect(keys).toContainEqual(queryKeys.projects());
    expect(keys).toContainEqual(queryKeys.board("shop-1"));
    expect(screen.queryByTestId("new-project-error")).not.toBeInTheDocument();
  });

  it("shows a refusal in the dialog by its code, and nothing else happens", async () => {
    initAnswer = () =>
      Promise.reject({ code: "invalid_input", message: "`/code/mono/shop` is inside the git repository `/code/mono`" });
    const user = userEvent.setup();
    const { props } = renderDialog();
    await user.type(screen.getByTestId("new-project-path"), "/code/mono/shop");
    await user.type(screen.getByTestId("new-project-spec"), "/specs/shop.md");
    await user.click(screen.getByTestId("new-project-create"));

    const error = await screen.findByTestId("new-project-error");
    expect(error).toHaveAttribute("role", "alert");
    expect(error).toHaveAttribute("data-error-code", "invalid_input");
    expect(error).toHaveTextContent("This project can't be created here. `/code/mono/shop` is inside the git repository `/code/mono`");
    expect(props.onCreated).not.toHaveBeenCalled();
    expect(props.onClose).not.toHaveBeenCalled();
    expect(invokeMock).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId("new-project-path")).toHaveValue("/code/mono/shop");
    expect(screen.getByTestId("new-project-spec")).toHaveValue("/specs/shop.md");
    const create = screen.getByTestId("new-project-create");
    expect(create).toBeEnabled();
    expect(create).toHaveFocus();

    // Another code, another title; a success then clears the refusal.
    initAnswer = () => Promise.reject({ code: "io", message: "permission denied (os error 13)" });
    await user.click(create);
    await waitFor(() => expect(screen.getByTestId("new-project-error")).toHaveAttribute("data-error-code", "io"));
    expect(screen.getByTestId("new-project-error")).toHaveTextContent("A file could not be read or written. permission denied");
    initAnswer = () => Promise.resolve(REPORT);
    await user.click(create);
    await waitFor(() => expect(props.onCreated).toHaveBeenCalledWith(REPORT, "/specs/shop.md"));
    expect(screen.queryByTestId("new-project-error")).not.toBeInTheDocument();
  });

  it("refuses a path that is not a full one without asking the core", async () => {
    const user = userEvent.setup();
    const { props } = renderDialog();
    await user.type(screen.getByTestId("new-project-path"), "~/code/shop");
    await user.type(screen.getByTestId("new-project-spec"), "/specs/shop.md");
    await user.click(screen.getByTestId("new-project-create"));
    const error = screen.getByTestId("new-project-error");
    expect(error).toHaveAttribute("data-error-code", "invalid_input");
    expect(error).toHaveTextContent("The project folder must be a full path");

    await user.clear(screen.getByTestId("new-project-path"));
    await user.type(screen.getByTestId("new-project-path"), "/code/shop");
    await user.clear(screen.getByTestId("new-project-spec"));
    await user.type(screen.getByTestId("new-project-spec"), "docs/spec.md");
    await user.click(screen.getByTestId("new-project-create"));
    expect(screen.getByTestId("new-project-error")).toHaveTextContent("The app spec must be a full path");
    expect(invokeMock).not.toHaveBeenCalled();
    expect(props.onCreated).not.toHaveBeenCalled();
  });

  it("closes on Escape and on Cancel, asking nothing", async () => {
    const user = userEvent.setup();
    const { props } = renderDialog();
    await user.type(screen.getByTestId("new-project-path"), "/code/shop");
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(1);
    await user.click(screen.getByTestId("new-project-cancel"));
    expect(props.onClose).toHaveBeenCalledTimes(2);
    expect(invokeMock).not.toHaveBeenCalled();
  });

  it("keeps Tab inside the dialog", async () => {
    const user = userEvent.setup();
    renderDialog();
    await user.type(screen.getByTestId("new-project-path"), "/code/shop");
    await user.type(screen.getByTestId("new-project-spec"), "/specs/shop.md");
    await user.tab();
    expect(screen.getByTestId("new-project-cancel")).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("new-project-create")).toHaveFocus();
    await user.tab();
    expect(screen.getByTestId("new-project-path")).toHaveFocus();
  });
});
