import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { App } from "./App";
import type { Board, ProjectSummary } from "./bindings";
import { board, project, summary, task } from "./test/fixtures";
import { renderWithClient } from "./test/render";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));
const invokeMock = vi.mocked(invoke);

/** A fake backend: a list of projects and their boards, plus the demo it creates. */
function backend(initial: ProjectSummary[], boards: Record<string, Board>) {
  let projects = initial;
  const demo = project({ id: "demo", name: "YokeFlow demo" });
  invokeMock.mockImplementation((command, args) => {
    switch (command) {
      case "list_projects":
        return Promise.resolve(projects);
      case "get_board": {
        const id = (args as { projectId: string }).projectId;
        const found = boards[id];
        return found ? Promise.resolve(found) : Promise.reject({ code: "not_found", message: `project \`${id}\` not found` });
      }
      case "run_view":
        return Promise.resolve(null);
      case "get_plan":
        return Promise.resolve(null);
      case "add_project": {
        const path = (args as { path: string }).path;
        if (path !== "/code/shop") {
          return Promise.reject({ code: "not_a_repository", message: `\`${path}\` is not inside a git repository` });
        }
        const shop = project({ id: "shop", name: "shop", repo_path: "/code/shop" });
        projects = [...projects, summary(shop, 1, 0)];
        boards.shop = board([task("s1", { title: "Add the cart" })], shop);
        return Promise.resolve({ project: shop, tasks_file: "/code/shop/yokeflow.yaml", imported: null });
      }
      case "init_project": {
        const { path } = args as { path: string; spec: string };
        if (path !== "/code/shop") {
          return Promise.reject({ code: "invalid_input", message: `\`${path}\` is inside the git repository \`/code/mono\`` });
        }
        const shop = project({ id: "shop", name: "shop", repo_path: "/code/shop" });
        projects = [...projects, summary(shop, 0, 0)];
        boards.shop = board([], shop);
        return Promise.resolve({
          project_id: "shop",
          repo_path: "/code/shop",
          repo_created: true,
          created: ["CLAUDE.md", ".claude/experts/api/expertise.yaml"],
          updated: [],
          kept: [],
          unchanged: [],
          domains: [
            { domain: "api", matched: ["endpoint"] },
            { domain: "frontend", matched: ["react"] },
          ],
          committed: "abc1234def5678",
        });
      }
      case "create_demo_project":
        projects = [summary(demo, 2, 1)];
        boards.demo = board([task("d1", { title: "Write the README" }), task("d2", { status: "done" })], demo);
        return Promise.resolve(demo);
      default:
        return Promise.reject(`unknown command ${command}`);
    }
  });
}

function commandsCalled() {
  return invokeMock.mock.calls.map(([command]) => command);
}

describe("App", () => {
  beforeEach(() => {
    invokeMock.mockReset();
    vi.mocked(listen).mockReset();
    vi.mocked(listen).mockResolvedValue(() => {});
  });

  it("offers the demo when there is no project, and shows its board after creating it", async () => {
    backend([], {});
    const user = userEvent.setup();
    renderWithClient(<App />);

    const button = await screen.findByTestId("create-demo");
    expect(button).toHaveTextContent("Create demo project");
    expect(screen.queryByTestId("task-card")).not.toBeInTheDocument();

    await user.click(button);
    expect(commandsCalled()).toContain("create_demo_project");
    // The board is asked for once the demo's creation has answered: not necessarily by the time the click returns.
    await waitFor(() => expect(invokeMock).toHaveBeenCalledWith("get_board", { projectId: "demo" }));

    const cards = await screen.findAllByTestId("task-card");
    expect(cards.map((c) => c.getAttribute("data-task-id"))).toEqual(["d1", "d2"]);
    expect(screen.getByText("Write the README")).toBeInTheDocument();
    expect(screen.queryByTestId("create-demo")).not.toBeInTheDocument();
    const item = await screen.findByTestId("project-item");
    expect(item).toHaveTextContent("YokeFlow demo");
    expect(item).toHaveTextContent("1/2");
  });

  it("selects the first project and lets another be chosen", async () => {
    const a = project({ id: "a", name: "Alpha", repo_path: "/src/alpha", is_demo: false });
    const b = project({ id: "b", name: "Beta", repo_path: "/src/beta", is_demo: false });
    backend([summary(a, 1, 0), summary(b, 1, 1)], {
      a: board([task("a1", { title: "Alpha task" })], a),
      b: board([task("b1", { title: "Beta task", status: "done" })], b),
    });
    const user = userEvent.setup();
    renderWithClient(<App />);

    expect(await screen.findByText("Alpha task")).toBeInTheDocument();
    const items = screen.getAllByTestId("project-item");
    expect(items.map((i) => i.textContent)).toEqual([expect.stringContaining("alpha"), expect.stringContaining("beta")]);
    await user.click(items[1]!);
    expect(await screen.findByText("Beta task")).toBeInTheDocument();
    expect(within(screen.getByTestId("column-done")).getByTestId("column-count")).toHaveTextContent("1");
  });

  it("shows a failed command as a dismissible toast with its code", async () => {
    invokeMock.mockImplementation((command) =>
      command === "list_projects"
        ? Promise.reject({ code: "database", message: "database error: disk I/O error" })
        : Promise.reject("unexpected"),
    );
    const user = userEvent.setup();
    renderWithClient(<App />);

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "database");
    expect(toast).toHaveTextContent("database error: disk I/O error");
    expect(screen.getByTestId("error-state")).toBeInTheDocument();
    expect(screen.getByRole("navigation", { name: "Projects" })).toHaveTextContent("Couldn't load projects");

    await user.click(within(toast).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("reloads on Refresh", async () => {
    const a = project({ id: "a", name: "Alpha" });
    const boards = { a: board([task("a1")], a) };
    backend([summary(a, 1, 0)], boards);
    const user = userEvent.setup();
    renderWithClient(<App />);
    await screen.findAllByTestId("task-card");

    boards.a = board([task("a1"), task("a2", { status: "review" })], a);
    await user.click(screen.getByTestId("refresh"));
    await waitFor(() => expect(screen.getAllByTestId("task-card")).toHaveLength(2));
    expect(commandsCalled().filter((c) => c === "list_projects").length).toBeGreaterThanOrEqual(2);
  });

  it("adds a repository from the sidebar and opens it; a refusal keeps the path and says why", async () => {
    backend([], {});
    const user = userEvent.setup();
    renderWithClient(<App />);
    const field = await screen.findByTestId("add-project-path");
    const add = screen.getByTestId("add-project-submit");
    expect(add).toBeDisabled();

    await user.type(field, "/tmp/not-a-repo");
    await user.click(add);
    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-error-code", "not_a_repository");
    expect(toast).toHaveTextContent("`/tmp/not-a-repo` is not inside a git repository");
    expect(field).toHaveValue("/tmp/not-a-repo");
    expect(screen.queryByTestId("project-item")).not.toBeInTheDocument();

    await user.clear(field);
    await user.type(field, "  /code/shop ");
    await user.click(add);
    expect(await screen.findByText("Add the cart")).toBeInTheDocument();
    expect(invokeMock).toHaveBeenCalledWith("add_project", { path: "/code/shop" });
    expect(screen.getByTestId("project-item")).toHaveAttribute("data-project-id", "shop");
    expect(field).toHaveValue("");
  });

  it("creates a project from an app spec: selected, summed up, and its Draft tasks dialog opens on the spec", async () => {
    const a = project({ id: "a", name: "Alpha", repo_path: "/src/alpha" });
    backend([summary(a, 1, 0)], { a: board([task("a1", { title: "Alpha task" })], a) });
    const user = userEvent.setup();
    renderWithClient(<App />);
    expect(await screen.findByText("Alpha task")).toBeInTheDocument();

    await user.click(screen.getByTestId("new-project"));
    const dialog = screen.getByRole("dialog", { name: "New project from a spec" });
    await user.type(within(dialog).getByLabelText("Project folder"), " /code/shop ");
    await user.type(within(dialog).getByLabelText("App spec (Markdown)"), "/specs/shop.md ");
    await user.click(within(dialog).getByTestId("new-project-create"));

    const draft = await screen.findByTestId("draft-dialog");
    expect(within(draft).getByTestId("draft-spec")).toHaveValue("/specs/shop.md");
    expect(within(draft).getByTestId("draft-start")).toBeEnabled();
    expect(screen.queryByTestId("new-project-dialog")).not.toBeInTheDocument();
    expect(invokeMock).toHaveBeenCalledWith("init_project", { path: "/code/shop", spec: "/specs/shop.md" });
    const selected = screen.getAllByTestId("project-item").find((item) => item.getAttribute("aria-current") === "true");
    expect(selected).toHaveAttribute("data-project-id", "shop");
    const toast = screen.getByTestId("toast");
    expect(toast).toHaveAttribute("data-tone", "info");
    expect(toast).toHaveTextContent("Created shop: 2 files, experts: api, frontend; committed abc1234");
    // The person presses Draft: nothing is drafted before.
    expect(commandsCalled()).not.toContain("draft_tasks");
  });

  it("shows a refused new project in its dialog only; Escape closes it", async () => {
    const a = project({ id: "a", name: "Alpha", repo_path: "/src/alpha" });
    backend([summary(a, 1, 0)], { a: board([task("a1", { title: "Alpha task" })], a) });
    const user = userEvent.setup();
    renderWithClient(<App />);
    expect(await screen.findByText("Alpha task")).toBeInTheDocument();

    const opener = screen.getByTestId("new-project");
    await user.click(opener);
    await user.type(screen.getByTestId("new-project-path"), "/code/mono/shop");
    await user.type(screen.getByTestId("new-project-spec"), "/specs/shop.md");
    await user.click(screen.getByTestId("new-project-create"));

    const error = await screen.findByTestId("new-project-error");
    expect(error).toHaveAttribute("data-error-code", "invalid_input");
    expect(error).toHaveTextContent("`/code/mono/shop` is inside the git repository `/code/mono`");
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
    expect(screen.queryByTestId("draft-dialog")).not.toBeInTheDocument();
    expect(screen.getAllByTestId("project-item").map((item) => item.dataset.projectId)).toEqual(["a"]);
    expect(screen.getAllByTestId("project-item")[0]).toHaveAttribute("aria-current", "true");

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("new-project-dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
  });
});
