// The end-to-end harness: starts tauri-driver (which starts WebKitWebDriver and the real app) under the caller's
// display, opens a WebdriverIO session, runs a test's steps and always stops the whole process group.
//
// Environment:
//   YOKEFLOW_APP            the app binary (default: <repo>/target/debug/yokeflow, or $CARGO_TARGET_DIR/debug/yokeflow)
//   TAURI_DRIVER            the tauri-driver binary (default: ~/.cargo/bin/tauri-driver, else `tauri-driver` on PATH)
//   DISPLAY                 provided by the caller (xvfb-run)
//   YOKEFLOW_E2E_KEEP_DATA  set to keep the temporary data directory for inspection
//
// The app gets a fresh data directory (YOKEFLOW_DATA_DIR, YOKEFLOW_DB) through tauri-driver's environment, which it
// inherits. Logs go to tests/e2e/out/tauri-driver.log; a failing step leaves tests/e2e/out/failure.png.

import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const OUT = join(HERE, "out");
const HOST = "127.0.0.1";
const PORT = 4444;
// tauri-driver starts WebKitWebDriver here.
const NATIVE_PORT = 4445;
const DRIVER_READY_TIMEOUT_MS = 30_000;
export const UI_TIMEOUT_MS = 30_000;

export const sel = (testId) => `[data-testid="${testId}"]`;

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export function log(message) {
  console.log(`[e2e] ${message}`);
}

/** A step's failure: reported by its message alone. */
export class E2eFailure extends Error {}

export function fail(message) {
  throw new E2eFailure(message);
}

/** The app's own CLI (`yokeflow --db <db> ...args --json`), parsed. */
export function cliJson(ctx, args) {
  const out = execFileSync(ctx.app, ["--db", ctx.dbPath, ...args, "--json"], {
    env: { ...process.env, YOKEFLOW_DATA_DIR: ctx.dataDir },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

/** The messages of the toasts on screen, `code: message` each. */
export async function toasts(browser) {
  return browser.execute(() =>
    Array.from(document.querySelectorAll('[data-testid="toast"]'), (toast) => {
      const message = toast.querySelector('[data-testid="toast-message"]');
      return `${toast.getAttribute("data-error-code")}: ${message ? message.textContent : toast.textContent}`;
    }),
  );
}

/** `; the app shows: ...` when toasts are on screen, for failure messages. */
export async function toastText(browser) {
  try {
    const texts = await toasts(browser);
    return texts.length > 0 ? `; the app shows: ${texts.join(" / ")}` : "";
  } catch {
    return "";
  }
}

export function appPath() {
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

/**
 * Starts tauri-driver with a fresh data directory, opens the app in a session and runs `steps(browser, ctx)`;
 * ends the driver's whole process group whatever happens and exits the process: 0 on success, 1 on failure
 * (`1 passed, 0 failed` / `0 passed, 1 failed` last). `prepare(ctx)` runs before the app starts (e.g. to fill
 * the database through the CLI). ctx: { app, dataDir, dbPath }.
 */
export async function runWithApp({ name, overallTimeoutMs, prepare = async () => {}, steps }) {
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
      const message = failure instanceof E2eFailure ? failure.message : failure.stack || String(failure);
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
    process.on(signal, () => void finish(new E2eFailure(`interrupted by ${signal}`)));
  }
  const overall = setTimeout(
    () => void finish(new E2eFailure(`${name} took longer than ${overallTimeoutMs / 1000} s`)),
    overallTimeoutMs,
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
    const ctx = { app: application, dataDir, dbPath: join(dataDir, "yokeflow.db") };
    await prepare(ctx);

    const driverBin = driverPath();
    const logStream = createWriteStream(driverLog);
    driver = spawn(driverBin, [], {
      env: { ...process.env, YOKEFLOW_DATA_DIR: dataDir, YOKEFLOW_DB: ctx.dbPath },
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

    await steps(browser, ctx);
    clearTimeout(overall);
    await finish(null);
  } catch (err) {
    clearTimeout(overall);
    await finish(err);
  }
}
