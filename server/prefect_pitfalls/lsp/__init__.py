"""The language server: translation between the core and LSP."""
