--- Starts the ModelsLab Workflows API simulator (bin/modelslab-simulator) as a
-- separate process, for tests and demos, and talks to its /_sim/ routes.
--
--   local sim = require("modelslab.simulator").start{ scenario = "spec/fixtures/scenarios/fast.lua" }
--   -- sim.url, sim.base_url, sim.key, sim.port, sim.pid
--   print(sim:stats().requests)
--   sim:reset()
--   sim:stop()
--
-- A separate process, not a coroutine in the test: the client under test
-- blocks in C (libcurl), so the server must run on its own.
-- @module modelslab.simulator

local scenario = require("modelslab.simulator.scenario")

local M = {}

local function quote(s)
  return "'" .. (tostring(s):gsub("'", "'\\''")) .. "'"
end

-- The script lives at <root>/bin, this file at <root>/lua/modelslab/simulator.
local function bin_path()
  local source = debug.getinfo(1, "S").source
  local file = source:sub(1, 1) == "@" and source:sub(2) or "./init.lua"
  local dir = file:match("^(.*)/[^/]*$") or "."
  return dir .. "/../../../bin/modelslab-simulator"
end

local Sim = {}
Sim.__index = Sim

-- One request to a /_sim/ route; returns the decoded body or raises.
function Sim:call(method, path)
  local http, ltn12 = require("socket.http"), require("ltn12")
  local chunks = {}
  local ok, code = http.request({ url = self.url .. path, method = method,
    sink = ltn12.sink.table(chunks), headers = { ["content-length"] = "0" } })
  if not ok or code ~= 200 then
    error("modelslab.simulator: " .. method .. " " .. path .. " failed: " .. tostring(code), 2)
  end
  return require("cjson").decode(table.concat(chunks))
end

--- Returns the simulator's counters: requests, connections, by_route,
-- last_key_ok, last_request (all since start or the last reset).
function Sim:stats()
  return self:call("GET", "/_sim/stats")
end

--- Forgets clocks, created executions, counters and rate-limit windows.
function Sim:reset()
  self:call("POST", "/_sim/reset")
end

--- Stops the process and waits for it (idempotent).
function Sim:stop()
  if not self.handle then return end
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  self.handle:close()  -- waits for the process, so no zombie is left
  self.handle = nil
end

Sim.__gc = Sim.stop

--- Starts a simulator and waits until it listens.
-- @param opts optional table: scenario (file path; default: the built-in
--   scenario), port (default 0: a free one), key (overrides the scenario's),
--   log (true: one line per request on stderr), latency ("LO:HI": seconds
--   every API request waits, as on a slow network), lua (the interpreter; default
--   $MODELSLAB_SIM_LUA or "lua5.4")
-- @return the simulator object; raises if the scenario is invalid or the
--   process does not start
function M.start(opts)
  opts = opts or {}
  -- Load the scenario here too: a bad one fails in the caller with a clear
  -- message, and we learn the key it accepts.
  local sc = scenario.load(opts.scenario)
  local lua = opts.lua or os.getenv("MODELSLAB_SIM_LUA") or "lua5.4"
  local args = { quote(lua), quote(bin_path()), "--port", quote(opts.port or 0) }
  if opts.scenario then args[#args + 1] = "--scenario " .. quote(opts.scenario) end
  if opts.key then args[#args + 1] = "--key " .. quote(opts.key) end
  if opts.latency then args[#args + 1] = "--latency " .. quote(opts.latency) end
  if opts.log then args[#args + 1] = "--log" end
  -- $$ is the shell's pid, which exec hands on to the simulator; $PPID is
  -- us, so the simulator exits if we die without stopping it.
  local handle = assert(io.popen("echo $$; exec " .. table.concat(args, " ")
    .. ' --parent-pid "$PPID"', "r"))
  local pid = handle:read("*l")
  local line = handle:read("*l")
  local url = line and line:match("^modelslab%-simulator listening on (http://%S+)$")
  if not (pid and url) then
    handle:close()
    error("modelslab.simulator: the simulator did not start (see its message on stderr)", 2)
  end
  return setmetatable({
    handle = handle, pid = tonumber(pid), url = url, base_url = url .. "/api/v1",
    port = tonumber(url:match(":(%d+)$")), key = opts.key or sc.key,
  }, Sim)
end

return M
