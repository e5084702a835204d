/** The extension: finds an interpreter, runs the prefect-pitfalls server, keeps it in step with VS Code. */

import { execFile } from "child_process";
import * as os from "os";
import * as vscode from "vscode";
import {
  ClientCapabilities,
  ConfigurationParams,
  ExecuteCommandRequest,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  MessageType,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageNotification,
  StaticFeature,
} from "vscode-languageclient/node";

import { chooseLaunch, INSPECT_SCRIPT, InterpreterFacts, parseInspectOutput, ServerLaunch } from "./interpreter";
import { hasPythonExtension, onSelectedInterpreterChanged, selectedInterpreter } from "./python";
import { LaunchInputs, Restarts } from "./restarts";
import { ExtensionSettings, needsRestart, readSettings, SECTION, serverSettings, shouldNotify } from "./settings";
import { PROBE_STATUS_NOTIFICATION, ProbeStatus, StatusItem } from "./status";
import { RulePages, RulePagesFeature } from "./documentation";

const CLIENT_ID = SECTION; // makes `prefectPitfalls.trace.server` trace this client
const CLIENT_NAME = "Prefect Pitfalls";
const SERVER_PROBE_COMMAND = "prefect-pitfalls.probe";
const COMMANDS = {
  restart: "prefectPitfalls.restart",
  probe: "prefectPitfalls.probeCurrentFile",
  showLogs: "prefectPitfalls.showLogs",
};

let extension: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  extension = new Extension(context);
  await extension.start();
}

export async function deactivate(): Promise<void> {
  await extension?.dispose();
  extension = undefined;
}

class Extension {
  private client: LanguageClient | undefined;
  private settings: ExtensionSettings;
  private readonly log: vscode.LogOutputChannel;
  private readonly status: StatusItem;
  private readonly rulePages = new RulePages(() => this.client);
  private readonly restarts = new Restarts({
    inputs: () => this.launchInputs(),
    start: (reason) => this.restartNow(reason),
    log: (message) => this.log.info(message),
  });

  constructor(private readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel(CLIENT_NAME, { log: true });
    this.status = new StatusItem(COMMANDS.showLogs);
    this.settings = settingsFor(undefined);
    context.subscriptions.push(
      this.log,
      this.status,
      this.rulePages.register(),
      vscode.commands.registerCommand(COMMANDS.restart, () => this.restarts.request("asked to", true)),
      vscode.commands.registerCommand(COMMANDS.probe, () => this.probeCurrentFile()),
      vscode.commands.registerCommand(COMMANDS.showLogs, () => this.log.show()),
      vscode.workspace.onDidChangeConfiguration((event) => this.configurationChanged(event)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.restart("the workspace is now trusted")),
    );
  }

  async start(): Promise<void> {
    const subscription = await onSelectedInterpreterChanged(() => this.restart("another interpreter was selected"));
    if (subscription) this.context.subscriptions.push(subscription);
    await this.restart("activated");
  }

  /** Restarts run one after another; one that would start the running server again is dropped. */
  restart(reason: string): Promise<void> {
    return this.restarts.request(reason);
  }

  private async launchInputs(): Promise<LaunchInputs> {
    const settings = settingsFor(undefined);
    const trusted = vscode.workspace.isTrusted;
    const folder = vscode.workspace.workspaceFolders?.[0];
    const selected = trusted ? await selectedInterpreter(folder?.uri) : undefined;
    return { trusted, interpreter: settings.interpreter, importStrategy: settings.importStrategy, selected };
  }

  /** The inputs the new server runs with; undefined when none could be started. */
  private async restartNow(reason: string): Promise<LaunchInputs | undefined> {
    this.log.info(`starting the server: ${reason}`);
    this.status.starting();
    await this.stopClient();
    this.settings = settingsFor(undefined);
    const inputs = await this.launchInputs();
    const launch = await this.chooseLaunch(inputs);
    if (!launch.ok) {
      this.failed(launch.message, launch.suggestSelect);
      return undefined;
    }
    if (launch.note) this.log.warn(launch.note);
    this.log.info(`server command: ${[launch.command, ...launch.args].join(" ")}`);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const client = this.createClient(launch, { [SECTION]: await this.serverSettingsFor(folder?.uri) });
    try {
      await client.start();
    } catch (error) {
      this.failed(`the server did not start (${error}); see the logs`, false);
      await client.dispose().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    const where = `${launch.strategy === "useBundled" ? "bundled server" : "server from the environment"}` +
      ` on Python ${launch.facts.version.join(".")} (${launch.facts.executable})`;
    this.status.ready(where, inputs.trusted);
    return inputs;
  }

  private chooseLaunch(inputs: LaunchInputs) {
    return chooseLaunch(
      {
        setting: inputs.interpreter,
        pythonExtension: inputs.selected,
        trusted: inputs.trusted,
        strategy: inputs.importStrategy,
        bundledScript: this.context.asAbsolutePath("bundled/tool/server.py"),
      },
      inspectInterpreter,
    );
  }

  /** `initializationOptions` is the first answer; later ones come through `workspace/configuration`. */
  private createClient(launch: ServerLaunch, initializationOptions: object): LanguageClient {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const serverOptions: ServerOptions = {
      command: launch.command,
      args: launch.args,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: "1" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: "file", language: "python" },
        { scheme: "untitled", language: "python" },
        // Deployment files: PP307 checks their entrypoints.
        { scheme: "file", pattern: "**/prefect.yaml" },
      ],
      outputChannel: this.log,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions,
      synchronize: { configurationSection: SECTION },
      middleware: {
        workspace: {
          configuration: (params, token, next) => this.configuration(params, token, next),
        },
        executeCommand: (command, args, next) => this.rulePages.executeCommand(command, args, next),
      },
    };
    const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    client.registerFeature(new ProbeStatusFeature());
    client.registerFeature(new RulePagesFeature());
    // Registered before start, so it replaces the client's own handler: pop-ups follow showNotifications.
    client.onNotification(ShowMessageNotification.type, ({ type, message }) => this.serverMessage(type, message));
    client.onNotification(PROBE_STATUS_NOTIFICATION, (status: ProbeStatus) => this.status.probe(status));
    return client;
  }

  private async configuration(
    params: ConfigurationParams,
    token: vscode.CancellationToken,
    next: (params: ConfigurationParams, token: vscode.CancellationToken) => unknown,
  ): Promise<unknown[]> {
    return Promise.all(
      params.items.map(async (item) => {
        if (item.section === SECTION) {
          return this.serverSettingsFor(item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined);
        }
        const answer = await next({ items: [item] }, token);
        return Array.isArray(answer) ? answer[0] : null;
      }),
    );
  }

  private async serverSettingsFor(scope: vscode.Uri | undefined): Promise<Record<string, unknown>> {
    const settings = settingsFor(scope);
    const trusted = vscode.workspace.isTrusted;
    const selected = trusted ? await selectedInterpreter(scope) : undefined;
    const projectPython = selected?.[0] ?? settings.interpreter[0] ?? null;
    return serverSettings(settings, { trusted, projectPython });
  }

  private serverMessage(type: MessageType, message: string): void {
    const logged = { [MessageType.Error]: "error", [MessageType.Warning]: "warn", [MessageType.Info]: "info" } as const;
    this.log[logged[type as 1 | 2 | 3] ?? "info"](message);
    if (!shouldNotify(this.settings.showNotifications, type)) return;
    const show = type === MessageType.Error
      ? vscode.window.showErrorMessage
      : type === MessageType.Warning
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
    void show(message, "Show Logs").then((choice) => choice && this.log.show());
  }

  private failed(message: string, suggestSelect: boolean): void {
    this.log.error(message);
    this.status.failed(message);
    const select = hasPythonExtension() && suggestSelect ? "Select Interpreter" : undefined;
    const actions = [select, "Open Settings", "Show Logs"].filter((a): a is string => a !== undefined);
    void vscode.window.showErrorMessage(message, ...actions).then((choice) => {
      if (choice === "Select Interpreter") void vscode.commands.executeCommand("python.setInterpreter");
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", SECTION);
      if (choice === "Show Logs") this.log.show();
    });
  }

  private configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration(SECTION)) return;
    const after = settingsFor(undefined);
    const restart = needsRestart(this.settings, after);
    this.settings = after;
    if (restart) void this.restart("the interpreter settings changed");
  }

  private async probeCurrentFile(): Promise<void> {
    const document = vscode.window.activeTextEditor?.document;
    if (!document || document.languageId !== "python") {
      void vscode.window.showInformationMessage("prefect-pitfalls: open a Python file to probe it.");
      return;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("prefect-pitfalls: the probe runs only in a trusted workspace.");
      return;
    }
    if (!this.client) {
      void vscode.window.showErrorMessage("prefect-pitfalls: the server is not running; see the logs.");
      return;
    }
    if (document.isDirty || document.isUntitled) {
      if (!(await document.save())) return; // the probe imports the file on disk
    }
    const result = await this.client.sendRequest(ExecuteCommandRequest.type, {
      command: SERVER_PROBE_COMMAND,
      arguments: [document.uri.toString()],
    });
    if (result && result.probed === false) {
      void vscode.window.showWarningMessage(`prefect-pitfalls: the probe did not run: ${result.reason}`);
    }
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.dispose(2000).catch((error) => this.log.warn(`stopping the server: ${error}`));
    }
  }

  async dispose(): Promise<void> {
    await this.stopClient();
  }
}

function settingsFor(scope: vscode.Uri | undefined): ExtensionSettings {
  const folder = scope ? vscode.workspace.getWorkspaceFolder(scope) : vscode.workspace.workspaceFolders?.[0];
  return readSettings(vscode.workspace.getConfiguration(SECTION, scope ?? folder?.uri), {
    workspaceFolder: folder?.uri.fsPath,
    userHome: os.homedir(),
    env: process.env,
  });
}

/** Runs a candidate interpreter once to learn its version and whether it has prefect-pitfalls. */
function inspectInterpreter(command: string[]): Promise<InterpreterFacts | null> {
  const [program, ...prefix] = command;
  return new Promise((resolve) => {
    execFile(program, [...prefix, "-c", INSPECT_SCRIPT], { timeout: 20000 }, (error, stdout) => {
      resolve(error ? null : parseInspectOutput(stdout));
    });
  });
}

/** Tells the server that this client shows `prefectPitfalls/probeStatus` notifications. */
class ProbeStatusFeature implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = (capabilities.experimental ?? {}) as Record<string, object | undefined>;
    capabilities.experimental = { ...experimental, prefectPitfalls: { ...experimental.prefectPitfalls, probeStatus: true } };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}
