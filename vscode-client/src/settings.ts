/**
 * The `prefectPitfalls.*` settings: read from VS Code's configuration, resolved, and turned
 * into what the server expects. Nothing here imports `vscode`, so it is unit-tested under Node.
 */

export const SECTION = "prefectPitfalls";

export type ImportStrategy = "useBundled" | "fromEnvironment";
export type NotificationLevel = "off" | "onError" | "onWarning" | "always";

export interface ProbeSettings {
  enabled: boolean;
  onOpen: boolean;
  python: string | null;
  timeout: number;
  byValue: boolean | null;
}

/** Everything the extension reads, for one workspace folder (or none). */
export interface ExtensionSettings {
  enable: boolean;
  select: string[] | null;
  ignore: string[];
  run: "onType" | "onSave";
  severity: Record<string, string>;
  docsBaseUrl: string | null;
  probe: ProbeSettings;
  interpreter: string[];
  importStrategy: ImportStrategy;
  showNotifications: NotificationLevel;
}

/** The part of `vscode.WorkspaceConfiguration` this module uses. */
export interface ConfigurationReader {
  get<T>(key: string): T | undefined;
}

/** Values for `${workspaceFolder}`, `${userHome}` and `${env:NAME}` in path settings. */
export interface Substitutions {
  workspaceFolder?: string;
  userHome: string;
  env: Record<string, string | undefined>;
}

export const DEFAULTS: ExtensionSettings = {
  enable: true,
  select: null,
  ignore: [],
  run: "onType",
  severity: {},
  docsBaseUrl: "https://prefect-pitfalls.github.io/prefect-pitfalls/rules",
  probe: { enabled: true, onOpen: false, python: null, timeout: 10, byValue: null },
  interpreter: [],
  importStrategy: "useBundled",
  showNotifications: "onWarning",
};

/** Settings for one scope, with path variables substituted; a wrong type falls back to the default. */
export function readSettings(config: ConfigurationReader, vars: Substitutions): ExtensionSettings {
  const read = <T>(key: string, valid: (value: unknown) => boolean, fallback: T): T => {
    const value = config.get<unknown>(key);
    return value !== undefined && valid(value) ? (value as T) : fallback;
  };
  const isBool = (v: unknown) => typeof v === "boolean";
  const isStrings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === "string");
  const isOptionalString = (v: unknown) => v === null || typeof v === "string";
  const oneOf = (choices: readonly string[]) => (v: unknown) => typeof v === "string" && choices.includes(v);
  const python = read<string | null>("probe.python", isOptionalString, null);
  return {
    enable: read("enable", isBool, DEFAULTS.enable),
    select: read<string[] | null>("select", (v) => v === null || isStrings(v), null),
    ignore: read("ignore", isStrings, DEFAULTS.ignore),
    run: read("run", oneOf(["onType", "onSave"]), DEFAULTS.run),
    severity: read("severity", isStringRecord, DEFAULTS.severity),
    docsBaseUrl: read("docsBaseUrl", isOptionalString, DEFAULTS.docsBaseUrl) || null,
    probe: {
      enabled: read("probe.enabled", isBool, DEFAULTS.probe.enabled),
      onOpen: read("probe.onOpen", isBool, DEFAULTS.probe.onOpen),
      python: python && python.trim() ? substitute(python.trim(), vars) : null,
      timeout: read("probe.timeout", (v) => typeof v === "number" && v > 0, DEFAULTS.probe.timeout),
      byValue: read<boolean | null>("probe.byValue", (v) => v === null || isBool(v), DEFAULTS.probe.byValue),
    },
    interpreter: read<string[]>("interpreter", isStrings, [])
      .filter((part) => part.trim())
      .map((part) => substitute(part, vars)),
    importStrategy: read("importStrategy", oneOf(["useBundled", "fromEnvironment"]), DEFAULTS.importStrategy),
    showNotifications: read(
      "showNotifications",
      oneOf(["off", "onError", "onWarning", "always"]),
      DEFAULTS.showNotifications,
    ),
  };
}

function isStringRecord(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/** `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~` replaced. */
export function substitute(value: string, vars: Substitutions): string {
  let result = value.replace(/\$\{(workspaceFolder|userHome|env:([A-Za-z_][A-Za-z0-9_]*))\}/g, (whole, name, env) => {
    if (env) return vars.env[env] ?? "";
    if (name === "userHome") return vars.userHome;
    return vars.workspaceFolder ?? whole;
  });
  if (result === "~" || result.startsWith("~/")) result = vars.userHome + result.slice(1);
  return result;
}

/** What the extension knows that the settings alone do not. */
export interface ServerContext {
  trusted: boolean;
  /** The project's interpreter (the Python extension's choice, or the `interpreter` setting). */
  projectPython: string | null;
}

/**
 * The object the server reads as `initializationOptions.prefectPitfalls` and as the answer to
 * `workspace/configuration` for the `prefectPitfalls` section (SPEC: camelCase keys).
 */
export function serverSettings(settings: ExtensionSettings, context: ServerContext): Record<string, unknown> {
  return {
    enable: settings.enable,
    select: settings.select,
    ignore: settings.ignore,
    run: settings.run,
    severity: settings.severity,
    docsBaseUrl: settings.docsBaseUrl,
    workspaceTrusted: context.trusted,
    probe: {
      enabled: settings.probe.enabled,
      onOpen: settings.probe.onOpen,
      python: settings.probe.python ?? context.projectPython,
      timeout: settings.probe.timeout,
      byValue: settings.probe.byValue,
    },
  };
}

/** Settings that only take effect when the server process is started again. */
export function needsRestart(before: ExtensionSettings, after: ExtensionSettings): boolean {
  return (
    before.importStrategy !== after.importStrategy ||
    before.interpreter.join("\0") !== after.interpreter.join("\0")
  );
}

/** Whether a server message of this LSP `MessageType` (1 error … 4 log) should pop up. */
export function shouldNotify(level: NotificationLevel, messageType: number): boolean {
  const threshold = { off: 0, onError: 1, onWarning: 2, always: 4 }[level];
  return messageType <= threshold;
}
