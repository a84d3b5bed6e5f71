--- The subcommands: status, watch, run, cancel, workflows, schema. Each takes
-- the client, the parsed arguments and the environment (`out`, `term`,
-- `say_error`, ...) and returns the exit code.
-- @module modelslab.cli.commands

local core = require "modelslab.core"
local steps = require "modelslab.steps"
local args = require "modelslab.cli.args"
local codes = require "modelslab.cli.codes"
local json = require "modelslab.cli.json"
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
    env.out:write(json.encode { type = "error", kind = err.kind, message = err.message and tostring(err.message),
      status = err.status, code = err.code, exit_code = code }, "\n")
  end
  env.say_error(tostring(err))
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
    if not o.watch then env.out:write("follow it: modelslab watch ", wf, " ", id, "\n") end
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

local function per_minute(v)
  return tonumber(v) and string.format("%.0f/min", v) or "-"
end

--- `workflows`: a table of the workflows the key can run.
function commands.workflows(client, r, env)
  local list, err = client:workflows()
  if not list then return failed(err, r, env) end
  if r.opts.json then
    env.out:write(#list == 0 and "[]" or json.encode(list), "\n")
    return codes.COMPLETED
  end
  local rows = { { "ID", "NAME", "RATE LIMIT", "CALLS" } }
  for _, w in ipairs(list) do
    rows[#rows + 1] = { tostring(w.id), tostring(w.name or ""), per_minute(w.rate_limit),
      string.format("%.0f", tonumber(w.call_count) or 0) }
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
  local lines = columns {
    { "workflow", tostring(w.name or w.id) }, { "id", tostring(w.id) },
    { "description", tostring(w.description or "") }, { "rate limit", per_minute(w.rate_limit) },
    { "webhook", tostring(w.webhook_url or "-") },
  }
  lines[#lines + 1] = "parameters:"
  local rows = { { "  KEY", "TYPE", "REQUIRED", "NODE" } }
  for _, p in ipairs(doc.parameters) do
    local node = p.node_name and (tostring(p.node_name) .. (p.node_id and " (" .. tostring(p.node_id) .. ")" or ""))
    rows[#rows + 1] = { "  " .. tostring(p.key), tostring(p.type or "-"), p.required and "yes" or "no", node or "-" }
  end
  if #rows == 1 then rows = { { "  (none)" } } end
  for _, line in ipairs(columns(rows)) do lines[#lines + 1] = line end
  write_lines(env.out, lines)
  return codes.COMPLETED
end

return commands
