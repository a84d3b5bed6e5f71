--- Turns what the transport brought back (HTTP status, body, Retry-After) into
-- a decoded body or an error table. Shared by every endpoint and transport.
-- @module modelslab.response

local core = require "modelslab.core"
local errors = require "modelslab.errors"

local response = {}

local MAX_RETRY_AFTER = 86400

-- For an error body with no message of its own.
local REASONS = {
  [400] = "Bad Request", [401] = "Unauthorized", [402] = "Payment Required", [403] = "Forbidden",
  [404] = "Not Found", [405] = "Method Not Allowed", [408] = "Request Timeout", [409] = "Conflict",
  [422] = "Unprocessable Content", [429] = "Too Many Requests", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

-- The API spells its message three ways across endpoints.
local function message_of(body)
  if type(body) ~= "table" then return nil end
  for _, key in ipairs { "message", "messege", "error" } do
    local v = body[key]
    if type(v) == "string" and v ~= "" then return v end
  end
  return nil
end

local function seconds(v)
  v = tonumber(v)
  if v and v >= 0 and v < math.huge then return math.min(v, MAX_RETRY_AFTER) end
  return nil
end

-- Retry-After is delta-seconds or an HTTP-date; the body may say retry_after too.
-- The longer wait wins: being polite costs less than a second 429.
local function retry_after_of(body, header)
  local from_body = type(body) == "table" and seconds(body.retry_after) or nil
  local from_header
  if header then
    from_header = seconds(header:match("^%d+$"))
    if not from_header then
      local at = core.getdate(header)
      from_header = at and seconds(math.max(0, math.ceil(at - core.wall())))
    end
  end
  if from_body and from_header then return math.max(from_body, from_header) end
  return from_body or from_header
end

--- Judges a response.
-- @tparam[opt] number status the HTTP status; nil for a body that came
--   without HTTP (`modelslab.decode_status`)
-- @tparam string body the raw body
-- @tparam[opt] string retry_after_header the raw Retry-After header
-- @treturn table|nil the decoded JSON object of a successful response
-- @treturn table the error otherwise
function response.read(status, body, retry_after_header)
  local decoded, why = core.decode(body)
  if status and (status < 200 or status > 299) then
    local fields = { status = status, retry_after = retry_after_of(decoded, retry_after_header) }
    local message = message_of(decoded)
    if not message then
      message = REASONS[status] or (status >= 300 and status < 400 and "redirect not followed")
        or ("HTTP status " .. status)
    end
    return nil, errors.new(status == 429 and "rate_limited" or "http", message, fields)
  end
  if decoded == nil then
    return nil, errors.new("invalid_response", "body is not JSON: " .. tostring(why), { status = status })
  end
  -- An array decodes to a table too; only an object is a document.
  if type(decoded) ~= "table" or body:find("^[ \t\r\n]*%[") then
    return nil, errors.new("invalid_response", "body is not a JSON object", { status = status })
  end
  if decoded.status == "error" then
    return nil, errors.new("api", message_of(decoded) or "the API reported an error",
      { status = status, retry_after = retry_after_of(decoded, retry_after_header) })
  end
  return decoded
end

--- Judges a result record (contracts.md), from any transport. The core's
-- fetch returns a plain success (a 2xx JSON object whose status is not
-- "error") already decoded, by the rules of `read`; everything else comes here.
-- @tparam table result `{status=, body=, retry_after=}` or `{code=, message=, status=}`
-- @tparam[opt] boolean empty_ok a 2xx with an empty body is a success (an empty table)
-- @treturn table|nil the decoded body
-- @treturn table the error otherwise
function response.judge(result, empty_ok)
  if result.code then return nil, response.failure(result.code, result.message, result.status) end
  local status = result.status
  if empty_ok and status >= 200 and status <= 299 and not result.body:find("%S") then return {} end
  return response.read(status, result.body, result.retry_after)
end

--- Judges a transport failure reported by the core.
-- @tparam string code libcurl's error name, or "TOO_LARGE"
-- @tparam string message libcurl's message
-- @tparam[opt] number status the HTTP status, when headers had arrived
function response.failure(code, message, status)
  if code == "TOO_LARGE" then
    if status and (status < 200 or status > 299) then
      return errors.new(status == 429 and "rate_limited" or "http",
        "HTTP " .. status .. " (" .. message .. ")", { status = status })
    end
    return errors.new("invalid_response", message, { status = status })
  end
  return errors.new("transport", message, { code = code })
end

return response
