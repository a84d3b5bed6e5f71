-- A game-style loop: 60 frames a second, a few executions tracked from
-- update(dt), and a frame never waits on the network. Prints the slowest
-- tracker:update() it saw.
--
-- From the checkout, against the bundled simulator (start it first, in
-- another shell: bin/modelslab-simulator --port 8080):
--
--   make && lua5.4 examples/game_loop.lua http://127.0.0.1:8080/api/v1 sim-key \
--     3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42 12345 12346
--
-- Arguments: BASE_URL KEY WORKFLOW_ID EXECUTION_ID... (KEY may be "" when
-- $MODELSLAB_API_KEY holds it).
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local modelslab = require "modelslab"
local core = require "modelslab.core"

local base_url, workflow = arg[1], arg[3]
local key = arg[2] ~= "" and arg[2] or os.getenv("MODELSLAB_API_KEY")
if not (base_url and key and workflow and arg[4]) then
  io.stderr:write("usage: game_loop.lua BASE_URL KEY WORKFLOW_ID EXECUTION_ID...\n")
  os.exit(64)
end

local client = modelslab.new { api_key = key, base_url = base_url, timeout = 10 }
local tracker = client:tracker { interval = 0.1, max_interval = 0.5, timeout = 60 }

-- The game's state: one progress bar per job, filled in by callbacks.
local jobs = {}
for i = 4, #arg do
  local job = { id = arg[i], status = "queued", done = 0, total = 0 }
  jobs[#jobs + 1] = job
  tracker:track(workflow, job.id, {
    on_update = function(doc)
      job.status = doc.execution.status
      job.done, job.total = modelslab.steps.progress(doc)
    end,
    on_done = function(doc, err) job.status = doc and doc.execution.status or ("error: " .. tostring(err)) end,
  })
end

local FRAME = 1 / 60
local slowest, frames = 0, 0

-- One frame's logic: the tracker gets a slice, the game does the rest.
local function update(dt)
  local t0 = core.now()
  tracker:update()
  slowest = math.max(slowest, core.now() - t0)
  frames = frames + 1
  return dt
end

local last = core.now()
while tracker:pending() > 0 do
  local now = core.now()
  update(now - last)
  last = now
  local spare = FRAME - (core.now() - now)
  if spare > 0 then core.sleep(spare) end
end

for _, job in ipairs(jobs) do
  print(string.format("execution %s: %s (%d/%d steps)", job.id, job.status, job.done, job.total))
end
print(string.format("frames: %d, slowest update: %.2f ms", frames, slowest * 1000))
tracker:close()
client:close()
