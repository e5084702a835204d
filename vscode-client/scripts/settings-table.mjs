// Prints the README's table of the extension's settings, generated from package.json.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const manifest = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "..", "package.json"), "utf8"));
const restricted = new Set(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations);
const rows = Object.entries(manifest.contributes.configuration.properties).map(([key, spec]) => {
  const text = (spec.markdownDescription ?? spec.description).replaceAll("|", "\\|").replaceAll("\n", " ");
  const choices = spec.enum ? ` One of ${spec.enum.map((v) => `\`${v}\``).join(", ")}.` : "";
  const note = restricted.has(key) ? " Ignored in workspace settings of an untrusted workspace." : "";
  return `| \`${key}\` | \`${JSON.stringify(spec.default)}\` | ${text}${choices}${note} |`;
});
process.stdout.write(["| setting | default | what it does |", "|---|---|---|", ...rows].join("\n") + "\n");
