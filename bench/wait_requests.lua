-- How many status requests does following a three-minute execution cost?
-- client:wait with its defaults, next to the docs' fixed 2-second loop, both
-- against the simulator running the execution 60 times faster than real time
-- (sleep and clock are scaled the same way). Run: make bench-wait
local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local core = require "modelslab.core"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local SPEED = 60
local sim = simulator.start { scenario = "bench/scenarios/three_minutes.lua" }
local client = modelslab.new { api_key = sim.key, base_url = sim.base_url }

local function sleep(s) core.sleep(s / SPEED) end
local function clock() return core.now() * SPEED end

local function requests() return sim:stats().by_route.status or 0 end

local before = requests()
local t0 = clock()
local final = assert(client:wait(WF, 1, { sleep = sleep, clock = clock }))
local ours, ours_time = requests() - before, clock() - t0

-- The docs' example: poll every 2 s until a terminal status.
before = requests()
t0 = clock()
repeat
  local doc = assert(client:status(WF, 2))
  if not modelslab.TERMINAL[doc.execution.status] then sleep(2) end
until modelslab.TERMINAL[doc.execution.status]
local docs, docs_time = requests() - before, clock() - t0

print(string.format("execution: %s after %.0f s (simulated)", final.execution.status, final.execution.execution_time))
print(string.format("client:wait, defaults:  %3d status requests, done %.1f s after it finished", ours,
  ours_time - final.execution.execution_time))
print(string.format("fixed 2-second loop:    %3d status requests, done %.1f s after it finished", docs,
  docs_time - final.execution.execution_time))
client:close()
sim:stop()
