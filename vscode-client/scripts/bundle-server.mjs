// Installs the server (this repository's Python package) and its dependencies into
// bundled/libs, so the .vsix runs without pip, and copies the licence beside the manifest. $PYTHON picks the interpreter (default python3).
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const client = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const project = resolve(client, "..");
const libs = join(client, "bundled", "libs");
const python = process.env.PYTHON || "python3";

rmSync(libs, { recursive: true, force: true });
execFileSync(
  python,
  ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
   "--root-user-action=ignore", "--target", libs, project],
  { stdio: "inherit", env: { ...process.env, PIP_NO_INPUT: "1" } },
);
// Console scripts point at the packaging interpreter; the extension runs bundled/tool/server.py.
rmSync(join(libs, "bin"), { recursive: true, force: true });
// PyYAML's C accelerator is optional: without it PyYAML runs in pure Python on any platform.
for (const file of readdirSync(join(libs, "yaml"))) {
  if (file.startsWith("_yaml.") && file.endsWith(".so")) rmSync(join(libs, "yaml", file));
}
const compiled = readdirSync(libs, { recursive: true }).filter((p) => String(p).endsWith(".so"));
if (compiled.length) {
  throw new Error(`bundled/libs must be pure Python, found: ${compiled.join(", ")}`);
}
if (!existsSync(join(libs, "prefect_pitfalls", "lsp", "server.py"))) {
  throw new Error("the server package is missing from bundled/libs");
}
// vsce wants the licence beside the manifest.
copyFileSync(join(project, "LICENSE"), join(client, "LICENSE"));
console.log(`bundled the server into ${libs}`);
