--- Validates and normalises a decoded status document in place, so users get
-- the documented shape or an `invalid_response` error, never a half-checked
-- table. Unknown fields are left alone.
-- @module modelslab.document

local errors = require "modelslab.errors"

local document = {}

-- Integers arrive as floats from lua-cjson 2.1.0; 5.3+ can give them back.
local to_integer = math.tointeger or function(v) return v end

local function integer(v)
  if type(v) == "number" and v >= 1 and v <= 2 ^ 53 and v == math.floor(v) then
    return to_integer(v)
  end
  return nil
end

-- A JSON array decodes to a table with keys 1..n and nothing else.
local function is_sequence(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

-- Older endpoints send {"0": url, "1": url}; give back {url, url}.
local function as_list(v)
  if type(v) ~= "table" then return nil end
  if is_sequence(v) then return v end
  local keys = {}
  for k in pairs(v) do
    local i = type(k) == "string" and k:find("^%d+$") and tonumber(k)
    if not i then return nil end
    keys[#keys + 1] = i
  end
  table.sort(keys)
  local list = {}
  for j, i in ipairs(keys) do list[j] = v[tostring(i)] end
  return list
end

local function all_strings(list)
  for _, v in ipairs(list) do
    if type(v) ~= "string" then return false end
  end
  return true
end

local function optional(t, key, kind)
  local v = t[key]
  return v == nil or type(v) == kind
end

local function invalid(message)
  return nil, errors.new("invalid_response", message)
end

local function check_execution(e)
  if type(e) ~= "table" then return invalid("execution is missing or not an object") end
  e.id = integer(e.id)
  if not e.id then return invalid("execution.id is not a positive integer") end
  if type(e.status) ~= "string" or e.status == "" then
    return invalid("execution.status is not a string")
  end
  for _, key in ipairs { "workflow_id", "started_at", "completed_at" } do
    if not optional(e, key, "string") then return invalid("execution." .. key .. " is not a string") end
  end
  if not optional(e, "execution_time", "number") then
    return invalid("execution.execution_time is not a number")
  end
  return true
end

local function check_steps(steps)
  if type(steps) ~= "table" or not is_sequence(steps) then return invalid("steps is not an array") end
  for i, step in ipairs(steps) do
    if type(step) ~= "table" then return invalid("steps[" .. i .. "] is not an object") end
    if type(step.name) ~= "string" then return invalid("steps[" .. i .. "].name is not a string") end
    if type(step.status) ~= "string" then return invalid("steps[" .. i .. "].status is not a string") end
    if not (optional(step, "started_at", "string") and optional(step, "completed_at", "string")) then
      return invalid("steps[" .. i .. "] has a timestamp that is not a string")
    end
  end
  return true
end

local function check_output(out)
  if type(out) ~= "table" then return invalid("output is not an object") end
  for _, key in ipairs { "output", "proxy_links" } do
    if out[key] ~= nil then
      local list = as_list(out[key])
      if not list or not all_strings(list) then return invalid("output." .. key .. " is not a list of URLs") end
      out[key] = list
    end
  end
  return true
end

--- Checks a decoded status document and normalises it in place.
-- `steps` becomes an empty sequence when absent, ids become integers (5.3+),
-- `output.proxy_links` becomes a sequence.
-- @tparam table doc the decoded body
-- @treturn table|nil doc
-- @treturn table an `invalid_response` error
function document.status(doc)
  local ok, err = check_execution(doc.execution)
  if not ok then return nil, err end
  if doc.steps == nil then doc.steps = {} end
  ok, err = check_steps(doc.steps)
  if not ok then return nil, err end
  if doc.output ~= nil then
    ok, err = check_output(doc.output)
    if not ok then return nil, err end
  end
  if not optional(doc, "error", "string") then return invalid("error is not a string") end
  return doc
end

return document
