import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { LaunchInputs, Restarts } from "../src/restarts";

const untrusted: LaunchInputs = { trusted: false, interpreter: ["/usr/bin/python3"], importStrategy: "useBundled", selected: undefined };

/** A VS Code whose inputs the test changes, and a server that records its starts; `during`
 * changes the inputs while a server starts (VS Code applies settings a moment after an event). */
function extension(startsOk = true) {
  const world = { inputs: untrusted, starts: [] as string[], during: undefined as LaunchInputs | undefined };
  const restarts = new Restarts({
    inputs: async () => world.inputs,
    start: async (reason) => {
      world.starts.push(reason);
      if (world.during) [world.inputs, world.during] = [world.during, undefined];
      return startsOk ? world.inputs : undefined;
    },
    log: () => undefined,
  });
  return { world, restarts };
}

describe("Restarts", () => {
  it("trusting a folder, which also changes its restricted settings, starts the server once", async () => {
    const { world, restarts } = extension();
    await restarts.request("activated");
    // Trust brings the folder's own interpreter setting in, a moment later: two events for one change.
    world.inputs = { ...untrusted, trusted: true };
    world.during = { ...untrusted, trusted: true, interpreter: ["/work/.venv/bin/python"] };
    const trust = restarts.request("the workspace is now trusted");
    const configuration = restarts.request("the interpreter settings changed");
    await Promise.all([trust, configuration]);
    assert.deepEqual(world.starts, ["activated", "the workspace is now trusted"]);
  });

  it("restarts when the inputs changed since the running server started", async () => {
    const { world, restarts } = extension();
    await restarts.request("activated");
    world.inputs = { ...untrusted, selected: ["/work/.venv/bin/python"] };
    await restarts.request("another interpreter was selected");
    assert.deepEqual(world.starts, ["activated", "another interpreter was selected"]);
  });

  it("restarts when asked to, whatever the inputs", async () => {
    const { world, restarts } = extension();
    await restarts.request("activated");
    await restarts.request("asked to", true);
    assert.deepEqual(world.starts, ["activated", "asked to"]);
  });

  it("tries again after a start that failed", async () => {
    const { world, restarts } = extension(false);
    await restarts.request("activated");
    await restarts.request("the interpreter settings changed");
    assert.deepEqual(world.starts, ["activated", "the interpreter settings changed"]);
  });
});
