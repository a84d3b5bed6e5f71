-- The nginx transport at work in a real nginx (one worker): many waits at
-- once without holding up the worker, the worker's keep-alive pool shared by
-- clients made per request, a graceful stop that does not wait for the
-- waits, and TLS verified against lua_ssl_trusted_certificate.
local cjson = require "cjson"
local hostile = require "spec.support.hostile"
local nginx = require "spec.support.nginx"
local nginx_front = require "spec.support.nginx_front"
local tls = require "spec.support.tls"
local slack = require "spec.support.slack"

local sh = nginx.sh

-- Fires n requests to url at once (one curl, n connections) in the
-- background; each line of the output file is a JSON answer.
local function fire(url, n, out_file)
  sh("curl -s -m 60 --parallel --parallel-immediate --parallel-max " .. n .. " '" .. url .. "&n=[1-" .. n .. "]' "
    .. "> " .. out_file .. " 2>/dev/null &")
end

local function answers(file, n)
  local lines = {}
  for _ = 1, 600 do
    lines = {}
    local f = io.open(file)
    for line in (f and f:read("*a") or ""):gmatch("[^\n]+") do lines[#lines + 1] = cjson.decode(line) end
    if f then f:close() end
    if #lines >= n then break end
    sh("sleep 0.1")
  end
  return lines
end

describe("the nginx transport", function()
  local server, front

  setup(function() server, front = nginx_front.start_with_hostile() end)
  teardown(function() nginx_front.stop_all(server, front) end)

  before_each(function() server:reset() end)

  it("runs 200 waits at once on one worker while /ping stays fast", function()
    local out_file = front.prefix .. "/waits.out"
    fire(front.url_of("/wait", { base_url = server.base_url, id = hostile.id("running"), interval = 0.5, wait = 3 }),
      200, out_file)
    sh("sleep 1")
    local slowest = nginx_front.slowest_ping(front.url)
    -- A blocked worker would hold every ping until the waits end, seconds later.
    assert.is_true(slowest < slack(0.5), "slowest ping took " .. slowest .. " s")
    local done = answers(out_file, 200)
    assert.equal(200, #done)
    for _, r in ipairs(done) do
      -- "running" forever: each wait polled until its own timeout.
      assert.equal("timeout", r.kind, r.text)
      assert.is_true(r.seconds >= 2.9, "a wait ended after " .. r.seconds .. " s")
    end
    assert.is_true(server:stats().main.connections <= 200)
  end)

  it("reuses the worker's connections for a client made per request (1,000 requests)", function()
    local url = front.url_of("/status", { base_url = server.base_url, id = hostile.id("running") })
    local out = sh("curl -s -m 60 --parallel --parallel-immediate --parallel-max 10 '" .. url .. "&n=[1-1000]' "
      .. "2>/dev/null")
    local n = 0
    for line in out:gmatch("[^\n]+") do
      assert.equal("running", cjson.decode(line).ok, line)
      n = n + 1
    end
    assert.equal(1000, n)
    local stats = server:stats()
    assert.equal(1000, stats.main.requests)
    -- At most one connection per request in flight at once (10), and no more.
    assert.is_true(stats.main.connections <= 10, stats.main.connections .. " connections")
  end)

  it("holds requests in flight to the worker-wide cap (modelslab.openresty.configure)", function()
    local out_file = front.prefix .. "/capped.out"
    fire(front.url_of("/capped", { base_url = server.base_url, id = hostile.id("silent"), timeout = 1, cap = 2,
      count = 5 }), 1, out_file)
    sh("sleep 0.4")
    -- Two requests reached the server that never answers; three wait for a slot.
    assert.equal(2, server:stats().by_case.silent)
    local done = answers(out_file, 1)[1]
    assert.equal(5, #done)
    for _, r in ipairs(done) do assert.equal("OPERATION_TIMEDOUT", r.code, r.text) end
  end)

  it("gets a transfer slot back when nginx ends the request that held it", function()
    local url = front.url_of("/abandon", { base_url = server.base_url, id = hostile.id("silent"), timeout = 5 })
    assert.equal("500", sh("curl -s -m 10 -o /dev/null -w '%{http_code}' '" .. url .. "'"))
    assert.equal(1, server:stats().by_case.silent)
    assert.equal(0, front.get("/active", {}).active)
  end)

  it("runs 200 status fetches through one poller, 50 at a time, each a light thread", function()
    local got = front.get("/poller", { base_url = server.base_url, id = hostile.id("running"), n = 200, max = 50 })
    assert.equal(200, #got)
    for _, r in ipairs(got) do assert.equal("running", r.ok, r.text) end
    assert.is_true(server:stats().main.connections <= 50)
  end)

  it("keeps the key out of tostring, the client's fields and its errors", function()
    local got = front.get("/secrets", { base_url = server.base_url })
    assert.is_false(got.has_key, got.shown)
    assert.matches("not under the client's base_url", got.shown)
  end)

  it("refuses, for the caller of modelslab.new, the options nginx's sockets cannot honour", function()
    for option, value in pairs { ca_file = "/etc/ssl/certs/ca-certificates.crt", proxy = "http://127.0.0.1:3128" } do
      local got = front.get("/option", { base_url = server.base_url, option = option, value = value })
      assert.is_false(got.ok, option)
      -- Line 6 of the block in hostile.conf.in: the call in its new().
      assert.matches("^content_by_lua%([%w.]+:%d+%):6: modelslab.new: " .. option
        .. " cannot be used inside nginx: ", got.err)
    end
    assert.is_true(front.get("/option", { base_url = server.base_url, option = "proxy", value = "false" }).ok)
  end)

  for _, how in ipairs { "wait_all", "tracker" } do
    it("runs " .. (how == "tracker" and "tracker:run" or "wait_all") .. " in a content handler without stalling "
      .. "other requests", function()
      local out_file = front.prefix .. "/" .. how .. ".out"
      -- "running" never ends; "drip" holds its transfer for a second each time.
      local q = { base_url = server.base_url, ids = hostile.id("running") .. "," .. hostile.id("drip"), wait = 2.5,
        timeout = 10 }
      if how == "tracker" then q.tracker = 1 end
      fire(front.url_of("/wait_all", q), 1, out_file)
      sh("sleep 0.5")
      local slowest = nginx_front.slowest_ping(front.url)
      assert.is_true(slowest < slack(0.5), "slowest ping took " .. slowest .. " s")
      local done = answers(out_file, 1)[1]
      assert.is_table(done, "no answer")
      assert.equal("timeout", done[1].kind, done[1].text)
      assert.is_truthy(done[2].kind, "the drip case should not end in a document")
    end)
  end

  it("stops gracefully within 3 s with waits in flight; the waits end with an error", function()
    local own = nginx_front.start()
    local out_file = own.prefix .. "/stop.out"
    fire(own.url_of("/wait", { base_url = server.base_url, id = hostile.id("running"), interval = 5, wait = 60 }),
      50, out_file)
    sh("sleep 1")
    local pid = sh("cat " .. own.prefix .. "/nginx.pid"):match("%d+")
    local t0 = require("socket").gettime()
    sh("kill -QUIT " .. pid)
    local gone
    for _ = 1, 100 do
      -- Gone, or a zombie its reaper has not collected yet.
      local stat = io.open("/proc/" .. pid .. "/stat")
      local state = stat and stat:read("*l"):match("^%d+ %b() (%a)")
      if stat then stat:close() end
      if not stat or state == "Z" then gone = true break end
      sh("sleep 0.05")
    end
    local took = require("socket").gettime() - t0
    local done = answers(out_file, 50)
    own.stop()
    assert.is_true(gone and took < slack(3), string.format("nginx still ran %.1f s after QUIT", took))
    assert.equal(50, #done)
    for _, r in ipairs(done) do
      assert.equal("WORKER_EXITING", r.code, r.text)
      assert.is_true(r.seconds < 3, "a wait ended after " .. r.seconds .. " s")
    end
  end)

  it("leaves no Lua errors in nginx's error log", function()
    front.assert_clean_log()
  end)
end)

describe("the nginx transport over TLS", function()
  local server, front

  setup(function()
    server = tls.start()
    front = nginx_front.start { CA_FILE = server.ca_file }
  end)

  teardown(function()
    if front then front.stop() end
    if server then server:stop() end
  end)

  local function status(path, base_url)
    return front.get(path, { base_url = base_url, id = 12345, after = 12345 })
  end

  it("fetches a status from a server whose certificate lua_ssl_trusted_certificate vouches for", function()
    local got = status("/status", server.localhost_url)
    assert.equal("completed", got.ok, got.text)
    assert.equal("completed", got.after.ok, got.after.text)
  end)

  it("refuses a certificate for another name", function()
    local got = status("/status", server.other_url:gsub("127%.0%.0%.1", "localhost"))
    assert.equal("PEER_FAILED_VERIFICATION", got.code, got.text)
  end)

  it("refuses a certificate from a CA it does not trust", function()
    local other = nginx_front.start { CA_FILE = server.other_ca_file }
    local got = other.get("/status", { base_url = server.localhost_url, id = 1 })
    other.stop()
    assert.equal("PEER_FAILED_VERIFICATION", got.code, got.text)
  end)

  it("refuses an IP address over https: nginx checks a certificate's DNS names only", function()
    local got = status("/status", server.url)
    assert.equal("PEER_FAILED_VERIFICATION", got.code, got.text)
  end)

  it("reports a port that does not speak TLS as a TLS failure", function()
    local got = status("/status", server.plain_url:gsub("127%.0%.0%.1", "localhost"))
    assert.equal("SSL_CONNECT_ERROR", got.code, got.text)
  end)

  it("leaves no Lua errors in nginx's error log", function()
    front.assert_clean_log()
  end)
end)
