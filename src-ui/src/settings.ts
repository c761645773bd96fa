// What the settings panel needs besides the core: a project's settings as the panel's fields hold them (text, one
// argument or pattern per line), the settings sent back from those fields, what could not even be sent, and the
// agent preset a command is. Pure functions.
import { SETTING_KEYS, type AgentPreset, type ProjectSettings, type SettingIssue, type SettingKey } from "./bindings";
import { wholeNumber } from "./cards";

/** The settings' keys, as the core names them in its issues, in the panel's order (generated from Rust). */
export { SETTING_KEYS };
export type { SettingKey };

/** The preset whose command is the default agent's (a project whose agent is `null` runs it). */
export const DEFAULT_AGENT_PRESET = "claude";
/** The agent choice of a command that is no preset's. */
export const CUSTOM_AGENT = "custom";
/** An agent's timeout when none is set (minutes). */
export const DEFAULT_TIMEOUT_MINUTES = 30;

const U32_MAX = 4_294_967_295;

/** What the settings panel edits, as typed: commands one argument per line, patterns one per line, numbers as text. */
export type SettingsFields = {
  /** The agent's argv, one argument per line; `null`: the default command (stored as none, shown as its preset's). */
  agent: string | null;
  testCommand: string;
  setup: string;
  cleanup: string;
  include: string;
  link: string;
  maxWorktrees: string;
  /** Each slot keeps its worktree between tasks (build outputs survive). */
  reuseWorktrees: boolean;
  /** Minutes; empty: the default. */
  timeoutMinutes: string;
  /** US dollars; empty: no limit. */
  maxCost: string;
  /** Agents, tests, setup and cleanup run confined by bubblewrap. */
  sandbox: boolean;
  /** The network is shared inside the sandbox. */
  sandboxNetwork: boolean;
  /** Tool caches writable inside the sandbox, one per line. */
  sandboxCaches: string;
  /** Each finished branch is tested merged with the target in its own worktree before the gate. */
  preflight: boolean;
  /** Test runs at once, the gate's included; empty: the machine's cores. */
  parallelTests: string;
  /** The most branches one gate test run lands together. */
  batchSize: string;
};

/** An argv as lines, one argument a line (shown in a textarea; never a shell string). */
export function argvLines(argv: readonly string[]): string {
  return argv.join("\n");
}

/**
 * The arguments typed one a line: each line is one argument, kept as typed (spaces and all); only the blank lines
 * after the last argument (a final newline) are dropped.
 */
export function argvOf(text: string): string[] {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  return lines;
}

/**
 * A command line split into its arguments as a shell splits words, and nothing more: blanks separate them, single
 * quotes keep everything, double quotes keep all but `\"` and `\\`, a backslash keeps the next character. Nothing is
 * expanded and no operator means anything (`&&`, `|`, `$X` are plain text). `null` for an unclosed quote.
 */
export function splitCommandLine(line: string): string[] | null {
  const args: string[] = [];
  let current = "";
  let started = false;
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else current += c;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === "\\" && (line[i + 1] === '"' || line[i + 1] === "\\")) current += line[++i];
      else current += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else if (c === "\\" && i + 1 < line.length) {
      current += line[++i];
      started = true;
    } else if (/\s/.test(c)) {
      if (started) args.push(current);
      current = "";
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (quote !== null) return null;
  if (started) args.push(current);
  return args;
}

/**
 * A command as typed: one line with blanks is a command line, split into its arguments (`splitCommandLine`);
 * several lines are one argument each, kept as typed. `null` for a command line with an unclosed quote.
 */
export function commandOf(text: string): string[] | null {
  const lines = argvOf(text);
  if (lines.length === 1 && /\s/.test(lines[0]!.trim())) return splitCommandLine(lines[0]!);
  return lines;
}

/**
 * How a one-line command is split, to show under its field; null when it is not one line with blanks, or has an
 * unclosed quote (the field's issue says so).
 */
export function splitPreview(text: string): string[] | null {
  const lines = argvOf(text);
  return lines.length === 1 && /\s/.test(lines[0]!.trim()) ? splitCommandLine(lines[0]!) : null;
}

/**
 * An optional command as typed (see `commandOf`); `null` (none) when nothing is typed. The stored command as it is
 * shown (one argument a line) stays the stored one, so a stored argument with a blank is never split by a save.
 * `undefined` for a command line with an unclosed quote.
 */
function optionalCommand(text: string, stored: readonly string[] | null): string[] | null | undefined {
  if (text === argvLines(stored ?? [])) return stored === null ? null : [...stored];
  const argv = commandOf(text);
  if (argv === null) return undefined;
  return argv.length === 0 ? null : argv;
}

/** Patterns typed one a line, trimmed, blank lines left out. */
export function patternsOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** Seconds as minutes typed in the panel (to the hundredth, which rounds back to the same whole seconds). */
function minutesText(seconds: number): string {
  return String(Number((seconds / 60).toFixed(2)));
}

/** The panel's fields for stored settings. */
export function settingsFields(settings: ProjectSettings): SettingsFields {
  return {
    agent: settings.agent === null ? null : argvLines(settings.agent),
    testCommand: argvLines(settings.test_command ?? []),
    setup: argvLines(settings.setup ?? []),
    cleanup: argvLines(settings.cleanup ?? []),
    include: settings.worktree_include.join("\n"),
    link: settings.worktree_link.join("\n"),
    maxWorktrees: String(settings.max_worktrees),
    reuseWorktrees: settings.reuse_worktrees,
    timeoutMinutes: settings.agent_timeout_secs === null ? "" : minutesText(settings.agent_timeout_secs),
    maxCost: settings.max_cost_usd === null ? "" : String(settings.max_cost_usd),
    sandbox: settings.sandbox,
    sandboxNetwork: settings.sandbox_network,
    sandboxCaches: settings.sandbox_caches.join("\n"),
    preflight: settings.preflight,
    parallelTests: settings.parallel_tests === null ? "" : String(settings.parallel_tests),
    batchSize: String(settings.batch_size),
  };
}

/** What the fields become: the settings to check and save, and what could not even be sent, by key. */
export type SettingsDraft = {
  /** A number that could not be sent is the stored one here (`local` says why, and Save waits for it). */
  settings: ProjectSettings;
  local: Partial<Record<SettingKey, string>>;
};

/** A number typed (a `$` in front allowed), or `undefined` when it is no finite number; empty is `null`. */
function optionalNumber(text: string): number | null | undefined {
  const trimmed = text.trim().replace(/^\$\s*/, "");
  if (trimmed === "") return null;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** The settings the fields say, over the `stored` ones for what could not be sent. */
export function settingsDraft(fields: SettingsFields, stored: ProjectSettings): SettingsDraft {
  const local: Partial<Record<SettingKey, string>> = {};

  const maxWorktrees = wholeNumber(fields.maxWorktrees, 0, U32_MAX);
  if (maxWorktrees === null) local.max_worktrees = "A whole number of agents at once.";

  let timeout: number | null = stored.agent_timeout_secs;
  const minutes = optionalNumber(fields.timeoutMinutes);
  if (minutes === undefined || (minutes !== null && (minutes < 0 || minutes * 60 > Number.MAX_SAFE_INTEGER))) {
    local.agent_timeout_secs = `A number of minutes, or empty for the default (${DEFAULT_TIMEOUT_MINUTES}).`;
  } else {
    timeout = minutes === null ? null : Math.round(minutes * 60);
  }

  let budget: number | null = stored.max_cost_usd;
  const dollars = optionalNumber(fields.maxCost);
  if (dollars === undefined) local.max_cost_usd = "An amount in US dollars, or empty for no limit.";
  else budget = dollars;

  // Empty: the machine's cores.
  let parallelTests: number | null = null;
  if (fields.parallelTests.trim() !== "") {
    const runs = wholeNumber(fields.parallelTests, 0, U32_MAX);
    if (runs === null) local.parallel_tests = "A whole number of test runs, or empty for the machine's cores.";
    parallelTests = runs ?? stored.parallel_tests;
  }

  const batchSize = wholeNumber(fields.batchSize, 0, U32_MAX);
  if (batchSize === null) local.batch_size = "A whole number of branches.";

  const commands = { test_command: fields.testCommand, setup: fields.setup, cleanup: fields.cleanup } as const;
  const command = (key: keyof typeof commands): string[] | null => {
    const argv = optionalCommand(commands[key], stored[key]);
    if (argv !== undefined) return argv;
    local[key] = "An unclosed quote: close it, or put one argument per line.";
    return stored[key];
  };

  return {
    settings: {
      agent: fields.agent === null ? null : argvOf(fields.agent),
      test_command: command("test_command"),
      setup: command("setup"),
      cleanup: command("cleanup"),
      worktree_include: patternsOf(fields.include),
      worktree_link: patternsOf(fields.link),
      max_worktrees: maxWorktrees ?? stored.max_worktrees,
      reuse_worktrees: fields.reuseWorktrees,
      agent_timeout_secs: timeout,
      max_cost_usd: budget,
      sandbox: fields.sandbox,
      sandbox_network: fields.sandboxNetwork,
      sandbox_caches: patternsOf(fields.sandboxCaches),
      preflight: fields.preflight,
      parallel_tests: parallelTests,
      batch_size: batchSize ?? stored.batch_size,
    },
    local,
  };
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Whether two settings say the same (nothing to save). */
export function sameSettings(a: ProjectSettings, b: ProjectSettings): boolean {
  return (
    sameList(a.agent, b.agent) &&
    sameList(a.test_command, b.test_command) &&
    sameList(a.setup, b.setup) &&
    sameList(a.cleanup, b.cleanup) &&
    sameList(a.worktree_include, b.worktree_include) &&
    sameList(a.worktree_link, b.worktree_link) &&
    a.max_worktrees === b.max_worktrees &&
    a.reuse_worktrees === b.reuse_worktrees &&
    a.agent_timeout_secs === b.agent_timeout_secs &&
    a.max_cost_usd === b.max_cost_usd &&
    a.sandbox === b.sandbox &&
    a.sandbox_network === b.sandbox_network &&
    sameList(a.sandbox_caches, b.sandbox_caches) &&
    a.preflight === b.preflight &&
    a.parallel_tests === b.parallel_tests &&
    a.batch_size === b.batch_size
  );
}

/** The preset whose argv is exactly `argv` (`null` argv: the default agent's preset); `CUSTOM_AGENT` if none. */
export function agentChoice(argv: readonly string[] | null, presets: readonly AgentPreset[]): string {
  if (argv === null) return DEFAULT_AGENT_PRESET;
  return presets.find((preset) => sameList(preset.argv, argv))?.id ?? CUSTOM_AGENT;
}

/** The issues of the panel's fields, by key (its own first), and any about a key it does not show. */
export type SortedSettingIssues = { byKey: ReadonlyMap<SettingKey, readonly string[]>; general: readonly string[] };

/** The core's issues and the panel's own (`local`), sorted by the key they are about. */
export function sortSettingIssues(core: readonly SettingIssue[], local: Partial<Record<SettingKey, string>>): SortedSettingIssues {
  const byKey = new Map<SettingKey, string[]>();
  const general: string[] = [];
  const add = (key: SettingKey, message: string) => byKey.set(key, [...(byKey.get(key) ?? []), message]);
  for (const key of SETTING_KEYS) {
    const mine = local[key];
    if (mine !== undefined) add(key, mine);
  }
  for (const issue of core) {
    const key = SETTING_KEYS.find((k) => k === issue.key);
    if (key === undefined) general.push(`${issue.key}: ${issue.message}`);
    // A number the panel could not send was checked as stored: the core's word on it is not about what is typed.
    else if (local[key] === undefined) add(key, issue.message);
  }
  return { byKey, general };
}
