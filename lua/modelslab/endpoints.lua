--- Every API operation in one table: its method, its path, and how its answer
-- is judged. The client, the poller and the tracker build requests and read
-- answers only through here, so a path or an id is formatted in one place.
-- @module modelslab.endpoints

local core = require "modelslab.core"
local check = require "modelslab.check"
local errors = require "modelslab.errors"
local response = require "modelslab.response"
local document = require "modelslab.document"

local endpoints = {}

local function invalid(message)
  return nil, errors.new("invalid_response", message)
end

-- Each answer check takes the decoded body, the HTTP status and the
-- execution id asked for, and returns the value the caller gets, or nil, err.
local OPS = {
  status = {
    method = "GET", path = "/workflows/%s/runs/%s", takes = "execution",
    answer = function(doc, http_status) return document.status(doc, http_status) end,
  },
  run = {
    method = "POST", path = "/workflows/%s/run", takes = "params",
    answer = function(started)
      started.execution_id = check.to_execution_id(started.execution_id)
      if not started.execution_id then return invalid("the run's answer has no valid execution_id") end
      return started
    end,
  },
  cancel = {
    -- 204 No Content, or 200 with an empty body, is a success too.
    method = "POST", path = "/workflows/%s/runs/%s/cancel", takes = "execution", empty_ok = true,
    answer = function() return true end,
  },
  workflow = {
    method = "GET", path = "/workflows/%s", takes = "workflow",
    answer = function(doc)
      if type(doc.workflow) ~= "table" then return invalid("workflow is missing or not an object") end
      if doc.parameters == nil then doc.parameters = {} end
      if type(doc.parameters) ~= "table" then return invalid("parameters is not an array") end
      return doc
    end,
  },
  workflows = {
    method = "GET", path = "/workflows", takes = "nothing",
    answer = function(doc)
      local list = doc.workflows == nil and {} or doc.workflows
      if type(list) ~= "table" then return invalid("workflows is not an array") end
      return list
    end,
  },
}

-- The body of a run: the parameters as one flat JSON object. Raises, blaming
-- the caller of the public function.
local function run_body(fn, params)
  params = params or {}
  if type(params) ~= "table" then error("modelslab." .. fn .. ": params must be a table", 4) end
  for k in pairs(params) do
    if type(k) ~= "string" then error("modelslab." .. fn .. ": params must have string keys only", 4) end
  end
  local body, why = core.encode(params)
  if not body then error("modelslab." .. fn .. ": params cannot be sent as JSON: " .. tostring(why), 4) end
  if body == "[]" then body = "{}" end -- lua-cjson encodes an empty table as an array
  return body
end

--- Builds the request of an operation, checking its arguments (raising, in
-- the name of the public function fn).
-- @tparam string op "status", "run", "cancel", "workflow" or "workflows"
-- @tparam string fn the public function, for messages
-- @param workflow_id the workflow's UUID (not for "workflows")
-- @param arg the execution id ("status", "cancel") or the params ("run")
-- @treturn table the operation (`method`, `answer`, ...)
-- @treturn string the path below the base URL
-- @treturn string|nil the body
-- @treturn string|nil the execution id's text
function endpoints.build(op, fn, workflow_id, arg)
  local ep = OPS[op]
  if ep.takes == "nothing" then return ep, ep.path end
  check.workflow_id(fn, workflow_id)
  if ep.takes == "execution" then
    local id = check.execution_id(fn, arg)
    return ep, string.format(ep.path, workflow_id, id), ep.method == "POST" and "" or nil, id
  elseif ep.takes == "params" then
    return ep, string.format(ep.path, workflow_id), run_body(fn, arg)
  end
  return ep, string.format(ep.path, workflow_id)
end

--- The operation named op (`method`, `answer`, ...).
function endpoints.op(op)
  return OPS[op]
end

--- Judges what a transport brought back for an operation.
-- @tparam table ep the operation from `build`
-- @tparam table result the result record (contracts.md)
-- @treturn the operation's value, or nil and the error
function endpoints.judge(ep, result)
  local decoded, err = response.judge(result, ep.empty_ok)
  if decoded == nil then return nil, err end
  return ep.answer(decoded, result.status)
end

return endpoints
