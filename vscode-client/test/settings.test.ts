import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

import {
  DEFAULTS,
  ExtensionSettings,
  needsRestart,
  readSettings,
  serverSettings,
  shouldNotify,
  substitute,
} from "../src/settings";

const vars = { workspaceFolder: "/work/project", userHome: "/home/ada", env: { VENV: "/opt/venv" } };

function reader(values: Record<string, unknown>) {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe("DEFAULTS", () => {
  it("agree with the defaults package.json declares", () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8"));
    const declared: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(manifest.contributes.configuration.properties)) {
      declared[key.replace(/^prefectPitfalls\./, "")] = (spec as { default: unknown }).default;
    }
    const { probe, ...top } = DEFAULTS;
    const ours: Record<string, unknown> = { ...top, "trace.server": "off" };
    for (const [key, value] of Object.entries(probe)) ours[`probe.${key}`] = value;
    assert.deepEqual(declared, ours);
  });
});

describe("readSettings", () => {
  it("gives the defaults for an empty configuration", () => {
    assert.deepEqual(readSettings(reader({}), vars), DEFAULTS);
  });

  it("reads every key VS Code hands over", () => {
    const settings = readSettings(
      reader({
        enable: false,
        select: ["PP1"],
        ignore: ["PP203"],
        run: "onSave",
        severity: { PP101: "error" },
        docsBaseUrl: "https://docs.example/rules",
        "probe.enabled": false,
        "probe.onOpen": true,
        "probe.python": "${workspaceFolder}/.venv/bin/python",
        "probe.timeout": 3.5,
        "probe.byValue": true,
        interpreter: ["${env:VENV}/bin/python", "-X", "utf8"],
        importStrategy: "fromEnvironment",
        showNotifications: "always",
      }),
      vars,
    );
    assert.deepEqual(settings, {
      enable: false,
      select: ["PP1"],
      ignore: ["PP203"],
      run: "onSave",
      severity: { PP101: "error" },
      docsBaseUrl: "https://docs.example/rules",
      probe: { enabled: false, onOpen: true, python: "/work/project/.venv/bin/python", timeout: 3.5, byValue: true },
      interpreter: ["/opt/venv/bin/python", "-X", "utf8"],
      importStrategy: "fromEnvironment",
      showNotifications: "always",
    } satisfies ExtensionSettings);
  });

  it("keeps the default for a value of the wrong type", () => {
    const settings = readSettings(
      reader({
        enable: "yes",
        select: "PP1",
        run: "sometimes",
        severity: { PP101: 1 },
        "probe.timeout": -1,
        interpreter: "python3",
        importStrategy: "fromSomewhere",
      }),
      vars,
    );
    assert.deepEqual(settings, DEFAULTS);
  });

  it("treats blank paths as unset", () => {
    const settings = readSettings(reader({ "probe.python": "  ", interpreter: ["", " "], docsBaseUrl: "" }), vars);
    assert.equal(settings.probe.python, null);
    assert.deepEqual(settings.interpreter, []);
    assert.equal(settings.docsBaseUrl, null);
  });
});

describe("substitute", () => {
  it("replaces the variables VS Code users write in paths", () => {
    assert.equal(substitute("${workspaceFolder}/.venv/bin/python", vars), "/work/project/.venv/bin/python");
    assert.equal(substitute("${userHome}/py/bin/python", vars), "/home/ada/py/bin/python");
    assert.equal(substitute("~/py/bin/python", vars), "/home/ada/py/bin/python");
    assert.equal(substitute("${env:VENV}/bin/python", vars), "/opt/venv/bin/python");
    assert.equal(substitute("${env:MISSING}/python", vars), "/python");
  });

  it("leaves ${workspaceFolder} alone outside a folder, and other text untouched", () => {
    assert.equal(substitute("${workspaceFolder}/x", { ...vars, workspaceFolder: undefined }), "${workspaceFolder}/x");
    assert.equal(substitute("/usr/bin/python3", vars), "/usr/bin/python3");
    assert.equal(substitute("a~b", vars), "a~b");
  });
});

describe("serverSettings", () => {
  it("is the shape the server reads, trust included", () => {
    assert.deepEqual(serverSettings(DEFAULTS, { trusted: false, projectPython: null }), {
      enable: true,
      select: null,
      ignore: [],
      run: "onType",
      severity: {},
      docsBaseUrl: DEFAULTS.docsBaseUrl,
      workspaceTrusted: false,
      probe: { enabled: true, onOpen: false, python: null, timeout: 10, byValue: null },
    });
  });

  it("probes with the project's interpreter unless probe.python says otherwise", () => {
    const chosen = serverSettings(DEFAULTS, { trusted: true, projectPython: "/p/.venv/bin/python" });
    assert.equal((chosen.probe as { python: string }).python, "/p/.venv/bin/python");
    const explicit = { ...DEFAULTS, probe: { ...DEFAULTS.probe, python: "/other/python" } };
    const kept = serverSettings(explicit, { trusted: true, projectPython: "/p/.venv/bin/python" });
    assert.equal((kept.probe as { python: string }).python, "/other/python");
  });
});

describe("needsRestart", () => {
  it("only for the settings that choose the server process", () => {
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, interpreter: ["/x/python"] }), true);
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, importStrategy: "fromEnvironment" }), true);
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, ignore: ["PP101"], probe: { ...DEFAULTS.probe, timeout: 2 } }), false);
    assert.equal(needsRestart(DEFAULTS, { ...DEFAULTS, interpreter: [] }), false);
  });
});

describe("shouldNotify", () => {
  const [error, warning, info, log] = [1, 2, 3, 4];
  it("follows showNotifications", () => {
    assert.deepEqual([error, warning, info, log].map((t) => shouldNotify("off", t)), [false, false, false, false]);
    assert.deepEqual([error, warning, info, log].map((t) => shouldNotify("onError", t)), [true, false, false, false]);
    assert.deepEqual([error, warning, info, log].map((t) => shouldNotify("onWarning", t)), [true, true, false, false]);
    assert.deepEqual([error, warning, info, log].map((t) => shouldNotify("always", t)), [true, true, true, true]);
  });
});
