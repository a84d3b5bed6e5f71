-- The core's JSON decoder against lua-cjson (the decoder it replaced, kept as
-- the reference): the same value or both an error, on hand-picked texts, on
-- every fixture, and on thousands of random documents and their mutations.
-- Where they differ by design: null is dropped (cjson's sentinel was cleaned
-- away after decoding) and a number overflowing to infinity is an error.
local core = require "modelslab.core"
local cjson = require "cjson"

local reference = cjson.new()
reference.decode_max_depth(32)
reference.decode_invalid_numbers(false)

-- cjson's result with nulls removed and infinities refused, or nil.
local function clean(v)
  if v == reference.null then return nil, true end
  if type(v) == "number" and (v == math.huge or v == -math.huge) then error("out of range") end
  if type(v) ~= "table" then return v end
  for k, x in pairs(v) do
    local c, was_null = clean(x)
    if was_null then v[k] = nil else v[k] = c end
  end
  return v
end

local function expected(text)
  local ok, v = pcall(reference.decode, text)
  if not ok then return false end
  local ok2, c = pcall(clean, v)
  if not ok2 then return false end
  if v == reference.null then return true, "null" end
  return true, c
end

local function same(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then
    if type(a) == "number" and math.type and math.type(a) ~= math.type(b) then return false end
    return a == b or (a ~= a and b ~= b)
  end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function agrees(text)
  local ok, want = expected(text)
  local got, why = core.decode(text)
  if not ok then return got == nil and type(why) == "string", "cjson refused, we gave " .. tostring(got) end
  if want == "null" then return got ~= nil and type(got) == "userdata", "null at the top" end
  return got ~= nil and same(want, got), "we gave " .. tostring(got) .. " / " .. tostring(why)
end

local CASES = {
  '{}', '[]', '{"a":1}', '[1,2,3]', '  {"a" : [ 1 , 2 ] }  ', '"x"', '1', '-0', '0.5', '-1.5e3', '1E+2', '1e-2',
  '.5', '-.5', '1.', '01', '-01', '0x10', '+1', 'inf', '-inf', 'nan', 'NaN', 'Infinity', '1e400', '-1e400',
  '123456789012345678901234567890', '1e', '1e+', '-', '--1', '1.2.3', 'true', 'false', 'null', 'nul', 'tru',
  '"\\u00e9"', '"\\ud83d\\ude00"', '"\\ud83d"', '"\\ude00"', '"\\ud83dx"', '"\\u12"', '"\\x"', '"a\\"b"',
  '"\\/\\b\\f\\n\\r\\t\\\\"', '"\\u0000"', '"tab\there"', '"\1\2"', '"unterminated', '"\\', '{"a":null}',
  '[null,1,null]', '{"a":1,"a":2}', '{"a":1,}', '[1,]', '{,}', '[,1]', '{"a"}', '{"a":}', '{1:2}', '[1 2]',
  '{"a":1 "b":2}', '', ' ', '[', ']', '{', '}', '[[[]]]', '{"x":{"y":{"z":[1,{"w":null}]}}}', '[] []',
  string.rep("[", 32) .. string.rep("]", 32), string.rep("[", 33) .. string.rep("]", 33),
  string.rep('{"a":', 32) .. "1" .. string.rep("}", 32), string.rep('{"a":', 33) .. "1" .. string.rep("}", 33),
  '{"\\u00e9":"\\u00e9"}', '"\0"', '[1,"2",true,false,null,{"a":[]}]', '\t\r\n{}\t\r\n', '{}x', '[1]]',
}

-- Containers longer than a new table's room (8 keys, 4 items), with nulls and
-- keys repeated.
local function long(n, object)
  local parts = {}
  for i = 1, n do
    local v = (i % 7 == 0) and "null" or tostring(i)
    parts[i] = object and string.format('"k%d":%s', i % 40, v) or v
  end
  return object and "{" .. table.concat(parts, ",") .. "}" or "[" .. table.concat(parts, ",") .. "]"
end
for _, n in ipairs { 31, 32, 33, 64, 65, 100, 1000 } do
  CASES[#CASES + 1] = long(n, false)
  CASES[#CASES + 1] = long(n, true)
end

describe("the core's JSON decoder", function()
  it("agrees with lua-cjson on hand-picked texts", function()
    for _, text in ipairs(CASES) do
      local ok, why = agrees(text)
      assert.is_true(ok, string.format("%q: %s", text, why))
    end
  end)

  it("agrees on every fixture", function()
    local p = io.popen("ls spec/fixtures/*.json")
    local n = 0
    for path in p:lines() do
      local f = assert(io.open(path))
      local text = f:read("*a")
      f:close()
      local ok, why = agrees(text)
      assert.is_true(ok, path .. ": " .. why)
      n = n + 1
    end
    p:close()
    assert.is_true(n >= 3)
  end)

  it("agrees on random documents and on their mutations", function()
    local seed = os.time()
    math.randomseed(seed)
    local ATOMS = { "0", "1", "-2.5", "3e2", "1e-7", '"s"', '"\\u00e9\\n"', "true", "false", "null", '""' }
    local function gen(depth)
      local r = math.random(depth > 4 and 3 or 6)
      if r <= 3 then return ATOMS[math.random(#ATOMS)] end
      local parts = {}
      for i = 1, math.random(0, math.random(20) == 1 and 80 or 4) do
        parts[i] = (r == 4 and "" or ('"k' .. math.random(3) .. '":')) .. gen(depth + 1)
      end
      if r == 4 then return "[" .. table.concat(parts, ",") .. "]" end
      return "{" .. table.concat(parts, ",") .. "}"
    end
    local BYTES = { "{", "}", "[", "]", ",", ":", '"', "\\", "u", "0", "e", "-", ".", " ", "n", "\0", "\255" }
    for _ = 1, 1500 do
      local text = gen(0)
      local ok, why = agrees(text)
      assert.is_true(ok, string.format("seed %d, %q: %s", seed, text, why))
      for _ = 1, 3 do
        local at = math.random(#text + 1)
        local mutated = text:sub(1, at - 1) .. BYTES[math.random(#BYTES)] .. text:sub(at + math.random(0, 1))
        ok, why = agrees(mutated)
        assert.is_true(ok, string.format("seed %d, %q: %s", seed, mutated, why))
      end
    end
  end)
end)
