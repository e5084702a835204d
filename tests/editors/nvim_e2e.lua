-- The Neovim end-to-end test, run by test_neovim.py after the README's snippets have set up
-- the server: the hover over a finding, a quick fix, a save that probes, progress while
-- probing, fix-all on save.
-- Works on Neovim 0.7 and 0.11; prints "STEP ..." lines and ends with "PASS" or "FAIL ...".

local project = assert(vim.env.PP_PROJECT, "PP_PROJECT is not set")
local has_011 = vim.fn.has("nvim-0.11") == 1

local function say(line)
  io.stdout:write(line .. "\n")
  io.stdout:flush()
end

local function wait_for(what, predicate, describe)
  if not vim.wait(60000, predicate, 50) then
    error("timed out waiting for " .. what .. (describe and ("; have " .. describe()) or ""), 2)
  end
end

local function ours(buf, code)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "prefect-pitfalls" and (code == nil or d.code == code) then
      table.insert(found, d)
    end
  end
  return found
end

local function text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
end

local function client_for(buf)
  local clients = has_011 and vim.lsp.get_clients({ bufnr = buf }) or vim.lsp.buf_get_clients(buf)
  for _, client in pairs(clients) do
    if client.name == "prefect_pitfalls" then
      return client
    end
  end
end

local function open(name)
  vim.cmd("edit " .. vim.fn.fnameescape(project .. "/" .. name))
  return vim.api.nvim_get_current_buf()
end

-- Progress the server reports (work-done progress), as status plugins see it.
local progress = {}
if has_011 then
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(event)
      local value = event.data.params.value
      table.insert(progress, value.kind .. ":" .. (value.title or value.message or ""))
      if value.kind == "begin" then
        table.insert(progress, "status:" .. vim.lsp.status())
      end
    end,
  })
else
  vim.api.nvim_create_autocmd("User", {
    pattern = "LspProgressUpdate",
    callback = function()
      for _, message in ipairs(vim.lsp.util.get_progress_messages()) do
        table.insert(progress, (message.done and "end:" or "begin:") .. (message.title or ""))
      end
    end,
  })
end

-- Messages the server shows (window/showMessage), recorded instead of echoed.
local shown_messages = {}
vim.lsp.handlers["window/showMessage"] = function(_, params)
  table.insert(shown_messages, params.message)
  return vim.NIL
end

-- The text of the floating window a hover opened, and the window.
local function hover_window()
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= "" then
      return table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), "\n"), win
    end
  end
end

-- Applies the code action titled like `pattern` for the diagnostic under the cursor.
local function apply_action(buf, pattern)
  if has_011 then
    vim.lsp.buf.code_action({
      apply = true,
      filter = function(action)
        return action.title:find(pattern) ~= nil
      end,
    })
    return
  end
  local client = assert(client_for(buf), "no prefect_pitfalls client")
  local params = vim.lsp.util.make_range_params()
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  params.context = { diagnostics = vim.lsp.diagnostic.get_line_diagnostics(buf, line) }
  local answers = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 10000) or {}
  for _, answer in pairs(answers) do
    for _, action in ipairs(answer.result or {}) do
      if action.title:find(pattern) and action.edit then
        vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
        return
      end
    end
  end
  error("no code action matches " .. pattern)
end

local function run()
  local counter = open("counter.py")
  wait_for("PP101", function()
    return #ours(counter, "PP101") == 2
  end)
  local first = ours(counter, "PP101")[1]
  assert(not first.message:find("\n"), "a diagnostic message spans lines: " .. first.message)
  assert(first.message:find("BadCounterTask", 1, true), first.message)
  say("STEP PP101 shown: " .. first.message)

  vim.api.nvim_win_set_cursor(0, { first.lnum + 1, first.col })
  if has_011 then
    vim.cmd("normal K") -- Neovim 0.11 maps K to vim.lsp.buf.hover()
  else
    vim.lsp.buf.hover()
  end
  wait_for("the hover to say why", function()
    local shown = hover_window()
    return shown ~= nil and shown:find("Why is this bad?", 1, true) ~= nil
  end, function()
    return hover_window() or "no hover window"
  end)
  local shown, hover = hover_window()
  assert(shown:find("BadCounterTask", 1, true) and shown:find("Use instead", 1, true), shown)
  vim.api.nvim_win_close(hover, true)
  say("STEP the hover over PP101 says why and what to write instead")
  if has_011 then
    apply_action(counter, "^prefect%-pitfalls %(PP101%): Show documentation$")
    local function page()
      for _, message in ipairs(shown_messages) do
        if message:find("^PP101: task%-instance%-state\n") then
          return message
        end
      end
    end
    wait_for("the rule's page as a message", page, function()
      return vim.inspect(shown_messages)
    end)
    assert(page():find("Why is this bad?", 1, true), page())
    say("STEP Show documentation showed the rule's page")
  end

  apply_action(counter, "^prefect%-pitfalls %(PP101%): Keep `self%.counter` in the Prefect Cloud KV store")
  wait_for("the store fix", function()
    return text(counter):find("set_key_value(", 1, true) ~= nil
  end)
  say("STEP the external-store fix rewrote the task")
  vim.cmd("write")
  wait_for("the fixed PP101 to go", function()
    local left = ours(counter, "PP101")
    return #left == 1 and left[1].message:find("Collector", 1, true) ~= nil
  end)
  say("STEP the fixed PP101 is gone, the other task's stays")

  local etl = open("etl.py")
  wait_for("PP203", function()
    return #ours(etl, "PP203") == 1
  end)
  assert(#ours(etl, "PP301") == 0, "probe findings before any save")
  vim.api.nvim_buf_set_lines(etl, -1, -1, false, { "# saved from Neovim" })
  vim.cmd("write")
  wait_for("the probe's PP301", function()
    return #ours(etl, "PP301") == 1
  end, function()
    return vim.inspect(vim.tbl_map(function(d) return d.code .. " " .. d.message end, ours(etl)))
  end)
  say("STEP saving ran the probe: " .. ours(etl, "PP301")[1].message)
  wait_for("the probe's progress to end", function()
    return table.concat(progress, " "):find("end:[^|]*etl%.py") ~= nil or progress[#progress] == "end:done"
  end)
  say("STEP progress: " .. table.concat(progress, " | "))
  assert(table.concat(progress, " "):find("begin:Probing etl.py", 1, true), "no progress while probing")
  if has_011 then
    assert(table.concat(progress, " "):find("status:Probing etl.py", 1, true), "vim.lsp.status() never showed the probe")
  end

  local deployments = open("prefect.yaml")
  wait_for("PP307 in prefect.yaml", function()
    return #ours(deployments, "PP307") == 1
  end, function()
    return vim.inspect(vim.diagnostic.get(deployments))
  end)
  local entry = ours(deployments, "PP307")[1]
  assert(entry.lnum == 10 and entry.message:find("nightly_reports", 1, true), vim.inspect(entry))
  say("STEP prefect.yaml: PP307 " .. entry.message)
  local compose = open("compose.yaml")
  assert(vim.bo[compose].filetype == "yaml", "compose.yaml is not detected as YAML")
  vim.wait(1000)
  assert(client_for(compose) == nil, "the server attached to a YAML file other than prefect.yaml")
  say("STEP other YAML files are left alone")

  if has_011 then
    local report = open("report.py")
    wait_for("PP303", function()
      return #ours(report, "PP303") == 1
    end)
    vim.cmd("write") -- the README's BufWritePre autocmd applies source.fixAll.prefect-pitfalls
    assert(text(report):find('if __name__ == "__main__":\n    nightly_report()', 1, true), text(report))
    assert(vim.fn.readfile(project .. "/report.py")[#vim.fn.readfile(project .. "/report.py")] == "    nightly_report()")
    wait_for("the fixed findings to go", function()
      return #ours(report, "PP303") == 0 and #ours(report, "PP103") == 0
    end)
    say("STEP fix-all on save applied the safe fixes (PP103, PP303)")
  end
end

vim.schedule(function()
  local ok, problem = xpcall(run, debug.traceback)
  say(ok and "PASS" or ("FAIL " .. tostring(problem)))
  vim.cmd("qall!")
end)
