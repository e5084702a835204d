/**
 * Server restarts, one after another. Several events can ask for a restart for one change
 * (trusting a folder also changes its restricted settings): a restart whose inputs are those
 * the running server was started with is dropped. Nothing here imports `vscode`.
 */

import { ImportStrategy } from "./settings";

/** Everything a server start depends on: the same inputs start the same server. */
export interface LaunchInputs {
  trusted: boolean;
  interpreter: string[];
  importStrategy: ImportStrategy;
  /** The Python extension's interpreter for the folder, when there is one. */
  selected: string[] | undefined;
}

export function sameInputs(a: LaunchInputs, b: LaunchInputs): boolean {
  const key = (inputs: LaunchInputs) =>
    JSON.stringify([inputs.trusted, inputs.interpreter, inputs.importStrategy, inputs.selected ?? null]);
  return key(a) === key(b);
}

export interface RestartHooks {
  /** The inputs as they are now. */
  inputs(): Promise<LaunchInputs>;
  /** Stops the running server and starts a new one: the inputs it read and started it with,
   * undefined when none could be started. */
  start(reason: string): Promise<LaunchInputs | undefined>;
  log(message: string): void;
}

export class Restarts {
  private queue: Promise<void> = Promise.resolve();
  private running: LaunchInputs | undefined;

  constructor(private readonly hooks: RestartHooks) {}

  /** Restarts unless the server already runs with the current inputs; `force` restarts anyway. */
  request(reason: string, force = false): Promise<void> {
    this.queue = this.queue
      .then(() => this.run(reason, force))
      .catch((error) => this.hooks.log(`restart failed: ${error}`));
    return this.queue;
  }

  private async run(reason: string, force: boolean): Promise<void> {
    const inputs = await this.hooks.inputs();
    if (!force && this.running && sameInputs(this.running, inputs)) {
      this.hooks.log(`no restart needed (${reason}): the server already runs with these settings`);
      return;
    }
    this.running = undefined;
    this.running = await this.hooks.start(reason);
  }
}
