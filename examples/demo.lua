-- The demo: start the bundled simulator on a free loopback port, run its
-- three-step workflow and follow the execution to the end, printing each change.
-- Exits 0 when the execution completes. Run with `make demo`.
local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"

local WORKFLOW = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

local sim = simulator.start {}
local client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
print("simulator listening on " .. sim.url)

local started, err = client:run(WORKFLOW, { prompt = "a lighthouse at dawn, oil painting" })
if not started then
  sim:stop()
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(string.format("started execution %s of workflow %s", tostring(started.execution_id), WORKFLOW))

local t0 = modelslab.now()
local function say(text)
  print(string.format("[%5.1fs] %s", modelslab.now() - t0, text))
end

local final
final, err = client:wait(WORKFLOW, started.execution_id, {
  interval = 0.25, max_interval = 1, timeout = 60,
  on_event = function(ev)
    if ev.type == "status" then
      say("execution " .. (ev.from or "new") .. " -> " .. ev.to)
    else
      say(string.format("step %d %q %s", ev.index, ev.step.name, ev.to))
    end
  end,
})
client:close()
sim:stop()

if not final then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
local done, total = modelslab.steps.progress(final)
say(string.format("%s: %d/%d steps in %.1f s", final.execution.status, done, total,
  final.execution.execution_time or 0))
for _, url in ipairs(final.output and final.output.output or {}) do print("output: " .. url) end
os.exit(final.execution.status == "completed" and 0 or 1)
