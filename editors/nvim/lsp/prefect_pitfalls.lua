-- prefect-pitfalls for Neovim 0.11+: with this folder on 'runtimepath',
--   vim.lsp.enable("prefect_pitfalls")
-- starts `prefect-pitfalls serve` for Python buffers and `prefect.yaml` files (PP307 checks
-- their deployment entrypoints; other YAML files are left alone). Override any field with
-- vim.lsp.config("prefect_pitfalls", { ... }); the settings are the server's
-- (`prefectPitfalls.*`), shown here with their defaults.

-- Neovim pulls diagnostics after edits only, but the probe's results arrive after a save:
-- the server then asks for a new pull (workspace/diagnostic/refresh), answered here.
local function pull_again(_, _, context)
  local client = vim.lsp.get_client_by_id(context.client_id)
  for bufnr in pairs(client and client.attached_buffers or {}) do
    local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
    if vim.fn.has("nvim-0.11") == 1 then
      client:request("textDocument/diagnostic", params, nil, bufnr)
    else
      client.request("textDocument/diagnostic", params, nil, bufnr)
    end
  end
  return vim.NIL
end

local root_markers = { "pyproject.toml", ".git" }

-- Neovim 0.11 attaches when this calls on_dir: Python buffers, and YAML only for prefect.yaml.
local function root_dir(bufnr, on_dir)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if vim.bo[bufnr].filetype == "yaml" and vim.fs.basename(name) ~= "prefect.yaml" then
    return
  end
  on_dir(vim.fs.root(bufnr, root_markers) or vim.fs.dirname(name))
end

return {
  cmd = { "prefect-pitfalls", "serve" },
  filetypes = { "python", "yaml" },
  root_markers = root_markers,
  root_dir = root_dir,
  capabilities = { workspace = { diagnostics = { refreshSupport = true } } },
  handlers = { ["workspace/diagnostic/refresh"] = pull_again },
  init_options = {
    prefectPitfalls = {
      enable = true,
      select = vim.NIL, -- rule codes or prefixes, e.g. { "PP1" }; nil: pyproject.toml's, else all
      ignore = {},
      run = "onType", -- or "onSave"
      severity = vim.empty_dict(), -- e.g. { PP101 = "error" }
      docsBaseUrl = "https://prefect-pitfalls.github.io/prefect-pitfalls/rules",
      probe = {
        enabled = false, -- true: import the module and round-trip its flows and tasks on save
        onOpen = false,
        python = vim.NIL, -- the project's interpreter; nil: $VIRTUAL_ENV, else .venv/venv in the project
        timeout = 10,
        byValue = vim.NIL, -- true: round-trip as a worker without your code; nil: Prefect 1 only
      },
    },
  },
}
