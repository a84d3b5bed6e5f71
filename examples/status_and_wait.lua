-- Look at an execution once, then wait for it to finish.
--
-- From the checkout, against the bundled simulator (start it first, in
-- another shell: bin/modelslab-simulator --port 8080):
--
--   make && MODELSLAB_API_KEY=sim-key MODELSLAB_BASE_URL=http://127.0.0.1:8080/api/v1 \
--     lua5.4 examples/status_and_wait.lua
--
-- Arguments: [WORKFLOW_ID EXECUTION_ID [BASE_URL]]. The key comes from
-- $MODELSLAB_API_KEY only (an argument would stay in the shell's history).
-- BASE_URL defaults to $MODELSLAB_BASE_URL, else the real API; the ids to the
-- bundled simulator's workflow and its execution 12345.
-- Exits 0 when the execution completed, 1 otherwise.
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local modelslab = require "modelslab"

local workflow_id = arg[1] or "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local execution_id = arg[2] or "12345"
local client = modelslab.new { base_url = arg[3] }

local function fail(err)
  io.stderr:write(tostring(err), "\n")  -- e.g. "modelslab: http 404: Execution not found"
  os.exit(1)
end

local doc, err = client:status(workflow_id, execution_id)
if not doc then fail(err) end
local done, total = modelslab.steps.progress(doc)
print(string.format("execution %d is %s (%d/%d steps done)", doc.execution.id, doc.execution.status, done, total))

-- A failed execution is a successful wait: read final.execution.status.
local final
final, err = client:wait(workflow_id, execution_id, { interval = 1, timeout = 300 })
if not final then fail(err) end  -- err.kind: "timeout", "stalled", "http", ...
print(string.format("execution %d %s after %.1f s", final.execution.id, final.execution.status,
  final.execution.execution_time or 0))
if final.output then
  for _, url in ipairs(final.output.output) do print("output: " .. url) end
end
if final.error then print("error: " .. final.error) end
client:close()
os.exit(final.execution.status == "completed" and 0 or 1)
