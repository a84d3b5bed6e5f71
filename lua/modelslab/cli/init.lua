--- The `modelslab` command: parses the arguments, makes the client, runs a
-- subcommand and turns every outcome into an exit code (see
-- `modelslab.cli.codes`). bin/modelslab is a thin wrapper around `main`.
-- @module modelslab.cli
-- @usage os.exit(require("modelslab.cli").main(arg))

local modelslab = require "modelslab"
local args = require "modelslab.cli.args"
local codes = require "modelslab.cli.codes"
local commands = require "modelslab.cli.commands"
local help = require "modelslab.cli.help"
local term = require "modelslab.cli.term"

local cli = {}

-- Raises an error that ends the command with this code and message.
local function fail(code, message)
  error({ exit = code, message = message }, 0)
end

-- Every occurrence of secret in text, replaced (plain text, not a pattern).
local function redact(text, secret)
  if not secret or #secret < 4 then return text end  -- too short to be a real key
  local parts, from = {}, 1
  while true do
    local i, j = text:find(secret, from, true)
    if not i then break end
    parts[#parts + 1] = text:sub(from, i - 1) .. "[key]"
    from = j + 1
  end
  parts[#parts + 1] = text:sub(from)
  return table.concat(parts)
end

-- A key file's first line, trimmed; nil and why when it cannot be read.
local function key_from_file(path)
  local f, why = io.open(path, "rb")
  if not f then return nil, why end
  local line = f:read("*l") or ""
  f:close()
  return (line:match("^%s*(.-)%s*$"))
end

-- The key: --api-key-file's first line, else $MODELSLAB_API_KEY.
local function read_key(o, getenv)
  if o.api_key_file then
    local key, why = key_from_file(o.api_key_file)
    if not key then args.usage("cannot read --api-key-file: " .. tostring(why)) end
    if key == "" then fail(codes.AUTH, "--api-key-file " .. o.api_key_file .. " holds no key") end
    return key
  end
  local key = getenv("MODELSLAB_API_KEY")
  if not key or key == "" then
    fail(codes.AUTH, "no API key: set MODELSLAB_API_KEY or pass --api-key-file FILE")
  end
  return key
end

-- The --api-key-file's key, read before parsing so that even a usage error
-- can hide it; nil when there is none or it cannot be read.
local function early_key(argv)
  for i, a in ipairs(argv) do
    local path = a:match("^%-%-api%-key%-file=(.+)$") or (a == "--api-key-file" and argv[i + 1])
    if path then return (key_from_file(path)) end
  end
end

local function make_client(o, key)
  local ok, client = pcall(modelslab.new, { api_key = key, base_url = o.base_url, timeout = o.request_timeout })
  if not ok then
    -- The library's checks name the option, never its value.
    local why = tostring(client):gsub("^.-modelslab%.new: ", "")
    if why:find("api_key") then fail(codes.AUTH, "the API key " .. why:gsub("^api_key ", "")) end
    args.usage(why)
  end
  return client
end

local function run(argv, env)
  local r = args.parse(argv)
  if r.opts.version then
    env.out:write("modelslab ", modelslab.VERSION, "\n")
    return codes.COMPLETED
  end
  if r.opts.help or r.command == "help" then
    env.out:write(help.text(r.command == "help" and r.words[1] or r.command))
    return codes.COMPLETED
  end
  env.term = term.detect { no_color = r.opts.no_color, getenv = env.getenv }
  local key = read_key(r.opts, env.getenv)
  env.secrets[#env.secrets + 1] = key
  local client = make_client(r.opts, key)
  local code = commands[r.command](client, r, env)
  client:close()
  return code
end

--- Runs the command.
-- @tparam table argv the arguments (a script's `arg`)
-- @tparam[opt] table env `out`, `err` (files; default stdout, stderr),
--   `getenv` (default `os.getenv`)
-- @treturn number the exit code
function cli.main(argv, env)
  env = env or {}
  env.out, env.err = env.out or io.stdout, env.err or io.stderr
  env.getenv = env.getenv or os.getenv
  -- Every key we may hold, to hide from anything printed on stderr.
  env.secrets = { early_key(argv) or false, env.getenv("MODELSLAB_API_KEY") or false }
  -- Everything for stderr goes through here: the key never gets out, and
  -- server text in a message never drives the terminal.
  function env.say_error(message, prefix)
    local text = tostring(message):gsub("^modelslab: ", "")
    for _, secret in ipairs(env.secrets) do text = secret and redact(text, secret) or text end
    env.err:write(prefix or "modelslab: ", term.clean(text), "\n")
    env.err:flush()
  end
  local ok, result = xpcall(function() return run(argv, env) end, function(e)
    if type(e) == "table" or tostring(e):find("interrupted!", 1, true) then return e end
    return debug.traceback(tostring(e), 2)
  end)
  env.out:flush()
  if ok then return result end
  if type(result) == "table" and result.usage then
    env.say_error(result.message)
    env.err:write("Run 'modelslab ", result.command and (result.command .. " ") or "", "--help' for usage.\n")
    return codes.USAGE
  elseif type(result) == "table" and result.exit then
    env.say_error(result.message)
    return result.exit
  elseif tostring(result):find("interrupted!", 1, true) then
    if env.term and env.term.live then env.out:write(term.RESET, term.SHOW_CURSOR) end
    env.say_error("interrupted")
    return codes.INTERRUPTED
  end
  -- A traceback keeps its lines; each is cleaned like any message.
  local trace = tostring(result)
  env.say_error("internal error (please report it): " .. trace:match("^[^\n]*"))
  for line in trace:gmatch("\n([^\n]*)") do env.say_error(line:gsub("\t", "  "), "  ") end
  return codes.SOFTWARE
end

return cli
