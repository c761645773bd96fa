import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Accepted, DraftPreview, ErrorDto, TaskDraft } from "../../bindings";
import { queryKeys } from "../../queries";
import { board, executionPlan } from "../../test/fixtures";
import { renderWithClient } from "../../test/render";
import { DraftDialog } from "./DraftDialog";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

type Props = ComponentProps<typeof DraftDialog>;

function draftTask(id: string, overrides: Partial<TaskDraft> = {}): TaskDraft {
  return { id, title: `Task ${id}`, description: "", epic: null, depends_on: [], files: [], effort_minutes: 30, priority: 0, ...overrides };
}

function preview(overrides: Partial<DraftPreview> = {}): DraftPreview {
  return {
    draft_id: "draft-7",
    text: "tasks:\n  - id: oauth-config\n",
    issues: [],
    attempts: 2,
    epics: [{ id: "auth", title: "Sign in", description: "" }],
    tasks: [
      draftTask("oauth-config", { title: "OAuth settings", epic: "auth", files: ["src/config.ts"], effort_minutes: 30 }),
      draftTask("oauth-login", { title: "Login with OAuth", epic: "auth", depends_on: ["oauth-config"], files: ["src/auth/**"], effort_minutes: 45 }),
      draftTask("login-page", { title: "Login page", depends_on: ["oauth-config"], files: ["src/pages/login.tsx"], effort_minutes: 15 }),
    ],
    plan: executionPlan(
      {
        batches: [
          { batch_id: "batch-1", task_ids: ["oauth-config"], can_parallel: false, depends_on: [] },
          { batch_id: "batch-2", task_ids: ["oauth-login", "login-page"], can_parallel: true, depends_on: ["batch-1"] },
        ],
        conflict_groups: [{ files: ["src/auth/**"], tasks: ["oauth-login", "login-page"] }],
      },
      { total_effort: 90, predicted_makespan: 75, workers: 2 },
    ),
    changes: { added: ["oauth-config", "oauth-login"], changed: ["login-page"], removed: ["old-login"], kept: ["started-one"] },
    cost_usd: 0.42,
    log_path: "/r/.yokeflow/logs/draft-7.jsonl",
    ...overrides,
  };
}

const ACCEPTED: Accepted = {
  summary: { added: ["oauth-config", "oauth-login"], updated: ["login-page"], removed: ["old-login"], kept: [], plan_warning: null },
  file: "/r/yokeflow.yaml",
};

/** What `draft_tasks` answers next: a preview, a refusal, or a promise the test settles. */
let draftAnswer: () => Promise<DraftPreview>;
/** `accept_draft` rejects with this while set. */
let acceptRefusal: ErrorDto | null;

beforeEach(() => {
  draftAnswer = () => Promise.resolve(preview());
  acceptRefusal = null;
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string) => {
    switch (command) {
      case "draft_tasks":
        return draftAnswer();
      case "accept_draft":
        return acceptRefusal === null ? Promise.resolve(ACCEPTED) : Promise.reject(acceptRefusal);
      case "discard_draft":
        return Promise.resolve(null);
      case "pending_commands":
        return Promise.resolve([{ kind: "agent", argv: ["my-agent", "--print"] }]);
      case "approve_commands":
        return Promise.resolve(null);
      default:
        return Promise.reject({ code: "unknown", message: `unexpected ${command}` });
    }
  });
});

afterEach(() => {
  vi.useRealTimers();
});

function renderDialog(overrides: Partial<Props> = {}) {
  const props: Props = {
    projectId: "p1",
    epics: board([]).epics,
    onClose: vi.fn(),
    onAccepted: vi.fn(),
    onError: vi.fn(),
    ...overrides,
  };
  return { ...renderWithClient(<DraftDialog {...props} />), props };
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args as Record<string, unknown>);
}

/** Asks for a draft from a goal and waits for its preview. */
async function drafted(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
  await user.click(screen.getByTestId("draft-start"));
  return screen.findByTestId("draft-preview");
}

describe("DraftDialog", () => {
  it("offers Draft only once an app spec or a goal is given", async () => {
    const user = userEvent.setup();
    renderDialog();
    expect(screen.getByRole("dialog", { name: "Draft tasks with the agent" })).toHaveAttribute("data-testid", "draft-dialog");
    expect(screen.getByTestId("draft-spec")).toHaveFocus();
    const start = screen.getByTestId("draft-start");
    expect(start).toBeDisabled();

    await user.type(screen.getByTestId("draft-goal"), "   ");
    expect(start).toBeDisabled();
    await user.selectOptions(screen.getByTestId("draft-epic"), "checkout");
    expect(start).toBeDisabled();
    await user.type(screen.getByTestId("draft-spec"), "/r/docs/spec.md");
    expect(start).toBeEnabled();
    await user.clear(screen.getByTestId("draft-spec"));
    expect(start).toBeDisabled();
    await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
    expect(start).toBeEnabled();
    expect(callsOf("draft_tasks")).toEqual([]);
  });

  it("starts with the app spec it was opened with (a project just created from it), ready to draft", async () => {
    const user = userEvent.setup();
    renderDialog({ initialSpec: "/specs/shop.md" });
    expect(screen.getByTestId("draft-spec")).toHaveValue("/specs/shop.md");
    expect(screen.getByTestId("draft-goal")).toHaveValue("");
    const start = screen.getByTestId("draft-start");
    expect(start).toBeEnabled();
    await user.click(start);
    expect(await screen.findByTestId("draft-preview")).toBeInTheDocument();
    expect(callsOf("draft_tasks")).toEqual([{ projectId: "p1", spec: "/specs/shop.md", goal: null, epic: null }]);
  });

  it("shows the agent at work while the draft is pending: the form disabled, the seconds elapsed", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    vi.setSystemTime(1_000_000);
    let answer: (p: DraftPreview) => void = () => {};
    draftAnswer = () => new Promise<DraftPreview>((resolve) => (answer = resolve));
    const user = userEvent.setup();
    renderDialog();
    await user.type(screen.getByTestId("draft-spec"), "  /r/docs/spec.md ");
    await user.selectOptions(screen.getByTestId("draft-epic"), "checkout");
    await user.click(screen.getByTestId("draft-start"));

    const busy = await screen.findByTestId("draft-busy");
    expect(busy).toHaveTextContent("The agent is drafting the tasks… this can take a few minutes");
    expect(busy).toHaveFocus();
    expect(screen.getByTestId("draft-elapsed")).toHaveTextContent("0 s");
    for (const id of ["draft-spec", "draft-goal", "draft-epic"]) expect(screen.getByTestId(id)).toBeDisabled();
    expect(screen.queryByTestId("draft-start")).not.toBeInTheDocument();
    expect(callsOf("draft_tasks")).toEqual([{ projectId: "p1", spec: "/r/docs/spec.md", goal: null, epic: "checkout" }]);

    act(() => {
      vi.advanceTimersByTime(3_000);
    });
    expect(screen.getByTestId("draft-elapsed")).toHaveTextContent("3 s");
    act(() => {
      vi.advanceTimersByTime(62_000);
    });
    expect(screen.getByTestId("draft-elapsed")).toHaveTextContent("65 s");

    act(() => answer(preview()));
    expect(await screen.findByTestId("draft-preview")).toBeInTheDocument();
    expect(screen.queryByTestId("draft-busy")).not.toBeInTheDocument();
    expect(screen.getByTestId("draft-asked")).toHaveTextContent("Drafted from /r/docs/spec.md for the epic Checkout.");
  });

  it("previews the tasks, their plan and the changes, saying which Backlog tasks accepting removes", async () => {
    const user = userEvent.setup();
    renderDialog();
    const shown = await drafted(user);
    expect(within(shown).getByTestId("draft-summary")).toHaveTextContent(
      "3 tasks, 1 epic · fixed after its first version was refused · $0.42",
    );

    const rows = within(shown).getAllByTestId("draft-task");
    expect(rows.map((row) => row.dataset.taskId)).toEqual(["oauth-config", "oauth-login", "login-page"]);
    expect(rows[1]!.textContent).toBe("oauth-loginLogin with OAuthSign inoauth-configsrc/auth/**45 min");

    const plan = within(shown).getByTestId("draft-batches");
    expect(within(plan).getAllByTestId("draft-batch").map((b) => b.textContent)).toEqual([
      "Batch 1 oauth-config",
      "Batch 2 oauth-login, login-page · in parallel",
    ]);
    expect(within(plan).getByTestId("draft-plan-summary")).toHaveTextContent(
      "2 batches · predicted 1 h 15 min with 2 workers, 1 h 30 min one after another · 1 conflict group",
    );

    const changes = within(shown).getByTestId("draft-changes");
    const change = (kind: string) => within(changes).getAllByTestId("draft-change").find((c) => c.dataset.change === kind);
    expect(change("added")).toHaveTextContent("New (2)oauth-config, oauth-login");
    expect(change("changed")).toHaveTextContent("Changed (1)login-page");
    expect(change("removed")).toHaveTextContent("Removed from the Backlog on Accept (1)old-login");
    expect(change("kept")).toHaveTextContent("kept (1)started-one");
    expect(screen.getByTestId("draft-removes")).toHaveTextContent("Accepting removes 1 Backlog task.");

    const file = within(shown).getByTestId("draft-text");
    expect(file.tagName).toBe("DETAILS");
    expect(file).not.toHaveAttribute("open");
    expect(file).toHaveTextContent("id: oauth-config");
    expect(screen.getByTestId("draft-accept")).toBeEnabled();
    expect(screen.queryByTestId("draft-issues")).not.toBeInTheDocument();
  });

  it("accepts the draft by its id: the board, plan and projects are read again, and the dialog closes", async () => {
    const user = userEvent.setup();
    const { props, client } = renderDialog();
    const invalidated = vi.spyOn(client, "invalidateQueries");
    await drafted(user);
    await user.click(screen.getByTestId("draft-accept"));

    await waitFor(() => expect(props.onClose).toHaveBeenCalledTimes(1));
    expect(callsOf("accept_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]);
    expect(props.onAccepted).toHaveBeenCalledWith(ACCEPTED, expect.objectContaining({ draft_id: "draft-7" }));
    const keys = invalidated.mock.calls.map(([filters]) => filters?.queryKey);
    expect(keys).toContainEqual(queryKeys.board("p1"));
    expect(keys).toContainEqual(queryKeys.plan("p1"));
    expect(keys).toContainEqual(queryKeys.projects());
    expect(callsOf("discard_draft")).toEqual([]);
  });

  it("lists the issues of a draft still invalid after the agent's fix, and offers only Discard", async () => {
    draftAnswer = () =>
      Promise.resolve(
        preview({
          issues: [
            { task: "oauth-login", location: "tasks[1]", field: "depends_on", line: null, message: "unknown dependency `nope`" },
            { task: null, location: null, field: null, line: 3, message: "bad indentation" },
          ],
          plan: null,
        }),
      );
    const user = userEvent.setup();
    const { props } = renderDialog();
    const shown = await drafted(user);
    const issues = within(shown).getByTestId("draft-issues");
    expect(issues).toHaveTextContent("The draft is not valid (2 issues)");
    expect(within(issues).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "tasks[1] (oauth-login) · depends_on: unknown dependency `nope`",
      "line 3: bad indentation",
    ]);
    expect(issues).toHaveTextContent("/r/.yokeflow/logs/draft-7.jsonl");
    expect(within(shown).getByTestId("draft-summary")).toHaveTextContent("still invalid after the agent's fix");
    expect(screen.queryByTestId("draft-batches")).not.toBeInTheDocument();
    expect(screen.queryByTestId("draft-accept")).not.toBeInTheDocument();
    expect(screen.queryByTestId("draft-removes")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("draft-discard"));
    expect(props.onClose).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]));
    expect(callsOf("accept_draft")).toEqual([]);
  });

  it("discards the draft on Discard", async () => {
    const user = userEvent.setup();
    const { props } = renderDialog();
    await drafted(user);
    await user.click(screen.getByTestId("draft-discard"));
    expect(props.onClose).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]));
  });

  it("discards the draft on Escape after a preview", async () => {
    const user = userEvent.setup();
    const { props } = renderDialog();
    const shown = await drafted(user);
    expect(shown.parentElement).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]));
  });

  it("only closes on Escape before a preview", async () => {
    const user = userEvent.setup();
    const { props } = renderDialog();
    await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(1);
    expect(invokeMock).not.toHaveBeenCalled();
  });

  it("discards a draft that arrives once the dialog is gone", async () => {
    let answer: (p: DraftPreview) => void = () => {};
    draftAnswer = () => new Promise<DraftPreview>((resolve) => (answer = resolve));
    const user = userEvent.setup();
    const { unmount } = renderDialog();
    await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
    await user.click(screen.getByTestId("draft-start"));
    await screen.findByTestId("draft-busy");
    unmount();
    answer(preview({ draft_id: "late-1" }));
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "late-1" }]));
  });

  it("discards the draft shown when the dialog goes without a choice (another project chosen)", async () => {
    const user = userEvent.setup();
    const { unmount } = renderDialog();
    await drafted(user);
    unmount();
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]));
  });

  it("shows a refused accept by its code and stays open, the draft kept", async () => {
    acceptRefusal = { code: "move_refused", message: "a run of this project is going: accept the draft once it has finished" };
    const user = userEvent.setup();
    const { props } = renderDialog();
    await drafted(user);
    await user.click(screen.getByTestId("draft-accept"));

    const error = await screen.findByTestId("draft-error");
    expect(error).toHaveAttribute("data-error-code", "move_refused");
    expect(error).toHaveTextContent("Not now. a run of this project is going");
    expect(props.onClose).not.toHaveBeenCalled();
    expect(props.onAccepted).not.toHaveBeenCalled();
    expect(screen.getByTestId("draft-preview")).toBeInTheDocument();
    expect(screen.getByTestId("draft-accept")).toBeEnabled();
    expect(callsOf("discard_draft")).toEqual([]);

    // Still the draft shown: Discard drops it.
    await user.click(screen.getByTestId("draft-discard"));
    await waitFor(() => expect(callsOf("discard_draft")).toEqual([{ projectId: "p1", draftId: "draft-7" }]));
  });

  it("shows why the agent could not draft, by its code, and lets the person try again", async () => {
    draftAnswer = () => Promise.reject({ code: "agent_not_found", message: "`claude` was not found on PATH" });
    const user = userEvent.setup();
    renderDialog();
    await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
    await user.click(screen.getByTestId("draft-start"));

    const error = await screen.findByTestId("draft-error");
    expect(error).toHaveAttribute("data-error-code", "agent_not_found");
    expect(error).toHaveTextContent("The project's agent was not found. `claude` was not found on PATH");
    expect(screen.queryByTestId("draft-busy")).not.toBeInTheDocument();
    expect(screen.getByTestId("draft-goal")).toBeEnabled();
    expect(screen.getByTestId("draft-goal")).toHaveValue("add OAuth login");
    expect(screen.getByTestId("draft-start")).toHaveFocus();
    expect(screen.queryByTestId("draft-approval")).not.toBeInTheDocument();

    draftAnswer = () => Promise.resolve(preview());
    await user.click(screen.getByTestId("draft-start"));
    expect(await screen.findByTestId("draft-preview")).toBeInTheDocument();
    expect(screen.queryByTestId("draft-error")).not.toBeInTheDocument();
  });

  it("asks to approve the agent command when it is not approved, then drafts again", async () => {
    draftAnswer = () => Promise.reject({ code: "command_not_approved", message: "the agent command needs approval" });
    const user = userEvent.setup();
    renderDialog();
    await user.type(screen.getByTestId("draft-goal"), "add OAuth login");
    await user.click(screen.getByTestId("draft-start"));

    expect(await screen.findByTestId("draft-error")).toHaveAttribute("data-error-code", "command_not_approved");
    const command = await screen.findByTestId("draft-approval-command");
    expect(Array.from(command.querySelectorAll("code"), (arg) => arg.textContent)).toEqual(["my-agent", "--print"]);

    draftAnswer = () => Promise.resolve(preview());
    await user.click(screen.getByTestId("draft-approve"));
    expect(await screen.findByTestId("draft-preview")).toBeInTheDocument();
    expect(callsOf("approve_commands")).toEqual([{ projectId: "p1", commands: [{ kind: "agent", argv: ["my-agent", "--print"] }] }]);
    expect(callsOf("draft_tasks")).toHaveLength(2);
  });
});
