--- Argument checks: a programmer's mistake raises at once, naming the argument.
-- Nothing reaches a URL or a header without passing through here.
-- @module modelslab.check

local check = {}

-- The largest execution id (defined once, in the core's document checks).
local MAX_ID = require("modelslab.core").MAX_EXECUTION_ID

-- Level 4 blames the code that called the public function (fail, check, public).
local function fail(fn, name, problem)
  error(string.format("modelslab.%s: %s %s", fn, name, problem), 4)
end

--- The shape of a workflow id (8-4-4-4-12 hex digits).
check.UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
local UUID = check.UUID

--- A workflow id must be a UUID string.
function check.workflow_id(fn, v)
  if type(v) ~= "string" or not v:find(UUID) then
    fail(fn, "workflow_id", "must be a UUID string (8-4-4-4-12 hex digits)")
  end
  return v
end

--- Reads an execution id: a positive integer up to 2^53, or a string of such
-- digits; gives it back as a Lua integer where the language has them, or nil.
function check.to_execution_id(v)
  if type(v) == "string" and v:find("^[1-9]%d*$") and #v <= 16 then v = tonumber(v) end
  if type(v) == "number" and v >= 1 and v <= MAX_ID and v == math.floor(v) then
    return math.tointeger and math.tointeger(v) or v
  end
  return nil
end

--- An execution id argument, checked (raises otherwise); returns its text.
function check.execution_id(fn, v)
  local id = check.to_execution_id(v)
  if not id then fail(fn, "execution_id", "must be a positive integer") end
  return string.format("%.0f", id)
end

--- A string that goes into a header: no CR, LF or NUL.
function check.header_value(fn, name, v)
  if type(v) ~= "string" or v == "" then
    fail(fn, name, "must be a non-empty string")
  elseif v:find("[\r\n%z]") then
    fail(fn, name, "must not contain CR, LF or NUL")
  end
  return v
end

--- A base URL: http or https, a host, no query, fragment, spaces or controls.
function check.base_url(fn, v)
  if type(v) ~= "string" or not v:find("^[hH][tT][tT][pP][sS]?://[^/?#%s]+") then
    fail(fn, "base_url", "must be an http:// or https:// URL")
  elseif v:find("[%s%c?#]") then
    fail(fn, "base_url", "must not contain spaces, control characters, ? or #")
  end
  return (v:gsub("/+$", ""))
end

--- A positive number of seconds (or bytes).
function check.positive(fn, name, v, max)
  if type(v) ~= "number" or not (v > 0 and v <= max) then
    fail(fn, name, "must be a number above 0 and at most " .. max)
  end
  return v
end

--- An optional value of one Lua type.
function check.optional(fn, name, v, kind)
  if v ~= nil and type(v) ~= kind then
    fail(fn, name, "must be a " .. kind)
  end
  return v
end

--- Rejects option names the function does not know (catches typos).
function check.known_options(fn, opts, known)
  for k in pairs(opts) do
    if not known[k] then fail(fn, "option " .. tostring(k), "is unknown") end
  end
end

return check
