/** The status bar item: a running probe, its last result, or why the probe or server is off. */

import * as vscode from "vscode";

/** The server's `prefectPitfalls/probeStatus` notification. */
export interface ProbeStatus {
  uri: string;
  state: "running" | "done" | "skipped" | "failed";
  problems?: number;
  message?: string;
}

export const PROBE_STATUS_NOTIFICATION = "prefectPitfalls/probeStatus";

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
    const file = status.uri.split("/").pop() ?? status.uri;
    const name = decodeURIComponent(file);
    switch (status.state) {
      case "running":
        this.set(`$(sync~spin) Probing ${name}`, `prefect-pitfalls: probing ${name}`);
        break;
      case "done": {
        const problems = status.problems ?? 0;
        this.set(
          problems ? `$(warning) Probe: ${problems} in ${name}` : `$(pass) Probe: ${name} ok`,
          `prefect-pitfalls: the last probe of ${name} ${problems ? `found ${problems} problem(s)` : "passed"}`,
          problems ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined,
        );
        break;
      }
      case "skipped":
        this.set(`$(shield) Probe off`, `prefect-pitfalls: ${status.message ?? "the probe did not run"}`);
        break;
      case "failed":
        this.set(`$(error) Probe failed`, `prefect-pitfalls: ${status.message ?? "the probe failed"}`);
        break;
    }
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
