#!/usr/bin/env node
// End-to-end smoke test of the real desktop app, driven through tauri-driver with WebdriverIO.
//
//   xvfb-run -a npm run e2e
//
// Environment:
//   YOKEFLOW_APP            the app binary (default: <repo>/target/debug/yokeflow, or $CARGO_TARGET_DIR/debug/yokeflow)
//   YOKEFLOW_EXPECT_TITLES  the demo tasks' titles, `|`-separated; when unset, at least 5 cards are expected
//   TAURI_DRIVER            the tauri-driver binary (default: ~/.cargo/bin/tauri-driver, else `tauri-driver` on PATH)
//   DISPLAY                 provided by the caller (xvfb-run)
//   YOKEFLOW_E2E_KEEP_DATA  set to keep the temporary data directory for inspection
//
// Writes tests/e2e/out/board.png (the demo board), tests/e2e/out/run-done.png (after a run of the demo's scripted
// agent), tests/e2e/out/tauri-driver.log (the driver's and the app's output) and, when a step fails after the window
// opened, tests/e2e/out/failure.png.
//
// The app gets a fresh data directory (YOKEFLOW_DATA_DIR, YOKEFLOW_DB) through tauri-driver's environment, which
// it inherits. Prints `1 passed, 0 failed` or `0 passed, 1 failed` last, and exits non-zero on failure.

import { spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "../..");
const OUT = join(HERE, "out");
const HOST = "127.0.0.1";
const PORT = 4444;
// tauri-driver starts WebKitWebDriver here.
const NATIVE_PORT = 4445;
// The demo board steps, then a whole run of the demo (up to RUN_TIMEOUT_MS), with room to spare.
const OVERALL_TIMEOUT_MS = 300_000;
const DRIVER_READY_TIMEOUT_MS = 30_000;
const UI_TIMEOUT_MS = 30_000;
// The demo's scripted agent takes ~1.5 s per task (10 tasks, 4 workers); merges are serialized.
const RUN_TIMEOUT_MS = 120_000;

const sel = (testId) => `[data-testid="${testId}"]`;
const COLUMNS = ["backlog", "in_progress", "review", "done"];

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

function log(message) {
  console.log(`[e2e] ${message}`);
}

class SmokeFailure extends Error {}

function fail(message) {
  throw new SmokeFailure(message);
}

/**
 * The test itself, against an open session whose window shows a YokeFlow with no project yet.
 * Exported so the steps can be exercised against another WebDriver endpoint.
 */
export async function smokeSteps(
  browser,
  { expectTitles = null, screenshotPath = join(OUT, "board.png"), runScreenshotPath = join(OUT, "run-done.png") } = {},
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
  // The board renders in one go, but give a late re-render a moment to settle before reading it.
  await sleep(300);

  const snapshot = await browser.execute(
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
        const message = toast.querySelector(".toast-message");
        return `${toast.getAttribute("data-error-code")}: ${message ? message.textContent : toast.textContent}`;
      }),
    }),
    sel("task-card"),
    sel("task-title"),
    COLUMNS,
  );
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

  await runSteps(browser, { totalCards: snapshot.titles.length, screenshotPath: runScreenshotPath });
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
              const message = toast.querySelector(".toast-message");
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

  // The other two views after the run: every task has a planned and an actual bar, every worktree a lane.
  await viewSteps(browser, "view-timeline", "gantt", join(dirname(screenshotPath), "timeline.png"));
  await viewSteps(browser, "view-lanes", "lanes", join(dirname(screenshotPath), "lanes.png"));
  await (await browser.$(sel("view-board"))).click();
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

async function toastText(browser) {
  try {
    const texts = await browser.execute(() =>
      Array.from(document.querySelectorAll('[data-testid="toast"]'), (toast) => {
        const message = toast.querySelector(".toast-message");
        return `${toast.getAttribute("data-error-code")}: ${message ? message.textContent : toast.textContent}`;
      }),
    );
    return texts.length > 0 ? `; the app shows: ${texts.join(" / ")}` : "";
  } catch {
    return "";
  }
}

function expectedTitles() {
  const raw = process.env.YOKEFLOW_EXPECT_TITLES;
  if (raw === undefined || raw.trim() === "") return null;
  return raw
    .split("|")
    .map((title) => title.trim())
    .filter((title) => title !== "");
}

function appPath() {
  if (process.env.YOKEFLOW_APP) return resolve(process.env.YOKEFLOW_APP);
  const targetDir = process.env.CARGO_TARGET_DIR ? resolve(ROOT, process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
  return join(targetDir, "debug", "yokeflow");
}

function driverPath() {
  if (process.env.TAURI_DRIVER) return process.env.TAURI_DRIVER;
  const cargoHome = process.env.CARGO_HOME || join(homedir(), ".cargo");
  const candidate = join(cargoHome, "bin", "tauri-driver");
  return existsSync(candidate) ? candidate : "tauri-driver";
}

function portInUse(port) {
  return new Promise((done) => {
    const socket = createConnection({ host: HOST, port });
    socket.once("connect", () => {
      socket.destroy();
      done(true);
    });
    socket.once("error", () => done(false));
  });
}

async function waitForDriver(driver) {
  const deadline = Date.now() + DRIVER_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (driver.exitCode !== null || driver.signalCode !== null) {
      fail(`tauri-driver exited early (${driver.exitCode ?? driver.signalCode}); see tests/e2e/out/tauri-driver.log`);
    }
    try {
      const response = await fetch(`http://${HOST}:${PORT}/status`, { signal: AbortSignal.timeout(1_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  fail(`tauri-driver did not answer http://${HOST}:${PORT}/status within ${DRIVER_READY_TIMEOUT_MS / 1000} s`);
}

/** Ends the driver's whole process group: tauri-driver, the WebKitWebDriver it starts, and the app. */
function killGroup(child, signal) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

async function stopDriver(child) {
  if (!child) return;
  killGroup(child, "SIGTERM");
  const deadline = Date.now() + 3_000;
  while (child.exitCode === null && child.signalCode === null && Date.now() < deadline) await sleep(100);
  killGroup(child, "SIGKILL");
  // A driver that outlived SIGTERM still holds its process group; make sure nothing in it survives.
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // The group is empty.
  }
}

function printDriverLog(logFile) {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n");
    if (lines.length === 0 || lines[0] === "") return;
    console.error(`[e2e] last lines of ${logFile}:`);
    for (const line of lines.slice(-40)) console.error(`  ${line}`);
  } catch {
    // No log.
  }
}

async function main() {
  let driver = null;
  let browser = null;
  let dataDir = null;
  let finished = false;
  const driverLog = join(OUT, "tauri-driver.log");

  const finish = async (failure) => {
    if (finished) return;
    finished = true;
    if (browser && failure) {
      try {
        const shot = join(OUT, "failure.png");
        await Promise.race([browser.saveScreenshot(shot), sleep(10_000)]);
        log(`screenshot of the failure saved to ${shot}`);
      } catch {
        // The window may be gone.
      }
    }
    if (browser) {
      try {
        await Promise.race([browser.deleteSession(), sleep(10_000)]);
      } catch (err) {
        log(`deleting the session failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await stopDriver(driver);
    if (dataDir && !process.env.YOKEFLOW_E2E_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true });
    if (failure) {
      const message = failure instanceof SmokeFailure ? failure.message : failure.stack || String(failure);
      console.error(`[e2e] FAILED: ${message}`);
      if (driver) printDriverLog(driverLog);
      console.log("0 passed, 1 failed");
      process.exit(1);
    }
    console.log("1 passed, 0 failed");
    process.exit(0);
  };

  // Last-resort cleanup: never leave a driver holding port 4444.
  process.on("exit", () => killGroup(driver, "SIGKILL"));
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => void finish(new SmokeFailure(`interrupted by ${signal}`)));
  }
  const overall = setTimeout(
    () => void finish(new SmokeFailure(`the smoke test took longer than ${OVERALL_TIMEOUT_MS / 1000} s`)),
    OVERALL_TIMEOUT_MS,
  );

  try {
    const application = appPath();
    try {
      accessSync(application, constants.X_OK);
    } catch {
      fail(`the app binary ${application} does not exist or is not executable (build it, or set YOKEFLOW_APP)`);
    }
    if (!process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
      fail("no DISPLAY: run under a display server, e.g. `xvfb-run -a npm run e2e`");
    }
    for (const port of [PORT, NATIVE_PORT]) {
      if (await portInUse(port)) {
        fail(`port ${port} is already taken (a leftover tauri-driver or WebKitWebDriver?); stop it and run again`);
      }
    }

    mkdirSync(OUT, { recursive: true });
    dataDir = mkdtempSync(join(tmpdir(), "yokeflow-e2e-"));
    log(`app: ${application}`);
    log(`data dir: ${dataDir}`);

    const driverBin = driverPath();
    const logStream = createWriteStream(driverLog);
    driver = spawn(driverBin, [], {
      env: { ...process.env, YOKEFLOW_DATA_DIR: dataDir, YOKEFLOW_DB: join(dataDir, "yokeflow.db") },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that stopping it also stops WebKitWebDriver and the app.
      detached: true,
    });
    driver.stdout.pipe(logStream);
    driver.stderr.pipe(logStream);
    const spawnError = new Promise((_, reject) => driver.once("error", reject));
    spawnError.catch(() => {});
    const ready = waitForDriver(driver);
    ready.catch(() => {});
    await Promise.race([
      ready,
      spawnError.then(null, (err) =>
        fail(`could not start ${driverBin} (${err.code ?? err.message}); install it with \`cargo install tauri-driver --locked\``),
      ),
    ]);
    log("tauri-driver is ready");

    browser = await remote({
      hostname: HOST,
      port: PORT,
      logLevel: "warn",
      connectionRetryTimeout: 60_000,
      connectionRetryCount: 0,
      capabilities: { "tauri:options": { application } },
    });
    log(`session ${browser.sessionId} opened`);

    await smokeSteps(browser, { expectTitles: expectedTitles() });
    clearTimeout(overall);
    await finish(null);
  } catch (err) {
    clearTimeout(overall);
    await finish(err);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
