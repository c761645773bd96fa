#!/usr/bin/env node
// Benchmark: the window's memory while an agent streams 10,000 transcript events, in the real webview (WebKitGTK
// under Xvfb, through tauri-driver).
//
//   xvfb-run -a -s "-screen 0 1280x800x24" npm run -s bench:transcript        (after building the app, see README)
//
// One project, one task, whose agent is YokeFlow's scripted stand-in speaking Claude Code's stream-json with
// `chatty: 5000` (5,000 tool calls and 5,000 results, over 10,000 transcript entries a run). The task's pane is open
// the whole time, so every entry reaches the live transcript. The task runs YOKEFLOW_BENCH_ROUNDS times (default 4;
// moved back to the Backlog in between). After each run it reads the resident memory of the app's web process (where
// the page and its JavaScript live) and of the app process, and how many transcript rows the page holds. A bounded
// window shows the same memory after round 4 as after round 1 (give or take the engine's garbage collection).
// Prints every round, then the medians. A benchmark, not a test: it exits 0 unless the app could not be measured.

import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { appPath, cliJson, log, OUT, runWithApp, sel, UI_TIMEOUT_MS } from "./harness.mjs";

const ROUNDS = Number(process.env.YOKEFLOW_BENCH_ROUNDS ?? 4);
const CHATTY = 5_000;

let repo = null;

async function prepare(ctx) {
  repo = join(ctx.dataDir, "chatty-repo");
  mkdirSync(repo, { recursive: true });
  const git = (...args) => execFileSync("git", ["-C", repo, ...args], { stdio: "ignore" });
  git("init", "-q", "-b", "main");
  const script = join(ctx.dataDir, "script.json");
  writeFileSync(script, JSON.stringify({ default: { action: "ok", sleep_ms: 1, chatty: CHATTY } }));
  const agent = JSON.stringify([
    join(dirname(appPath()), "yokeflow-scripted-agent"),
    "--task-id",
    "{task_id}",
    "--prompt-file",
    "{prompt_file}",
    "--script",
    script,
    "--output-format",
    "stream-json",
  ]);
  writeFileSync(join(repo, "yokeflow.yaml"), `project: chatty\nagent: ${agent}\ntasks:\n  - id: chat\n    title: Talk a lot\n    files: [chat.txt]\n`);
  git("add", "yokeflow.yaml");
  git("-c", "user.name=bench", "-c", "user.email=bench@example.com", "commit", "-q", "-m", "init");
  const cli = (...args) => execFileSync(ctx.app, ["--db", ctx.dbPath, "--repo", repo, ...args], { stdio: "ignore" });
  cli("init");
  cli("import", join(repo, "yokeflow.yaml"));
  cli("allow");
}

/** Resident memory in MiB of the processes whose executable name starts with `name` (in the app's session). */
function rssOf(match) {
  let kib = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      const name = /^Name:\s*(.*)$/m.exec(status)?.[1] ?? "";
      if (!match(name, entry)) continue;
      kib += Number(/^VmRSS:\s*(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return kib / 1024;
}

const webProcess = () => rssOf((name) => name.startsWith("WebKitWebProces"));
const appProcess = (ctx) =>
  rssOf((_, pid) => {
    try {
      return readlinkSync(`/proc/${pid}/exe`) === realpathSync(ctx.app);
    } catch {
      return false;
    }
  });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function steps(browser, ctx) {
  const card = '[data-testid="task-card"][data-task-id="chat"]';
  await browser.waitUntil(async () => (await browser.$$(card)).length === 1, { timeout: UI_TIMEOUT_MS, interval: 250 });
  await (await browser.$(`${card} button`)).click();
  await (await browser.$(sel("log-pane"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
  const before = { web: webProcess(), app: appProcess(ctx) };
  log(`before: web process ${before.web.toFixed(0)} MiB, app ${before.app.toFixed(0)} MiB`);
  const rounds = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const start = await browser.$(sel("start-run"));
    await start.waitForEnabled({ timeout: UI_TIMEOUT_MS });
    const started = Date.now();
    await start.click();
    await browser.waitUntil(async () => cliJson(ctx, ["status", "--repo", repo]).find((t) => t.id === "chat")?.status === "done", {
      timeout: 300_000,
      interval: 250,
    });
    // The page has taken in the whole run when the run's report is shown.
    await (await browser.$(sel("run-report"))).waitForDisplayed({ timeout: UI_TIMEOUT_MS });
    const seconds = (Date.now() - started) / 1000;
    const page = await browser.execute(() => ({
      rows: document.querySelectorAll('[data-testid="log-pane"] [data-kind]').length,
      calls: document.querySelectorAll('[data-testid="log-pane"] [data-kind="tool_call"]').length,
    }));
    const entries = cliJson(ctx, ["log", "chat", "--repo", repo]).sessions.at(-1).entries.length;
    const measured = { round, seconds, web: webProcess(), app: appProcess(ctx), rows: page.rows, entries };
    rounds.push(measured);
    log(
      `round ${round}: ${seconds.toFixed(1)} s for the run; web process ${measured.web.toFixed(0)} MiB, app ` +
        `${measured.app.toFixed(0)} MiB; ${page.rows} rows on the page (${page.calls} tool calls); the stored ` +
        `transcript read back: ${entries} entries`,
    );
    if (round < ROUNDS) execFileSync(ctx.app, ["--db", ctx.dbPath, "--repo", repo, "move", "chat", "--to", "backlog"], { stdio: "ignore" });
    await (await browser.$(sel("refresh"))).click();
  }
  mkdirSync(OUT, { recursive: true });
  await browser.saveScreenshot(join(OUT, "bench-transcript.png"));
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
  const events = 2 * CHATTY;
  console.log(`\n${ROUNDS} runs of over ${events.toLocaleString("en")} transcript events each, pane open, real webview (WebKitGTK, Xvfb, debug build), ${machine}`);
  const first = rounds[0];
  const last = rounds[rounds.length - 1];
  console.log(
    `  web process: ${before.web.toFixed(0)} MiB before, ${first.web.toFixed(0)} MiB after the first 10,000 events, ` +
      `${last.web.toFixed(0)} MiB after ${(ROUNDS * events).toLocaleString("en")} (median after a round ` +
      `${median(rounds.map((r) => r.web)).toFixed(0)} MiB; last ÷ first ${(last.web / first.web).toFixed(2)})`,
  );
  console.log(
    `  app process: ${before.app.toFixed(0)} MiB before, median after a round ${median(rounds.map((r) => r.app)).toFixed(0)} MiB; ` +
      `rows on the page after a round: median ${median(rounds.map((r) => r.rows))}; run time median ` +
      `${median(rounds.map((r) => r.seconds)).toFixed(1)} s`,
  );
}

await runWithApp({ name: "the transcript benchmark", overallTimeoutMs: 900_000, prepare, steps });
