--- The subcommands: status, watch, run, cancel, workflows, schema. Each takes
-- the client, the parsed arguments and the environment (`out`, `term`,
-- `say_error`, ...) and returns the exit code.
-- @module modelslab.cli.commands

local core = require "modelslab.core"
local steps = require "modelslab.steps"
local args = require "modelslab.cli.args"
local codes = require "modelslab.cli.codes"
local json = require "modelslab.cli.json"
local lines = require "modelslab.cli.lines"
local term = require "modelslab.cli.term"
local view = require "modelslab.cli.view"
local watch = require "modelslab.cli.watch"

local commands = {}

local function write_lines(out, list)
  for _, line in ipairs(list) do out:write(line, "\n") end
end

-- A request failed: the message on stderr, and with --json an error object
-- on stdout too (the same shape as watch's last line).
local function failed(err, r, env)
  local code = codes.for_error(err)
  if r.opts.json then
    env.out:write(json.encode(lines.error_fields(err, { type = "error", exit_code = code })), "\n")
  end
  env.say_error(view.error_text(err))
  return code
end

--- `status WORKFLOW_ID EXECUTION_ID`: one frame, then outputs or error.
function commands.status(client, r, env)
  local wf, id = r.positional[1], r.positional[2]
  local doc, err = client:status(wf, id)
  if not doc then return failed(err, r, env) end
  local f = r.opts.filter
  if r.opts.json then
    if f then doc.steps = steps.filter(doc, f) end
    env.out:write(json.encode(doc), "\n")
  else
    local t = env.term
    write_lines(env.out, view.frame(doc, { term = t, now = view.now(), filter = f,
      width = t.tty and t.width - 1 or nil }))
    write_lines(env.out, view.tail(doc, t))
  end
  local code = codes.for_status(doc.execution.status)
  if code == codes.UNAVAILABLE then
    env.say_error("the execution reports an undocumented status: " .. term.clean(doc.execution.status))
  end
  return code
end

--- `watch WORKFLOW_ID EXECUTION_ID`: see `modelslab.cli.watch`.
function commands.watch(client, r, env)
  return watch.follow(client, r.positional[1], r.positional[2], r.opts, env)
end

-- The parameters of --json-params FILE ("-": stdin), which must hold an object.
local function read_params(path)
  local f, why = io.stdin, nil
  if path ~= "-" then f, why = io.open(path, "rb") end
  if not f then args.usage("cannot read --json-params: " .. tostring(why), "run") end
  local text = f:read("*a") or ""
  if f ~= io.stdin then f:close() end
  local ok, value, err = pcall(core.decode, text)
  if not ok or type(value) ~= "table" or value[1] ~= nil then
    args.usage("--json-params " .. path .. " must hold a JSON object"
      .. ((not ok or err) and ": " .. tostring(ok and err or value) or ""), "run")
  end
  return value
end

--- `run WORKFLOW_ID [KEY=VALUE...]`: starts an execution; `--watch` follows it.
function commands.run(client, r, env)
  local wf, o = r.positional[1], r.opts
  local params = o.json_params and read_params(o.json_params) or {}
  for k, v in pairs(r.params) do params[k] = v end
  local started, err = client:run(wf, params)
  if not started then return failed(err, r, env) end
  local id = string.format("%.0f", started.execution_id)
  if o.json then
    local rec = {}
    for k, v in pairs(started) do rec[k] = v end
    if o.watch then rec.type = "started" end
    env.out:write(json.encode(rec), "\n")
  elseif o.quiet then
    env.out:write(id, "\n")
  else
    env.out:write("execution ", id, " started\n")
    if not o.watch then env.out:write("follow it: ", watch.resume_command(wf, id, o), "\n") end
  end
  env.out:flush()
  if o.watch then return watch.follow(client, wf, id, o, env) end
  return codes.COMPLETED
end

--- `cancel WORKFLOW_ID EXECUTION_ID`.
function commands.cancel(client, r, env)
  local wf, id = r.positional[1], r.positional[2]
  local ok, err = client:cancel(wf, id)
  if not ok then return failed(err, r, env) end
  if r.opts.json then
    env.out:write(json.encode { cancelled = true, workflow_id = wf, execution_id = tonumber(id) }, "\n")
  else
    env.out:write("execution ", id, " cancelled\n")
  end
  return codes.COMPLETED
end

-- Rows of cells as aligned columns (the last one is not padded).
local function columns(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do widths[i] = math.max(widths[i] or 0, term.len(cell)) end
  end
  local out = {}
  for n, row in ipairs(rows) do
    local cells = {}
    for i, cell in ipairs(row) do cells[i] = i < #row and term.pad(cell, widths[i]) or cell end
    out[n] = table.concat(cells, "  ")
  end
  return out
end

-- Server values as table cells: text cleaned for the terminal, numbers
-- written whole (or short when absurdly long), anything else "-".
local function number_text(v)
  v = tonumber(v)
  if not v or v ~= v or math.abs(v) == math.huge then return nil end
  return string.format(math.abs(v) < 1e15 and "%.0f" or "%.3g", v)
end

local function cell(v)
  if type(v) == "string" then return v ~= "" and term.clean(v) or "-" end
  return type(v) == "number" and number_text(v) or "-"
end

local function per_minute(v)
  local n = number_text(v)
  return n and n .. "/min" or "-"
end

-- The entries of a list that are objects; the others (a JSON null comes as
-- a hole) are counted on stderr.
local function objects(list, what, env)
  local n = 0
  for k in pairs(list) do
    if type(k) == "number" and k > n then n = k end
  end
  local kept = {}
  for i = 1, n do
    local v = list[i]
    if type(v) == "table" and v[1] == nil then kept[#kept + 1] = v end
  end
  if #kept < n then
    env.say_error(string.format("%d of the %d %s the server sent are not objects; not shown", n - #kept, n, what))
  end
  return kept
end

--- `workflows`: a table of the workflows the key can run.
function commands.workflows(client, r, env)
  local list, err = client:workflows()
  if not list then return failed(err, r, env) end
  if r.opts.json then
    env.out:write(next(list) == nil and "[]" or json.encode(list), "\n")
    return codes.COMPLETED
  end
  local rows = { { "ID", "NAME", "RATE LIMIT", "CALLS" } }
  for _, w in ipairs(objects(list, "workflows", env)) do
    rows[#rows + 1] = { cell(w.id), cell(w.name), per_minute(w.rate_limit), number_text(w.call_count) or "0" }
  end
  write_lines(env.out, columns(rows))
  return codes.COMPLETED
end

--- `schema WORKFLOW_ID`: the workflow and its parameters.
function commands.schema(client, r, env)
  local doc, err = client:workflow(r.positional[1])
  if not doc then return failed(err, r, env) end
  if r.opts.json then
    env.out:write(json.encode(doc), "\n")
    return codes.COMPLETED
  end
  local w = doc.workflow
  local text = columns {
    { "workflow", cell(w.name or w.id) }, { "id", cell(w.id) },
    { "description", type(w.description) == "string" and term.clean(w.description) or "" },
    { "rate limit", per_minute(w.rate_limit) }, { "webhook", cell(w.webhook_url) },
  }
  text[#text + 1] = "parameters:"
  local rows = { { "  KEY", "TYPE", "REQUIRED", "NODE" } }
  for _, p in ipairs(objects(doc.parameters, "parameters", env)) do
    local node = cell(p.node_name)
    if node ~= "-" and p.node_id ~= nil then node = node .. " (" .. cell(p.node_id) .. ")" end
    rows[#rows + 1] = { "  " .. cell(p.key), cell(p.type), p.required == true and "yes" or "no", node }
  end
  if #rows == 1 then rows = { { "  (none)" } } end
  for _, line in ipairs(columns(rows)) do text[#text + 1] = line end
  write_lines(env.out, text)
  return codes.COMPLETED
end

return commands
