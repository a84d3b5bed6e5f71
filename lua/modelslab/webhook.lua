--- Decoding of ModelsLab workflow webhook deliveries.
--
-- The API docs show two payload shapes that disagree, so both are accepted
-- and normalised into one table:
--
-- * flat: `{event, execution_id, workflow_id, status, output, completed_at}`
-- * nested: `{event, workflow = {id, name, user_id}, execution = {id, status,
--   started_at, completed_at, execution_time, input_data, output_data}}`
--
-- No signature scheme is documented, so nothing is verified here. Deliveries
-- can repeat: deduplicate on `execution_id`.
-- @module modelslab.webhook

local decode_json = require("modelslab.core").decode
local errors = require("modelslab.errors")
-- Ids may arrive as floats (cjson) or as strings of digits (some endpoints).
local execution_id = require("modelslab.check").to_execution_id

local type, pcall, tostring = type, pcall, tostring
local format = string.format

local M = {}

local function bad(msg, ...)
  return nil, errors.new("invalid_response", "invalid webhook: " .. format(msg, ...))
end

local function string_or_nil(v)
  if type(v) == "string" then
    return v
  end
  return nil
end

--- Decode and normalise a webhook POST body.
--
-- When `event` is absent but the shape is recognised and a status is known,
-- the event is inferred as `"workflow." .. status` (e.g. `workflow.failed`):
-- the only documented event is `workflow.completed`, which fits that form.
-- `raw.event` still tells whether the sender provided it.
-- @tparam string body the raw request body
-- @treturn[1] table `{event, execution_id, workflow_id, status, output,
--   completed_at, started_at, execution_time, shape, raw}` where `shape` is
--   `"flat"` or `"nested"`, `output` is the flat `output` or the nested
--   `execution.output_data`, and `raw` is the whole decoded payload
-- @treturn[2] nil
-- @treturn[2] table an `invalid_response` error from `modelslab.errors`
-- @usage
-- local hook, err = modelslab.decode_webhook(request_body)
-- if not hook then return respond(400, tostring(err)) end
-- if hook.status == "completed" then save(hook.output) end
function M.decode(body)
  if type(body) ~= "string" then
    return bad("body must be a string, got %s", type(body))
  end
  if body == "" then
    return bad("body is empty")
  end
  -- pcall: a decoder failure must become an error value, never a throw
  -- inside the caller's HTTP handler.
  local ok, data, derr = pcall(decode_json, body)
  if not ok then
    return bad("body is not valid JSON: %s", tostring(data))
  end
  if data == nil and derr ~= nil then
    return bad("body is not valid JSON: %s", tostring(derr))
  end
  -- A top-level null may come back as nil without a message: not an object.
  if type(data) ~= "table" or data[1] ~= nil then
    return bad("body must be a JSON object")
  end

  local out = { raw = data }
  local ex = data.execution
  local id
  if type(ex) == "table" then
    out.shape = "nested"
    local wf = data.workflow
    id = ex.id
    if id == nil then
      id = data.execution_id
    end
    out.workflow_id = string_or_nil(type(wf) == "table" and wf.id or nil)
      or string_or_nil(ex.workflow_id) or string_or_nil(data.workflow_id)
    out.status = ex.status
    out.output = ex.output_data
    out.completed_at = ex.completed_at
    out.started_at = ex.started_at
    out.execution_time = ex.execution_time
  elseif data.execution_id ~= nil then
    out.shape = "flat"
    id = data.execution_id
    out.workflow_id = string_or_nil(data.workflow_id)
    out.status = data.status
    out.output = data.output
    out.completed_at = data.completed_at
    out.started_at = data.started_at
    out.execution_time = data.execution_time
  else
    return bad("neither the flat (execution_id) nor the nested (execution) shape")
  end

  if id == nil then
    return bad("execution id is missing")
  end
  out.execution_id = execution_id(id)
  if not out.execution_id then
    return bad("execution id must be a positive integer below 2^53, got %s", tostring(id))
  end
  if out.status ~= nil and type(out.status) ~= "string" then
    return bad("status must be a string, got %s", type(out.status))
  end

  local event = data.event
  if event == nil then
    if out.status then
      event = "workflow." .. out.status
    end
  elseif type(event) ~= "string" then
    return bad("event must be a string, got %s", type(event))
  end
  out.event = event
  return out
end

return M
