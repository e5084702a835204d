/**
 * What the status item says about the server's `prefectPitfalls/probeStatus` notification.
 * Nothing here imports `vscode`, so it is unit-tested under Node.
 */

export const PROBE_STATUS_NOTIFICATION = "prefectPitfalls/probeStatus";

/** The server's `prefectPitfalls/probeStatus` notification. */
export interface ProbeStatus {
  uri: string;
  state: "running" | "done" | "skipped" | "failed";
  problems?: number;
  message?: string;
}

export interface ProbeDisplay {
  text: string;
  tooltip: string;
  tone: "plain" | "warning";
}

/** "ok" says what the probe checked: flows and tasks survive a round trip; it ran none of them. */
export function describeProbe(status: ProbeStatus): ProbeDisplay {
  const name = decodeURIComponent(status.uri.split("/").pop() ?? status.uri);
  switch (status.state) {
    case "running":
      return { text: `$(sync~spin) Probing ${name}`, tooltip: `probing ${name}`, tone: "plain" };
    case "done": {
      const problems = status.problems ?? 0;
      if (problems) {
        const tooltip = `the last probe of ${name} found ${problems} problem(s)`;
        return { text: `$(warning) Probe: ${problems} in ${name}`, tooltip, tone: "warning" };
      }
      return {
        text: `$(pass) Probe: flows and tasks in ${name} round-trip`,
        tooltip: `${name} imports, and each of its flows and tasks survives a cloudpickle round trip; ` +
          "no flow or task was run, so their return values were not checked",
        tone: "plain",
      };
    }
    case "skipped": {
      const why = status.message ?? "Probe off";
      return { text: `$(circle-slash) ${why}`, tooltip: `${why} (${name})`, tone: "plain" };
    }
    case "failed":
      return { text: "$(error) Probe failed", tooltip: status.message ?? "the probe failed", tone: "plain" };
  }
}
