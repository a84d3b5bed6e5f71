-- Every script in examples/ runs for real, so none can rot:
-- * from a fresh copy of the checkout (no build/, no LUA_PATH, nothing but
--   PATH and HOME in the environment), with exactly the command written in
--   its own header, against the bundled simulator as the header starts it;
-- * then again with arguments, against spec/fixtures/scenarios/cli.lua, for
--   what each one shows.
local simulator = require "modelslab.simulator"
local support = require "spec.support.shell"

local WF = "cccccccc-0000-4000-8000-000000000003"
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
local MAKE_LUA = LUA == "luajit" and "luajit" or LUA:sub(4)  -- make LUA=5.1 builds for lua5.1

local quote, read, shell = support.quote, support.read, support.exec

local function tmpdir()
  local dir = shell("mktemp -d").out:gsub("%s+$", "")
  assert(dir:find("^/"), dir)
  return dir
end

-- A command with only PATH, HOME and the given variables in its environment.
local function clean_env(command, vars)
  local set = {}
  for k, v in pairs(vars or {}) do set[#set + 1] = k .. "=" .. quote(v) end
  return "env -i PATH=" .. quote(os.getenv("PATH")) .. " HOME=" .. quote(os.getenv("HOME") or "/")
    .. " " .. table.concat(set, " ") .. " sh -c " .. quote(command)
end

-- The examples: every examples/*.lua but the path helper they share.
local function example_names()
  local names = {}
  for path in shell("ls examples/*.lua").out:gmatch("examples/([%w_]+)%.lua") do
    if path ~= "checkout" then names[#names + 1] = path end
  end
  return names
end

-- The command a header shows: its first comment line that starts with
-- "make", with the lines it continues onto (a trailing backslash).
local function header_command(name)
  local text = read("examples/" .. name .. ".lua")
  local first = text:match("\n%-%-   (make[^\n]*)")
  if not first then return nil end
  local parts, rest = { first }, text:sub(text:find(first, 1, true) + #first + 1)
  while parts[#parts]:find("\\$") do
    parts[#parts] = parts[#parts]:sub(1, -2)
    local line
    line, rest = rest:match("^%-%- +([^\n]*)\n(.*)$")
    parts[#parts + 1] = line
  end
  return table.concat(parts, " "):gsub("%s+", " ")
end

-- What each example prints when it works, with the simulator's default scenario.
local EXPECT = {
  status_and_wait = { "execution 12345 is %a+", "execution 12345 completed after [%d.]+ s\noutput: http://" },
  run_and_wait = { "execution new %-> pending", "execution %d+ completed\noutput: http://" },
  steps_filter = { "execution 12346: failed, 1/2 steps", "error: Image generation failed" },
  webhook = { "delivery 1 %(flat shape%)", "delivery 3: execution 12345 again, ignored" },
  game_loop = { "execution 12345: completed %(3/3 steps%)", "execution 12346: failed" },
  demo = { "completed in %d+s %(3/3 steps%)" },
}

describe("each example, from a fresh copy of the checkout with the command in its header", function()
  local sim, copy
  local results = {}
  setup(function()
    sim = simulator.start {}  -- as `bin/modelslab-simulator --port 8080` would, on a free port
    copy = tmpdir()
    assert(shell("tar --exclude-vcs --exclude-vcs-ignores --exclude=./build -cf - . | tar -xf - -C "
      .. quote(copy)).code == 0)
    -- The first command builds the core in the copy; the others then run at
    -- once (their `make` has nothing left to do), so the file takes seconds.
    local script = { "cd " .. quote(copy) }
    for i, name in ipairs(example_names()) do
      local command = header_command(name)
      if command then
        -- The port the simulator got; on another Lua, that Lua and its build.
        command = command:gsub("127%.0%.0%.1:8080", "127.0.0.1:" .. sim.port)
        if LUA ~= "lua5.4" and command:find("lua5.4 examples/", 1, true) then
          command = command:gsub("^make ", "make LUA=" .. MAKE_LUA .. " ")
            :gsub("lua5%.4 examples/", LUA .. " examples/")
        end
        results[name] = { command = command }
        script[#script + 1] = string.format("(timeout 120 %s) >%s.out 2>&1; echo $? >%s.code%s",
          clean_env(command), name, name, i == 1 and "" or " &")
      else
        results[name] = { missing = true }
      end
    end
    script[#script + 1] = "wait"
    shell(table.concat(script, "\n"))
    for name, r in pairs(results) do
      if not r.missing then
        r.out = read(copy .. "/" .. name .. ".out")
        r.code = tonumber(read(copy .. "/" .. name .. ".code"))
      end
    end
  end)
  teardown(function()
    sim:stop()
    if copy then os.execute("rm -rf " .. quote(copy)) end
  end)

  for _, name in ipairs(example_names()) do
    it(name .. " runs and shows what it is for", function()
      local r = results[name]
      assert.is_nil(r.missing, "examples/" .. name .. ".lua shows no command starting with make in its header")
      assert.is_truthy(EXPECT[name], "no expectation for examples/" .. name .. ".lua in this spec")
      assert.equal(0, r.code, r.command .. "\n" .. r.out)
      for _, pattern in ipairs(EXPECT[name]) do assert.matches(pattern, r.out) end
    end)
  end
end)

-- Runs examples/NAME.lua from the checkout as its header does, with
-- arguments: { out, code }.
local function example(sim, name, args, env)
  local vars = { MODELSLAB_API_KEY = sim.key, MODELSLAB_BASE_URL = sim.base_url }
  for k, v in pairs(env or {}) do vars[k] = v ~= false and v or nil end
  local cmd = { LUA, "examples/" .. name .. ".lua" }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = quote(a) end
  return shell(clean_env(table.concat(cmd, " "), vars))
end

local function file_with(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

describe("the examples, with arguments", function()
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

  it("game_loop takes its key from the environment when the argument is empty", function()
    local res = example(sim, "game_loop", { sim.base_url, "", WF, "1", "2" })
    assert.equal(0, res.code, res.out)
    assert.matches("execution 1: completed", res.out)
    assert.matches("execution 2: failed", res.out)
  end)
end)
