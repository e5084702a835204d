/** The interpreter selected in the Python extension, when that extension is installed. */

import * as vscode from "vscode";
import { PythonExtension } from "@vscode/python-extension";

const PYTHON_EXTENSION_ID = "ms-python.python";

export function hasPythonExtension(): boolean {
  return vscode.extensions.getExtension(PYTHON_EXTENSION_ID) !== undefined;
}

async function api(): Promise<PythonExtension | undefined> {
  if (!hasPythonExtension()) return undefined;
  try {
    return await PythonExtension.api();
  } catch {
    return undefined;
  }
}

/** The selected interpreter's executable for a folder, or undefined. */
export async function selectedInterpreter(resource?: vscode.Uri): Promise<string[] | undefined> {
  const python = await api();
  if (!python) return undefined;
  const environment = await python.environments.resolveEnvironment(
    python.environments.getActiveEnvironmentPath(resource),
  );
  const executable = environment?.executable.uri?.fsPath;
  return executable ? [executable] : undefined;
}

/** Calls `listener` whenever the selection changes. */
export async function onSelectedInterpreterChanged(listener: () => void): Promise<vscode.Disposable | undefined> {
  const python = await api();
  return python?.environments.onDidChangeActiveEnvironmentPath(listener);
}
