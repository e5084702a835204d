/**
 * Which Python runs the server, and with which copy of prefect-pitfalls. Pure apart from the
 * injected `inspect`, so it is unit-tested under Node.
 */

import { ImportStrategy } from "./settings";

export const MINIMUM_PYTHON: readonly [number, number] = [3, 11];

/** What running a candidate interpreter told us (null: it did not run). */
export interface InterpreterFacts {
  version: [number, number];
  /** Whether `prefect_pitfalls` is importable there. */
  hasServer: boolean;
  executable: string;
}

export type Inspect = (command: string[]) => Promise<InterpreterFacts | null>;

export type InterpreterSource = "setting" | "python-extension" | "path";

export interface Candidate {
  command: string[];
  source: InterpreterSource;
}

export interface ServerLaunch {
  ok: true;
  command: string;
  args: string[];
  interpreter: Candidate;
  facts: InterpreterFacts;
  /** The copy of the server that runs. */
  strategy: ImportStrategy;
  /** Why the strategy differs from the setting, if it does. */
  note?: string;
}

export interface LaunchFailure {
  ok: false;
  message: string;
  /** Whether selecting another interpreter (Python extension) could help. */
  suggestSelect: boolean;
}

export interface LaunchRequest {
  setting: string[];
  /** The interpreter selected in the Python extension for this workspace (undefined: none). */
  pythonExtension?: string[];
  trusted: boolean;
  strategy: ImportStrategy;
  /** The server entry script inside the extension. */
  bundledScript: string;
  /** Commands tried when nothing else is configured, in order. */
  pathCandidates?: string[][];
}

/** The candidates in order of preference; an explicit setting excludes the rest. */
export function candidates(request: LaunchRequest): Candidate[] {
  if (request.setting.length > 0) {
    return [{ command: request.setting, source: "setting" }];
  }
  const found: Candidate[] = [];
  if (request.trusted && request.pythonExtension && request.pythonExtension.length > 0) {
    found.push({ command: request.pythonExtension, source: "python-extension" });
  }
  for (const command of request.pathCandidates ?? [["python3"], ["python"]]) {
    found.push({ command, source: "path" });
  }
  return found;
}

export function isSupported(version: [number, number]): boolean {
  return version[0] > MINIMUM_PYTHON[0] || (version[0] === MINIMUM_PYTHON[0] && version[1] >= MINIMUM_PYTHON[1]);
}

/** The first candidate that runs Python 3.11+, and the command that starts the server with it. */
export async function chooseLaunch(request: LaunchRequest, inspect: Inspect): Promise<ServerLaunch | LaunchFailure> {
  const tried: string[] = [];
  for (const candidate of candidates(request)) {
    const facts = await inspect(candidate.command);
    const shown = candidate.command.join(" ");
    if (facts === null) {
      tried.push(`${shown} (${describe(candidate.source)}) did not run`);
      continue;
    }
    if (!isSupported(facts.version)) {
      tried.push(`${shown} (${describe(candidate.source)}) is Python ${facts.version.join(".")}`);
      continue;
    }
    return launchWith(candidate, facts, request);
  }
  const minimum = MINIMUM_PYTHON.join(".");
  return {
    ok: false,
    message: `prefect-pitfalls needs Python ${minimum} or newer to run its server: ${tried.join("; ")}. ` +
      "Select an interpreter (Python: Select Interpreter) or set prefectPitfalls.interpreter.",
    suggestSelect: request.setting.length === 0,
  };
}

function launchWith(candidate: Candidate, facts: InterpreterFacts, request: LaunchRequest): ServerLaunch {
  const [command, ...prefix] = candidate.command;
  const bundled: ServerLaunch = {
    ok: true, command, args: [...prefix, request.bundledScript], interpreter: candidate, facts, strategy: "useBundled",
  };
  if (request.strategy === "useBundled") {
    return bundled;
  }
  if (!request.trusted) {
    return { ...bundled, note: "the workspace is not trusted, so the bundled server runs instead of the environment's" };
  }
  if (!facts.hasServer) {
    return { ...bundled, note: `prefect-pitfalls is not installed for ${facts.executable}, so the bundled server runs` };
  }
  return { ...bundled, args: [...prefix, "-m", "prefect_pitfalls", "serve"], strategy: "fromEnvironment" };
}

function describe(source: InterpreterSource): string {
  switch (source) {
    case "setting":
      return "prefectPitfalls.interpreter";
    case "python-extension":
      return "selected in the Python extension";
    case "path":
      return "on PATH";
  }
}

/** The Python one-liner `inspect` runs; it prints `major minor hasServer executable`. */
export const INSPECT_SCRIPT =
  "import importlib.util, sys; " +
  "print(sys.version_info[0], sys.version_info[1], " +
  "int(importlib.util.find_spec('prefect_pitfalls') is not None), sys.executable)";

/** Facts from the one-liner's output, or null when it is not what the one-liner prints. */
export function parseInspectOutput(stdout: string): InterpreterFacts | null {
  const match = /^(\d+) (\d+) ([01]) (.*)$/m.exec(stdout.trim());
  if (!match) return null;
  return {
    version: [Number(match[1]), Number(match[2])],
    hasServer: match[3] === "1",
    executable: match[4].trim(),
  };
}
