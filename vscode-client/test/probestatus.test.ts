import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { describeProbe } from "../src/probestatus";

const uri = "file:///work/flows/my%20etl.py";

describe("describeProbe", () => {
  it("says what a clean probe covers, and that no return value was checked", () => {
    const shown = describeProbe({ uri, state: "done", problems: 0 });
    assert.equal(shown.text, "$(pass) Probe: flows and tasks in my etl.py round-trip");
    assert.match(shown.tooltip, /return values were not checked/);
    assert.doesNotMatch(`${shown.text} ${shown.tooltip}`, /\bok\b|passed/);
  });

  it("counts problems as a warning", () => {
    assert.deepEqual(describeProbe({ uri, state: "done", problems: 2 }), {
      text: "$(warning) Probe: 2 in my etl.py",
      tooltip: "the last probe of my etl.py found 2 problem(s)",
      tone: "warning",
    });
  });

  it("shows a probe skipped on purpose as off, with the server's reason, not as failed", () => {
    const shown = describeProbe({ uri, state: "skipped", message: "Probe off: fix PP303 first" });
    assert.equal(shown.text, "$(circle-slash) Probe off: fix PP303 first");
    assert.doesNotMatch(shown.text, /fail|error/);
  });

  it("shows a probe that did not finish as failed, with why in the tooltip", () => {
    const shown = describeProbe({ uri, state: "failed", message: "Probe did not finish: timed out after 10 s" });
    assert.equal(shown.text, "$(error) Probe failed");
    assert.equal(shown.tooltip, "Probe did not finish: timed out after 10 s");
  });
});
