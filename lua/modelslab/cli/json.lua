--- A small JSON writer for the command's JSON output.
-- Keys are sorted so lines are stable to read and diff, and the lists the API
-- documents (steps, output URLs, parameters, workflows) stay arrays when
-- empty, which lua-cjson 2.1 cannot express.
-- @module modelslab.cli.json

local utf8 = require "modelslab.cli.utf8"

local json = {}

--- Stands for JSON `null` in a table to encode (a nil key would vanish).
json.null = setmetatable({}, { __tostring = function() return "null" end })

local ARRAY_KEYS = {
  steps = true, output = true, proxy_links = true, parameters = true, workflows = true,
}

local ESCAPES = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function control(c)
  return ESCAPES[c] or string.format("\\u%04x", c:byte())
end

-- Text beyond ASCII, one character at a time: C1 controls are escaped (the
-- same string once decoded, and inert on a terminal); a byte outside
-- well-formed UTF-8 cannot be written in JSON at all and becomes U+FFFD.
local function non_ascii(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:byte(i)
    local ch = c < 0x80 and s:sub(i, i) or utf8.char_at(s, i)
    if not ch then
      out[#out + 1], i = "\\ufffd", i + 1
    else
      out[#out + 1] = c < 0x80 and ch:gsub('[%c"\\]', control)
        or utf8.is_c1(ch) and string.format("\\u%04x", ch:byte(2)) or ch
      i = i + #ch
    end
  end
  return table.concat(out)
end

local function escape(s)
  if s:find("[\128-\255]") then return '"' .. non_ascii(s) .. '"' end
  return '"' .. s:gsub('[%c"\\]', control) .. '"'
end

local function number(v)
  if v ~= v or v == math.huge or v == -math.huge then return "null" end
  if v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%.0f", v) end
  -- The shortest form that reads back as the same double.
  for digits = 15, 16 do
    local text = string.format("%." .. digits .. "g", v)
    if tonumber(text) == v then return text end
  end
  return string.format("%.17g", v)
end

-- A table is an array when every key is a positive integer: the decoder
-- turns a JSON null into a hole, so [1,null,3] comes back with no key 2.
-- Returns the array's length (its largest key), or nil.
local function array_length(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then return nil end
    if k > n then n = k end
  end
  return n > 0 and n or nil
end

local encode

local function object(t, depth)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    out[i] = escape(k) .. ":" .. encode(v, depth + 1, k)
  end
  return "{" .. table.concat(out, ",") .. "}"
end

encode = function(v, depth, key)
  local kind = type(v)
  if v == nil or v == json.null then return "null" end
  if kind == "boolean" then return tostring(v) end
  if kind == "number" then return number(v) end
  if kind == "string" then return escape(v) end
  if kind ~= "table" then return escape(tostring(v)) end
  if depth > 32 then error("modelslab.cli.json: nested too deep", 0) end
  local n = array_length(v)
  if n or (next(v) == nil and ARRAY_KEYS[key]) then
    local out = {}
    for i = 1, n or 0 do out[i] = encode(v[i], depth + 1) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  return object(v, depth)
end

--- Encodes a value as one line of JSON.
-- @param v a string, number, boolean, nil, `json.null` or a table of those
-- @treturn string the JSON text, without a newline
-- @raise when tables nest deeper than 32 levels
-- @usage print(json.encode { type = "status", from = json.null, to = "running" })
function json.encode(v)
  return encode(v, 0)
end

return json
