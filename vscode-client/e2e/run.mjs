// End-to-end test of the packaged extension in a real VS Code workbench: code-server serves it,
// Debian's Chromium (driven by playwright-core) is the user.
//
//   node e2e/run.mjs --code-server PATH --vsix FILE --python PYTHON --scenario trusted|untrusted|no-interpreter
//
// Each scenario installs the .vsix into a fresh profile, opens a workspace holding the seed's
// BadCounterTask and a probe case, and checks what the user sees. Exit status 0 means every
// check passed; on failure a screenshot and the extension's log land in e2e/artifacts/.

import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    "code-server": { type: "string" },
    vsix: { type: "string", default: join(here, "..", "prefect-pitfalls.vsix") },
    python: { type: "string", default: "python3" },
    scenario: { type: "string", default: "trusted" },
    chromium: { type: "string", default: "/usr/bin/chromium" },
    artifacts: { type: "string", default: join(here, "artifacts") },
    timeout: { type: "string", default: "60" },
  },
});
const WAIT = Number(args.timeout) * 1000;
const CHROMIUM_FLAGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

function log(message) {
  process.stdout.write(`[e2e ${args.scenario}] ${message}\n`);
}

async function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
    server.on("error", reject);
  });
}

/** A scratch profile, extensions folder and workspace; the .vsix installed the way a user does. */
function prepare(root) {
  const profile = join(root, "profile");
  const extensions = join(root, "extensions");
  const workspace = join(root, "workspace");
  mkdirSync(join(profile, "User"), { recursive: true });
  cpSync(join(here, "workspace"), workspace, { recursive: true });
  cpSync(join(here, "..", "..", "tests", "store_fixes", "seed_p1.py"), join(workspace, "counter.py"));
  const trusted = args.scenario === "trusted";
  if (args.scenario === "untrusted") {
    // The same interpreter spelled differently: a restricted setting that changes once trusted.
    const python = resolve(args.python);
    const settings = join(workspace, ".vscode", "settings.json");
    writeFileSync(settings, JSON.stringify({
      ...JSON.parse(readFileSync(settings, "utf8")),
      "prefectPitfalls.interpreter": [`${dirname(python)}/./${basename(python)}`],
    }));
    markerVenv(join(workspace, ".venv"), join(root, "marker.log"));
  }
  writeFileSync(join(profile, "User", "settings.json"), JSON.stringify({
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": false,
    "workbench.enableExperiments": false,
    "telemetry.telemetryLevel": "off",
    "update.mode": "none",
    "extensions.autoCheckUpdates": false,
    "extensions.autoUpdate": false,
    "extensions.ignoreRecommendations": true,
    "security.workspace.trust.enabled": !trusted,
    "security.workspace.trust.startupPrompt": "never",
    "security.workspace.trust.banner": "always",
    "prefectPitfalls.interpreter": [args.scenario === "no-interpreter" ? join(root, "missing", "python") : args.python],
    "prefectPitfalls.probe.timeout": 30,
    "chat.disableAIFeatures": true,
    "prefectPitfalls.trace.server": "messages",
  }, null, 2));
  const install = spawnSync(args["code-server"], [
    "--user-data-dir", profile, "--extensions-dir", extensions, "--install-extension", resolve(args.vsix),
  ], { encoding: "utf8", timeout: 120000 });
  if (install.status !== 0) {
    throw new Error(`installing the .vsix failed:\n${install.stdout}\n${install.stderr}`);
  }
  log(install.stdout.trim().split("\n").pop());
  return { profile, extensions, workspace, marker: join(root, "marker.log") };
}

/** A virtual environment of the workspace's own whose `python` records anything that runs it. */
function markerVenv(venv, marker) {
  mkdirSync(join(venv, "bin"), { recursive: true });
  mkdirSync(join(venv, "lib", "python3.11", "site-packages"), { recursive: true });
  writeFileSync(join(venv, "pyvenv.cfg"), "home = /usr/bin\nversion = 3.11.4\n");
  writeFileSync(join(venv, "bin", "python"), `#!/bin/sh\necho "$0 $*" >> "${marker}"\nexit 1\n`, { mode: 0o755 });
}

async function startCodeServer({ profile, extensions, workspace }) {
  const port = await freePort();
  const child = spawn(args["code-server"], [
    "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--disable-getting-started-override", "--user-data-dir", profile, "--extensions-dir", extensions,
    ...(args.scenario === "trusted" ? ["--disable-workspace-trust"] : []), workspace,
  ], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PASSWORD: "" } });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + WAIT;
  while (!/HTTP server listening/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`code-server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`, output: () => output };
}

/** The workbench's editor text, as the user sees it (Monaco renders spaces as U+00A0). */
async function editorText(page) {
  const lines = await page.locator(".editor-instance .view-lines .view-line").evaluateAll((nodes) =>
    nodes
      .map((node) => ({ top: parseFloat(node.style.top), text: node.textContent }))
      .sort((a, b) => a.top - b.top)
      .map((line) => line.text),
  );
  return lines.join("\n").replace(/\u00a0/g, " ");
}

async function waitForText(page, pattern) {
  const deadline = Date.now() + WAIT;
  let text = await editorText(page);
  while (!pattern.test(text)) {
    if (Date.now() > deadline) throw new Error(`the editor's text never matched ${pattern}:\n${text}`);
    await page.waitForTimeout(200);
    text = await editorText(page);
  }
  return text;
}

async function openFile(page, name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT });
  await input.fill(name);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: name }).first().waitFor({ timeout: WAIT });
  await page.keyboard.press("Enter");
  await page.locator(`.tab.active[aria-label*="${name}"]`).waitFor({ timeout: WAIT });
  await page.locator(".editor-instance .view-lines").first().waitFor({ timeout: WAIT });
}

async function problemRows(page) {
  return page.locator(".markers-panel .monaco-list-row").allTextContents();
}

async function showProblems(page) {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible())) {
    await page.keyboard.press("Control+Shift+M");
    await panel.waitFor({ state: "visible", timeout: WAIT });
  }
}

async function waitForProblem(page, pattern, { present = true, timeout = WAIT } = {}) {
  await showProblems(page);
  const deadline = Date.now() + timeout;
  let rows = [];
  while (Date.now() < deadline) {
    rows = await problemRows(page);
    if (rows.some((row) => pattern.test(row)) === present) return rows;
    await page.waitForTimeout(250);
  }
  throw new Error(`expected ${present ? "a" : "no"} Problems entry matching ${pattern}; rows: ${JSON.stringify(rows)}`);
}

async function statusText(page) {
  const item = page.locator('[id="prefect-pitfalls.prefect-pitfalls.prefectPitfalls.status"], .statusbar-item:has-text("Pitfalls"), .statusbar-item:has-text("Probe")');
  return (await item.allTextContents()).join(" | ");
}

async function waitForStatus(page, pattern) {
  const deadline = Date.now() + WAIT;
  let text = "";
  while (Date.now() < deadline) {
    text = await statusText(page);
    if (pattern.test(text)) return text;
    await page.waitForTimeout(250);
  }
  throw new Error(`status bar never matched ${pattern}; last: ${JSON.stringify(text)}`);
}

/** Puts the cursor on a line by going to it (Ctrl+G), then to its first non-blank character. */
async function goToLine(page, line, column = 1) {
  await page.keyboard.press("Control+G");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT });
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press("Enter");
  await input.waitFor({ state: "hidden", timeout: WAIT });
}

async function quickFixRows(page) {
  await page.keyboard.press("Control+.");
  const rows = page.locator(".action-widget .monaco-list-row");
  await rows.first().waitFor({ state: "visible", timeout: WAIT });
  return rows;
}

/** Moves the menu's focus to the row matching `pattern` with the arrow keys, then applies it. */
async function chooseAction(page, pattern) {
  const rows = await page.locator(".action-widget .monaco-list-row").count();
  for (let step = 0; step <= rows; step++) {
    const focused = await page.locator(".action-widget .monaco-list-row.focused").getAttribute("aria-label");
    if (focused && pattern.test(focused)) {
      await page.keyboard.press("Enter");
      return;
    }
    await page.keyboard.press("ArrowDown");
  }
  throw new Error(`no Quick Fix menu row matches ${pattern}`);
}

async function runCommand(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible", timeout: WAIT });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first().waitFor({ timeout: WAIT });
  await page.keyboard.press("Enter");
}

async function typeAtEndOfFile(page, text) {
  await page.locator(".editor-instance .view-lines").first().click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type(text);
}

async function save(page) {
  await page.keyboard.press("Control+S");
  await page.locator(".tab.active.dirty").waitFor({ state: "detached", timeout: WAIT });
}

/** Over `self.counter` (PP101): the hover says why, and "Show documentation" opens the rule's page. */
async function showsTheRuleDocumentation(page) {
  await goToLine(page, 11, 14);
  await page.keyboard.press("Control+K");
  await page.keyboard.press("Control+I"); // editor.action.showHover
  const hover = page.locator(".monaco-hover", { hasText: "Why is this bad?" });
  await hover.first().waitFor({ state: "visible", timeout: WAIT });
  const text = (await hover.first().textContent()) ?? "";
  if (!/PP101[\s\S]*task-instance-state[\s\S]*Use instead[\s\S]*get_key_value/.test(text)) {
    throw new Error(`the hover lacks the summary or "Use instead": ${text}`);
  }
  log("the hover over PP101 says why, and what to write instead");
  await page.keyboard.press("Escape");

  await quickFixRows(page);
  await chooseAction(page, /prefect-pitfalls \(PP101\): Show documentation/);
  const preview = page.locator(".tab.active", { hasText: "Preview PP101.md" });
  await preview.waitFor({ timeout: WAIT });
  const deadline = Date.now() + WAIT;
  let shown = false;
  while (!shown) {
    if (Date.now() > deadline) throw new Error("the rule's page never showed its text in the preview");
    for (const frame of page.frames()) {
      const body = await frame.locator("body").textContent({ timeout: 1000 }).catch(() => "");
      shown ||= /PP101[\s\S]*What it does[\s\S]*Why is this bad\?/.test(body ?? "");
    }
    if (!shown) await page.waitForTimeout(250);
  }
  log("Show documentation opened the rule's page as a Markdown preview");
  await preview.locator(".codicon-close").click(); // the preview has the keyboard focus
  await page.locator('.tab.active[aria-label*="counter.py"]').waitFor({ timeout: WAIT });
}

const scenarios = {
  async "no-interpreter"(page) {
    const toast = page.locator(".notifications-toasts .notification-toast", { hasText: /needs Python 3\.11 or newer/ });
    await toast.first().waitFor({ timeout: WAIT });
    const text = (await toast.first().textContent()) ?? "";
    if (!/missing\/python \(prefectPitfalls\.interpreter\) did not run/.test(text)) {
      throw new Error(`the error does not say what was tried: ${text}`);
    }
    for (const button of ["Open Settings", "Show Logs"]) {
      await toast.locator(".monaco-button", { hasText: button }).first().waitFor({ timeout: WAIT });
    }
    await waitForStatus(page, /Pitfalls/);
    if (!(await page.locator('.statusbar-item:has-text("Pitfalls"):has(.codicon-error)').count())) {
      throw new Error("the status bar does not show the failure");
    }
    log("a missing interpreter gives a clear error with Open Settings and Show Logs");
  },

  async trusted(page) {
    await openFile(page, "counter.py");
    await page.locator(".squiggly-warning").first().waitFor({ timeout: WAIT });
    log("PP101 squiggle shown");
    const rows = await waitForProblem(page, /PP101/);
    if (!rows.some((row) => /counter/.test(row) && /prefect-pitfalls/.test(row))) {
      throw new Error(`the PP101 Problems entry does not name the attribute or the source: ${rows}`);
    }
    log(`Problems: ${rows.filter((r) => /PP1/.test(r)).join(" / ")}`);
    const link = page.locator(".markers-panel .monaco-list-row", { hasText: "BadCounterTask" }).locator("a.monaco-link");
    const href = await link.first().getAttribute("href");
    if (href !== "https://prefect-pitfalls.github.io/prefect-pitfalls/rules/PP101") {
      throw new Error(`the PP101 code does not link to its documentation: ${href}`);
    }
    log(`the code links to ${href}`);
    await showsTheRuleDocumentation(page);
    const before = await editorText(page);

    await goToLine(page, 11, 14); // `self.counter += 1` in BadCounterTask.run
    const fixes = await quickFixRows(page);
    const titles = await fixes.allTextContents();
    log(`Quick Fix menu: ${titles.join(" / ")}`);
    if (!titles.some((t) => /PP101\): Ignore on this line/.test(t))) throw new Error(`no "Ignore on this line": ${titles}`);
    await chooseAction(page, /prefect-pitfalls \(PP101\): Keep `self\.counter` in .*store/);
    await page.locator(".action-widget").waitFor({ state: "hidden", timeout: WAIT });
    const after = await waitForText(page, /set_key_value\(/);
    if (after === before) throw new Error("the store fix did not change the text");
    log("the external-store fix rewrote the task");
    await waitForProblem(page, /BadCounterTask.*PP101/, { present: false });
    await waitForProblem(page, /Collector.*PP101/);
    log("the fixed PP101 is gone, the other task's stays");

    await openFile(page, "etl.py");
    await waitForProblem(page, /PP203/);
    const unsaved = await problemRows(page);
    if (unsaved.some((row) => /PP30[12]/.test(row))) throw new Error(`probe findings before any save: ${unsaved}`);
    await typeAtEndOfFile(page, "\n# saved from the workbench\n");
    await save(page);
    await waitForProblem(page, /PP301/);
    log("saving ran the probe: PP301 shown");
    await waitForStatus(page, /Probe: \d+ in etl\.py/);
    log(`status bar: ${await statusText(page)}`);

    await openFile(page, "report.py");
    await waitForProblem(page, /PP303/);
    await typeAtEndOfFile(page, "\n");
    await save(page); // editor.codeActionsOnSave runs source.fixAll.prefect-pitfalls
    await waitForText(page, /rows=None\):[\s\S]*if rows is None:[\s\S]*if __name__ == "__main__":\n\s+nightly_report\(\)/);
    await waitForProblem(page, /PP303|PP103/, { present: false });
    log("fix-all on save applied the safe fixes (PP103, PP303)");

    await waitForStatus(page, /Probe: flows and tasks in report\.py round-trip/);
    await runCommand(page, "Prefect Pitfalls: Restart Server");
    await waitForStatus(page, /^\s*Pitfalls\s*$/);
    await waitForProblem(page, /Collector.*PP101/);
    log("Restart Server: the new server republished the findings");
    await runCommand(page, "Prefect Pitfalls: Probe Current File");
    await waitForStatus(page, /Probe: flows and tasks in report\.py round-trip/);
    log("Probe Current File: probed report.py");

    await openFile(page, "prefect.yaml");
    const deployments = await waitForProblem(page, /PP307/);
    if (!deployments.some((row) => /nightly_reports/.test(row) && /its flows: `nightly_report`/.test(row))) {
      throw new Error(`PP307 does not name the missing flow and the flows there are: ${deployments}`);
    }
    log(`prefect.yaml: ${deployments.filter((row) => /PP307/.test(row)).join(" / ")}`);
  },

  async untrusted(page, { profile, workspace, marker }) {
    await page.locator(".statusbar-item", { hasText: /Restricted Mode/ }).first().waitFor({ timeout: WAIT });
    log("the workspace is in Restricted Mode");
    await openFile(page, "counter.py");
    await page.locator(".squiggly-warning").first().waitFor({ timeout: WAIT });
    await waitForProblem(page, /PP101/);
    log("AST findings shown: PP101");
    await openFile(page, "etl.py");
    await waitForProblem(page, /PP203/);
    await typeAtEndOfFile(page, "\n# saved from the workbench\n");
    await save(page);
    await waitForProblem(page, /PP305.*not trusted|not trusted.*PP305/);
    await waitForStatus(page, /Probe off: the workspace is not trusted/);
    const rows = await problemRows(page);
    if (rows.some((row) => /PP30[124]/.test(row))) throw new Error(`the probe ran in an untrusted workspace: ${rows}`);
    log("no probe: PP305 says the workspace is not trusted");
    if (existsSync(marker)) throw new Error(`the workspace's .venv/bin/python ran:\n${readFileSync(marker, "utf8")}`);
    log("the workspace's marker .venv/bin/python never ran");
    rmSync(join(workspace, ".venv"), { recursive: true, force: true }); // trusted, the probe may run it

    await runCommand(page, "Workspaces: Manage Workspace Trust");
    await page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust$/ }).first().click();
    await page.locator(".statusbar-item", { hasText: /Restricted Mode/ }).waitFor({ state: "detached", timeout: WAIT });
    await waitForStatus(page, /^\s*Pitfalls\s*$/); // the server restarted, trusted this time
    log("trust granted, server restarted");
    await page.locator(".tab.active", { hasText: "Workspace Trust" }).locator(".codicon-close").click();
    await openFile(page, "etl.py");
    await typeAtEndOfFile(page, "# saved again once trusted\n");
    await save(page);
    await waitForProblem(page, /PP301/);
    log("the server restarted with the probe on: PP301 shown");
    const starts = serverStarts(profile);
    if (starts.length !== 2) throw new Error(`the server started ${starts.length} times, not twice:\n${starts.join("\n")}`);
    log("trusting the folder restarted the server once");
  },
};

/** The extension's "starting the server: <reason>" log lines, in order. */
function serverStarts(profile) {
  const lines = findLogs(profile)
    .filter((file) => /Prefect Pitfalls/.test(file.split("/").pop()))
    .flatMap((file) => readFileSync(file, "utf8").split("\n"));
  return lines.filter((line) => /starting the server: /.test(line));
}

async function main() {
  if (!args["code-server"]) throw new Error("--code-server is required");
  const scenario = scenarios[args.scenario];
  if (!scenario) throw new Error(`unknown scenario ${args.scenario}`);
  const root = mkdtempSync(join(tmpdir(), `pp-e2e-${args.scenario}-`));
  const paths = prepare(root);
  const server = await startCodeServer(paths);
  const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: CHROMIUM_FLAGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let failure;
  try {
    await page.goto(server.url);
    await page.locator(".monaco-workbench").waitFor({ timeout: WAIT });
    log("workbench loaded");
    await scenario(page, paths);
  } catch (error) {
    failure = error;
    mkdirSync(args.artifacts, { recursive: true });
    const shot = join(args.artifacts, `${args.scenario}-failure.png`);
    await page.screenshot({ path: shot }).catch(() => undefined);
    writeFileSync(join(args.artifacts, `${args.scenario}-code-server.log`), server.output());
    for (const file of findLogs(paths.profile)) {
      cpSync(file, join(args.artifacts, `${args.scenario}-${file.split("/").pop()}`));
    }
    log(`screenshot: ${shot}`);
  } finally {
    await browser.close();
    server.child.kill("SIGTERM");
    if (!failure) rmSync(root, { recursive: true, force: true });
  }
  if (failure) throw failure;
  log("passed");
}

/** The extension's output channel as VS Code writes it under the profile's logs. */
function findLogs(profile) {
  const found = [];
  const walk = (folder) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/Prefect Pitfalls|exthost/.test(entry.name)) found.push(path);
    }
  };
  walk(join(profile, "logs"));
  return found;
}

main().catch((error) => {
  process.stderr.write(`[e2e ${args.scenario}] FAILED: ${error.stack ?? error}\n`);
  process.exit(1);
});
