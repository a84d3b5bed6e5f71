-- The properties fuzz/decode_fuzz.c checks on every input. Returns a setup
-- function that returns the checker; the checker raises when a property breaks.
local modelslab = require "modelslab"
local errors = require "modelslab.errors"

local KINDS = { invalid_response = true, api = true }
local MAX_DEPTH = 40 -- a little over the core's JSON nesting limit

-- No sentinel (cjson.null is a NULL light userdata) and no non-finite number
-- may survive decoding, at any depth.
local function clean(v, depth)
  assert(depth <= MAX_DEPTH, "a decoded document nested deeper than the limit")
  local t = type(v)
  if t == "number" then
    assert(v == v and v ~= math.huge and v ~= -math.huge, "a non-finite number got through")
  elseif t == "table" then
    for k, x in pairs(v) do
      clean(k, depth + 1)
      clean(x, depth + 1)
    end
  else
    assert(t == "string" or t == "boolean", "a decoded value of type " .. t)
  end
end

local function check_error(err, kinds)
  assert(errors.is(err), "the error is not a modelslab error")
  assert(kinds[err.kind], "unexpected error kind " .. tostring(err.kind))
  assert(type(err.message) == "string", "the message is not a string")
  assert(type(tostring(err)) == "string")
  assert(err.retryable == false, "a decoding error claims to be retryable")
end

local function is_int(v)
  return math.type(v) == "integer" and v >= 1 and v <= 2 ^ 53
end

local function check_status(data)
  local doc, err = modelslab.decode_status(data)
  if not doc then return check_error(err, KINDS) end
  assert(err == nil)
  clean(doc, 0)
  local e = doc.execution
  assert(type(e) == "table" and is_int(e.id), "execution.id")
  assert(type(e.status) == "string" and e.status ~= "", "execution.status")
  assert(type(doc.steps) == "table", "steps is not a table")
  local n = 0
  for _ in pairs(doc.steps) do n = n + 1 end
  assert(n == #doc.steps, "steps is not a sequence")
  for _, step in ipairs(doc.steps) do
    assert(type(step.name) == "string" and type(step.status) == "string", "a step without name or status")
  end
  if doc.output ~= nil then
    for _, key in ipairs { "output", "proxy_links" } do
      for i, url in pairs(doc.output[key] or {}) do
        assert(math.type(i) == "integer" and type(url) == "string", "output." .. key .. " is not a list")
      end
    end
  end
  assert(doc.error == nil or type(doc.error) == "string", "error")
  -- The helpers must cope with anything decode_status accepts.
  modelslab.steps.progress(doc)
  modelslab.steps.current(doc)
  modelslab.steps.diff(nil, doc)
end

local function check_webhook(data)
  local hook, err = modelslab.decode_webhook(data)
  if not hook then return check_error(err, { invalid_response = true }) end
  if hook.raw ~= nil then clean(hook.raw, 0) end
end

-- A plain UTC timestamp must round-trip through the C library's gmtime.
local function check_time(data)
  local t, why = modelslab.parse_time(data)
  if t == nil then
    assert(type(why) == "string" and why:find("^invalid timestamp"), "parse_time's reason")
    return
  end
  assert(type(t) == "number" and t == t and math.abs(t) < 2 ^ 53, "parse_time returned " .. tostring(t))
  local plain = data:match("^(%d%d%d%d%-%d%d%-%d%d)[Tt ](%d%d:%d%d:%d%d)[Zz]$")
  if plain and tonumber(data:sub(1, 4)) >= 1000 and data:sub(18, 19) ~= "60" then
    local want = data:sub(1, 10) .. "T" .. data:sub(12, 19) .. "Z"
    local got = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
    assert(got == want, "parse_time(" .. data .. ") = " .. t .. ", which gmtime reads as " .. got)
  end
end

return function()
  return function(data)
    check_status(data)
    check_webhook(data)
    check_time(data)
  end
end
