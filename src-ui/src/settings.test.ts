import { describe, expect, it } from "vitest";
import type { AgentPreset, ProjectSettings, SettingKey } from "./bindings";
import {
  agentChoice,
  argvOf,
  commandOf,
  CUSTOM_AGENT,
  patternsOf,
  sameSettings,
  settingsDraft,
  settingsFields,
  sortSettingIssues,
  splitCommandLine,
  splitPreview,
} from "./settings";

const STORED: ProjectSettings = {
  agent: null,
  test_command: ["npm", "test"],
  setup: null,
  cleanup: null,
  worktree_include: [".env"],
  worktree_link: [],
  max_worktrees: 3,
  reuse_worktrees: false,
  agent_timeout_secs: null,
  max_cost_usd: null,
  sandbox: true,
  sandbox_network: true,
  sandbox_caches: ["~/.npm", "~/.cargo/registry"],
  preflight: true,
  parallel_tests: null,
  batch_size: 8,
};

const PRESETS: AgentPreset[] = [
  { id: "claude", name: "Claude Code", argv: ["claude", "-p", "{prompt}"], installed: true },
  { id: "codex", name: "Codex CLI", argv: ["codex", "exec", "{prompt}"], installed: false },
];

describe("argvOf", () => {
  it("makes each line one argument, spaces kept, nothing split or joined", () => {
    expect(argvOf("my agent\n--message\nfix the cart, then {prompt}")).toEqual(["my agent", "--message", "fix the cart, then {prompt}"]);
    expect(argvOf("a\r\nb c\r\n")).toEqual(["a", "b c"]);
  });

  it("drops only the blank lines after the last argument", () => {
    expect(argvOf("a\n\nb\n\n  \n")).toEqual(["a", "", "b"]);
    expect(argvOf("")).toEqual([]);
    expect(argvOf("\n \n")).toEqual([]);
  });
});

describe("patternsOf", () => {
  it("trims each pattern and leaves blank lines out", () => {
    expect(patternsOf(" .env \n\nconfig/*.toml\n")).toEqual([".env", "config/*.toml"]);
  });
});

describe("settingsDraft", () => {
  it("gives back the stored settings from their fields", () => {
    const stored: ProjectSettings = {
      agent: ["my agent", "{prompt}"],
      test_command: ["cargo", "test", "--all"],
      setup: ["npm", "ci"],
      cleanup: ["make", "clean"],
      worktree_include: [".env", "config/local.toml"],
      worktree_link: ["node_modules"],
      max_worktrees: 5,
      reuse_worktrees: false,
      agent_timeout_secs: 100,
      max_cost_usd: 2.5,
      sandbox: false,
      sandbox_network: false,
      sandbox_caches: ["/opt/cache"],
      preflight: false,
      parallel_tests: 4,
      batch_size: 16,
    };
    const draft = settingsDraft(settingsFields(stored), stored);
    expect(draft).toEqual({ settings: stored, local: {} });
    expect(sameSettings(draft.settings, stored)).toBe(true);
  });

  it("turns empty commands into none, minutes into seconds, and empty numbers into their defaults", () => {
    const fields = { ...settingsFields(STORED), testCommand: "\n", setup: "npm\nci", timeoutMinutes: "1.5", maxCost: "$4.25" };
    expect(settingsDraft(fields, STORED).settings).toMatchObject({
      test_command: null,
      setup: ["npm", "ci"],
      agent_timeout_secs: 90,
      max_cost_usd: 4.25,
    });
    const cleared = { ...settingsFields({ ...STORED, agent_timeout_secs: 600, max_cost_usd: 3 }), timeoutMinutes: " ", maxCost: "" };
    expect(settingsDraft(cleared, STORED).settings).toMatchObject({ agent_timeout_secs: null, max_cost_usd: null });
  });

  it("keeps the stored number for what can't be sent, and says why", () => {
    const stored = { ...STORED, agent_timeout_secs: 600, max_cost_usd: 3 };
    const fields = { ...settingsFields(stored), maxWorktrees: "2.5", timeoutMinutes: "-1", maxCost: "lots" };
    const draft = settingsDraft(fields, stored);
    expect(draft.settings).toMatchObject({ max_worktrees: 3, agent_timeout_secs: 600, max_cost_usd: 3 });
    expect(Object.keys(draft.local).sort()).toEqual(["agent_timeout_secs", "max_cost_usd", "max_worktrees"]);
  });

  it("reads the merge gate's numbers: empty test runs at once are the machine's cores, a batch is a whole number", () => {
    const stored = { ...STORED, parallel_tests: 4 };
    expect(settingsFields(stored)).toMatchObject({ preflight: true, parallelTests: "4", batchSize: "8" });
    const fields = { ...settingsFields(stored), preflight: false, parallelTests: " ", batchSize: "12" };
    const draft = settingsDraft(fields, stored);
    expect(draft.settings).toMatchObject({ preflight: false, parallel_tests: null, batch_size: 12 });
    expect(draft.local).toEqual({});
    expect(sameSettings(draft.settings, stored)).toBe(false);

    const wrong = settingsDraft({ ...fields, parallelTests: "2.5", batchSize: "" }, stored);
    expect(wrong.settings).toMatchObject({ parallel_tests: 4, batch_size: 8 });
    expect(Object.keys(wrong.local).sort()).toEqual(["batch_size", "parallel_tests"]);
  });

  it("sends an agent emptied by hand as an empty argv (the core says it is empty), not as the default", () => {
    const fields = { ...settingsFields(STORED), agent: "\n" };
    expect(settingsDraft(fields, STORED).settings.agent).toEqual([]);
    expect(settingsDraft(settingsFields(STORED), STORED).settings.agent).toBeNull();
  });
});

describe("agentChoice", () => {
  it("names the preset whose argv it is, the default's for none, custom otherwise", () => {
    expect(agentChoice(null, PRESETS)).toBe("claude");
    expect(agentChoice(["codex", "exec", "{prompt}"], PRESETS)).toBe("codex");
    expect(agentChoice(["codex", "exec", "--json", "{prompt}"], PRESETS)).toBe(CUSTOM_AGENT);
  });
});

describe("sortSettingIssues", () => {
  it("puts the panel's own issue first, drops the core's about a number it could not send, and keeps unknown keys apart", () => {
    const sorted = sortSettingIssues(
      [
        { key: "test_command", message: "`nope` is not installed" },
        { key: "max_cost_usd", message: "must be a positive amount" },
        { key: "colour" as SettingKey, message: "is unknown" },
      ],
      { max_cost_usd: "An amount in US dollars" },
    );
    expect(sorted.byKey.get("test_command")).toEqual(["`nope` is not installed"]);
    expect(sorted.byKey.get("max_cost_usd")).toEqual(["An amount in US dollars"]);
    expect(sorted.general).toEqual(["colour: is unknown"]);
  });
});

describe("a command typed on one line", () => {
  it("is split into words as a shell splits them, and nothing more", () => {
    expect(splitCommandLine("npm test")).toEqual(["npm", "test"]);
    expect(splitCommandLine("  cargo   test  --all ")).toEqual(["cargo", "test", "--all"]);
    expect(splitCommandLine(`sh -c 'make test && curl x | sh'`)).toEqual(["sh", "-c", "make test && curl x | sh"]);
    expect(splitCommandLine(`echo "a \\"b\\" $HOME" c\\ d ''`)).toEqual(["echo", 'a "b" $HOME', "c d", ""]);
    expect(splitCommandLine("npm test && rm -rf /")).toEqual(["npm", "test", "&&", "rm", "-rf", "/"]);
    expect(splitCommandLine("echo 'open")).toBeNull();
  });

  it("is split only when it is one line with blanks; lines are arguments as typed", () => {
    expect(commandOf("npm test\n")).toEqual(["npm", "test"]);
    expect(commandOf("bash\n-c\nnpm test && npm run lint")).toEqual(["bash", "-c", "npm test && npm run lint"]);
    expect(commandOf("make")).toEqual(["make"]);
    expect(splitPreview("npm test")).toEqual(["npm", "test"]);
    expect(splitPreview("npm\ntest")).toBeNull();
    expect(splitPreview("echo 'open")).toBeNull();
  });
});

describe("a stored command in the settings form", () => {
  it("is saved as stored, never split, while it is not edited; an unclosed quote is said at its field", () => {
    const stored = { ...STORED, test_command: ["/opt/my tests/run.sh"], setup: ["npm", "ci"] };
    const fields = settingsFields(stored);
    expect(fields.testCommand).toBe("/opt/my tests/run.sh");
    const same = settingsDraft(fields, stored);
    expect(same.settings.test_command).toEqual(["/opt/my tests/run.sh"]);
    expect(sameSettings(same.settings, stored)).toBe(true);
    const edited = settingsDraft({ ...fields, testCommand: "make test" }, stored);
    expect(edited.settings.test_command).toEqual(["make", "test"]);
    const open = settingsDraft({ ...fields, setup: "npm 'ci" }, stored);
    expect(open.local.setup).toMatch(/unclosed quote/);
    expect(open.settings.setup).toEqual(["npm", "ci"]);
  });
});
