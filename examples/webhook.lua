-- Decode webhook deliveries (both documented payload shapes) and, since no
-- signature scheme is documented, confirm each with a status request before
-- trusting it. Deliveries can repeat: deduplicate on execution_id.
--
-- From the checkout, against the bundled simulator (start it first, in
-- another shell: bin/modelslab-simulator --port 8080):
--
--   make && MODELSLAB_API_KEY=sim-key MODELSLAB_BASE_URL=http://127.0.0.1:8080/api/v1 \
--     lua5.4 examples/webhook.lua
--
-- Arguments: [BODY_FILE...], each a delivery's body.
-- Without files it decodes built-in samples about the bundled simulator's
-- executions 12345 and 12346. The base URL comes from $MODELSLAB_BASE_URL.
-- Exits 0 when every delivery was decoded and checked against the API, 1
-- when one could not be decoded or checked.
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local modelslab = require "modelslab"

local FLAT = [[{"event":"workflow.completed","execution_id":12345,
  "workflow_id":"3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42","status":"completed",
  "output":{"output":["https://example.invalid/out.png"]},"completed_at":"2024-01-15T10:30:05Z"}]]
local NESTED = [[{"event":"workflow.failed","workflow":{"id":"3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42",
  "name":"Demo","user_id":1},"execution":{"id":12346,"status":"failed","started_at":"2024-01-15T10:30:00Z",
  "completed_at":"2024-01-15T10:30:05Z","execution_time":5.2,"input_data":{},"output_data":null}}]]
local SAMPLES = { FLAT, NESTED, FLAT }  -- the last one is a repeated delivery

local bodies = {}
for i = 1, #arg do
  local f = assert(io.open(arg[i], "rb"))
  bodies[i] = f:read("*a")
  f:close()
end
if #bodies == 0 then bodies = SAMPLES end

local client = modelslab.new {}
local seen, ok = {}, true
for i, body in ipairs(bodies) do
  local hook, err = modelslab.decode_webhook(body)
  if not hook then
    print(string.format("delivery %d rejected: %s", i, tostring(err)))  -- answer 400
    ok = false
  elseif seen[hook.execution_id] then
    print(string.format("delivery %d: execution %d again, ignored", i, hook.execution_id))
  else
    seen[hook.execution_id] = true
    print(string.format("delivery %d (%s shape): %s, execution %d says %s", i, hook.shape,
      tostring(hook.event), hook.execution_id, tostring(hook.status)))
    -- Trust the API, not the payload: act only when both agree.
    local doc, status_err = client:status(hook.workflow_id, hook.execution_id)
    if not doc then
      print("  cannot check it: " .. tostring(status_err))  -- answer 5xx: the sender retries
      ok = false
    elseif doc.execution.status == hook.status then
      print("  confirmed by the API")
      for _, url in ipairs(doc.output and doc.output.output or {}) do print("  output: " .. url) end
    else
      print("  not confirmed: the API says " .. doc.execution.status .. "; ignored")
    end
  end
end
client:close()
os.exit(ok and 0 or 1)
