-- The game-loop example, run for real against the simulator whose answers
-- take a second to come: no frame's update may wait for them.
local simulator = require "modelslab.simulator"
local slack = require "spec.support.slack"

describe("examples/game_loop.lua", function()
  local sim
  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/tracker.lua" } end)
  teardown(function() sim:stop() end)

  it("tracks executions to the end at 60 frames a second without a slow update", function()
    -- The same interpreter as the specs, with the checkout's modules.
    local lua = rawget(_G, "jit") and "luajit" or "lua" .. _VERSION:match("%d+%.%d+")
    local cmd = string.format("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/%s/?.so;;' " ..
      "%s examples/game_loop.lua %s %s 3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42 1 2 5 6",
      lua, lua, sim.base_url, sim.key)
    local out = require("spec.support.shell").run(cmd)
    assert.matches("execution 1: completed %(2/2 steps%)", out)
    assert.matches("execution 2: failed", out)
    assert.matches("execution 5: completed", out)
    assert.matches("execution 6: completed", out)
    local frames, slowest = out:match("frames: (%d+), slowest update: ([%d.]+) ms")
    assert.is_true(tonumber(frames) > 20, out)
    -- The answers take a second each; an update that waited for one would show it.
    assert.is_true(tonumber(slowest) < slack(500), "slowest update " .. slowest .. " ms")
  end)
end)
