import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ComponentProps } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ErrorDto, SessionLog, TaskFileIssue, TaskLog, TaskPlaces, TestLog } from "../../bindings";
import { LogStore, type LogItem } from "../../runStore";
import { board, task } from "../../test/fixtures";
import { useQueryErrorToasts } from "../../hooks/useQueryErrorToasts";
import { renderWithClient, renderWithStores } from "../../test/render";
import { useUiState } from "../../uiStore";
import { Toasts } from "../Toasts/Toasts";
import { FOLLOW_UP_AFTER_RUN, LogPane } from "./LogPane";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

type Props = ComponentProps<typeof LogPane>;

const said = (text: string, sessionId = "live"): LogItem => ({ kind: "text", tool: null, text, isError: false, sessionId });

function session(overrides: Partial<SessionLog> = {}): SessionLog {
  return {
    session_id: "s1",
    agent_session_id: "agent-1",
    outcome: "refused",
    agent_kind: "claude_code",
    started_at: 1,
    ended_at: 2,
    exit_code: 0,
    cost_usd: 0.0712,
    input_tokens: 11_436,
    output_tokens: 200,
    turns: 4,
    denials: [{ tool: "Bash", input: "npm install left-pad" }],
    suggested_rules: ["Bash(npm install:*)"],
    remark: null,
    sandboxed: true,
    log_path: "/tmp/s1.log",
    entries_total: 4,
    entries: [
      { kind: "tool_call", tool: "Write", text: "hello.txt", is_error: false },
      { kind: "tool_result", tool: "Write", text: "File created", is_error: false },
      { kind: "permission_denied", tool: "Bash", text: "npm install left-pad", is_error: true },
      { kind: "result", tool: null, text: "Task one is done.", is_error: false },
    ],
    ...overrides,
  };
}

let stored: TaskLog;
/** What `task_test_log` answers (`null`: `not_found`, its tests did not fail). */
let testLog: TestLog | null;
/** What `task_places` answers. */
let places: TaskPlaces;
/** What `check_card_edit` finds wrong with a removal. */
let removalIssues: TaskFileIssue[];
/** `edit_tasks` rejects with this while set. */
let editRefusal: ErrorDto | null;

beforeEach(() => {
  stored = { task_id: "a", sessions: [], cost_usd: null };
  testLog = null;
  places = { worktree: null, agent_log: null, test_log: null };
  removalIssues = [];
  editRefusal = null;
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string, args: Record<string, unknown>) => {
    switch (command) {
      case "task_log":
        return Promise.resolve(stored);
      case "task_test_log":
        return testLog === null ? Promise.reject({ code: "not_found", message: "test log of task a not found" }) : Promise.resolve(testLog);
      case "task_places":
        return Promise.resolve(places);
      case "task_diff":
        return Promise.resolve({
          task_id: "a",
          source: "worktree",
          base: "b1",
          head: "h1",
          additions: 1,
          deletions: 0,
          truncated: false,
          files: [
            {
              path: "src/cart.rs",
              old_path: null,
              change: "added",
              additions: 1,
              deletions: 0,
              binary: false,
              folded: false,
              patch: "diff --git a/src/cart.rs b/src/cart.rs\nnew file mode 100644\n--- /dev/null\n+++ b/src/cart.rs\n@@ -0,0 +1 @@\n+fn cart() {}\n",
            },
          ],
        });
      case "send_feedback":
        return Promise.resolve({ kind: "started", run_id: "r9" });
      case "discard_work":
        return Promise.resolve({ task_id: "a", branch: "yokeflow/a-1", kept_at: "refs/yokeflow/discarded/a-1", commit: "c1" });
      case "tool_permissions":
        return Promise.resolve({ effective: ["Bash(git add:*)", "Bash(npm install:*)"], allowed: ["Bash(npm install:*)"] });
      case "revoke_tool":
        return Promise.resolve({ effective: ["Bash(git add:*)"], allowed: [] });
      case "check_card_edit":
        return Promise.resolve(removalIssues);
      case "edit_tasks":
        return editRefusal === null
          ? Promise.resolve({ summary: { added: [], updated: [], removed: ["a"], kept: [], plan_warning: null }, file: null })
          : Promise.reject(editRefusal);
      case "allow_tool":
        return Promise.resolve({ effective: ["Bash(git add:*)", args.rule], allowed: [args.rule] });
      default:
        return Promise.reject({ code: "unknown", message: `unexpected ${command}` });
    }
  });
});

/** A pane's props: task `a`, no run going, every callback a mock. */
function paneProps(overrides: Partial<Props> = {}): Props {
  return {
    projectId: "p1",
    task: task("a", { title: "Cart API", description: "Add the cart endpoints" }),
    columns: board([]).columns,
    logs: new LogStore(),
    slot: undefined,
    runActive: false,
    onRetry: vi.fn(() => Promise.resolve()),
    onRetryMerge: vi.fn(() => Promise.resolve()),
    onMergeNow: vi.fn(() => Promise.resolve()),
    onOpenFolder: vi.fn(),
    onError: vi.fn(),
    onClose: vi.fn(),
    ...overrides,
  };
}

function renderPane(overrides: Partial<Props> = {}) {
  const props = paneProps(overrides);
  return { ...renderWithClient(<LogPane {...props} />), props };
}

function rows(list: HTMLElement) {
  return within(list).getAllByRole("listitem").map((row) => row.textContent);
}

describe("LogPane", () => {
  it("shows the task's details and streams its transcript, not another task's", () => {
    const logs = new LogStore();
    logs.append("a", said("writing src/cart.ts"));
    renderPane({
      logs,
      task: task("a", { title: "Cart API", description: "Add the cart endpoints", predicted_files: [{ path: "src/cart.ts", reason: "declared" }] }),
    });
    const pane = screen.getByTestId("log-pane");
    expect(pane).toHaveAttribute("data-task-id", "a");
    expect(pane).toHaveTextContent("Add the cart endpoints");
    expect(within(pane).getByTestId("predicted-files")).toHaveTextContent("src/cart.ts");
    expect(rows(within(pane).getByTestId("log-lines"))).toEqual(["writing src/cart.ts"]);

    act(() => {
      logs.append("a", said("tests pass"), { kind: "tool_call", tool: "Bash", text: "cargo test", isError: false, sessionId: "live" });
      logs.append("b", said("not this task"));
    });
    expect(rows(within(pane).getByTestId("log-lines"))).toEqual(["writing src/cart.ts", "tests pass", "Bash cargo test"]);
  });

  it("says so while there is no output", async () => {
    renderPane();
    expect(screen.getByTestId("log-lines")).toHaveTextContent("No output yet.");
    await waitFor(() => expect(invokeMock).toHaveBeenCalledWith("task_log", { projectId: "p1", taskId: "a" }));
  });

  it("shows stored sessions with their cost and refusals, and allows a refused tool for the project", async () => {
    stored = { task_id: "a", sessions: [session()], cost_usd: 0.0712 };
    const review = task("a", { status: "review", review_reason: "the agent was refused `Bash(npm install left-pad)`", cost_usd: 0.0712 });
    renderPane({ task: review });
    const past = await screen.findByTestId("stored-session");
    expect(past).toHaveAttribute("data-outcome", "refused");
    expect(past).toHaveTextContent("refused a tool · $0.07 · 11,436 tokens in, 200 out · 4 turns · sandboxed");
    expect(within(past).getAllByRole("listitem").map((row) => row.getAttribute("data-kind"))).toEqual([
      "tool_call",
      "tool_result",
      "permission_denied",
      "result",
    ]);
    expect(screen.getByTestId("task-cost")).toHaveTextContent("$0.07");
    expect(screen.getByTestId("log-review-reason")).toHaveTextContent("refused `Bash(npm install left-pad)`");

    await userEvent.setup().click(screen.getByTestId("allow-tool"));
    expect(invokeMock).toHaveBeenCalledWith("allow_tool", { projectId: "p1", rule: "Bash(npm install:*)" });
    expect(await screen.findByTestId("tool-allowed")).toHaveTextContent("Bash(npm install:*) allowed");
  });

  it("does not repeat a stored session that streamed live here", async () => {
    stored = { task_id: "a", sessions: [session({ session_id: "live", outcome: "succeeded", suggested_rules: [], denials: [] })], cost_usd: 0 };
    const logs = new LogStore();
    logs.append("a", said("from the live stream"));
    renderPane({ logs, task: task("a", { status: "in_progress" }) });
    await waitFor(() => expect(invokeMock).toHaveBeenCalledWith("task_log", expect.anything()));
    expect(screen.queryByTestId("stored-session")).not.toBeInTheDocument();
    expect(rows(screen.getByTestId("log-lines"))).toEqual(["from the live stream"]);
  });

  it("sends feedback, and says where it went", async () => {
    renderPane({ task: task("a", { status: "review", review_reason: "the agent made no change" }) });
    const user = userEvent.setup();
    expect(screen.getByTestId("feedback-send")).toBeDisabled();
    await user.type(screen.getByTestId("feedback-text"), "Also handle the empty cart");
    await user.click(screen.getByTestId("feedback-send"));
    expect(invokeMock).toHaveBeenCalledWith("send_feedback", { projectId: "p1", taskId: "a", remark: "Also handle the empty cart" });
    expect(await screen.findByTestId("feedback-sent")).toHaveTextContent("a run of its own started");
    expect(screen.getByTestId("feedback-text")).toHaveValue("");
  });

  it("says a task without work has no diff yet, with no error toast besides", async () => {
    const answer = invokeMock.getMockImplementation()!;
    invokeMock.mockImplementation((command: string, args: Record<string, unknown>): Promise<unknown> =>
      command === "task_diff"
        ? Promise.reject({ code: "not_found", message: "work of task `a` not found" })
        : (answer(command, args) as Promise<unknown>),
    );
    function WithToasts() {
      useQueryErrorToasts();
      return <Toasts toasts={useUiState().toasts} onDismiss={() => {}} />;
    }
    renderWithStores(
      <>
        <LogPane {...paneProps({ task: task("a") })} />
        <WithToasts />
      </>,
    );
    await userEvent.setup().click(screen.getByTestId("tab-diff"));
    expect(await screen.findByText("No work to show yet: its agent has not started.")).toBeInTheDocument();
    expect(screen.queryByTestId("toast")).not.toBeInTheDocument();
  });

  it("shows the diff from the core, unified or split, with syntax colours", async () => {
    renderPane({ task: task("a", { status: "in_progress" }) });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("tab-diff"));
    const panel = await screen.findByTestId("diff-panel");
    expect(panel).toHaveAttribute("data-source", "worktree");
    expect(within(panel).getByTestId("diff-summary")).toHaveTextContent("1 file · +1 −0");
    const file = within(panel).getByTestId("diff-file");
    expect(file).toHaveAttribute("data-path", "src/cart.rs");
    expect(file).toHaveTextContent("fn cart() {}");
    expect(file.querySelector(".token.keyword")).toHaveTextContent("fn");
    await user.click(within(panel).getByRole("button", { name: "Split" }));
    expect(within(panel).getByRole("button", { name: "Split" })).toHaveAttribute("aria-pressed", "true");
  });

  it("offers Retry and Retry merge for a task in review, with a run going or not", async () => {
    const review = task("a", { title: "Cart API", status: "review", review_reason: "merge conflict in src/cart.ts" });
    const { rerender, props } = renderPane({ task: review });
    expect(screen.getByTestId("log-review-reason")).toHaveTextContent("merge conflict in src/cart.ts");
    const user = userEvent.setup();
    // No run going: the core starts a run of its own for the action.
    await user.click(screen.getByTestId("retry-task"));
    await user.click(screen.getByTestId("retry-merge"));
    expect(props.onRetry).toHaveBeenCalledTimes(1);
    expect(props.onRetryMerge).toHaveBeenCalledTimes(1);

    rerender(<LogPane {...props} runActive />);
    await user.click(screen.getByTestId("retry-task"));
    await user.click(screen.getByTestId("retry-merge"));
    expect(props.onRetry).toHaveBeenLastCalledWith("a");
    expect(props.onRetryMerge).toHaveBeenLastCalledWith("a");
    expect(props.onRetry).toHaveBeenCalledTimes(2);
    expect(screen.queryByTestId("merge-now")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("open-folder"));
    expect(props.onOpenFolder).toHaveBeenCalledWith("a");
  });

  it("offers Merge now for a task in progress during a run, naming its lane as the run does", async () => {
    const { props, rerender } = renderPane({ task: task("a", { status: "in_progress" }), slot: 1, laneNames: ["lane-a", "lane-b"] });
    expect(screen.queryByTestId("merge-now")).not.toBeInTheDocument();
    rerender(<LogPane {...props} runActive />);
    expect(screen.getByTestId("log-pane")).toHaveTextContent("lane-b");
    await userEvent.setup().click(screen.getByTestId("merge-now"));
    expect(props.onMergeNow).toHaveBeenCalledWith("a");
    expect(screen.queryByTestId("retry-task")).not.toBeInTheDocument();
  });

  it("closes with its button or Escape", async () => {
    const { props } = renderPane();
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Close the log" }));
    await user.keyboard("{Escape}");
    expect(props.onClose).toHaveBeenCalledTimes(2);
  });

  it("discards a task's work only after a second, explicit click", async () => {
    renderPane({ task: task("a", { status: "review", review_reason: "tests failed" }) });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("discard-work"));
    expect(invokeMock).not.toHaveBeenCalledWith("discard_work", expect.anything());
    expect(screen.getByRole("group", { name: "Confirm discarding the work" })).toHaveTextContent("uncommitted changes");
    await user.click(screen.getByRole("button", { name: "Keep it" }));
    expect(screen.queryByTestId("discard-confirm")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("discard-work"));
    await user.click(screen.getByTestId("discard-confirm"));
    expect(invokeMock).toHaveBeenCalledWith("discard_work", { projectId: "p1", taskId: "a" });
  });

  it("offers no discard during a run", () => {
    renderPane({ task: task("a", { status: "review", review_reason: "tests failed" }), runActive: true });
    expect(screen.queryByTestId("discard-work")).not.toBeInTheDocument();
  });

  it("renders only the newest stored session's rows until an older one is opened", async () => {
    stored = {
      task_id: "a",
      sessions: [session({ session_id: "old", entries_total: 9_000 }), session({ session_id: "new", outcome: "succeeded" })],
      cost_usd: 0.14,
    };
    renderPane({ task: task("a", { status: "done" }) });
    await waitFor(() => expect(screen.getAllByTestId("stored-session")).toHaveLength(2));
    const [old, newest] = screen.getAllByTestId("stored-session");
    expect(within(old!).queryAllByRole("listitem")).toHaveLength(0);
    expect(within(newest!).getAllByRole("listitem")).toHaveLength(4);
    await userEvent.setup().click(within(old!).getByText("Session 1"));
    expect(within(old!).getAllByRole("listitem")).toHaveLength(4);
    expect(old).toHaveTextContent("8,996 earlier entries are in the log");
  });

  it("lists the tools agents may use, and takes back one a person allowed", async () => {
    renderPane({ task: task("a", { status: "review", review_reason: "x" }) });
    const user = userEvent.setup();
    await user.click(within(screen.getByTestId("tool-rules")).getByText("Tools its agents may use"));
    const revoke = await screen.findByTestId("revoke-tool");
    expect(screen.getByTestId("tool-rules")).toHaveTextContent("Bash(git add:*) default");
    await user.click(revoke);
    expect(invokeMock).toHaveBeenCalledWith("revoke_tool", { projectId: "p1", rule: "Bash(npm install:*)" });
    await waitFor(() => expect(screen.queryByTestId("revoke-tool")).not.toBeInTheDocument());
  });

  it("offers Edit task, which opens the task's form", async () => {
    const onEditTask = vi.fn();
    renderPane({ onEditTask, task: task("a", { status: "review", review_reason: "tests failed" }) });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("edit-task"));
    expect(onEditTask).toHaveBeenCalledWith("a");
    // Started work is never deleted.
    expect(screen.queryByTestId("delete-task")).not.toBeInTheDocument();
  });

  it("deletes a Backlog task only after a second, explicit click, then closes", async () => {
    const { props } = renderPane({ onEditTask: vi.fn() });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("delete-task"));
    expect(invokeMock).not.toHaveBeenCalledWith("edit_tasks", expect.anything());
    expect(screen.getByRole("group", { name: "Confirm deleting the task" })).toHaveTextContent("Delete this task");
    await user.click(within(screen.getByRole("group", { name: "Confirm deleting the task" })).getByRole("button", { name: "Keep it" }));
    expect(screen.queryByTestId("delete-task-confirm")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("delete-task"));
    await waitFor(() => expect(screen.getByTestId("delete-task-confirm")).toBeEnabled());
    await user.click(screen.getByTestId("delete-task-confirm"));
    expect(invokeMock).toHaveBeenCalledWith("edit_tasks", { projectId: "p1", edit: { kind: "remove_task", id: "a" } });
    await waitFor(() => expect(props.onClose).toHaveBeenCalledTimes(1));
  });

  it("says why a task cannot be deleted instead of offering it", async () => {
    removalIssues = [{ task: "a", location: null, field: "depends_on", line: null, message: "`b` depends on it: remove that dependency first" }];
    renderPane({ onEditTask: vi.fn() });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("delete-task"));
    expect(await screen.findByTestId("delete-task-blocked")).toHaveTextContent("`b` depends on it");
    expect(screen.getByTestId("delete-task-confirm")).toBeDisabled();
    expect(invokeMock).toHaveBeenCalledWith("check_card_edit", { projectId: "p1", edit: { kind: "remove_task", id: "a" } });
  });

  it("reports a refused deletion (a run is going) and stays open", async () => {
    editRefusal = { code: "move_refused", message: "a run of this project is going" };
    const { props } = renderPane({ onEditTask: vi.fn() });
    const user = userEvent.setup();
    await user.click(screen.getByTestId("delete-task"));
    await waitFor(() => expect(screen.getByTestId("delete-task-confirm")).toBeEnabled());
    await user.click(screen.getByTestId("delete-task-confirm"));
    await waitFor(() => expect(props.onError).toHaveBeenCalledWith(editRefusal));
    expect(props.onClose).not.toHaveBeenCalled();
  });

  it("offers neither edit nor delete without a form to open", () => {
    renderPane();
    expect(screen.queryByTestId("edit-task")).not.toBeInTheDocument();
    expect(screen.queryByTestId("delete-task")).not.toBeInTheDocument();
  });

  it("shows why the tests failed: the end of the test log, unfolded on request, its path to copy", async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    testLog = { path: "/repo/.yokeflow/logs/yokeflow-a-test.log", tail: `${lines.join("\n")}\n`, truncated: false, size: 200 };
    // user-event puts a clipboard of its own in place; the copied text is read back from it.
    const user = userEvent.setup();
    renderPane({ task: task("a", { status: "review", review_reason: `the tests failed on the merged tree (log: ${testLog.path})` }) });
    const panel = await screen.findByTestId("test-log");
    expect(within(panel).getByTestId("test-log-lines").textContent).toBe(lines.slice(10).join("\n"));
    expect(panel).toHaveTextContent("The last 20 of 30 lines");
    await user.click(within(panel).getByTestId("test-log-more"));
    expect(within(panel).getByTestId("test-log-lines").textContent).toBe(lines.join("\n"));
    expect(within(panel).queryByTestId("test-log-more")).not.toBeInTheDocument();

    const path = within(panel).getByTestId("test-log-path");
    expect(within(path).getByRole("textbox")).toHaveValue(testLog.path);
    await user.click(within(path).getByRole("button", { name: "Copy path" }));
    expect(await within(path).findByRole("button", { name: "Copied" })).toBeInTheDocument();
    expect(await navigator.clipboard.readText()).toBe(testLog.path);
  });

  it("selects the path for Ctrl+C where the clipboard is refused, and shows no test log where none failed", async () => {
    places = { worktree: "/repo/.yokeflow/worktrees/a-1", agent_log: "/data/logs/s1.log", test_log: null };
    const user = userEvent.setup();
    // The desktop refuses the clipboard.
    vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new Error("not allowed"));
    const { props } = renderPane({ task: task("a", { status: "review", review_reason: "merge conflict in a.rs" }) });
    const onDisk = await screen.findByTestId("task-places");
    await user.click(within(onDisk).getByText("On disk"));
    const worktree = within(onDisk).getByTestId("place-worktree");
    expect(within(worktree).getByRole("textbox")).toHaveValue(places.worktree);
    expect(within(onDisk).getByTestId("place-agent-log")).toHaveTextContent("agent log");
    await user.click(within(worktree).getByRole("button", { name: "Copy path" }));
    const field = within(worktree).getByRole("textbox");
    await waitFor(() => expect(field).toHaveFocus());
    expect(within(worktree).getByRole("button", { name: "Press Ctrl+C" })).toBeInTheDocument();
    expect((field as HTMLInputElement).selectionEnd).toBe(places.worktree!.length);
    await waitFor(() => expect(invokeMock.mock.calls.some(([c]) => c === "task_test_log")).toBe(true));
    expect(screen.queryByTestId("test-log")).not.toBeInTheDocument();
    expect(props.onError).not.toHaveBeenCalled();
  });

  it("offers feedback on landed work as a follow-up, and says before anyone types why not while a run goes", async () => {
    const user = userEvent.setup();
    const { rerender, props } = renderPane({ task: task("a", { status: "done" }), runActive: true });
    const form = screen.getByTestId("feedback-form");
    expect(within(form).getByTestId("feedback-blocked")).toHaveTextContent(FOLLOW_UP_AFTER_RUN);
    expect(within(form).getByTestId("feedback-text")).toBeDisabled();
    expect(within(form).getByTestId("feedback-send")).toBeDisabled();

    rerender(<LogPane {...props} runActive={false} />);
    expect(within(form).queryByTestId("feedback-blocked")).not.toBeInTheDocument();
    expect(form).toHaveTextContent("runs as a follow-up from the target branch");
    await user.type(within(form).getByTestId("feedback-text"), "say it twice");
    await user.click(within(form).getByTestId("feedback-send"));
    await waitFor(() => expect(invokeMock).toHaveBeenCalledWith("send_feedback", { projectId: "p1", taskId: "a", remark: "say it twice" }));
    expect(await within(form).findByTestId("feedback-sent")).toHaveTextContent("a run of its own started");
  });
});
