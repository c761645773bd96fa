#!/usr/bin/env node
// End-to-end test of the real desktop app under Xvfb, driven through tauri-driver with WebdriverIO (harness.mjs):
//
//   xvfb-run -a npm run e2e
//
// Creates the demo project from the empty state and checks its cards; drags a card onto Done that may not go there
// (the refusal's message must show and nothing may change in the database); drags a task to another worktree lane
// (the database's plan must pin it there); runs the demo with its scripted agent until every card is Done; checks the
// report, the Gantt timeline and the lanes; when a D-Bus session is there, that desktop notifications were sent; adds
// a repository of its own from the sidebar, whose tasks file names an agent and a test command: Start must show them
// for approval before anything runs, and the approved run must finish; last, SIGTERM during a run must cancel it
// (agent stopped, task back in the Backlog) before the app quits.
//
// Environment (besides harness.mjs's):
//   YOKEFLOW_EXPECT_TITLES  the demo tasks' titles, `|`-separated; when unset, at least 5 cards are expected
//   YOKEFLOW_E2E_NOTIFICATIONS=1  require the notification check (needs DBUS_SESSION_BUS_ADDRESS and dbus-monitor)
//
// Then a repository whose agent is the real Claude Code CLI (against the project's scripted Messages API): a task
// refused a tool goes to Review; its pane shows why, the transcript and the diff; feedback resumes the agent's
// conversation and the work lands; "Draft tasks…" with a goal has the agent draft a task, previewed and accepted.
//
// Cards from the window on that repository: a new task, an edit and a delete reach the database and its tasks file in
// place; a hand edit of the file shows on the board. Its settings: a problem shown at its field, a save read back.
//
// Writes tests/e2e/out/{board,refused,lanes-moved,run-done,timeline,lanes,expertise,added,approval,new-task,settings,review,
// diff,transcript,draft}.png.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { appPath, cliJson, fail, log, OUT, runWithApp, sel, sleep, toasts, toastText, UI_TIMEOUT_MS } from "./harness.mjs";

// The demo board steps, then a whole run of the demo (up to RUN_TIMEOUT_MS), with room to spare.
const OVERALL_TIMEOUT_MS = 420_000;
// The demo's scripted agent takes ~1.5 s per task (10 tasks, 4 workers); merges are serialized.
const RUN_TIMEOUT_MS = 120_000;

const COLUMNS = ["backlog", "in_progress", "review", "done"];

/**
 * The test itself, against an open session whose window shows a YokeFlow with no project yet.
 * Exported so the steps can be exercised against another WebDriver endpoint.
 */
export async function smokeSteps(
  browser,
  { expectTitles = null, ctx, screenshotPath = join(OUT, "board.png"), runScreenshotPath = join(OUT, "run-done.png") },
) {
  log("waiting for the empty state");
  const createDemo = await browser.$(sel("create-demo"));
  try {
    await createDemo.waitForDisplayed({ timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(
      `the "Create demo project" button (${sel("create-demo")}) did not appear within ${UI_TIMEOUT_MS / 1000} s` +
        `${await toastText(browser)}`,
    );
  }
  if (await browser.$(sel("task-card")).isExisting()) {
    fail("the fresh data directory already shows task cards before the demo was created");
  }

  log('clicking "Create demo project"');
  await createDemo.click();

  log("waiting for task cards");
  try {
    await browser.waitUntil(async () => (await browser.$$(sel("task-card"))).length > 0, {
      timeout: UI_TIMEOUT_MS,
      interval: 250,
    });
  } catch {
    fail(`no task card appeared within ${UI_TIMEOUT_MS / 1000} s of clicking "Create demo project"${await toastText(browser)}`);
  }
  // Read the board once it holds every expected card and each column's count matches its cards (a late re-render
  // may still be under way when the first card shows); the checks below then say what is wrong if it never does.
  const wanted = expectTitles === null ? 5 : expectTitles.length;
  const readBoard = () => browser.execute(
    (cardSel, titleSel, columns) => ({
      titles: Array.from(document.querySelectorAll(cardSel), (card) => {
        const title = card.querySelector(titleSel);
        return (title ? title.textContent : "").trim();
      }),
      columns: columns.map((status) => {
        const column = document.querySelector(`[data-testid="column-${status}"]`);
        const count = column ? column.querySelector('[data-testid="column-count"]') : null;
        return {
          status,
          exists: column !== null,
          cards: column ? column.querySelectorAll(cardSel).length : 0,
          count: count ? Number(count.textContent) : NaN,
        };
      }),
      toasts: Array.from(document.querySelectorAll('[data-testid="toast"]'), (toast) => {
        const message = toast.querySelector('[data-testid="toast-message"]');
        return `${toast.getAttribute("data-error-code")}: ${message ? message.textContent : toast.textContent}`;
      }),
    }),
    sel("task-card"),
    sel("task-title"),
    COLUMNS,
  );
  let snapshot = await readBoard();
  const settled = (b) => b.titles.length >= wanted && b.columns.every((c) => c.exists && c.count === c.cards);
  try {
    await browser.waitUntil(async () => settled((snapshot = await readBoard())), { timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    // Fall through: the checks below name what is missing.
  }
  log(`board: ${snapshot.titles.length} cards; ${snapshot.columns.map((c) => `${c.status} ${c.cards}`).join(", ")}`);

  const missingColumns = snapshot.columns.filter((c) => !c.exists).map((c) => c.status);
  if (missingColumns.length > 0) fail(`board columns missing: ${missingColumns.join(", ")}`);
  for (const column of snapshot.columns) {
    if (column.count !== column.cards) {
      fail(`column ${column.status} says ${column.count} but holds ${column.cards} cards`);
    }
  }
  if (snapshot.toasts.length > 0) fail(`the app shows an error: ${snapshot.toasts.join(" / ")}`);

  if (expectTitles !== null) {
    const shown = new Set(snapshot.titles);
    const missing = expectTitles.filter((title) => !shown.has(title));
    if (missing.length > 0) {
      fail(`demo task titles missing from the board: ${JSON.stringify(missing)}; shown: ${JSON.stringify(snapshot.titles)}`);
    }
    log(`all ${expectTitles.length} expected titles are on the board`);
  } else if (snapshot.titles.length < 5) {
    fail(`expected at least 5 task cards, found ${snapshot.titles.length}: ${JSON.stringify(snapshot.titles)}`);
  }

  mkdirSync(dirname(screenshotPath), { recursive: true });
  await browser.saveScreenshot(screenshotPath);
  log(`screenshot saved to ${screenshotPath}`);

  await refusedDragSteps(browser, ctx);
  await laneMoveSteps(browser, ctx);
  const notifications = watchNotifications();
  await notifications.ready();
  await runSteps(browser, { totalCards: snapshot.titles.length, screenshotPath: runScreenshotPath });
  sandboxedSteps(ctx);
  await notifications.check();
  await addRepositorySteps(browser, ctx);
  await cardSteps(browser, ctx);
  await settingsSteps(browser, ctx);
  await realAgentSteps(browser, ctx);
  await quitDuringRunSteps(browser, ctx);
}

/** The pinned Claude Code CLI that scripts/setup.sh installs (or YOKEFLOW_CLAUDE_BIN). */
function claudeBin() {
  const given = process.env.YOKEFLOW_CLAUDE_BIN;
  if (given) return given;
  const home = process.env.HOME ?? "";
  const path = join(home, ".cache/yokeflow/agents/claude-code-2.1.197/node_modules/.bin/claude");
  try {
    readFileSync(path);
    return path;
  } catch {
    return fail(`the Claude Code CLI is not installed at ${path} (scripts/setup.sh installs it)`);
  }
}

/** The project's scripted Messages API on 127.0.0.1, for the real CLI; `stop()` ends it. */
async function startFakeApi(logFile) {
  const server = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), "../fake-anthropic/server.mjs"), "--log", logFile], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((done, failed) => {
    let out = "";
    server.stdout.on("data", (chunk) => {
      out += chunk;
      const match = /listening on (\S+)/.exec(out);
      if (match) done(match[1]);
    });
    server.on("exit", (code) => failed(new Error(`the scripted Messages API exited (${code}) before listening`)));
  });
  return { url, stop: () => server.kill("SIGTERM") };
}

/** A model script for the scripted Messages API, as a fenced block the prompt carries. */
function script(steps) {
  return "```yokeflow-script\n" + JSON.stringify(steps) + "\n```";
}

/**
 * The real Claude Code CLI in the window: a task whose agent writes and commits code, then is refused a command.
 * The card goes to Review saying what was refused; the pane shows the transcript (with the refusal), the diff (with
 * syntax colours), and a button to allow the tool; feedback sent from the pane resumes the same conversation, and
 * the work lands through the gate. Screenshots: review.png, diff.png, transcript.png.
 */
async function realAgentSteps(browser, ctx) {
  const claude = claudeBin();
  const api = await startFakeApi(join(ctx.dataDir, "api-requests.jsonl"));
  try {
    const repo = join(ctx.dataDir, "real-shop");
    const config = join(ctx.dataDir, "claude-config");
    mkdirSync(repo, { recursive: true });
    mkdirSync(config, { recursive: true });
    const agent = JSON.stringify([
      "env",
      `ANTHROPIC_BASE_URL=${api.url}`,
      "ANTHROPIC_API_KEY=e2e-key-not-secret",
      `CLAUDE_CONFIG_DIR=${config}`,
      "GIT_AUTHOR_NAME=Agent",
      "GIT_AUTHOR_EMAIL=agent@example.invalid",
      "GIT_COMMITTER_NAME=Agent",
      "GIT_COMMITTER_EMAIL=agent@example.invalid",
      claude,
      "-p",
      "{prompt}",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "acceptEdits",
      "--allowedTools",
      "{allowed_tools}",
    ]);
    const code = 'export function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n';
    const first = script([
      { tool: "Write", input: { file_path: "src/greet.ts", content: code } },
      { tool: "Bash", input: { command: "git add src/greet.ts && git commit -m 'Add greet'" } },
      { tool: "Bash", input: { command: "python3 -c \"print('checking')\"" } },
      { say: "Wrote greet(); I could not run the check." },
    ]);
    const description = `Add a greet function.\n\n${first}\n`;
    writeFileSync(
      join(repo, "yokeflow.yaml"),
      `project: real-shop\nagent: ${agent}\ntasks:\n  - id: greet\n    title: Greet people\n    files: [src/greet.ts]\n    description: |\n${description
        .split("\n")
        .map((line) => `      ${line}`)
        .join("\n")}\n`,
    );
    const git = (...args) => execFileSync("git", ["-C", repo, ...args], { stdio: "ignore" });
    git("init", "-q", "-b", "main");
    git("add", "yokeflow.yaml");
    git("-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "init");
    await (await browser.$(sel("add-project-path"))).setValue(repo);
    await (await browser.$(sel("add-project-submit"))).click();
    const card = '[data-testid="task-card"][data-task-id="greet"]';
    await browser.waitUntil(async () => (await browser.$$(card)).length === 1, { timeout: UI_TIMEOUT_MS, interval: 250 });
    // This step shows a refused tool, which happens to an agent outside the sandbox (inside, it gets every tool).
    cliJson(ctx, ["config", "set", "sandbox", "off", "--repo", repo]);
    log("real-shop added (its sandbox turned off); starting its run with the real Claude Code CLI");
    await (await browser.$(sel("start-run"))).click();
    await (await browser.$(sel("approve-commands"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
    await (await browser.$(sel("approve-commands"))).click();
    const status = () => cliJson(ctx, ["status", "--repo", repo]).find((t) => t.id === "greet");
    try {
      await browser.waitUntil(async () => status()?.status === "review", { timeout: RUN_TIMEOUT_MS, interval: 500 });
    } catch {
      fail(`the refused task did not reach Review: ${JSON.stringify(status())}${await toastText(browser)}`);
    }
    const reason = status().review_reason ?? "";
    if (!reason.includes("the agent was refused `Bash(python3 -c")) fail(`the review reason does not say what was refused: ${reason}`);
    if (!(status().cost_usd > 0)) fail(`no cost recorded for the task: ${JSON.stringify(status())}`);

    log("opening the task: the Review pane, its transcript and its diff");
    await (await browser.$(`${card} button`)).click();
    const pane = await browser.$(sel("log-pane"));
    await pane.waitForDisplayed({ timeout: UI_TIMEOUT_MS });
    try {
      await browser.waitUntil(
        async () =>
          browser.execute(
            () =>
              document.querySelector('[data-testid="log-review-reason"]')?.textContent.includes("refused") === true &&
              document.querySelector('[data-testid="allow-tool"]') !== null &&
              document.querySelector('[data-testid="log-pane"] [data-kind="permission_denied"]') !== null,
          ),
        { timeout: UI_TIMEOUT_MS, interval: 250 },
      );
    } catch {
      fail(`the Review pane does not show the refusal, its transcript and an Allow button${await toastText(browser)}`);
    }
    const cost = await (await browser.$(sel("task-cost"))).getText();
    if (!/^\$\d/.test(cost)) fail(`the task's cost reads ${JSON.stringify(cost)}`);
    await browser.saveScreenshot(join(OUT, "review.png"));
    log(`the Review pane says why (${reason.slice(0, 80)}…), costs ${cost}, and offers to allow the tool`);

    await (await browser.$(sel("tab-diff"))).click();
    try {
      await browser.waitUntil(
        async () =>
          browser.execute(
            () =>
              document.querySelector('[data-testid="diff-file"][data-path="src/greet.ts"]') !== null &&
              document.querySelector('[data-testid="diff-file"] span[class~="token"][class~="keyword"]') !== null,
          ),
        { timeout: UI_TIMEOUT_MS, interval: 250 },
      );
    } catch {
      fail(`the diff does not show src/greet.ts with syntax colours${await toastText(browser)}`);
    }
    await browser.execute(() => document.querySelector('[data-testid="diff-panel"]').scrollIntoView({ block: "start" }));
    await browser.saveScreenshot(join(OUT, "diff.png"));
    log("the diff shows src/greet.ts, highlighted");
    await (await browser.$(sel("tab-transcript"))).click();

    log("sending feedback: the agent must continue the same conversation and the work land");
    const remark = `Please also greet the world by default.\n${script([
      { tool: "Write", input: { file_path: "src/greet.ts", content: code.replace("name: string", 'name: string = "world"') } },
      { tool: "Bash", input: { command: "git add src/greet.ts && git commit -m 'Greet the world by default'" } },
      { say: "Done: greet() greets the world by default." },
    ])}`;
    // Set as a paste would (typing key by key through WebDriver loses characters such as backquotes).
    await browser.execute((text) => {
      const field = document.querySelector('[data-testid="feedback-text"]');
      Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(field, text);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    }, remark);
    await (await browser.$(sel("feedback-send"))).click();
    try {
      await browser.waitUntil(async () => status()?.status === "done", { timeout: RUN_TIMEOUT_MS, interval: 500 });
    } catch {
      fail(`the task did not land after feedback: ${JSON.stringify(status())}${await toastText(browser)}`);
    }
    const landed = execFileSync("git", ["-C", repo, "show", "main:src/greet.ts"], { encoding: "utf8" });
    const history = cliJson(ctx, ["log", "greet", "--repo", repo]);
    if (!landed.includes('name: string = "world"')) {
      const last = history.sessions.at(-1);
      fail(`the target does not have the feedback's change: ${landed}; last session: remark ${JSON.stringify(last?.remark)}, ${JSON.stringify(last?.entries.slice(0, 4))}`);
    }
    const [before, after] = history.sessions;
    if (history.sessions.length !== 2 || !before.agent_session_id || before.agent_session_id !== after.agent_session_id) {
      fail(`the feedback did not continue the same conversation: ${JSON.stringify(history.sessions.map((x) => [x.outcome, x.agent_session_id]))}`);
    }
    try {
      await browser.waitUntil(
        async () => browser.execute(() => document.querySelectorAll('[data-testid="log-pane"] [data-kind="tool_call"]').length >= 4),
        { timeout: UI_TIMEOUT_MS, interval: 250 },
      );
    } catch {
      fail(`the pane does not show both sessions' tool calls${await toastText(browser)}`);
    }
    // The feedback session's start: the remark's run, the resumed conversation's calls.
    await browser.execute(() => {
      const rows = document.querySelectorAll('[data-testid="log-pane"] [data-kind="tool_call"]');
      rows[rows.length - 2]?.scrollIntoView({ block: "center" });
    });
    await browser.saveScreenshot(join(OUT, "transcript.png"));
    log(`feedback resumed conversation ${before.agent_session_id} and the work landed on main`);
    await (await browser.$('[aria-label="Close the log"]')).click();
    await draftSteps(browser, ctx, repo);
  } finally {
    api.stop();
  }
}

/**
 * Session 0 in the window, with the real Claude Code CLI: "Draft tasks…" with a goal; the agent (scripted) reads the
 * project's yokeflow.yaml in its scratch worktree and writes it back with a new task; the preview shows the task,
 * the batches and what changes; Accept imports it and the card shows. Screenshot: draft.png.
 */
async function draftSteps(browser, ctx, repo) {
  const file = join(repo, "yokeflow.yaml");
  const original = readFileSync(file, "utf8");
  const drafted = `${original}  - id: farewell\n    title: Say goodbye\n    depends_on: [greet]\n    files: [src/farewell.ts]\n    effort: 15\n`;
  const goal = `Add a farewell next to greet.\n${script([
    { tool: "Read", input: { file_path: "yokeflow.yaml" } },
    { tool: "Write", input: { file_path: "yokeflow.yaml", content: drafted } },
    { say: "Added the farewell task." },
  ])}`;
  log('"Draft tasks…" with a goal: the agent drafts a task from it');
  await (await browser.$(sel("draft-tasks"))).click();
  await (await browser.$(sel("draft-dialog"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  await browser.execute((text) => {
    const field = document.querySelector('[data-testid="draft-goal"]');
    Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value").set.call(field, text);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }, goal);
  await (await browser.$(sel("draft-start"))).click();
  const preview = await browser.$(sel("draft-preview"));
  try {
    await preview.waitForDisplayed({ timeout: RUN_TIMEOUT_MS });
  } catch {
    const error = await browser.execute(() => document.querySelector('[data-testid="draft-error"]')?.textContent ?? "");
    fail(`no draft preview within ${RUN_TIMEOUT_MS / 1000} s: ${error}${await toastText(browser)}`);
  }
  const rows = await browser.execute(() =>
    Array.from(document.querySelectorAll('[data-testid="draft-task"]'), (r) => r.getAttribute("data-task-id")),
  );
  if (!rows.includes("farewell") || !rows.includes("greet")) fail(`the preview lists ${JSON.stringify(rows)}`);
  const changes = await (await browser.$(sel("draft-changes"))).getText();
  if (!changes.includes("farewell")) fail(`the preview's changes do not name the new task: ${changes}`);
  if (readFileSync(file, "utf8") !== original) fail("the preview changed the tasks file");
  await browser.saveScreenshot(join(OUT, "draft.png"));
  await (await browser.$(sel("draft-accept"))).click();
  const card = '[data-testid="task-card"][data-task-id="farewell"]';
  try {
    await browser.waitUntil(async () => (await browser.$$(card)).length === 1, { timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(`the accepted draft's task did not show on the board${await toastText(browser)}`);
  }
  // The agent's file, as its Write tool left it (it may trim trailing spaces): the new task and the old ones.
  const accepted = readFileSync(file, "utf8");
  if (!accepted.includes("  - id: farewell\n    title: Say goodbye\n") || !accepted.includes("  - id: greet\n")) {
    fail(`the tasks file is not the accepted draft:\n${accepted}`);
  }
  const farewell = cliJson(ctx, ["status", "--repo", repo]).find((t) => t.id === "farewell");
  if (!farewell || JSON.stringify(farewell.depends_on) !== '["greet"]') fail(`the database holds ${JSON.stringify(farewell)}`);
  for (const close of await browser.$$('[data-testid="toast"] [data-testid="toast-dismiss"]')) await close.click();
  log("the drafted task was previewed, accepted, written to yokeflow.yaml and shown on the board");
}

/** The app's own process: the one whose executable is the app binary. */
function appPid(ctx) {
  const app = realpathSync(ctx.app);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`) === app) return Number(entry);
    } catch {
      // Gone, or not ours to read.
    }
  }
  return null;
}

/** Processes whose command line contains `marker`. */
function markedProcesses(marker) {
  const found = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) found.push(Number(entry));
    } catch {
      // Gone.
    }
  }
  return found;
}

/**
 * Last, since it ends the app: SIGTERM while an agent works must cancel the run (the agent stopped, its task back in
 * the Backlog with its branch kept) before the app exits, as the tray's Quit and closing the window do.
 */
async function quitDuringRunSteps(browser, ctx) {
  const repo = join(ctx.dataDir, "slow-shop");
  const marker = `yokeflow-e2e-quit-${process.pid}`;
  mkdirSync(repo, { recursive: true });
  const agent = JSON.stringify([join(dirname(appPath()), "yokeflow-scripted-agent"), "--task-id", "{task_id}", "--prompt-file", "{prompt_file}", "--sleep-ms", "600000", "--marker", marker]);
  writeFileSync(join(repo, "yokeflow.yaml"), `project: slow-shop\nagent: ${agent}\ntasks:\n  - id: slow\n    title: Take forever\n`);
  const git = (...args) => execFileSync("git", ["-C", repo, ...args], { stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "yokeflow.yaml");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "init");
  await (await browser.$(sel("add-project-path"))).setValue(repo);
  await (await browser.$(sel("add-project-submit"))).click();
  await browser.waitUntil(async () => (await browser.$$(`[data-testid="task-card"][data-task-id="slow"]`)).length === 1, {
    timeout: UI_TIMEOUT_MS,
    interval: 250,
  });
  await (await browser.$(sel("start-run"))).click();
  await (await browser.$(sel("approve-commands"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  await (await browser.$(sel("approve-commands"))).click();
  try {
    await browser.waitUntil(async () => markedProcesses(marker).length > 0, { timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    fail(`the slow agent never started${await toastText(browser)}`);
  }
  const pid = appPid(ctx) ?? fail(`no process runs ${ctx.app}`);
  log(`the agent works; sending SIGTERM to the app (pid ${pid})`);
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 60_000;
  while (appPid(ctx) !== null && Date.now() < deadline) await sleep(100);
  if (appPid(ctx) !== null) fail("the app did not quit within 60 s of SIGTERM");
  const left = markedProcesses(marker);
  if (left.length > 0) fail(`the agent outlived the app: ${JSON.stringify(left)}`);
  const task = cliJson(ctx, ["status", "--repo", repo]).find((t) => t.id === "slow");
  if (task?.status !== "backlog") fail(`after the quit the task is ${task?.status}, not back in the backlog`);
  log("SIGTERM cancelled the run before the app quit: the agent stopped, the task is back in the backlog");
}

/** Adds a fresh repository with a tasks file through the sidebar: it must open with its cards. */
async function addRepositorySteps(browser, ctx) {
  const repo = join(ctx.dataDir, "my-shop");
  mkdirSync(repo, { recursive: true });
  // Its tasks file names its own agent (the scripted stand-in beside the app) and test command: they must not run
  // before a person approved them in the window.
  const agent = JSON.stringify([join(dirname(appPath()), "yokeflow-scripted-agent"), "--task-id", "{task_id}", "--prompt-file", "{prompt_file}", "--sleep-ms", "50"]);
  const tests = JSON.stringify(["git", "status", "--short"]);
  writeFileSync(
    join(repo, "yokeflow.yaml"),
    `project: my-shop\nagent: ${agent}\ntest_command: ${tests}\ntasks:\n  - id: cart\n    title: Add the cart\n  - id: pay\n    title: Take payments\n    depends_on: [cart]\n`,
  );
  const git = (...args) => execFileSync("git", ["-C", repo, ...args], { stdio: "ignore" });
  git("init", "-q", "-b", "main");
  git("add", "yokeflow.yaml");
  git("-c", "user.name=e2e", "-c", "user.email=e2e@example.com", "commit", "-q", "-m", "init");

  log(`adding the repository ${repo} from the sidebar`);
  await (await browser.$(sel("add-project-path"))).setValue(repo);
  await (await browser.$(sel("add-project-submit"))).click();
  try {
    await browser.waitUntil(
      async () => {
        const titles = await browser.execute(() =>
          Array.from(document.querySelectorAll('[data-testid="task-title"]'), (t) => t.textContent.trim()),
        );
        return titles.length === 2 && titles.includes("Add the cart") && titles.includes("Take payments");
      },
      { timeout: UI_TIMEOUT_MS, interval: 250 },
    );
  } catch {
    fail(`the added repository's two cards did not show within ${UI_TIMEOUT_MS / 1000} s${await toastText(browser)}`);
  }
  const projects = cliJson(ctx, ["projects"]).map((p) => p.project.name);
  if (!projects.includes("my-shop")) fail(`the database does not list the added project: ${JSON.stringify(projects)}`);
  log("the added repository opened with its 2 cards");
  await browser.saveScreenshot(join(OUT, "added.png"));

  log('clicking "Start run": the tasks file\'s commands must be shown for approval first');
  await (await browser.$(sel("start-run"))).click();
  const dialog = await browser.$(sel("approval-dialog"));
  try {
    await dialog.waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  } catch {
    fail(`no approval dialog for the tasks file's commands${await toastText(browser)}`);
  }
  const shown = await browser.execute(() =>
    Array.from(document.querySelectorAll('[data-testid="approval-command"]'), (c) => ({
      kind: c.getAttribute("data-kind"),
      argv: Array.from(c.querySelectorAll("code"), (a) => a.textContent),
    })),
  );
  if (JSON.stringify(shown.map((c) => c.kind)) !== '["agent","test"]') fail(`the dialog shows ${JSON.stringify(shown)}`);
  if (JSON.stringify(shown[1].argv) !== tests) fail(`the test command is not shown exactly: ${JSON.stringify(shown[1].argv)}`);
  const sessions = cliJson(ctx, ["status", "--repo", repo]).filter((t) => t.status !== "backlog");
  if (sessions.length > 0) fail(`tasks moved before the commands were approved: ${JSON.stringify(sessions)}`);
  await browser.saveScreenshot(join(OUT, "approval.png"));
  log(`shown for approval: ${JSON.stringify(shown)}`);
  await (await browser.$(sel("approve-commands"))).click();
  try {
    await browser.waitUntil(async () => cliJson(ctx, ["status", "--repo", repo]).every((t) => t.status === "done"), {
      timeout: RUN_TIMEOUT_MS,
      interval: 500,
    });
  } catch {
    fail(`the approved run of my-shop did not finish: ${JSON.stringify(cliJson(ctx, ["status", "--repo", repo]))}${await toastText(browser)}`);
  }
  // The window has taken the run's end in (its report shows above the board) before anything on the board is
  // clicked: the report appearing moves the board down, and a click aimed before that lands on what moved there.
  try {
    await (await browser.$(sel("run-report"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(`the window did not show the end of my-shop's run${await toastText(browser)}`);
  }
  log("approved: the run used the tasks file's agent and tests, and both tasks are done");
}

/** The titles on the board now. */
function boardTitles(browser) {
  return browser.execute(() =>
    Array.from(document.querySelectorAll('[data-testid="task-title"]'), (t) => t.textContent.trim()),
  );
}

/** Waits until `check(titles)` holds for the board's titles, else fails with `what`. */
async function waitForBoard(browser, check, what) {
  let titles = [];
  try {
    await browser.waitUntil(async () => check((titles = await boardTitles(browser))), {
      timeout: UI_TIMEOUT_MS,
      interval: 200,
    });
  } catch {
    fail(`${what} (board: ${JSON.stringify(titles)})${await toastText(browser)}`);
  }
}

/** Waits for the task form's Save to be enabled (the core checked the draft), then clicks it. */
async function saveTaskForm(browser) {
  const save = await browser.$(sel("task-form-save"));
  try {
    await browser.waitUntil(async () => save.isEnabled(), { timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    const issues = await browser.execute(() =>
      Array.from(document.querySelectorAll('[data-testid^="field-issue-"], [data-testid="task-form-issues"]'), (i) =>
        i.textContent.trim(),
      ),
    );
    fail(`the task form's Save never became enabled: ${JSON.stringify(issues)}`);
  }
  await save.click();
  await (await browser.$(sel("task-form"))).waitForDisplayed({ reverse: true, timeout: UI_TIMEOUT_MS });
}

/**
 * Cards from the window on the added repository (its tasks file is `yokeflow.yaml` in the repository): a new task
 * with a dependency picked from the list, an edit and a delete; each reaches the database and the file, in place
 * (the person's text stays). Then an edit of the file by hand shows up on the board. Screenshot: new-task.png.
 */
async function cardSteps(browser, ctx) {
  const repo = join(ctx.dataDir, "my-shop");
  const file = join(repo, "yokeflow.yaml");
  const original = readFileSync(file, "utf8");
  const ids = () => cliJson(ctx, ["status", "--repo", repo]).map((t) => t.id);

  log('adding a card: "New task" in the Backlog, a title, a dependency picked from the list, a file');
  await (await browser.$(sel("new-task"))).click();
  const form = await browser.$(sel("task-form"));
  await form.waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  await (await browser.$(sel("task-form-title"))).setValue("Add a wishlist");
  const id = await (await browser.$(sel("task-form-id"))).getValue();
  if (id !== "add-a-wishlist") fail(`the new task's id was not derived from its title: ${id}`);
  await (await browser.$('[data-testid="task-form-dep"][data-task-id="cart"]')).click();
  await (await browser.$(sel("task-form-files"))).setValue("src/wishlist.ts");
  await (await browser.$(sel("task-form-effort"))).setValue("20");
  await browser.waitUntil(async () => (await browser.$(sel("task-form-save"))).isEnabled(), {
    timeout: UI_TIMEOUT_MS,
    interval: 100,
  });
  await browser.saveScreenshot(join(OUT, "new-task.png"));
  await saveTaskForm(browser);
  await waitForBoard(browser, (t) => t.includes("Add a wishlist"), "the new card did not show on the board");
  const added = cliJson(ctx, ["status", "--repo", repo]).find((t) => t.id === "add-a-wishlist");
  if (!added || JSON.stringify(added.depends_on) !== '["cart"]' || added.effort_minutes !== 20) {
    fail(`the database holds ${JSON.stringify(added)}`);
  }
  let text = readFileSync(file, "utf8");
  if (!text.startsWith(original) || !text.includes("id: add-a-wishlist") || !text.includes("depends_on: [cart]")) {
    fail(`the tasks file did not follow in place:\n${text}`);
  }
  log("the new card is on the board, in the database and appended to yokeflow.yaml");

  log("editing it from its pane");
  await (await browser.$('[data-testid="task-card"][data-task-id="add-a-wishlist"] button')).click();
  await (await browser.$(sel("log-pane"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  await (await browser.$(sel("edit-task"))).click();
  await form.waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  const title = await browser.$(sel("task-form-title"));
  await title.clearValue();
  await title.setValue("Add a wishlist page");
  await saveTaskForm(browser);
  await waitForBoard(browser, (t) => t.includes("Add a wishlist page"), "the edited title did not show");
  text = readFileSync(file, "utf8");
  if (!text.includes("title: Add a wishlist page") || !text.startsWith(original)) fail(`the edit missed the file:\n${text}`);

  log("deleting it (a Backlog task), confirmed");
  await (await browser.$(sel("delete-task"))).click();
  const confirm = await browser.$(sel("delete-task-confirm"));
  await browser.waitUntil(async () => (await confirm.isExisting()) && (await confirm.isEnabled()), {
    timeout: UI_TIMEOUT_MS,
    interval: 100,
  });
  await confirm.click();
  await waitForBoard(browser, (t) => !t.some((x) => x.startsWith("Add a wishlist")), "the deleted card stayed");
  if (ids().includes("add-a-wishlist")) fail("the deleted task is still in the database");
  if (readFileSync(file, "utf8") !== original) fail(`the file is not back to what the person wrote:\n${readFileSync(file, "utf8")}`);

  log("editing yokeflow.yaml by hand: the board follows");
  writeFileSync(file, `${original}  - id: refunds\n    title: Handle refunds\n    depends_on: [pay]\n`);
  await waitForBoard(browser, (t) => t.includes("Handle refunds"), "a task added to the file by hand did not show");
  if (!ids().includes("refunds")) fail("the file's new task is not in the database");
  const shown = await toasts(browser);
  if (!shown.some((t) => t.startsWith("info:") && t.includes("imported"))) fail(`no toast says the file was imported: ${JSON.stringify(shown)}`);
  // Dismiss it: later steps treat any toast as a failure.
  for (const close of await browser.$$('[data-testid="toast"] [data-testid="toast-dismiss"]')) await close.click();
  const pane = await browser.$('[aria-label="Close the log"]');
  if (await pane.isExisting()) await pane.click();
  log("cards: added, edited, deleted from the window, and a hand edit of the file imported live");
}

/** Sets a textarea or input as a paste would (typing key by key through WebDriver loses some characters). */
async function paste(browser, testId, text) {
  await browser.execute(
    (id, value) => {
      const field = document.querySelector(`[data-testid="${id}"]`);
      const proto = field instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
      Object.getOwnPropertyDescriptor(proto, "value").set.call(field, value);
      field.dispatchEvent(new Event("input", { bubbles: true }));
    },
    testId,
    text,
  );
}

/**
 * The project's settings in the window, on the added repository: a setup program that does not exist is shown at
 * its field and blocks Save; worktrees at once and an included file are saved and reach the database (the command
 * line reads them back). Screenshot: settings.png.
 */
async function settingsSteps(browser, ctx) {
  const repo = join(ctx.dataDir, "my-shop");
  await (await browser.$(sel("view-settings"))).click();
  await (await browser.$(sel("settings-form"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  log("settings: a setup program that is not installed is refused at its field");
  await paste(browser, "settings-setup", "no-such-setup-program-xyz");
  const issue = await browser.$(sel("setting-issue-setup"));
  try {
    await issue.waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  } catch {
    fail(`no issue shown at the setup field${await toastText(browser)}`);
  }
  if (!(await issue.getText()).includes("not installed")) fail(`the setup issue says: ${await issue.getText()}`);
  if (await (await browser.$(sel("settings-save"))).isEnabled()) fail("Save is enabled while a setting has a problem");
  await paste(browser, "settings-setup", "");
  await paste(browser, "settings-max_worktrees", "3");
  await paste(browser, "settings-worktree_include", ".env\nconfig/local.toml");
  const reuse = await browser.$(sel("settings-reuse_worktrees"));
  if (await reuse.isSelected()) fail("worktrees are reused before anyone asked");
  await reuse.click();
  const save = await browser.$(sel("settings-save"));
  await browser.waitUntil(async () => save.isEnabled(), { timeout: UI_TIMEOUT_MS, interval: 100 });
  await browser.execute(() =>
    document.querySelector('[data-testid="settings-worktree_include"]').scrollIntoView({ block: "center" }),
  );
  await browser.saveScreenshot(join(OUT, "settings.png"));
  await save.click();
  try {
    await browser.waitUntil(
      async () => {
        const stored = cliJson(ctx, ["config", "--repo", repo]);
        return (
          stored.max_worktrees === 3 &&
          stored.reuse_worktrees === true &&
          JSON.stringify(stored.worktree_include) === '[".env","config/local.toml"]'
        );
      },
      { timeout: UI_TIMEOUT_MS, interval: 250 },
    );
  } catch {
    fail(`the saved settings did not reach the database: ${JSON.stringify(cliJson(ctx, ["config", "--repo", repo]))}${await toastText(browser)}`);
  }
  for (const close of await browser.$$('[data-testid="toast"] [data-testid="toast-dismiss"]')) await close.click();
  await (await browser.$(sel("view-board"))).click();
  log("settings: saved from the window and read back from the command line");
}

/**
 * Drags `source` onto `target` with the mouse, in small moves (dnd-kit starts a drag after a few pixels), and lets
 * go only once the window shows the target as the drop target (or, with `whileOver`, once `whileOver()` holds; it
 * runs with the pointer still over the target), however long a loaded machine takes to get there, so the drop
 * never lands before dnd-kit knows where it is.
 */
async function dragOnto(browser, source, target, whileOver = null) {
  const mouse = { id: "drag-mouse", parameters: { pointerType: "mouse" } };
  await browser
    .action("pointer", mouse)
    .move({ origin: source })
    .down({ button: 0 })
    .move({ origin: "pointer", x: 12, y: 6, duration: 100 })
    .move({ origin: target, duration: 300 })
    .perform(true);
  try {
    const ready = whileOver ?? (async () => (await target.getAttribute("data-drop-target")) === "true");
    await browser.waitUntil(ready, { timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    await browser.action("pointer", mouse).up({ button: 0 }).perform();
    fail(`the drag never showed its target as ${whileOver === null ? "a drop target" : "expected"} within ${UI_TIMEOUT_MS / 1000} s`);
  }
  await browser.action("pointer", mouse).up({ button: 0 }).perform();
}

/** The demo's run was confined: the project a person added has the sandbox on here (bubblewrap is installed). */
function sandboxedSteps(ctx) {
  const repo = demoRepo(ctx);
  const tasks = cliJson(ctx, ["status", "--repo", repo]);
  const sessions = tasks.flatMap((t) => cliJson(ctx, ["log", t.id, "--repo", repo]).sessions);
  if (sessions.length < tasks.length) fail(`the demo's run recorded ${sessions.length} sessions for ${tasks.length} tasks`);
  const loose = sessions.filter((s) => !s.sandboxed);
  if (loose.length > 0) fail(`${loose.length} of the demo's ${sessions.length} agent sessions ran outside the sandbox`);
  const sandbox = cliJson(ctx, ["config", "get", "sandbox", "--repo", repo]);
  if (sandbox !== true) fail(`the demo's sandbox setting is ${JSON.stringify(sandbox)}, not on`);
  log(`the demo's ${sessions.length} agent sessions all ran in the sandbox`);
}

function demoRepo(ctx) {
  const projects = cliJson(ctx, ["projects"]);
  const demo = projects.find((p) => p.project.is_demo) ?? fail(`no demo project in ${JSON.stringify(projects)}`);
  return demo.project.repo_path;
}

/** A drop the plan does not allow: a task whose dependency is not done, onto Done. */
async function refusedDragSteps(browser, ctx) {
  const repo = demoRepo(ctx);
  const before = JSON.stringify(cliJson(ctx, ["status", "--repo", repo]));
  const taskId = await browser.execute(() => {
    for (const card of document.querySelectorAll('[data-testid="column-backlog"] [data-testid="task-card"]')) {
      if (card.querySelector('[data-testid="card-deps"]')) return card.getAttribute("data-task-id");
    }
    return null;
  });
  if (taskId === null) fail("no backlog card with a dependency to drag");
  log(`dragging \`${taskId}\` (its dependency is not done) onto Done`);
  const card = await browser.$(`[data-testid="task-card"][data-task-id="${taskId}"]`);
  // Done does not light up as a drop target: it shows, while the card is over it, why it would refuse it.
  const done = await browser.$(sel("column-done"));
  let said = null;
  await dragOnto(browser, card, done, async () => {
    said = await browser.execute(() => {
      const column = document.querySelector('[data-testid="column-done"]');
      const refusal = column?.querySelector('[data-testid="drop-refusal"]');
      if (column?.getAttribute("data-drop-target") !== "false" || refusal == null) return null;
      return refusal.textContent;
    });
    if (said !== null) await browser.saveScreenshot(join(OUT, "refused-drag.png"));
    return said !== null;
  });
  if (!said.includes("depends on")) fail(`Done's refusal while dragging does not say why: ${said}`);
  log(`while over Done, the column said: ${said}`);
  let shown = [];
  try {
    await browser.waitUntil(async () => (shown = await toasts(browser)).some((t) => t.startsWith("move_refused:")), {
      timeout: UI_TIMEOUT_MS,
      interval: 200,
    });
  } catch {
    fail(`dropping \`${taskId}\` on Done showed no refusal within ${UI_TIMEOUT_MS / 1000} s (toasts: ${JSON.stringify(shown)})`);
  }
  const message = shown.find((t) => t.startsWith("move_refused:"));
  if (!message.includes(`cannot mark \`${taskId}\` done`) || !message.includes("depends on")) {
    fail(`the refusal does not say why: ${message}`);
  }
  log(`refused with: ${message}`);
  const status = await card.getAttribute("data-status");
  if (status !== "backlog") fail(`the refused card shows status ${status}, not backlog`);
  const inBacklog = await browser.execute(
    (id) => document.querySelector(`[data-testid="column-backlog"] [data-task-id="${id}"]`) !== null,
    taskId,
  );
  if (!inBacklog) fail(`the refused card \`${taskId}\` is no longer in the Backlog column`);
  if (JSON.stringify(cliJson(ctx, ["status", "--repo", repo])) !== before) fail("a refused drop changed the database");
  await browser.saveScreenshot(join(OUT, "refused.png"));
  // Dismiss it: the run steps treat any error toast as a failure.
  for (const close of await browser.$$('[data-testid="toast"] [data-testid="toast-dismiss"]')) await close.click();
}

/** Moves a planned task to another worktree's lane; the stored plan must pin it there. */
async function laneMoveSteps(browser, ctx) {
  const repo = demoRepo(ctx);
  await (await browser.$(sel("view-lanes"))).click();
  await (await browser.$(sel("lanes"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  const plan = cliJson(ctx, ["plan", "show", "--repo", repo]);
  const [from, to] = plan.worktree_assignments;
  if (!from || !to) fail(`the demo plan has fewer than two worktrees: ${JSON.stringify(plan.worktree_assignments)}`);
  const taskId = from.task_ids[from.task_ids.length - 1];
  log(`dragging \`${taskId}\` from ${from.worktree} to ${to.worktree}'s lane`);
  const chip = await browser.$(`[data-testid="lane-chip"][data-task-id="${taskId}"]`);
  const lane = await browser.$(`[data-testid="lane"][data-worktree="${to.worktree}"]`);
  try {
    await chip.waitForExist({ timeout: UI_TIMEOUT_MS });
  } catch {
    fail(`no lane chip for \`${taskId}\``);
  }
  try {
    await lane.waitForExist({ timeout: UI_TIMEOUT_MS });
  } catch {
    fail(`no lane for ${to.worktree}`);
  }
  await dragOnto(browser, chip, lane);
  let stored = null;
  try {
    await browser.waitUntil(
      async () => {
        stored = cliJson(ctx, ["plan", "show", "--repo", repo]);
        const target = stored.worktree_assignments.find((w) => w.worktree === to.worktree);
        return target !== undefined && target.task_ids.includes(taskId) && stored.pinned.includes(taskId);
      },
      { timeout: UI_TIMEOUT_MS, interval: 250 },
    );
  } catch {
    fail(
      `the database's plan does not hold \`${taskId}\` pinned in ${to.worktree}: ` +
        `${JSON.stringify(stored?.worktree_assignments)} pinned ${JSON.stringify(stored?.pinned)}${await toastText(browser)}`,
    );
  }
  const shownInLane = await browser.execute(
    (wt, id) => document.querySelector(`[data-testid="lane"][data-worktree="${wt}"] [data-task-id="${id}"]`) !== null,
    to.worktree,
    taskId,
  );
  if (!shownInLane) fail(`the window does not show \`${taskId}\` in ${to.worktree}'s lane after the move`);
  log(`the database pins \`${taskId}\` to ${to.worktree}`);
  await browser.saveScreenshot(join(OUT, "lanes-moved.png"));
  await (await browser.$(sel("view-board"))).click();
}

/**
 * Listens on the session bus for the app's desktop notifications (org.freedesktop.Notifications.Notify calls;
 * no notification server is needed for dbus-monitor to see them). `check()` requires a batch and a run-finished
 * notification when YOKEFLOW_E2E_NOTIFICATIONS=1, and otherwise only reports what it saw.
 */
/** Resolves when `condition()` holds, checking every 50 ms; rejects after `timeoutMs`. */
async function waitFor(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await sleep(50);
  }
}

function watchNotifications() {
  const required = process.env.YOKEFLOW_E2E_NOTIFICATIONS === "1";
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    if (required) fail("YOKEFLOW_E2E_NOTIFICATIONS=1 but there is no D-Bus session (run under dbus-run-session)");
    log("no D-Bus session: desktop notifications are not checked");
    return { ready: async () => {}, check: async () => {} };
  }
  let text = "";
  const monitor = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications'"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  monitor.on("error", () => {});
  monitor.stdout.on("data", (chunk) => (text += chunk));
  return {
    /** Resolves once dbus-monitor is on the bus (it prints its own NameAcquired signal first). */
    async ready() {
      try {
        await waitFor(() => text.includes("NameAcquired"), UI_TIMEOUT_MS);
      } catch {
        fail(`dbus-monitor did not connect to the session bus within ${UI_TIMEOUT_MS / 1000} s`);
      }
    },
    async check() {
      // The run's last notification may still be on its way through the bus: wait for it (a guard, not a delay).
      await waitFor(() => /string "Run finished/.test(text), UI_TIMEOUT_MS).catch(() => {});
      monitor.kill("SIGTERM");
      const titles = [...text.matchAll(/member=Notify\n(?:.*\n){3}\s*string "([^"]*)"/g)].map((m) => m[1]);
      log(`desktop notifications sent: ${JSON.stringify(titles)}`);
      if (!required) return;
      if (!titles.some((t) => t.startsWith("Batch 1 of"))) fail(`no "Batch 1 of N done" notification: ${JSON.stringify(titles)}`);
      if (!titles.some((t) => t.startsWith("Run finished"))) fail(`no "Run finished" notification: ${JSON.stringify(titles)}`);
    },
  };
}

/** Runs the demo with its scripted agent: every card must reach Done and the report must show a clean run. */
async function runSteps(browser, { totalCards, screenshotPath }) {
  log('clicking "Start run"');
  const start = await browser.$(sel("start-run"));
  try {
    await start.waitForEnabled({ timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(`the "Start run" button (${sel("start-run")}) was not enabled within ${UI_TIMEOUT_MS / 1000} s${await toastText(browser)}`);
  }
  await start.click();

  log(`waiting for all ${totalCards} cards to reach Done`);
  let last = null;
  const readRun = () =>
    browser.execute(
      (cardSel) => {
        const done = document.querySelector('[data-testid="column-done"]');
        const status = document.querySelector('[data-testid="run-status"]');
        return {
          cards: document.querySelectorAll(cardSel).length,
          done: done ? done.querySelectorAll(cardSel).length : 0,
          columns: Array.from(document.querySelectorAll('[data-testid^="column-"]'), (column) => {
            const name = column.getAttribute("data-testid").slice("column-".length);
            return `${name} ${column.querySelectorAll(cardSel).length}`;
          })
            .filter((text) => !text.startsWith("count"))
            .join(", "),
          state: status ? status.getAttribute("data-state") : null,
          errors: Array.from(document.querySelectorAll('[data-testid="toast"]'))
            .filter((toast) => toast.getAttribute("data-error-code") !== "warning")
            .map((toast) => {
              const message = toast.querySelector('[data-testid="toast-message"]');
              return `${toast.getAttribute("data-error-code")}: ${message ? message.textContent : toast.textContent}`;
            }),
        };
      },
      sel("task-card"),
    );
  const started = Date.now();
  let lastLogged = 0;
  try {
    await browser.waitUntil(
      async () => {
        last = await readRun();
        // A refused start or a failed run shows a toast (warnings aside): no point waiting for the timeout.
        if (last.errors.length > 0) return true;
        if (last.state === "failed" || last.state === "cancelled") return true;
        if (Date.now() - lastLogged > 10_000) {
          lastLogged = Date.now();
          log(`  ${Math.round((Date.now() - started) / 1000)} s: ${last.columns} (run ${last.state})`);
        }
        return last.cards > 0 && last.done === last.cards;
      },
      { timeout: RUN_TIMEOUT_MS, interval: 500 },
    );
  } catch {
    fail(
      `not every card reached Done within ${RUN_TIMEOUT_MS / 1000} s of "Start run"` +
        `${last ? `: ${last.columns}, run ${last.state}` : ""}${await toastText(browser)}`,
    );
  }
  if (last.errors.length > 0) fail(`the run did not go through: ${last.errors.join(" / ")}`);
  if (last.state === "failed" || last.state === "cancelled") {
    fail(`the run ended ${last.state} with ${last.columns}${await toastText(browser)}`);
  }
  if (last.cards !== totalCards) fail(`the board held ${totalCards} cards before the run and ${last.cards} after`);
  log(`all ${last.cards} cards are done after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  log("waiting for the run report");
  const report = await browser.$(sel("run-report"));
  try {
    await report.waitForDisplayed({ timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(`the run report (${sel("run-report")}) did not appear within ${UI_TIMEOUT_MS / 1000} s${await toastText(browser)}`);
  }
  const summary = await browser.execute(() => {
    const text = (testId) => {
      const element = document.querySelector(`[data-testid="run-report"] [data-testid="${testId}"]`);
      return element ? element.textContent.trim() : null;
    };
    const status = document.querySelector('[data-testid="run-status"]');
    return {
      rate: text("merge-success-rate"),
      tasks: text("report-tasks"),
      merges: text("report-merges"),
      wall: text("report-wall"),
      taskTime: text("report-task-time"),
      gain: text("report-gain"),
      state: status ? status.getAttribute("data-state") : null,
    };
  });
  log(
    `report: ${summary.tasks}; wall ${summary.wall} vs task time ${summary.taskTime}; gain ${summary.gain}; ` +
      `merges ${summary.merges}; success rate ${summary.rate}`,
  );
  if (summary.rate !== "100%") fail(`the run report shows a merge success rate of ${JSON.stringify(summary.rate)}, not 100%`);
  if (summary.state !== "finished") fail(`the run status says ${JSON.stringify(summary.state)}, not finished`);

  mkdirSync(dirname(screenshotPath), { recursive: true });
  await browser.saveScreenshot(screenshotPath);
  log(`screenshot saved to ${screenshotPath}`);
  await layoutSteps(browser, dirname(screenshotPath));

  // The other two views after the run: every task has a planned and an actual bar, every worktree a lane.
  await viewSteps(browser, "view-timeline", "gantt", join(dirname(screenshotPath), "timeline.png"));
  const bars = await browser.execute(() => ({
    planned: document.querySelectorAll('[data-testid="gantt"] [data-testid="gantt-planned"]').length,
    actual: document.querySelectorAll('[data-testid="gantt"] [data-testid="gantt-actual"][data-outcome="done"]').length,
  }));
  log(`timeline: ${bars.planned} planned bars, ${bars.actual} actual bars of done tasks`);
  if (bars.planned !== totalCards || bars.actual !== totalCards) {
    fail(`the timeline shows ${bars.planned} planned and ${bars.actual} filled actual bars for ${totalCards} tasks`);
  }
  const gateBars = await browser.execute(
    () => document.querySelectorAll('[data-testid="gantt"] [data-testid="gantt-gate-segment"]').length,
  );
  log(`timeline: ${gateBars} bars end with their time at the merge gate`);
  if (gateBars === 0) fail("no actual bar shows its time at the merge gate");
  await viewSteps(browser, "view-lanes", "lanes", join(dirname(screenshotPath), "lanes.png"));
  // Below the lanes, the merge gate: every landing of the run, as the gate reported it.
  const gate = await browser.execute(() => {
    const items = [...document.querySelectorAll('[data-testid="merge-queue"] [data-testid="merge-queue-landing"]')];
    return items.map((item) => `${item.getAttribute("data-task-id")}=${item.getAttribute("data-result")}`);
  });
  log(`merge gate panel: latest landings ${gate.join(", ")}`);
  if (gate.length === 0 || gate.some((item) => !item.endsWith("=merged"))) {
    fail(`the merge gate panel lists ${JSON.stringify(gate)}: expected the run's landings, all merged`);
  }
  // The Expertise tab: every task of the run was routed, and the decisions are listed.
  await viewSteps(browser, "view-expertise", "expertise-view", join(dirname(screenshotPath), "expertise.png"));
  const routed = await browser.execute(
    () => document.querySelectorAll('[data-testid="expertise-view"] [data-testid="routing-row"]').length,
  );
  log(`expertise: ${routed} routing decisions listed`);
  if (routed < totalCards) fail(`the Expertise tab lists ${routed} routing decisions for ${totalCards} tasks`);
  await (await browser.$(sel("view-board"))).click();
}

/**
 * The window at 1280×800 (as it is), at 1024×700 and at 900×600, after a run: the header holds one row (its buttons
 * beside the status), the run report one line, every column of the board is on screen and the board keeps most of
 * the height; at 900×600 the task form's Save and Cancel stay in view.
 */
async function layoutSteps(browser, out) {
  const measure = () =>
    browser.execute(() => {
      const box = (el) => (el === null ? null : el.getBoundingClientRect());
      const header = box(document.querySelector("main > header"));
      const status = box(document.querySelector('[data-testid="run-status"]'));
      const start = box(document.querySelector('[data-testid="start-run"]'));
      const refresh = box(document.querySelector('[data-testid="refresh"]'));
      const report = box(document.querySelector('[data-testid="run-report"]'));
      const board = box(document.querySelector('[data-testid="board"]'));
      const done = box(document.querySelector('[data-testid="column-done"]'));
      const same = (a, b) => a !== null && b !== null && Math.abs(a.top + a.height / 2 - (b.top + b.height / 2)) < 8;
      return {
        width: window.innerWidth,
        height: window.innerHeight,
        header: header?.height ?? null,
        oneRow: same(status, start) && same(start, refresh),
        report: report?.height ?? null,
        board: board?.height ?? null,
        doneRight: done?.right ?? null,
      };
    });
  const check = (m, name) => {
    log(`layout at ${m.width}×${m.height}: header ${m.header} px, report ${m.report} px, board ${m.board} px, Done column ends at ${m.doneRight}`);
    if (!m.oneRow) fail(`at ${name} the header's buttons wrap onto another row than the run status`);
    if (m.report === null || m.report > 60) fail(`at ${name} the run report takes ${m.report} px, not one line`);
    if (m.doneRight === null || m.doneRight > m.width) fail(`at ${name} the Done column is off-screen (its right edge at ${m.doneRight})`);
    if (m.board === null || m.board < m.height * 0.5) fail(`at ${name} the board has ${m.board} px of ${m.height}`);
  };
  check(await measure(), "1280×800");
  await resizeTo(browser, 1024, 700);
  check(await measure(), "1024×700");
  await browser.saveScreenshot(join(out, "board-1024.png"));
  log(`screenshot saved to ${join(out, "board-1024.png")}`);
  // The smallest window the issue names: the board still usable, a dialog's Save and Cancel in view.
  await resizeTo(browser, 900, 600);
  check(await measure(), "900×600");
  await browser.saveScreenshot(join(out, "board-900.png"));
  log(`screenshot saved to ${join(out, "board-900.png")}`);
  await (await browser.$(sel("new-task"))).click();
  const save = await browser.$(sel("task-form-save"));
  try {
    await save.waitForDisplayed({ timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    fail(`the task form did not open at 900×600${await toastText(browser)}`);
  }
  const foot = await browser.execute(() => {
    const rect = (id) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect() ?? null;
    const save = rect("task-form-save");
    const cancel = rect("task-form-cancel");
    return { height: window.innerHeight, save: save && [save.top, save.bottom], cancel: cancel && [cancel.top, cancel.bottom] };
  });
  log(`task form at 900×600: Save at ${JSON.stringify(foot.save)}, Cancel at ${JSON.stringify(foot.cancel)} of ${foot.height} px`);
  const inView = (span) => span !== null && span[0] >= 0 && span[1] <= foot.height;
  if (!inView(foot.save) || !inView(foot.cancel)) fail("at 900×600 the task form's Save or Cancel is out of view");
  await browser.saveScreenshot(join(out, "form-900.png"));
  log(`screenshot saved to ${join(out, "form-900.png")}`);
  await (await browser.$(sel("task-form-cancel"))).click();
  await save.waitForDisplayed({ reverse: true, timeout: UI_TIMEOUT_MS, interval: 100 });
  await browser.setWindowSize(1280, 800);
  await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) > 1024, { timeout: UI_TIMEOUT_MS, interval: 100 });
}

/** Gives the window the size `width`×`height` and waits until the page has taken it. */
async function resizeTo(browser, width, height) {
  await browser.setWindowSize(width, height);
  try {
    await browser.waitUntil(async () => (await browser.execute(() => window.innerWidth)) <= width, { timeout: UI_TIMEOUT_MS, interval: 100 });
  } catch {
    fail(`the window did not take the size ${width}×${height} (it is ${await browser.execute(() => `${window.innerWidth}×${window.innerHeight}`)})`);
  }
}

async function viewSteps(browser, tab, view, shotPath) {
  log(`opening ${tab}`);
  await (await browser.$(sel(tab))).click();
  const el = await browser.$(sel(view));
  try {
    await el.waitForDisplayed({ timeout: UI_TIMEOUT_MS, interval: 250 });
  } catch {
    fail(`the ${view} view (${sel(view)}) did not appear after clicking ${tab}${await toastText(browser)}`);
  }
  await browser.saveScreenshot(shotPath);
  log(`screenshot saved to ${shotPath}`);
}

function expectedTitles() {
  const raw = process.env.YOKEFLOW_EXPECT_TITLES;
  if (raw === undefined || raw.trim() === "") return null;
  return raw
    .split("|")
    .map((title) => title.trim())
    .filter((title) => title !== "");
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runWithApp({
    name: "the smoke test",
    overallTimeoutMs: OVERALL_TIMEOUT_MS,
    steps: (browser, ctx) => smokeSteps(browser, { expectTitles: expectedTitles(), ctx }),
  });
}
