--- Command-line parsing for `modelslab`: the command, its positional
-- arguments, `KEY=VALUE` parameters and options (`--name value` or
-- `--name=value`, anywhere on the line; `--` ends the options).
-- Every mistake raises a usage error: `{ usage = true, message, command }`.
-- @module modelslab.cli.args

local core = require "modelslab.core"
local filter = require "modelslab.cli.filter"

local args = {}

--- Raises a usage error (exit 64).
-- @tparam string message what is wrong
-- @tparam[opt] string command the command, for "see modelslab COMMAND --help"
function args.usage(message, command)
  error({ usage = true, message = message, command = command }, 0)
end
local usage = args.usage

local OPTIONS = {
  ["--base-url"] = { key = "base_url", kind = "string" },
  ["--api-key-file"] = { key = "api_key_file", kind = "string" },
  ["--request-timeout"] = { key = "request_timeout", kind = "seconds" },
  ["--json"] = { key = "json", kind = "flag" },
  ["--no-color"] = { key = "no_color", kind = "flag" },
  ["--help"] = { key = "help", kind = "flag" },
  ["-h"] = { key = "help", kind = "flag" },
  ["--version"] = { key = "version", kind = "flag" },
  ["--filter"] = { key = "filter", kind = "filter" },
  ["--interval"] = { key = "interval", kind = "seconds" },
  ["--max-interval"] = { key = "max_interval", kind = "seconds" },
  ["--timeout"] = { key = "timeout", kind = "seconds", zero = true },
  ["--stall-timeout"] = { key = "stall_timeout", kind = "seconds" },
  ["--cancel-on-interrupt"] = { key = "cancel_on_interrupt", kind = "flag" },
  ["--cancel-on-timeout"] = { key = "cancel_on_timeout", kind = "flag" },
  ["--json-params"] = { key = "json_params", kind = "string" },
  ["--watch"] = { key = "watch", kind = "flag" },
  ["--quiet"] = { key = "quiet", kind = "flag" },
  ["-q"] = { key = "quiet", kind = "flag" },
}

local COMMON = { "--base-url", "--api-key-file", "--request-timeout", "--json", "--no-color", "--help", "-h",
  "--version" }
local WAIT = { "--interval", "--max-interval", "--timeout", "--stall-timeout", "--cancel-on-interrupt",
  "--cancel-on-timeout", "--filter" }

local function set(...)
  local s = {}
  for _, list in ipairs { COMMON, ... } do
    for _, name in ipairs(list) do s[name] = true end
  end
  return s
end

local BOTH = { "WORKFLOW_ID", "EXECUTION_ID" }
local COMMANDS = {
  status = { positional = BOTH, options = set { "--filter" } },
  watch = { positional = BOTH, options = set(WAIT) },
  run = { positional = { "WORKFLOW_ID" }, params = true,
    options = set(WAIT, { "--json-params", "--watch", "--quiet", "-q" }) },
  cancel = { positional = BOTH, options = set() },
  workflows = { positional = {}, options = set() },
  schema = { positional = { "WORKFLOW_ID" }, options = set() },
  help = { positional = {}, optional = true, options = set() },
}
args.COMMANDS = COMMANDS

local UUID = require("modelslab.check").UUID
local CHECKS = {
  WORKFLOW_ID = function(v) return v:find(UUID) ~= nil, "WORKFLOW_ID must be a UUID (8-4-4-4-12 hex digits)" end,
  EXECUTION_ID = function(v)
    return v:find("^[1-9]%d*$") ~= nil and #v <= 15, "EXECUTION_ID must be a positive integer"
  end,
}

local function store(opts, name, spec, value, command)
  if spec.kind == "flag" then
    opts[spec.key] = true
  elseif spec.kind == "seconds" then
    local n = tonumber(value)
    if not n or n ~= n or n == math.huge or n < 0 or (n == 0 and not spec.zero) then
      usage(name .. " needs a number of seconds " .. (spec.zero and ">= 0" or "> 0") .. ", not '"
        .. value .. "'", command)
    end
    opts[spec.key] = n
  elseif spec.kind == "filter" then
    local f, why = filter.add(opts.filter, value)
    if not f then usage(why, command) end
    opts.filter = f
  else
    if value == "" then usage(name .. " needs a value", command) end
    opts[spec.key] = value
  end
end

-- KEY=VALUE is a string; KEY:=JSON a decoded JSON value.
local function param(params, text, command)
  local key, value = text:match("^([^=]+)=(.*)$")
  if not key then usage("expected KEY=VALUE or KEY:=JSON, not '" .. text .. "'", command) end
  if key:sub(-1) == ":" then
    key = key:sub(1, -2)
    local ok, decoded, why = pcall(core.decode, value)
    if not ok or (decoded == nil and why) then
      usage("the value of " .. key .. ":= is not JSON: " .. tostring(ok and why or decoded), command)
    end
    value = decoded
  end
  if key == "" then usage("a parameter needs a name before '='", command) end
  params[key] = value
end

--- Parses the arguments (the script's `arg`, without arg[0]).
-- @tparam table argv the words
-- @treturn table `command` (nil with `opts.help` or no words), `opts`,
--   `positional` (checked), `params` (run's parameters), `seen` (options
--   given, in order)
-- @raise a usage error table on any mistake
function args.parse(argv)
  local r = { opts = {}, positional = {}, params = {}, seen = {}, words = {} }
  local i, options_done = 1, false
  while i <= #argv do
    local a = argv[i]
    if a == "--" and not options_done then
      options_done = true
    elseif not options_done and a:sub(1, 1) == "-" and #a > 1 then
      local name, value = a:match("^(%-%-[^=]+)=(.*)$")
      name = name or a
      local spec = OPTIONS[name]
      if not spec then usage("unknown option " .. name, r.command) end
      if spec.kind == "flag" and value then usage(name .. " takes no value", r.command) end
      if spec.kind ~= "flag" and not value then
        i = i + 1
        value = argv[i]
        if value == nil then usage(name .. " needs a value", r.command) end
      end
      r.seen[#r.seen + 1] = name
      store(r.opts, name, spec, value, r.command)
    elseif not r.command then
      if not COMMANDS[a] then usage("unknown command '" .. a .. "'") end
      r.command = a
    else
      r.words[#r.words + 1] = a
    end
    i = i + 1
  end
  if r.opts.help or r.opts.version then return r end
  if not r.command then usage("no command given") end
  local cmd = COMMANDS[r.command]
  for _, name in ipairs(r.seen) do
    if not cmd.options[name] then usage(name .. " does not apply to " .. r.command, r.command) end
  end
  if r.command == "help" then
    if #r.words > 1 or (r.words[1] and not COMMANDS[r.words[1]]) then
      usage("help takes one command name", "help")
    end
    return r
  end
  for n, what in ipairs(cmd.positional) do
    local v = r.words[n]
    if v == nil then usage(r.command .. " needs " .. table.concat(cmd.positional, " "), r.command) end
    local ok, why = CHECKS[what](v)
    if not ok then usage(why, r.command) end
    r.positional[n] = v
  end
  for n = #cmd.positional + 1, #r.words do
    if not cmd.params then usage("unexpected argument '" .. r.words[n] .. "'", r.command) end
    param(r.params, r.words[n], r.command)
  end
  return r
end

return args
