local modelslab = require "modelslab"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local URL = "http://127.0.0.1:9/api/v1"

local function new(opts)
  opts.base_url = opts.base_url or URL
  return modelslab.new(opts)
end

describe("modelslab.new", function()
  it("raises naming api_key when there is no key at all", function()
    -- The spec runs without MODELSLAB_API_KEY (spec/run.sh does not set it).
    if os.getenv("MODELSLAB_API_KEY") then error("unset MODELSLAB_API_KEY to run this spec") end
    assert.has_error(function() new {} end, "modelslab.new: api_key missing: pass api_key or set MODELSLAB_API_KEY")
  end)

  for name, key in pairs { CR = "abc\rdef", LF = "abc\ndef", NUL = "abc\0def" } do
    it("raises for an api_key containing " .. name .. ", without echoing the key", function()
      local ok, err = pcall(new, { api_key = key })
      assert.is_false(ok)
      assert.matches("api_key must not contain CR, LF or NUL", err, 1, true)
      assert.is_nil(err:find("abc", 1, true))
    end)
  end

  it("raises for a user_agent containing a line break", function()
    assert.has_error(function() new { api_key = "k", user_agent = "x\r\nkey: stolen" } end)
  end)

  for _, url in ipairs { "ftp://example.com/api", "file:///etc/passwd", "gopher://x", "example.com/api",
    "http://", "http://host/api v1", "http://host/api?x=1", "http://host/api#frag", "http://host/\r\nX: y" } do
    it("raises for the base_url " .. url:gsub("[\r\n]", "?"), function()
      assert.has_error(function() new { api_key = "k", base_url = url } end)
    end)
  end

  it("raises for an unknown option, naming it", function()
    assert.has_error(function() new { api_key = "k", timout = 3 } end, "modelslab.new: option timout is unknown")
  end)

  for _, opt in ipairs { "timeout", "connect_timeout", "max_body", "low_speed_time" } do
    it("raises for a " .. opt .. " that is not a positive number", function()
      assert.has_error(function() new { api_key = "k", [opt] = 0 } end)
      assert.has_error(function() new { api_key = "k", [opt] = "10" } end)
      assert.has_error(function() new { api_key = "k", [opt] = 0 / 0 } end)
    end)
  end

  it("never shows the key in tostring", function()
    local c = new { api_key = "secret-key-123" }
    assert.equal("modelslab.client (" .. URL .. ", open)", tostring(c))
    for k, v in pairs(c) do
      assert.is_nil(tostring(k):find("secret-key-123", 1, true))
      assert.is_nil(tostring(v):find("secret-key-123", 1, true))
    end
    c:close()
  end)

  it("drops a trailing slash from base_url", function()
    local c = new { api_key = "k", base_url = "http://127.0.0.1:9/api/v1/" }
    assert.equal(URL, c.base_url)
  end)

  it("closes idempotently and says so in tostring", function()
    local c = new { api_key = "k" }
    assert.is_true(c:is_open())
    c:close()
    c:close()
    assert.is_false(c:is_open())
    assert.equal("modelslab.client (" .. URL .. ", closed)", tostring(c))
    assert.has_error(function() c:status(WF, 1) end, "modelslab: the client is closed")
  end)

  it("survives garbage collection of open and closed clients", function()
    for _ = 1, 200 do new { api_key = "k" } end
    local c = new { api_key = "k" }
    c:close()
    c = nil -- luacheck: ignore 311
    collectgarbage()
    collectgarbage()
    assert.is_true(new({ api_key = "k" }):is_open())
  end)

  -- Only Lua 5.4 has <close>; elsewhere the case does not exist, so it is not run.
  local it_54 = _VERSION == "Lua 5.4" and it or function() end
  it_54("closes a <close> variable at the end of its scope on Lua 5.4", function()
    local chunk = assert(load([[
      local modelslab, url = ...
      local kept
      do
        local c <close> = modelslab.new { api_key = "k", base_url = url }
        kept = c
      end
      return kept:is_open()
    ]]))
    assert.is_false(chunk(modelslab, URL))
  end)
end)

describe("client:status arguments", function()
  local c = modelslab.new { api_key = "k", base_url = URL }

  for _, wf in ipairs { "not-a-uuid", WF .. "/../x", WF:upper() .. "x", 42, "" } do
    it("raises naming workflow_id for " .. tostring(wf), function()
      assert.has_error(function() c:status(wf, 1) end,
        "modelslab.status: workflow_id must be a UUID string (8-4-4-4-12 hex digits)")
    end)
  end

  for _, id in ipairs { 0, -1, 1.5, "12a", "1/../2", "", " 1", "+1", 2 ^ 60, 0 / 0, "0012", 2 ^ 53,
    "9007199254740992", "9007199254740993", math.tointeger and math.tointeger(2 ^ 53) + 1 or 2 ^ 53 + 2 } do
    it("raises naming execution_id for " .. tostring(id), function()
      assert.has_error(function() c:status(WF, id) end,
        "modelslab.status: execution_id must be a positive integer below 2^53")
    end)
  end
end)

describe("reading execution ids from API answers (check.to_execution_id)", function()
  local to_id = require("modelslab.check").to_execution_id

  it("takes positive integers and strings of digits, as integers where Lua has them", function()
    assert.equal(12345, to_id(12345.0))
    assert.equal(42, to_id("42"))
    assert.equal(2 ^ 53 - 1, to_id("9007199254740991"))
    assert.equal(2 ^ 53 - 1, to_id(2 ^ 53 - 1))
    if math.type then assert.equal("integer", math.type(to_id(12345.0))) end
  end)

  it("refuses anything else", function()
    -- 9007199254740993 is read as 2^53 by a double (Lua 5.1, LuaJIT, JSON):
    -- refused, never rounded to another execution.
    for _, v in ipairs { 0, -1, 1.5, 2 ^ 60, 0 / 0, math.huge, "007", "12a", "", {}, true, 2 ^ 53,
      "9007199254740992", "9007199254740993", "18446744073709551617" } do
      assert.is_nil(to_id(v), tostring(v))
    end
  end)
end)
