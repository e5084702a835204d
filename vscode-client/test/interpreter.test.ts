import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";

import {
  candidates, chooseLaunch, Inspect, INSPECT_SCRIPT, InterpreterFacts, LaunchRequest, parseInspectOutput,
} from "../src/interpreter";

const script = "/ext/bundled/tool/server.py";

function request(overrides: Partial<LaunchRequest> = {}): LaunchRequest {
  return { setting: [], trusted: true, strategy: "useBundled", bundledScript: script, ...overrides };
}

/** An `inspect` that knows a few interpreters and records what it was asked. */
function machine(known: Record<string, InterpreterFacts>) {
  const asked: string[] = [];
  const inspect: Inspect = async (command) => {
    asked.push(command.join(" "));
    return known[command[0]] ?? null;
  };
  return { inspect, asked };
}

const py312 = (executable: string, hasServer = false): InterpreterFacts => ({ version: [3, 12], hasServer, executable });
const py39 = (executable: string): InterpreterFacts => ({ version: [3, 9], hasServer: false, executable });
const python = (minor: number, executable: string, hasServer = false): InterpreterFacts => ({
  version: [3, minor], hasServer, executable,
});
const ON_PATH = ["python3.14", "python3.13", "python3.12", "python3", "python"];

describe("candidates", () => {
  it("an explicit setting excludes everything else", () => {
    const found = candidates(request({ setting: ["/venv/bin/python", "-I"], pythonExtension: ["/sel/python"] }));
    assert.deepEqual(found, [{ command: ["/venv/bin/python", "-I"], source: "setting" }]);
  });

  it("the Python extension's choice first, then PATH, newest Python first", () => {
    const found = candidates(request({ pythonExtension: ["/sel/python"] }));
    assert.deepEqual(found.map((c) => c.source), ["python-extension", "path", "path", "path", "path", "path"]);
    assert.deepEqual(found.map((c) => c.command[0]), ["/sel/python", ...ON_PATH]);
  });

  it("ignores the Python extension's choice in an untrusted workspace", () => {
    const found = candidates(request({ pythonExtension: ["/ws/.venv/bin/python"], trusted: false }));
    assert.deepEqual(found.map((c) => c.command[0]), ON_PATH);
  });
});

describe("chooseLaunch", () => {
  it("runs the bundled server with the selected interpreter", async () => {
    const { inspect } = machine({ "/sel/python": py312("/sel/python") });
    const launch = await chooseLaunch(request({ pythonExtension: ["/sel/python"] }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "/sel/python");
    assert.deepEqual(launch.args, [script]);
    assert.equal(launch.strategy, "useBundled");
    assert.equal(launch.interpreter.source, "python-extension");
  });

  it("keeps an interpreter's own arguments in front of the script", async () => {
    const { inspect } = machine({ "/venv/bin/python": py312("/venv/bin/python") });
    const launch = await chooseLaunch(request({ setting: ["/venv/bin/python", "-X", "utf8"] }), inspect);
    assert.ok(launch.ok);
    assert.deepEqual(launch.args, ["-X", "utf8", script]);
  });

  it("falls back to python3 on PATH when the selected interpreter is too old", async () => {
    const { inspect, asked } = machine({ "/old/python": py39("/old/python"), python3: py312("/usr/bin/python3") });
    const launch = await chooseLaunch(request({ pythonExtension: ["/old/python"] }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "python3");
    assert.deepEqual(asked, ["/old/python", ...ON_PATH]);
  });

  it("prefers the newest Python 3.12 or later, whichever candidate has it", async () => {
    const { inspect } = machine({
      "/sel/python": python(12, "/sel/python"), "python3.13": python(13, "/usr/bin/python3.13"), python3: python(11, "/usr/bin/python3"),
    });
    const launch = await chooseLaunch(request({ pythonExtension: ["/sel/python"] }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "python3.13");
    assert.deepEqual(launch.facts.version, [3, 13]);
  });

  it("keeps the selected interpreter when nothing is newer", async () => {
    const { inspect } = machine({ "/sel/python": python(13, "/sel/python"), "python3.13": python(13, "/usr/bin/python3.13") });
    const launch = await chooseLaunch(request({ pythonExtension: ["/sel/python"] }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.interpreter.source, "python-extension");
  });

  it("moves from a selected 3.11 to a 3.12 on PATH, but takes the first 3.11 when that is all", async () => {
    const newer = machine({ "/sel/python": python(11, "/sel/python"), python3: python(12, "/usr/bin/python3") });
    const upgraded = await chooseLaunch(request({ pythonExtension: ["/sel/python"] }), newer.inspect);
    assert.ok(upgraded.ok);
    assert.equal(upgraded.command, "python3");
    const only311 = machine({ "/sel/python": python(11, "/sel/python"), python3: python(11, "/usr/bin/python3") });
    const first = await chooseLaunch(request({ pythonExtension: ["/sel/python"] }), only311.inspect);
    assert.ok(first.ok);
    assert.equal(first.command, "/sel/python");
  });

  it("keeps an explicit setting even when PATH has a newer Python", async () => {
    const { inspect, asked } = machine({ "/venv/bin/python": python(11, "/venv/bin/python"), "python3.14": python(14, "/usr/bin/python3.14") });
    const launch = await chooseLaunch(request({ setting: ["/venv/bin/python"] }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "/venv/bin/python");
    assert.deepEqual(asked, ["/venv/bin/python"]);
  });

  it("never runs the workspace's interpreter in an untrusted workspace, however new", async () => {
    const { inspect, asked } = machine({ "/ws/.venv/bin/python": python(14, "/ws/.venv/bin/python"), python3: python(12, "/usr/bin/python3") });
    const launch = await chooseLaunch(request({ pythonExtension: ["/ws/.venv/bin/python"], trusted: false }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "python3");
    assert.ok(!asked.includes("/ws/.venv/bin/python"));
  });

  it("with fromEnvironment, prefers an interpreter that has prefect-pitfalls over a newer one", async () => {
    const { inspect } = machine({ "/sel/python": python(12, "/sel/python", true), "python3.13": python(13, "/usr/bin/python3.13") });
    const launch = await chooseLaunch(request({ pythonExtension: ["/sel/python"], strategy: "fromEnvironment" }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.command, "/sel/python");
    assert.equal(launch.strategy, "fromEnvironment");
  });

  it("fails clearly, with a hint to select an interpreter, when nothing fits", async () => {
    const { inspect } = machine({ "/old/python": py39("/old/python") });
    const failure = await chooseLaunch(request({ pythonExtension: ["/old/python"] }), inspect);
    assert.equal(failure.ok, false);
    if (failure.ok) return;
    assert.match(failure.message, /needs Python 3\.11 or newer/);
    assert.match(failure.message, /\/old\/python \(selected in the Python extension\) is Python 3\.9/);
    assert.match(failure.message, /python3 \(on PATH\) did not run/);
    assert.match(failure.message, /Select Interpreter/);
    assert.equal(failure.suggestSelect, true);
  });

  it("does not look elsewhere when the explicit setting does not run", async () => {
    const { inspect, asked } = machine({ python3: py312("/usr/bin/python3") });
    const failure = await chooseLaunch(request({ setting: ["/missing/python"] }), inspect);
    assert.equal(failure.ok, false);
    assert.deepEqual(asked, ["/missing/python"]);
    if (!failure.ok) {
      assert.match(failure.message, /\/missing\/python \(prefectPitfalls\.interpreter\) did not run/);
      assert.equal(failure.suggestSelect, false);
    }
  });

  it("runs the environment's copy with fromEnvironment", async () => {
    const { inspect } = machine({ "/venv/bin/python": py312("/venv/bin/python", true) });
    const launch = await chooseLaunch(request({ setting: ["/venv/bin/python"], strategy: "fromEnvironment" }), inspect);
    assert.ok(launch.ok);
    assert.deepEqual(launch.args, ["-m", "prefect_pitfalls", "serve"]);
    assert.equal(launch.strategy, "fromEnvironment");
    assert.equal(launch.note, undefined);
  });

  it("uses the bundled copy, and says why, when the environment has none", async () => {
    const { inspect } = machine({ "/venv/bin/python": py312("/venv/bin/python", false) });
    const launch = await chooseLaunch(request({ setting: ["/venv/bin/python"], strategy: "fromEnvironment" }), inspect);
    assert.ok(launch.ok);
    assert.deepEqual(launch.args, [script]);
    assert.match(launch.note ?? "", /not installed for \/venv\/bin\/python/);
  });

  it("never imports the environment's copy in an untrusted workspace", async () => {
    const { inspect } = machine({ python3: py312("/usr/bin/python3", true) });
    const launch = await chooseLaunch(request({ trusted: false, strategy: "fromEnvironment" }), inspect);
    assert.ok(launch.ok);
    assert.equal(launch.strategy, "useBundled");
    assert.match(launch.note ?? "", /not trusted/);
  });
});

describe("parseInspectOutput", () => {
  it("reads what the one-liner prints", () => {
    assert.deepEqual(parseInspectOutput("3 12 1 /opt/venv/bin/python\n"), {
      version: [3, 12], hasServer: true, executable: "/opt/venv/bin/python",
    });
    assert.deepEqual(parseInspectOutput("3 11 0 C:\\Program Files\\Python311\\python.exe\r\n"), {
      version: [3, 11], hasServer: false, executable: "C:\\Program Files\\Python311\\python.exe",
    });
  });

  it("understands a real interpreter's answer", () => {
    const python = process.env.PYTHON || "python3";
    const facts = parseInspectOutput(execFileSync(python, ["-c", INSPECT_SCRIPT], { encoding: "utf8" }));
    assert.ok(facts);
    assert.equal(facts.version[0], 3);
    assert.ok(facts.executable.length > 0);
  });

  it("rejects anything else", () => {
    assert.equal(parseInspectOutput(""), null);
    assert.equal(parseInspectOutput("Python 3.12.1"), null);
  });
});
