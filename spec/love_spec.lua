-- The LÖVE example (examples/love) inside LÖVE itself (Debian's love 11,
-- LuaJIT) under xvfb-run, against the simulator: a normal run, a slow
-- network, a server killed mid-game, a hung server, and the same game
-- without the library. Each run ships the game another way (a .love file, a
-- fused executable with or without its native files beside it, a folder)
-- with LUA_PATH and LUA_CPATH pointing nowhere, so the bundle alone must
-- provide the modules, core.so and cjson.so.
--
-- MODELSLAB_LOVE_REPORTS=1 prints each run's JSON line on stderr.
local socket = require "socket"
local http = require "socket.http"
local simulator = require "modelslab.simulator"
local love = require "spec.support.love"
local slack = require "spec.support.slack"

local SCENARIO = "spec/fixtures/scenarios/love.lua"
local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local JOBS = 6
-- The library's share of a frame. It never waits: its update() never puts
-- the game's thread to sleep (no voluntary context switch; a request that
-- waited for an answer does, even on loopback). Its own work stays under
-- half a frame (at 60 a second) of the thread's CPU time; 3.4 ms was the most
-- seen (probably the JIT compiling or the collector stepping in update()).
-- On the clock, which also counts what a busy machine gives to other
-- processes (24 ms seen while this shared machine ran other suites), it
-- stays under three frames.
local LIB_CPU_MS = slack(8)
local LIB_CLOCK_MS = slack(50)

-- The game seeds math.random with this at load and draws one number when it
-- reports; LÖVE's LuaJIT and ours share the generator.
local RANDOM_SEED = 20240115

-- LÖVE runs LuaJIT whatever Lua runs busted: the games are played once, in
-- the LuaJIT pass of the suite.
if not rawget(_G, "jit") then return end

describe("the LÖVE example", function()
  local scratch

  setup(function() scratch = love.build() end)
  teardown(function() if scratch then os.execute("rm -rf '" .. scratch .. "'") end end)
  before_each(function() os.execute("rm -rf '" .. scratch .. "/data'") end)

  -- Plays the game packed as kind for seconds against sim (nil: the baseline,
  -- without the library); during() runs while it plays.
  local function play(kind, seconds, sim, during)
    local env = { MODELSLAB_LOVE_JOBS = JOBS, MODELSLAB_LOVE_BASELINE = sim and "0" or "1" }
    if sim then env.MODELSLAB_BASE_URL, env.MODELSLAB_API_KEY = sim.base_url, sim.key end
    local game = love.start(love.game(kind, scratch), seconds, env, scratch)
    if during then during() end
    local report, out = game.finish()
    if os.getenv("MODELSLAB_LOVE_REPORTS") then
      io.stderr:write(kind, ": ", out:match("({\"frames\"[^\n]*})"), "\n")
    end
    return report, report.screenshot:match("^(.*)/[^/]*$")
  end

  -- How many executions the simulator created: the ids run from 1.
  local function created(sim)
    local n = 0
    while true do
      local _, code = http.request { url = sim.base_url .. "/workflows/" .. WF .. "/runs/" .. (n + 1),
        headers = { key = sim.key } }
      if code ~= 200 then return n end
      n = n + 1
    end
  end

  local function first_random()
    math.randomseed(RANDOM_SEED)
    return math.random(1000000)
  end

  local function assert_played(r)
    assert.equal("", r.problem)
    assert.equal(first_random(), r.math_random, "the library moved the game's math.random sequence")
    assert.is_true(r.library)
    assert.equal(JOBS, r.jobs)
    assert.equal(JOBS, r.completed + r.failed, "every execution ends")
    assert.equal(0, r.lib_waits, "the library waited in " .. r.lib_waits .. " frames")
    assert.is_true(r.lib_worst_cpu_ms < LIB_CPU_MS, "the library worked " .. r.lib_worst_cpu_ms .. " ms in a frame")
    assert.is_true(r.lib_worst_ms < LIB_CLOCK_MS, "the library held a frame for " .. r.lib_worst_ms .. " ms")
    assert.is_true(r.frames > 100, "only " .. r.frames .. " frames")
    assert.same({ 800, 600 }, { love.png_size(r.screenshot) })
  end

  it("runs every execution to the end as a .love file, its native files copied to the save directory", function()
    -- A copy left by an older version of the game must be replaced.
    local stale = scratch .. "/data/love/modelslab-love-example/modelslab-native/cjson.so"
    os.execute("mkdir -p '" .. stale:match("^(.*)/") .. "' && echo 'not a library' > '" .. stale .. "'")
    local sim = simulator.start { scenario = SCENARIO }
    local r, save = play("love", 9, sim)
    local made = created(sim)
    sim:stop()
    assert_played(r)
    assert.same({ JOBS, JOBS, 0 }, { r.started, r.completed, r.failed })
    assert.equal(JOBS, made, "one execution per start, none sent twice")
    assert.is_true(r.retries_shown >= 2, "the two starts refused with a 429 were not shown waiting")
    assert.equal(stale, save .. "/modelslab-native/cjson.so")
    assert.equal(love.read("build/love-bundle/cjson.so"), love.read(stale))
    assert.equal(love.read("build/love-bundle/modelslab/core.so"),
      love.read(save .. "/modelslab-native/modelslab/core.so"))
  end)

  it("keeps every frame on a slow network (1-2 s a request), as a fused game with its native files beside it",
    function()
      local sim = simulator.start { scenario = SCENARIO, latency = "1:2" }
      local r, save = play("fused", 18, sim)
      local made = created(sim)
      sim:stop()
      assert_played(r)
      assert.same({ JOBS, JOBS, 0 }, { r.started, r.completed, r.failed })
      assert.equal(JOBS, made)
      assert.is_true(r.retries_shown >= 2, "the two starts refused with a 429 were not shown waiting")
      assert.is_false(love.exists(save .. "/modelslab-native/cjson.so"), "loaded from beside the executable")
    end)

  it("shows the errors and ends every execution when the server is killed mid-game, as a folder game", function()
    local sim = simulator.start { scenario = SCENARIO }
    local r = play("folder", 10, sim, function()
      -- Killed once four executions are under way (the other two wait on a 429).
      local deadline = socket.gettime() + 20
      while (sim:stats().by_route.run or 0) < 4 and socket.gettime() < deadline do socket.sleep(0.1) end
      socket.sleep(1)
      sim:stop()
    end)
    assert_played(r)
    assert.is_true(r.failed > 0, "no execution failed")
    assert.is_true(r.retries_shown > 0, "no retry was shown before the executions failed")
    assert.is_true(r.errors_shown >= r.failed, "errors shown: " .. r.errors_shown)
  end)

  it("says within seconds that a hung server gives no answer and ends every execution, as a fused game copying "
    .. "its native files", function()
    -- Answers after 30 s, past the game's 10 s timeout: starts time out and,
    -- sent already, are not sent again.
    local sim = simulator.start { scenario = SCENARIO, latency = "30:30" }
    local r, save = play("fused-bare", 13, sim)
    sim:stop()
    assert_played(r)
    assert.same({ 0, 0, JOBS }, { r.started, r.completed, r.failed })
    assert.equal(JOBS, r.quiet_shown, "a job that heard nothing did not say so")
    assert.is_true(r.errors_shown >= JOBS, "errors shown: " .. r.errors_shown)
    assert.is_true(love.exists(save .. "/modelslab-native/cjson.so"), "copied to the save directory")
  end)

  it("runs the same game without the library (the frame-time baseline)", function()
    local r = play("folder", 4)
    assert.is_false(r.library)
    assert.same({ JOBS, 0, 0, 0 }, { r.jobs, r.started, r.completed, r.failed })
    assert.equal(first_random(), r.math_random)
    assert.is_true(r.frames > 100, "only " .. r.frames .. " frames")
  end)
end)
