-- Runs every script in examples/ against the simulator, so they cannot rot.
-- (examples/demo.lua starts its own simulator and has its own make target.)
local simulator = require "modelslab.simulator"

local WF = "cccccccc-0000-4000-8000-000000000003"
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function pwd()
  local p = assert(io.popen("pwd"))
  local dir = p:read("*l")
  p:close()
  return dir
end
local ROOT = pwd()
local BUILD = rawget(_G, "jit") and "luajit" or LUA

-- Runs examples/NAME.lua with the checkout's modules: { out, code }.
local function example(sim, name, args, env)
  local vars = {
    LUA_PATH = ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;",
    LUA_CPATH = ROOT .. "/build/" .. BUILD .. "/?.so;;",
    MODELSLAB_API_KEY = sim.key, MODELSLAB_BASE_URL = sim.base_url,
  }
  for k, v in pairs(env or {}) do vars[k] = v end
  local unset, set = {}, {}
  for k, v in pairs(vars) do
    if v == false then unset[#unset + 1] = "-u " .. k else set[#set + 1] = k .. "=" .. quote(v) end
  end
  local cmd = { "env", table.concat(unset, " "), table.concat(set, " "), LUA, "examples/" .. name .. ".lua" }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = quote(a) end
  local p = assert(io.popen(table.concat(cmd, " ") .. ' 2>&1; echo "exit=$?"'))
  local out = p:read("*a")
  p:close()
  return { out = out:gsub("exit=%d+\n$", ""), code = tonumber(out:match("exit=(%d+)\n$")) }
end

local function file_with(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

describe("the examples", function()
  local sim
  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/cli.lua" } end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("status_and_wait follows an execution to its end and exits by its outcome", function()
    local res = example(sim, "status_and_wait", { WF, "7" })
    assert.equal(0, res.code, res.out)
    assert.matches("execution 7 is pending", res.out)
    assert.matches("execution 7 completed after [%d.]+ s\noutput: http://", res.out)
    -- the base URL as an argument instead of the environment
    res = example(sim, "status_and_wait", { WF, "8", sim.base_url }, { MODELSLAB_BASE_URL = false })
    assert.equal(1, res.code, res.out)
    assert.matches("error: Upscaler ran out of memory", res.out)
    res = example(sim, "status_and_wait", { WF, "999" })
    assert.equal(1, res.code)
    assert.matches("http 404", res.out)
  end)

  it("run_and_wait starts an execution and prints every event", function()
    local res = example(sim, "run_and_wait", { WF, "a red fox" })
    assert.equal(0, res.code, res.out)
    assert.matches("execution new %-> pending", res.out)
    assert.matches("step 3 Face Restore: completed\n[^\n]*execution %a+ %-> completed\n", res.out)
    assert.matches("execution %d+ completed\noutput: http://", res.out)
    assert.equal(1, sim:stats().by_route.run)
  end)

  it("steps_filter picks steps by status, name, pattern and predicate", function()
    local res = example(sim, "steps_filter", { WF, "8" })
    assert.equal(0, res.code, res.out)
    assert.matches("execution 8: failed, 1/2 steps %(50%%%)", res.out)
    assert.matches("failed or cancelled: Image Upscaler\n", res.out)
    assert.matches("name matches '%^Text': Text to Image\n", res.out)
    assert.matches("after the first: Image Upscaler\n", res.out)
    assert.matches("error: Upscaler ran out of memory", res.out)
  end)

  it("webhook decodes both shapes, drops repeats and checks each with the API", function()
    local flat = file_with('{"event":"workflow.completed","execution_id":1,"workflow_id":"' .. WF
      .. '","status":"completed","output":{"output":["x"]}}')
    local nested = file_with('{"workflow":{"id":"' .. WF .. '"},"execution":{"id":2,"status":"failed"}}')
    local bad = file_with("not json")
    local res = example(sim, "webhook", { flat, nested, flat })
    assert.equal(0, res.code, res.out)
    assert.matches("delivery 1 %(flat shape%): workflow.completed, execution 1 says completed\n"
      .. "  confirmed by the API\n  output: http://", res.out)
    assert.matches("delivery 2 %(nested shape%): workflow.failed, execution 2 says failed\n"
      .. "  confirmed by the API", res.out)
    assert.matches("delivery 3: execution 1 again, ignored", res.out)
    res = example(sim, "webhook", { bad })
    assert.equal(1, res.code)
    assert.matches("delivery 1 rejected: .*not valid JSON", res.out)
    for _, path in ipairs { flat, nested, bad } do os.remove(path) end
  end)

  it("webhook's built-in samples decode against the default simulator", function()
    local default = simulator.start {}
    local res = example(default, "webhook")
    default:stop()
    assert.equal(0, res.code, res.out)
    assert.matches("delivery 1 %(flat shape%)", res.out)
    assert.matches("delivery 2 %(nested shape%)", res.out)
    assert.matches("delivery 3: execution 12345 again, ignored", res.out)
  end)
end)
