--- Runtime errors: tables with a stable `kind` and a readable `tostring`.
-- Every call that can fail at run time returns `nil, err` with one of these.
-- @module modelslab.errors

local errors = {}

local RETRYABLE_STATUS = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }

local Error = {}
Error.__index = Error

--- Reads like `modelslab: http 404: Workflow not found`.
function Error.__tostring(e)
  local head = "modelslab: " .. e.kind
  if e.status then head = head .. " " .. e.status end
  if e.code then head = head .. " (" .. e.code .. ")" end
  local text = head .. ": " .. tostring(e.message)
  if e.retry_after then
    text = text .. string.format(" (retry after %g s)", e.retry_after)
  end
  return text
end

--- Makes an error.
-- @tparam string kind one of "transport", "http", "rate_limited", "api",
--   "invalid_response" (the waiting layer adds its own kinds)
-- @tparam string message what went wrong, for people
-- @tparam[opt] table fields extra fields: status, code, retry_after, ...
-- @treturn table the error, with `retryable` set from kind and status
-- @usage return nil, errors.new("invalid_response", "steps is not an array")
function errors.new(kind, message, fields)
  local e = {}
  if fields then
    for k, v in pairs(fields) do e[k] = v end
  end
  e.kind, e.message = kind, message
  if e.retryable == nil then
    e.retryable = kind == "transport" or (RETRYABLE_STATUS[e.status] or false)
  end
  return setmetatable(e, Error)
end

--- True for the errors this module makes.
function errors.is(value)
  return getmetatable(value) == Error
end

return errors
