/**
 * Which Python runs the server, and with which copy of prefect-pitfalls. Pure apart from the
 * injected `inspect`, so it is unit-tested under Node.
 */

import { ImportStrategy } from "./settings";

export const MINIMUM_PYTHON: readonly [number, number] = [3, 11];
/** The server parses only the syntax of the Python it runs on: 3.12 reads PEP 701 f-strings and `type` statements. */
export const PREFERRED_PYTHON: readonly [number, number] = [3, 12];
/** Commands tried on PATH when nothing is configured, newest first. */
export const PATH_CANDIDATES: readonly string[][] = [["python3.14"], ["python3.13"], ["python3.12"], ["python3"], ["python"]];

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
  for (const command of request.pathCandidates ?? PATH_CANDIDATES) {
    found.push({ command, source: "path" });
  }
  return found;
}

function compareVersions(a: readonly [number, number], b: readonly [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

export function isSupported(version: [number, number]): boolean {
  return compareVersions(version, MINIMUM_PYTHON) >= 0;
}

/** Whether `facts` should run the server rather than `best`, the choice among earlier candidates. */
function isPreferred(facts: InterpreterFacts, best: InterpreterFacts, request: LaunchRequest): boolean {
  if (request.strategy === "fromEnvironment" && request.trusted && facts.hasServer !== best.hasServer) {
    return facts.hasServer;
  }
  return compareVersions(facts.version, PREFERRED_PYTHON) >= 0 && compareVersions(facts.version, best.version) > 0;
}

/**
 * The candidate that runs the server: the newest Python 3.12+ (the earlier candidate on a tie),
 * else the first Python 3.11; with `fromEnvironment`, one that has prefect-pitfalls installed first.
 */
export async function chooseLaunch(request: LaunchRequest, inspect: Inspect): Promise<ServerLaunch | LaunchFailure> {
  const found = candidates(request);
  const answers = await Promise.all(found.map((candidate) => inspect(candidate.command)));
  const tried: string[] = [];
  let best: number | undefined;
  found.forEach((candidate, index) => {
    const facts = answers[index];
    const shown = `${candidate.command.join(" ")} (${describe(candidate.source)})`;
    if (facts === null) {
      tried.push(`${shown} did not run`);
    } else if (!isSupported(facts.version)) {
      tried.push(`${shown} is Python ${facts.version.join(".")}`);
    } else if (best === undefined || isPreferred(facts, answers[best]!, request)) {
      best = index;
    }
  });
  if (best !== undefined) {
    return launchWith(found[best], answers[best]!, request);
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
