-- Every hostile-server case (spec/support/hostile.lua) through the nginx
-- transport (cosockets, in a real nginx) ends in the same outcome as through
-- the core (libcurl) in this process: the same document, or an error of the
-- same kind, code, HTTP status, Retry-After and message. spec/hostile_spec.lua
-- pins the core's outcomes down; this holds nginx to them.
local modelslab = require "modelslab"
local hostile = require "spec.support.hostile"
local nginx_front = require "spec.support.nginx_front"
local silent_server = require "spec.support.silent_server"
local slack = require "spec.support.slack"

local KEY = nginx_front.KEY
local WF = hostile.WF

-- Client options that differ from the defaults below (as in hostile_spec),
-- and for the slow cases the seconds a fetch takes at least and at most.
local OPTIONS = {
  silent = { timeout = 0.5 },
  drip = { timeout = 10 },
  deep_array = { max_body = 1048576 },
  deep_object = { max_body = 1048576 },
}
local TAKES = {
  silent = { 0.45, 1.5 }, -- the whole timeout
  drip = { 0.9, 4 }, -- low_speed_time ends it, long before the timeout
}

-- Where libcurl's code says something else than what happened, the nginx
-- transport names it truly (same kind, so the same retry decisions).
local CODE_DIFFERS = {
  huge_header = { core = "OUT_OF_MEMORY", nginx = "RECV_ERROR" }, -- libcurl 7.88 on headers over 100 KiB
}

-- Cases about what a kept connection carries next: each runs below on a
-- server of its own (see "keep-alive, from the worker's pool").
local ON_A_KEPT_CONNECTION = { stale_answer = true }
local CASES = {}
for _, case in ipairs(hostile.cases) do
  if not ON_A_KEPT_CONNECTION[case.name] then CASES[#CASES + 1] = case end
end

local function options(server, name)
  local o = { base_url = server.base_url, timeout = 2, low_speed_time = 1, max_body = 65536 }
  for k, v in pairs(OPTIONS[name] or {}) do o[k] = v end
  return o
end

local function outcome(doc, err)
  if doc then return { ok = doc.execution.status } end
  return { kind = err.kind, code = err.code, status = err.status, message = err.message,
    retry_after = err.retry_after, text = tostring(err) }
end

describe("the nginx transport against hostile servers", function()
  local server, front

  local function through_nginx(path, q) return front.get(path, q) end

  setup(function() server, front = nginx_front.start_with_hostile() end)
  teardown(function() nginx_front.stop_all(server, front) end)

  for _, case in ipairs(CASES) do
    it("ends " .. case.name:gsub("_", " ") .. " as the core does", function()
      local o = options(server, case.name)
      server:reset()
      local opts = { api_key = KEY }
      for k, v in pairs(o) do opts[k] = v end
      local client = modelslab.new(opts)
      local core = outcome(client:status(WF, case.id))
      client:close()

      server:reset()
      o.id, o.after = case.id, hostile.id("completed")
      local got = through_nginx("/status", o)
      local differs = CODE_DIFFERS[case.name]
      if differs then
        assert.equal(differs.core, core.code)
        core.code = differs.nginx
      end
      assert.equal(core.ok, got.ok, got.text)
      assert.equal(core.kind, got.kind, got.text)
      assert.equal(core.code, got.code, got.text)
      assert.equal(core.status, got.status, got.text)
      if core.kind ~= "transport" then assert.equal(core.message, got.message) end
      if core.retry_after then
        assert.is_true(math.abs(core.retry_after - got.retry_after) <= 2, got.text)
      else
        assert.is_nil(got.retry_after)
      end
      if got.text then assert.is_nil(got.text:find(KEY, 1, true)) end
      local takes = TAKES[case.name] or { 0, 1.5 }
      assert.is_true(got.seconds >= takes[1] and got.seconds <= slack(takes[2]),
        string.format("took %.2f s", got.seconds))
      -- The client stays usable after whatever the server did.
      assert.equal("completed", got.after.ok, got.after.text)
      -- Redirects are never followed: nothing reached another origin.
      local stats = server:stats()
      assert.same({ 0, 0 }, { stats.other.requests, stats.alt.requests })
    end)
  end

  it("goes through the poller (light threads) with the same outcomes", function()
    for _, name in ipairs { "completed", "truncated", "rate_header_seconds", "big_chunked", "status_glued" } do
      server:reset()
      local client = modelslab.new { api_key = KEY, base_url = server.base_url, timeout = 2, low_speed_time = 1,
        max_body = 65536 }
      local core = outcome(client:status(WF, hostile.id(name)))
      client:close()
      server:reset()
      local q = options(server, name)
      q.id, q.n = hostile.id(name), 3
      local got = through_nginx("/poller", q)
      assert.equal(3, #got)
      for _, r in ipairs(got) do
        assert.same({ core.ok, core.kind, core.code, core.status }, { r.ok, r.kind, r.code, r.status }, name)
      end
    end
  end)

  describe("keep-alive, from the worker's pool", function()
    -- A server (so an origin, so a pool) of each test's own: connections
    -- pooled before stay out of its counts.
    local cases_server
    before_each(function()
      cases_server = server
      server = hostile.start()
    end)
    after_each(function()
      server:stop()
      server = cases_server
    end)

    it("keeps one connection across polls while the server allows it", function()
      server:reset()
      local q = options(server, "running")
      q.id, q.n = hostile.id("running"), 5
      for _, r in ipairs(through_nginx("/repeat", q)) do assert.equal("running", r.ok) end
      -- A client made per request: the pool belongs to the worker.
      for _ = 1, 3 do assert.equal(5, #through_nginx("/repeat", q)) end
      assert.equal(1, server:stats().main.connections)
    end)

    -- n statuses of case name in a row on one client in nginx: the
    -- statuses, and the server's (requests, connections).
    local function in_a_row(name, n)
      server:reset()
      local q = options(server, name)
      q.id, q.n = hostile.id(name), n
      local got, statuses = through_nginx("/repeat", q), {}
      for i, r in ipairs(got) do statuses[i] = r.ok or r.text end
      local stats = server:stats()
      return statuses, { stats.main.requests, stats.main.connections }
    end

    -- The second status reads the answer the server sent late on the kept
    -- connection, about another execution: refused, and that connection is
    -- never used again, so the third goes on a new one.
    for _, via in ipairs { "/repeat", "/poller" } do
      it("takes a connection out of use when an answer on it is out of step (" .. via .. ")", function()
        server:reset()
        local q = options(server, "stale_answer")
        q.id, q.n, q.max = hostile.id("stale_answer"), 3, 1
        local got = through_nginx(via, q)
        assert.equal("running", got[1].ok, got[1].text)
        assert.same({ "invalid_response", "the answer is for execution " .. hostile.OTHER_ID .. ", not "
          .. hostile.id("stale_answer") }, { got[2].kind, got[2].message })
        assert.equal("running", got[3].ok, got[3].text)
        local stats = server:stats()
        assert.same({ 3, 2 }, { stats.main.requests, stats.main.connections })
      end)
    end

    it("opens a new connection when the server closed the last one between polls", function()
      local statuses, counts = in_a_row("keepalive_closed", 3)
      assert.same({ "running", "running", "completed" }, statuses)
      assert.same({ 3, 3 }, counts)
    end)

    it("retries a GET once on a new connection when a reused one is dropped without an answer", function()
      local statuses, counts = in_a_row("keepalive_race", 2)
      assert.same({ "running", "running" }, statuses)
      assert.same({ 3, 2 }, counts)
    end)

    it("sends a POST on a connection of its own, never a pooled one, and never twice", function()
      server:reset()
      local q = options(server, "running")
      q.id, q.n = hostile.id("running"), 2
      through_nginx("/repeat", q) -- leaves a connection in the pool
      local got = through_nginx("/run", q) -- the hostile server has no run route: a 404
      assert.equal(404, got.status, got.text)
      local stats = server:stats()
      assert.same({ 3, 2 }, { stats.main.requests, stats.main.connections })
      -- A POST that gets no answer is not sent again: one connection, one request.
      local silent = silent_server.start(16)
      local timed_out = through_nginx("/run", { base_url = silent.url, timeout = 1 })
      assert.equal("OPERATION_TIMEDOUT", timed_out.code, timed_out.text)
      local posts, conns = 0, 0
      while true do
        silent.server:settimeout(0.2)
        local c = silent.server:accept()
        if not c then break end
        conns = conns + 1
        c:settimeout(0.2)
        local head = c:receive("*l")
        if head and head:find("^POST ") then posts = posts + 1 end
        c:close()
      end
      silent.close()
      assert.same({ 1, 1 }, { conns, posts })
    end)
  end)

  it("leaves no Lua errors in nginx's error log", function()
    front.assert_clean_log()
  end)
end)
