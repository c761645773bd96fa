import { screen, waitFor, within } from "@testing-library/react";
import userEvent, { type UserEvent } from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentPreset, ErrorDto, ProjectSettings, SettingIssue, ToolPermissions } from "../../bindings";
import { queryKeys } from "../../queries";
import { renderWithClient } from "../../test/render";
import { SettingsPanel } from "./SettingsPanel";

const invokeMock = vi.hoisted(() => vi.fn());
vi.mock("@tauri-apps/api/core", () => ({ invoke: invokeMock }));

const PRESETS: AgentPreset[] = [
  { id: "claude", name: "Claude Code", argv: ["claude", "-p", "--output-format", "stream-json", "{allowed_tools}", "{prompt}"], installed: true },
  { id: "codex", name: "Codex CLI", argv: ["codex", "exec", "--json", "--sandbox", "workspace-write", "{prompt}"], installed: true },
  { id: "aider", name: "Aider", argv: ["aider", "--yes-always", "--no-auto-commits", "--message", "{prompt}"], installed: false },
];

const STORED: ProjectSettings = {
  agent: ["codex", "exec", "--json", "--sandbox", "workspace-write", "{prompt}"],
  test_command: ["npm", "test"],
  setup: ["npm", "ci"],
  cleanup: null,
  worktree_include: [".env", "config/local.toml"],
  worktree_link: ["node_modules"],
  max_worktrees: 3,
  reuse_worktrees: false,
  agent_timeout_secs: 2700,
  max_cost_usd: 5,
  sandbox: true,
  sandbox_network: true,
  sandbox_caches: ["~/.npm"],
  preflight: true,
  parallel_tests: null,
  batch_size: 8,
};

/** What `get_settings` answers. */
let stored: ProjectSettings;
/** What `check_settings` answers for settings (default: nothing wrong). */
let checkAnswer: (settings: ProjectSettings) => SettingIssue[];
/** What `save_settings` answers for the settings sent (default: them, as stored). */
let saveAnswer: (settings: ProjectSettings) => ProjectSettings;
/** `save_settings` rejects with this while set. */
let saveRefusal: ErrorDto | null;
let rules: ToolPermissions;

/** What `agent_presets` answers. */
let presets: AgentPreset[];

beforeEach(() => {
  stored = STORED;
  presets = PRESETS;
  checkAnswer = () => [];
  saveAnswer = (settings) => settings;
  saveRefusal = null;
  rules = { effective: ["Edit", "Bash(npm test:*)", "Bash(make:*)"], allowed: ["Bash(make:*)"] };
  invokeMock.mockReset();
  invokeMock.mockImplementation((command: string, args: { settings: ProjectSettings; rule: string }) => {
    switch (command) {
      case "get_settings":
        return Promise.resolve(stored);
      case "agent_presets":
        return Promise.resolve(presets);
      case "check_settings":
        return Promise.resolve(checkAnswer(args.settings));
      case "save_settings":
        if (saveRefusal !== null) return Promise.reject(saveRefusal);
        stored = saveAnswer(args.settings);
        return Promise.resolve(stored);
      case "tool_permissions":
        return Promise.resolve(rules);
      case "disk_usage":
        return Promise.resolve({ worktrees: 2, free_slots: 1, worktree_bytes: 3 * 1024 ** 3, gate_bytes: 1536, log_bytes: 812, cache_bytes: 0 });
      case "allow_tool":
        rules = { effective: [...rules.effective, args.rule], allowed: [...rules.allowed, args.rule] };
        return Promise.resolve(rules);
      case "revoke_tool":
        rules = { effective: rules.effective.filter((r) => r !== args.rule), allowed: rules.allowed.filter((r) => r !== args.rule) };
        return Promise.resolve(rules);
      default:
        return Promise.reject({ code: "unknown", message: `unexpected ${command}` });
    }
  });
});

function renderPanel(isDemo = false) {
  const onSaved = vi.fn();
  const onError = vi.fn();
  return { ...renderWithClient(<SettingsPanel projectId="p1" isDemo={isDemo} onSaved={onSaved} onError={onError} />), onSaved, onError };
}

function callsOf(command: string) {
  return invokeMock.mock.calls.filter(([c]) => c === command).map(([, args]) => args as Record<string, unknown>);
}

/** The settings `check_settings` was asked about last. */
function lastChecked(): ProjectSettings | undefined {
  return callsOf("check_settings").at(-1)?.settings as ProjectSettings | undefined;
}

/** Replaces what a field holds with `text`, typed as is (newlines and braces too). */
async function replace(user: UserEvent, field: HTMLElement, text: string) {
  await user.clear(field);
  if (text !== "") await user.paste(text);
}

/** The form shown, once the settings were read. */
async function loaded() {
  return screen.findByTestId("settings-form");
}

describe("SettingsPanel", () => {
  it("reads and shows the stored settings, one argument and one pattern per line", async () => {
    renderPanel();
    expect(screen.getByTestId("settings-panel")).toBeInTheDocument();
    await loaded();
    expect(callsOf("get_settings")).toEqual([{ projectId: "p1" }]);

    await waitFor(() => expect(screen.getByLabelText("Agent")).toHaveValue("codex"));
    expect(screen.getByLabelText("Agent command")).toHaveValue("codex\nexec\n--json\n--sandbox\nworkspace-write\n{prompt}");
    expect(screen.getByLabelText("Test command")).toHaveValue("npm\ntest");
    expect(screen.getByLabelText("Setup")).toHaveValue("npm\nci");
    expect(screen.getByLabelText("Cleanup")).toHaveValue("");
    expect(screen.getByLabelText("Included files")).toHaveValue(".env\nconfig/local.toml");
    expect(screen.getByLabelText("Linked files")).toHaveValue("node_modules");
    expect(screen.getByLabelText("Worktrees at once")).toHaveValue(3);
    expect(screen.getByLabelText("Agent timeout (minutes)")).toHaveValue("45");
    expect(screen.getByLabelText("Budget per run (USD)")).toHaveValue("5");
    // The presets, the missing one said so.
    const options = within(screen.getByTestId("settings-agent-preset")).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["Claude Code (default)", "Codex CLI", "Aider — not installed", "Custom argv"]);
    // Nothing changed: nothing to save or revert.
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    expect(screen.getByTestId("settings-revert")).toBeDisabled();
    // The stored settings are checked too (nothing wrong).
    await waitFor(() => expect(lastChecked()).toEqual(STORED));
  });

  it("shows the default agent as its preset, fills the argv from a preset, and goes back to the default", async () => {
    stored = { ...STORED, agent: null };
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    const choice = screen.getByTestId("settings-agent-preset");
    const argv = screen.getByTestId("settings-agent");
    await waitFor(() => expect(choice).toHaveValue("claude"));
    expect(argv).toHaveValue(PRESETS[0]!.argv.join("\n"));

    await user.selectOptions(choice, "aider");
    expect(argv).toHaveValue("aider\n--yes-always\n--no-auto-commits\n--message\n{prompt}");
    expect(screen.getByTestId("settings-agent-missing")).toHaveTextContent("Aider is not installed");
    await waitFor(() => expect(lastChecked()?.agent).toEqual(PRESETS[2]!.argv));
    expect(screen.getByTestId("settings-save")).toBeEnabled();

    // Claude Code again: the default, stored as none, so nothing changed.
    await user.selectOptions(choice, "claude");
    expect(argv).toHaveValue(PRESETS[0]!.argv.join("\n"));
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeDisabled());
    expect(screen.getByTestId("settings-status")).toHaveTextContent("No changes.");

    // Custom: the argv stays, to edit; an edit that is no preset's keeps it custom.
    await user.selectOptions(choice, "custom");
    expect(choice).toHaveValue("custom");
    expect(argv).toHaveValue(PRESETS[0]!.argv.join("\n"));
    await user.type(argv, "{Enter}--verbose");
    expect(choice).toHaveValue("custom");
    await waitFor(() => expect(lastChecked()?.agent).toEqual([...PRESETS[0]!.argv, "--verbose"]));
  });

  it("sends each line as one argument, never joined into nor split from a shell string", async () => {
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    await replace(user, screen.getByLabelText("Agent command"), "my agent\n--message\nfix the cart; then {prompt}\n");
    expect(screen.getByTestId("settings-agent-preset")).toHaveValue("custom");
    await replace(user, screen.getByLabelText("Test command"), "bash\n-c\nnpm test && npm run lint");
    await replace(user, screen.getByLabelText("Setup"), "");
    await replace(user, screen.getByLabelText("Cleanup"), "rm\n-rf\ntmp dir");
    await replace(user, screen.getByLabelText("Included files"), " .env \n\nconfig/*.toml\n");
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    await user.click(screen.getByTestId("settings-save"));

    await waitFor(() => expect(callsOf("save_settings")).toHaveLength(1));
    expect(callsOf("save_settings")[0]).toEqual({
      projectId: "p1",
      settings: {
        ...STORED,
        agent: ["my agent", "--message", "fix the cart; then {prompt}"],
        test_command: ["bash", "-c", "npm test && npm run lint"],
        setup: null,
        cleanup: ["rm", "-rf", "tmp dir"],
        worktree_include: [".env", "config/*.toml"],
      },
    });
  });

  it("splits a command typed on one line into its arguments, with no shell, and shows how", async () => {
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    const test = screen.getByLabelText("Test command");
    await replace(user, test, "npm test -- --grep 'cart total'");
    const split = screen.getByTestId("settings-test_command-split");
    expect(Array.from(split.querySelectorAll("code"), (c) => c.textContent)).toEqual(["npm", "test", "--", "--grep", "cart total"]);
    await waitFor(() => expect(lastChecked()?.test_command).toEqual(["npm", "test", "--", "--grep", "cart total"]));
    // One argument a line: no preview, each line as typed.
    await replace(user, test, "npm\ntest");
    expect(screen.queryByTestId("settings-test_command-split")).not.toBeInTheDocument();
    await replace(user, test, "echo 'unclosed");
    expect(screen.queryByTestId("settings-test_command-split")).not.toBeInTheDocument();
    expect(await screen.findByTestId("setting-issue-test_command")).toHaveTextContent("An unclosed quote");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
  });

  it("says the demo runs the scripted stand-in while no agent is set and Claude Code is missing", async () => {
    stored = { ...STORED, agent: null };
    presets = PRESETS.map((preset) => (preset.id === "claude" ? { ...preset, installed: false } : preset));
    const user = userEvent.setup();
    renderPanel(true);
    await loaded();
    expect(await screen.findByTestId("settings-agent-stand-in")).toHaveTextContent("scripted stand-in agent (not an AI)");
    // An agent chosen: that one runs.
    await user.selectOptions(screen.getByTestId("settings-agent-preset"), "codex");
    expect(screen.queryByTestId("settings-agent-stand-in")).not.toBeInTheDocument();
  });

  it("says nothing of a stand-in for a project that is not the demo, or with Claude Code installed", async () => {
    stored = { ...STORED, agent: null };
    presets = PRESETS.map((preset) => (preset.id === "claude" ? { ...preset, installed: false } : preset));
    const { unmount } = renderPanel(false);
    await loaded();
    expect(screen.queryByTestId("settings-agent-stand-in")).not.toBeInTheDocument();
    unmount();
    presets = PRESETS;
    renderPanel(true);
    await loaded();
    expect(screen.queryByTestId("settings-agent-stand-in")).not.toBeInTheDocument();
  });

  it("shows an issue at its field and keeps Save disabled until it is fixed", async () => {
    checkAnswer = (settings) =>
      settings.test_command?.[0] === "nope" ? [{ key: "test_command", message: "`nope` is not installed (not found on PATH)" }] : [];
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    const test = screen.getByLabelText("Test command");
    await replace(user, test, "nope\ntest");

    const issue = await screen.findByTestId("setting-issue-test_command");
    expect(issue).toHaveTextContent("`nope` is not installed");
    // At its field: it describes it.
    expect(test).toHaveAttribute("aria-invalid", "true");
    expect(test).toHaveAccessibleDescription(/nope. is not installed/);
    expect(screen.queryByTestId("setting-issue-agent")).not.toBeInTheDocument();
    expect(screen.getByTestId("settings-save")).toBeDisabled();

    await replace(user, test, "npm\nrun\ncheck");
    await waitFor(() => expect(screen.queryByTestId("setting-issue-test_command")).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
  });

  it("says at once what can't be sent (a budget that is no number), and checks the rest as stored", async () => {
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    await replace(user, screen.getByLabelText("Budget per run (USD)"), "lots");
    expect(screen.getByTestId("setting-issue-max_cost_usd")).toHaveTextContent("An amount in US dollars");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    await replace(user, screen.getByLabelText("Budget per run (USD)"), "");
    expect(screen.queryByTestId("setting-issue-max_cost_usd")).not.toBeInTheDocument();
    await waitFor(() => expect(lastChecked()?.max_cost_usd).toBeNull());
  });

  it("turns the sandbox off, with its network choice, and shows why the core refuses it on", async () => {
    checkAnswer = (settings) =>
      settings.sandbox ? [{ key: "sandbox", message: "needs bubblewrap, which is not installed" }] : [];
    const user = userEvent.setup();
    const { onSaved } = renderPanel();
    await loaded();
    const sandbox = screen.getByLabelText("Confine agents, tests, setup and cleanup (bubblewrap)");
    expect(sandbox).toBeChecked();
    expect(sandbox).toHaveAccessibleDescription(/your home, credentials/);
    expect(await screen.findByTestId("setting-issue-sandbox")).toHaveTextContent("needs bubblewrap");
    expect(screen.getByTestId("settings-sandbox_network")).toBeEnabled();
    expect(screen.getByTestId("settings-sandbox_caches")).toHaveValue("~/.npm");
    await user.click(sandbox);
    expect(screen.getByTestId("settings-sandbox_network")).toBeDisabled();
    await waitFor(() => expect(screen.queryByTestId("setting-issue-sandbox")).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    expect(callsOf("save_settings")).toEqual([{ projectId: "p1", settings: { ...STORED, sandbox: false } }]);
  });

  it("sets the merge gate: pre-flight off, test runs at once (empty: the cores) and branches per test run", async () => {
    checkAnswer = (settings) =>
      settings.batch_size > 64 ? [{ key: "batch_size", message: "must be between 1 and 64, not 100" }] : [];
    const user = userEvent.setup();
    const { onSaved } = renderPanel();
    await loaded();
    const preflight = screen.getByLabelText("Pre-flight: test each finished branch in its own worktree before the gate");
    expect(preflight).toBeChecked();
    expect(preflight).toHaveAccessibleDescription(/without holding up the others/);
    const parallel = screen.getByLabelText("Test runs at once");
    const batch = screen.getByLabelText("Branches per gate test run");
    expect(parallel).toHaveValue("");
    expect(batch).toHaveValue(8);

    await replace(user, parallel, "two");
    expect(screen.getByTestId("setting-issue-parallel_tests")).toHaveTextContent("A whole number of test runs");
    await replace(user, parallel, "2");
    expect(screen.queryByTestId("setting-issue-parallel_tests")).not.toBeInTheDocument();
    await replace(user, batch, "100");
    expect(await screen.findByTestId("setting-issue-batch_size")).toHaveTextContent("must be between 1 and 64");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    await replace(user, batch, "4");
    await waitFor(() => expect(screen.queryByTestId("setting-issue-batch_size")).not.toBeInTheDocument());
    await user.click(preflight);

    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    expect(callsOf("save_settings")).toEqual([
      { projectId: "p1", settings: { ...STORED, preflight: false, parallel_tests: 2, batch_size: 4 } },
    ]);
    expect(screen.getByTestId("settings-parallel_tests")).toHaveValue("2");
  });

  it("saves the edited settings, then shows what the core stored and makes the board, plan and projects stale", async () => {
    // The core keeps the patterns its own way: the panel shows its answer, not what was sent.
    saveAnswer = (settings) => ({ ...settings, worktree_include: [...settings.worktree_include].sort() });
    const user = userEvent.setup();
    const { client, onSaved } = renderPanel();
    const invalidated = vi.spyOn(client, "invalidateQueries");
    await loaded();
    await replace(user, screen.getByLabelText("Worktrees at once"), "5");
    await replace(user, screen.getByLabelText("Agent timeout (minutes)"), "90");
    await replace(user, screen.getByLabelText("Budget per run (USD)"), "");
    await replace(user, screen.getByLabelText("Included files"), "config/local.toml\n.env");
    await replace(user, screen.getByLabelText("Linked files"), "node_modules\nvendor/*");
    const reuse = screen.getByLabelText("Reuse each slot's worktree between tasks");
    expect(reuse).toHaveAccessibleDescription(/ignored build outputs/);
    await user.click(reuse);
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    // Ctrl+Enter saves too.
    await user.type(screen.getByLabelText("Linked files"), "{Control>}{Enter}{/Control}");

    await waitFor(() => expect(onSaved).toHaveBeenCalledTimes(1));
    const sent = {
      ...STORED,
      worktree_include: ["config/local.toml", ".env"],
      worktree_link: ["node_modules", "vendor/*"],
      max_worktrees: 5,
      reuse_worktrees: true,
      agent_timeout_secs: 5400,
      max_cost_usd: null,
    };
    expect(callsOf("save_settings")).toEqual([{ projectId: "p1", settings: sent }]);
    const answer = { ...sent, worktree_include: [".env", "config/local.toml"] };
    expect(onSaved).toHaveBeenCalledWith(answer);
    expect(screen.getByLabelText("Included files")).toHaveValue(".env\nconfig/local.toml");
    expect(screen.getByLabelText("Agent timeout (minutes)")).toHaveValue("90");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    expect(client.getQueryData(queryKeys.settings("p1"))).toEqual(answer);
    const keys = invalidated.mock.calls.map(([filters]) => filters?.queryKey);
    expect(keys).toContainEqual(queryKeys.board("p1"));
    expect(keys).toContainEqual(queryKeys.plan("p1"));
    expect(keys).toContainEqual(queryKeys.projects());
    // Read once: the answer is cached, not read again.
    expect(callsOf("get_settings")).toHaveLength(1);
  });

  it("shows a refused save by its code, and keeps the edits", async () => {
    saveRefusal = { code: "invalid_input", message: "the tasks file changed on disk: import it first" };
    const user = userEvent.setup();
    const { onSaved } = renderPanel();
    await loaded();
    await replace(user, screen.getByLabelText("Worktrees at once"), "4");
    await waitFor(() => expect(screen.getByTestId("settings-save")).toBeEnabled());
    await user.click(screen.getByTestId("settings-save"));

    const error = await screen.findByTestId("settings-error");
    expect(error).toHaveAttribute("data-error-code", "invalid_input");
    expect(error).toHaveTextContent("The settings were not saved. the tasks file changed on disk: import it first");
    expect(screen.getByLabelText("Worktrees at once")).toHaveValue(4);
    expect(onSaved).not.toHaveBeenCalled();

    saveRefusal = { code: "not_found", message: "project `p1` not found" };
    await user.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-error")).toHaveAttribute("data-error-code", "not_found"));
    expect(screen.getByTestId("settings-error")).toHaveTextContent("This project is gone.");
    // An edit clears it.
    await replace(user, screen.getByLabelText("Worktrees at once"), "2");
    expect(screen.queryByTestId("settings-error")).not.toBeInTheDocument();
  });

  it("reverts the edits to the stored settings", async () => {
    const user = userEvent.setup();
    renderPanel();
    await loaded();
    await waitFor(() => expect(screen.getByLabelText("Agent")).toHaveValue("codex"));
    await user.selectOptions(screen.getByLabelText("Agent"), "claude");
    await replace(user, screen.getByLabelText("Setup"), "make\nsetup");
    await replace(user, screen.getByLabelText("Agent timeout (minutes)"), "");
    expect(screen.getByTestId("settings-revert")).toBeEnabled();

    await user.click(screen.getByTestId("settings-revert"));
    expect(screen.getByLabelText("Agent")).toHaveValue("codex");
    expect(screen.getByLabelText("Agent command")).toHaveValue(STORED.agent!.join("\n"));
    expect(screen.getByLabelText("Setup")).toHaveValue("npm\nci");
    expect(screen.getByLabelText("Agent timeout (minutes)")).toHaveValue("45");
    expect(screen.getByTestId("settings-revert")).toBeDisabled();
    expect(screen.getByTestId("settings-save")).toBeDisabled();
    expect(callsOf("save_settings")).toEqual([]);
  });

  it("lists the tool rules (the log pane's list), allows a new one and revokes one a person allowed", async () => {
    const user = userEvent.setup();
    renderPanel();
    const list = screen.getByTestId("tool-rules");
    await within(list).findByText("Bash(npm test:*)");
    expect(list).toHaveTextContent("Bash(npm test:*) default");
    expect(callsOf("tool_permissions")).toEqual([{ projectId: "p1" }]);

    const field = screen.getByLabelText("Allow a tool");
    expect(field).toHaveAttribute("data-testid", "settings-allow-rule");
    await user.type(field, "Bash(npm install:*){Enter}");
    await waitFor(() => expect(callsOf("allow_tool")).toEqual([{ projectId: "p1", rule: "Bash(npm install:*)" }]));
    await within(list).findByRole("button", { name: "Revoke Bash(npm install:*)" });
    expect(field).toHaveValue("");

    await user.click(within(list).getByRole("button", { name: "Revoke Bash(make:*)" }));
    await waitFor(() => expect(within(list).queryByText("Bash(make:*)")).not.toBeInTheDocument());
    expect(callsOf("revoke_tool")).toEqual([{ projectId: "p1", rule: "Bash(make:*)" }]);
  });

  it("shows why the settings could not be read, and reads them again on Try again", async () => {
    let refusal: ErrorDto | null = { code: "not_found", message: "project `p1` not found" };
    const fallback = invokeMock.getMockImplementation() as (command: string, args: unknown) => Promise<unknown>;
    invokeMock.mockImplementation((command: string, args: unknown) =>
      command === "get_settings" && refusal !== null ? Promise.reject(refusal) : fallback(command, args),
    );
    const user = userEvent.setup();
    renderPanel();
    const error = await screen.findByTestId("error-state");
    expect(error).toHaveAttribute("data-error-code", "not_found");

    refusal = null;
    await user.click(within(error).getByRole("button", { name: "Try again" }));
    await loaded();
  });
});
