-- Security properties, checked against the hostile server, which records
-- every request and whether it carried a `key` header on each of its three
-- listeners (main; other: another port; alt: another loopback address).
local modelslab = require "modelslab"
local hostile = require "spec.support.hostile"
local fake_time = require "spec.support.fake_time"

local WF = hostile.WF
local KEY = "security-spec-key-e41d0c"

describe("security", function()
  local server

  setup(function() server = hostile.start() end)
  teardown(function() if server then server:stop() end end)
  before_each(function() server:reset() end)

  local function new_client(base_url)
    return modelslab.new { api_key = KEY, base_url = base_url or server.base_url, timeout = 2, low_speed_time = 1 }
  end

  -- Every way a status fetch can be made, so none of them follows a redirect.
  local function fetch_all_ways(id)
    local client = new_client()
    local _, err = client:status(WF, id)
    local time = fake_time.new()
    local _, werr = client:wait(WF, id, { sleep = time.sleep, clock = time.clock, jitter = 0 })
    local p = client:poller()
    p:add(WF, id)
    local results, deadline = {}, modelslab.now() + 3
    while #results == 0 and modelslab.now() < deadline do
      results = p:poll(0)
      if #results == 0 then p:wait(10) end
    end
    p:close()
    client:close()
    return { err, werr, results[1] and results[1].err }
  end

  describe("the key never reaches another origin", function()
    it("the hostile server does see the key when the key is sent to it (the check works)", function()
      local other = new_client(server.other_url .. "/api/v1")
      local alt = new_client(server.alt_url .. "/api/v1")
      assert(other:status(WF, 12345))
      assert(alt:status(WF, 12345))
      other:close()
      alt:close()
      local stats = server:stats()
      assert.same({ 1, 1 }, { stats.other.key_requests, stats.alt.key_requests })
    end)

    for _, case in ipairs {
      { "redirect_port", "other", "another port" },
      { "redirect_host", "alt", "another loopback address (127.0.0.2)" },
    } do
      it("on a redirect to " .. case[3], function()
        local errs = fetch_all_ways(hostile.id(case[1]))
        for _, err in ipairs(errs) do
          assert.equal("http", err.kind)
          assert.equal("redirect not followed", err.message)
        end
        assert.equal(3, #errs)
        local stats = server:stats()
        assert.is_true(stats.main.key_requests >= 3) -- it did go to the origin it was given to
        local s = stats[case[2]]
        assert.same({ 0, 0, 0 }, { s.accepted, s.requests, s.key_requests })
      end)
    end

    it("on a redirect to itself: one request per fetch, no loop", function()
      local client = new_client()
      local _, err = client:status(WF, hostile.id("redirect_loop"))
      client:close()
      assert.equal(302, err.status)
      assert.equal(1, server:stats().main.requests)
    end)
  end)

  describe("the key never shows", function()
    -- Every string reachable from v (tables, metatables' __index aside).
    local function strings(v, out, seen)
      out, seen = out or {}, seen or {}
      if type(v) == "string" then
        out[#out + 1] = v
      elseif type(v) == "table" and not seen[v] then
        seen[v] = true
        for k, x in pairs(v) do
          strings(k, out, seen)
          strings(x, out, seen)
        end
      end
      return out
    end

    local function assert_no_key(v, what)
      for _, s in ipairs(strings(v)) do
        assert.is_nil(s:find(KEY, 1, true), what .. " holds the key")
      end
    end

    it("in any error, its message or its tostring, for every hostile case", function()
      local client = new_client()
      for _, case in ipairs(hostile.cases) do
        if case.name ~= "silent" and case.name ~= "drip" then
          local _, err = client:status(WF, case.id)
          if err then
            assert_no_key(err, case.name)
            assert.is_nil(tostring(err):find(KEY, 1, true))
          end
        end
      end
      client:close()
    end)

    it("in the client's fields, its tostring, or its poller's", function()
      local client = new_client()
      local p = client:poller()
      assert_no_key(client, "the client")
      for _, s in ipairs { tostring(client), tostring(client._handle), tostring(p) } do
        assert.is_nil(s:find(KEY, 1, true))
      end
      p:close()
      client:close()
      assert.is_nil(tostring(client):find(KEY, 1, true))
    end)

    it("in a wait's error, with its last document", function()
      local client = new_client()
      local time = fake_time.new()
      local _, err = client:wait(WF, hostile.id("running"), { timeout = 3, sleep = time.sleep, clock = time.clock })
      client:close()
      assert.equal("timeout", err.kind)
      assert_no_key(err, "the wait's error")
    end)

    it("in a process's output: errors, raises and tostring printed", function()
      local script = [[
        local modelslab = require "modelslab"
        local c = modelslab.new { api_key = arg[1], base_url = arg[2], timeout = 1 }
        for _, id in ipairs { tonumber(arg[3]), tonumber(arg[4]), tonumber(arg[5]) } do
          print(select(2, c:status("]] .. WF .. [[", id)))
        end
        print(c, select(2, pcall(c.status, c, "nope", 1)))
        c:close()
        print(c, select(2, pcall(c.status, c, "]] .. WF .. [[", 1)))
        print(select(2, pcall(modelslab.new, { api_key = arg[1] .. "\r\nX-Evil: 1" })))
        io.stderr:write("done\n")
      ]]
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write(script)
      f:close()
      -- The interpreter running this spec loads the core of this run.
      local lua = arg and arg[-1] or "lua5.4"
      local cmd = string.format("LUA_PATH='lua/?.lua;lua/?/init.lua;;' %s %s %s %s %d %d %d 2>&1", lua, path, KEY,
        server.base_url,
        hostile.id("http_401_json"), hostile.id("truncated"), hostile.id("html_200"))
      local p = assert(io.popen(cmd))
      local out = p:read("*a")
      p:close()
      os.remove(path)
      assert.matches("http 401", out)
      assert.matches("PARTIAL_FILE", out)
      assert.matches("workflow_id must be a UUID", out)
      assert.matches("closed", out)
      assert.matches("api_key must not contain CR, LF or NUL", out)
      assert.matches("done", out)
      assert.is_nil(out:find(KEY, 1, true), out)
      assert.is_nil(out:find("X-Evil", 1, true), out)
    end)
  end)

  describe("CR, LF and NUL cannot inject headers or paths", function()
    local BAD_TEXT = { "a\r\nX-Injected: 1", "a\nX-Injected: 1", "a\rX-Injected: 1", "a\0X-Injected: 1" }

    it("in the key or the user agent: new raises, naming the option", function()
      for _, bad in ipairs(BAD_TEXT) do
        for _, option in ipairs { "api_key", "user_agent" } do
          local opts = { api_key = KEY, base_url = server.base_url, [option] = bad }
          local ok, err = pcall(modelslab.new, opts)
          assert.is_false(ok)
          assert.matches(option, err)
          assert.is_nil(err:find("X-Injected", 1, true))
        end
      end
    end)

    it("in the base URL: new raises", function()
      for _, bad in ipairs { server.base_url .. "\r\nX-Injected: 1", server.base_url .. "\0", server.base_url .. " x",
        server.base_url .. "?x=1", server.base_url .. "#x" } do
        assert.has_error(function() modelslab.new { api_key = KEY, base_url = bad } end)
      end
    end)

    local BAD_WORKFLOWS = { WF .. "\r\nX-Injected: 1", WF .. "\0", WF .. "/../x", "../" .. WF, WF:sub(1, -2) .. "%",
      WF .. "%0d%0aX-Injected:%201", WF:upper() .. "\n", " " .. WF }
    local BAD_IDS = { "1\r\nX-Injected: 1", "1\0", "1/../2", "1%0D%0A", "1 HTTP/1.1", "-1", "0", "0x10", "1e3",
      " 1", "1 ", "+1", 1.5, 0, -1, math.huge, 0 / 0, 2 ^ 64, {}, true }

    it("in ids: every call raises before anything is sent", function()
      local client = new_client()
      local calls = {
        function(wf, id) return client:status(wf, id) end,
        function(wf, id) return client:cancel(wf, id) end,
        function(wf, id) return client:wait(wf, id, { timeout = 1 }) end,
        function(wf, id) return client:poller():add(wf, id) end,
      }
      for _, call in ipairs(calls) do
        for _, bad in ipairs(BAD_WORKFLOWS) do
          assert.has_error(function() call(bad, 12345) end)
        end
        for _, bad in ipairs(BAD_IDS) do
          assert.has_error(function() call(WF, bad) end)
        end
      end
      for _, bad in ipairs(BAD_WORKFLOWS) do
        assert.has_error(function() client:run(bad, {}) end)
        assert.has_error(function() client:workflow(bad) end)
      end
      client:close()
      local stats = server:stats()
      assert.equal(0, stats.main.requests)
      assert.is_nil(stats.main.header_names["x-injected"])
    end)

    it("even past the Lua checks: the core refuses such a URL", function()
      local client = new_client()
      assert.has_error(function() client._handle:request("GET", server.base_url .. "/x\r\nX-Injected: 1") end)
      assert.has_error(function() client._handle:request("GET", server.base_url .. "/x\0y") end)
      client:close()
      assert.equal(0, server:stats().main.requests)
    end)

    it("a valid request carries only the expected headers", function()
      local client = new_client()
      assert(client:status(WF, hostile.id("completed")))
      client:close()
      local names = {}
      for name in pairs(server:stats().main.header_names) do names[#names + 1] = name end
      table.sort(names)
      assert.same({ "accept", "accept-encoding", "host", "key", "user-agent" }, names)
    end)
  end)

  describe("only http and https are ever spoken", function()
    it("a base URL with another scheme raises", function()
      for _, url in ipairs { "ftp://127.0.0.1/api", "file:///etc/passwd", "gopher://127.0.0.1/", "dict://127.0.0.1/",
        "ldap://127.0.0.1/", "scp://127.0.0.1/", "httpx://127.0.0.1/", "//127.0.0.1/api", "127.0.0.1:80/api",
        "http:/127.0.0.1", "javascript:alert(1)" } do
        local ok, err = pcall(modelslab.new, { api_key = KEY, base_url = url })
        assert.is_false(ok, url)
        assert.matches("base_url", err)
      end
    end)

    it("a redirect to file:// is never followed", function()
      local errs = fetch_all_ways(hostile.id("redirect_file"))
      for _, err in ipairs(errs) do
        assert.same({ "http", 302 }, { err.kind, err.status })
      end
      assert.equal(3, #errs)
    end)

    it("the core itself refuses any other scheme (libcurl's protocol list)", function()
      local client = new_client()
      local host = server.other_url:match("^http://(.*)$")
      for _, url in ipairs { "file:///etc/passwd", "ftp://" .. host .. "/", "dict://" .. host .. "/x",
        "gopher://" .. host .. "/", "telnet://" .. host .. "/" } do
        local result = client._handle:request("GET", url)
        assert.is_nil(result.status, url)
        assert.equal("UNSUPPORTED_PROTOCOL", result.code, url)
      end
      client:close()
      assert.equal(0, server:stats().other.accepted)
    end)
  end)
end)
