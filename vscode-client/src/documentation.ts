/** "Show documentation": a rule's page, as the server's `prefect-pitfalls.explain` gives it, opened as a
 * read-only Markdown preview instead of a result nobody sees. */

import * as vscode from "vscode";
import {
  ClientCapabilities,
  ExecuteCommandRequest,
  ExecuteCommandSignature,
  FeatureState,
  LanguageClient,
  StaticFeature,
} from "vscode-languageclient/node";

export const EXPLAIN_COMMAND = "prefect-pitfalls.explain";
/** Rule pages are virtual documents `prefect-pitfalls-docs:/PP101.md`, read-only by nature. */
export const RULE_PAGE_SCHEME = "prefect-pitfalls-docs";

export function rulePageUri(code: string): vscode.Uri {
  return vscode.Uri.from({ scheme: RULE_PAGE_SCHEME, path: `/${code.toUpperCase()}.md` });
}

export function codeOfRulePage(uri: vscode.Uri): string {
  return uri.path.replace(/^\//, "").replace(/\.md$/, "");
}

export class RulePages implements vscode.TextDocumentContentProvider {
  constructor(private readonly client: () => LanguageClient | undefined) {}

  register(): vscode.Disposable {
    return vscode.workspace.registerTextDocumentContentProvider(RULE_PAGE_SCHEME, this);
  }

  /** For `middleware.executeCommand`: the server's explain command opens the page; others pass. */
  executeCommand(command: string, args: unknown[], next: ExecuteCommandSignature): vscode.ProviderResult<unknown> {
    if (command !== EXPLAIN_COMMAND || typeof args[0] !== "string") return next(command, args);
    return vscode.commands.executeCommand("markdown.showPreview", rulePageUri(args[0]));
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const code = codeOfRulePage(uri);
    const client = this.client();
    const doc = client
      ? await client.sendRequest(ExecuteCommandRequest.type, { command: EXPLAIN_COMMAND, arguments: [code] })
      : undefined;
    if (typeof doc !== "string") {
      return `# ${code}\n\nNo documentation: the server is not running, or knows no rule ${code}.\n`;
    }
    return `# ${code}\n\n${doc}\n`;
  }
}

/** Tells the server that this client opens rule pages itself, so it sends no message with the text. */
export class RulePagesFeature implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    const ours = (experimental.prefectPitfalls ?? {}) as Record<string, unknown>;
    capabilities.experimental = { ...experimental, prefectPitfalls: { ...ours, documentationPages: true } };
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}
