/** The status bar item: a running probe, its last result, or why the probe or server is off. */

import * as vscode from "vscode";

import { describeProbe, ProbeStatus } from "./probestatus";

export { PROBE_STATUS_NOTIFICATION } from "./probestatus";
export type { ProbeStatus } from "./probestatus";

export class StatusItem implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor(showLogsCommand: string) {
    this.item = vscode.window.createStatusBarItem("prefectPitfalls.status", vscode.StatusBarAlignment.Right, 100);
    this.item.name = "Prefect Pitfalls";
    this.item.command = showLogsCommand;
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.set("$(sync~spin) Pitfalls: starting", "prefect-pitfalls: starting the server");
  }

  ready(description: string, trusted: boolean): void {
    const probe = trusted ? "probe on save" : "probe off: the workspace is not trusted";
    this.set(trusted ? "$(check) Pitfalls" : "$(shield) Pitfalls: restricted", `prefect-pitfalls: ${description}; ${probe}`);
  }

  failed(message: string): void {
    this.set("$(error) Pitfalls", `prefect-pitfalls: ${message}`, new vscode.ThemeColor("statusBarItem.errorBackground"));
  }

  probe(status: ProbeStatus): void {
    const shown = describeProbe(status);
    const background = shown.tone === "warning" ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.set(shown.text, `prefect-pitfalls: ${shown.tooltip}`, background);
  }

  private set(text: string, tooltip: string, background?: vscode.ThemeColor): void {
    this.item.text = text;
    this.item.tooltip = `${tooltip} (click for the logs)`;
    this.item.backgroundColor = background;
  }

  dispose(): void {
    this.item.dispose();
  }
}
