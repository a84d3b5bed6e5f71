-- Start an execution and follow it to the end, printing each change as it
-- happens (the events of client:wait).
--
-- From the checkout, against the bundled simulator (start it first, in
-- another shell: bin/modelslab-simulator --port 8080):
--
--   make && MODELSLAB_API_KEY=sim-key MODELSLAB_BASE_URL=http://127.0.0.1:8080/api/v1 \
--     lua5.4 examples/run_and_wait.lua
--
-- Arguments: [WORKFLOW_ID [PROMPT [BASE_URL]]]. The key comes from
-- $MODELSLAB_API_KEY; BASE_URL defaults to
-- $MODELSLAB_BASE_URL, else the real API; WORKFLOW_ID to the bundled
-- simulator's. Exits 0 when the execution completed, 1 otherwise.
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local modelslab = require "modelslab"

local workflow_id = arg[1] or "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local prompt = arg[2] or "a lighthouse at dawn, oil painting"
local client = modelslab.new { base_url = arg[3] }

local t0 = modelslab.now()
local function say(text)
  print(string.format("[%5.1fs] %s", modelslab.now() - t0, text))
end

local final, err = client:run_and_wait(workflow_id, { prompt = prompt }, {
  interval = 1,
  timeout = 600,
  on_event = function(ev)
    if ev.type == "status" then
      say("execution " .. (ev.from or "new") .. " -> " .. ev.to)
    else  -- step_started, step_completed, step_failed, step_changed
      say(string.format("step %d %s: %s", ev.index, ev.step.name, ev.to))
    end
  end,
})
client:close()
if not final then
  -- The run's error (422: a required parameter missing) or the wait's; a
  -- wait's error keeps the last document seen in err.last.
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
say(string.format("execution %d %s", final.execution.id, final.execution.status))
for _, url in ipairs(final.output and final.output.output or {}) do print("output: " .. url) end
os.exit(final.execution.status == "completed" and 0 or 1)
