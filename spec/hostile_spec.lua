-- Misbehaving servers on loopback (spec/support/hostile.lua): every case ends
-- in time, in the documented outcome, through every way of fetching a status.
-- Each entry of EXPECT is run by each driver in DRIVERS; a new way of fetching
-- (another driver) gets the whole catalogue by adding one entry there.
local modelslab = require "modelslab"
local errors = require "modelslab.errors"
local hostile = require "spec.support.hostile"
local fake_time = require "spec.support.fake_time"
local slack = require "spec.support.slack"

local WF = hostile.WF
local KEY = "hostile-spec-key-4c9a77"
local T, INVALID, HTTP, RATE = "transport", "invalid_response", "http", "rate_limited"
local RETRYABLE_STATUS = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }
local DOCUMENTED = { pending = true, running = true, completed = true, failed = true, cancelled = true }

-- The expected outcome of each case. ok: the execution status of a document;
-- otherwise kind, and where it is pinned down, status, code, message and
-- retry_after (a number, {min, max}, or false for none). wait_ok: the status
-- a wait ends with, when the answers change between polls. client: options
-- for this case's client; least/budget: real seconds one fetch must take at
-- least / at most; max_errors: the wait's (default 2).
local EXPECT = {
  running = { ok = "running" },
  completed = { ok = "completed", check = function(doc)
    assert.same({ "https://cdn.example/p1.png" }, doc.output.proxy_links)
  end },
  truncated = { kind = T, code = "PARTIAL_FILE" },
  chunked_bad_size = { kind = T, code = "RECV_ERROR" },
  chunked_huge_size = { kind = T, code = "RECV_ERROR" },
  chunked_cut = { kind = T, code = "PARTIAL_FILE" },
  reset_in_headers = { kind = T, code = "RECV_ERROR" },
  reset_in_body = { kind = T, code = "RECV_ERROR" },
  silent = { kind = T, code = "OPERATION_TIMEDOUT", client = { timeout = 0.5 }, least = 0.45, budget = 1.5 },
  -- low_speed_time ends it, long before the 10 s timeout.
  drip = { kind = T, code = "OPERATION_TIMEDOUT", client = { timeout = 10 }, least = 0.9, budget = 4,
    max_errors = 1 },
  garbage_text = { kind = T, code = "UNSUPPORTED_PROTOCOL" }, -- HTTP/0.9 is refused
  garbage_binary = { kind = T },
  bad_status_line = { kind = T },
  bad_gzip = { kind = T, code = "BAD_CONTENT_ENCODING" },
  huge_header = { kind = T },
  length_overflow = { kind = INVALID, message = "max_body" }, -- announces more than max_body
  length_negative = { kind = T },
  length_and_chunked = { ok = "completed" }, -- chunked wins, as HTTP/1.1 says
  -- A status has three digits: libcurl refuses 000 and 099 itself, but takes
  -- "HTTP/2 4444" for a status, and "HTTP/200 OK" for "HTTP/2" and status 0.
  status_4_digits = { kind = T, code = "WEIRD_SERVER_REPLY" },
  status_glued = { kind = T, code = "WEIRD_SERVER_REPLY" },
  status_000 = { kind = T },
  status_099 = { kind = T },
  status_600 = { kind = HTTP, status = 600, message = "^HTTP status 600$" },
  status_999 = { kind = HTTP, status = 999, message = "^HTTP status 999$" },
  http10_close = { ok = "completed" },
  continue_first = { ok = "completed" },
  text_plain_json = { ok = "completed" },
  json_gzip_none = { ok = "completed" },
  empty_200 = { kind = INVALID },
  empty_200_close = { kind = INVALID },
  no_content_204 = { kind = INVALID },
  html_200 = { kind = INVALID },
  big_with_length = { kind = INVALID, message = "max_body" },
  big_chunked = { kind = INVALID, message = "max_body" },
  big_until_close = { kind = INVALID, message = "max_body" },
  deep_array = { kind = INVALID, client = { max_body = 1048576 }, message = "nested" },
  deep_object = { kind = INVALID, client = { max_body = 1048576 }, message = "nested" },
  deep_field = { kind = INVALID, message = "nested" },
  number_nan = { kind = INVALID },
  number_infinity = { kind = INVALID },
  number_minus_infinity = { kind = INVALID },
  number_1e400 = { kind = INVALID, message = "out of range" },
  number_1e400_elsewhere = { kind = INVALID, message = "out of range" },
  number_hex = { kind = INVALID },
  id_2_64 = { kind = INVALID, message = "execution.id" },
  id_negative = { kind = INVALID, message = "execution.id" },
  id_fraction = { kind = INVALID, message = "execution.id" },
  time_2_64 = { ok = "completed", check = function(doc) assert.equal(2 ^ 64, doc.execution.execution_time) end },
  -- Bytes that are not UTF-8 are passed through unchanged (README).
  invalid_utf8 = { ok = "completed", check = function(doc)
    assert.equal("Text \255\254 \192\128 to Image", doc.steps[1].name)
  end },
  lone_surrogate = { kind = INVALID },
  nul_escape = { ok = "completed", check = function(doc) assert.equal("Text\0Image", doc.steps[1].name) end },
  top_array = { kind = INVALID },
  top_string = { kind = INVALID },
  top_null = { kind = INVALID },
  execution_missing = { kind = INVALID, message = "execution" },
  execution_string = { kind = INVALID, message = "execution" },
  execution_array = { kind = INVALID, message = "execution" },
  status_number = { kind = INVALID, message = "execution.status" },
  steps_object = { kind = INVALID, message = "steps" },
  step_without_name = { kind = INVALID, message = "name" },
  step_not_object = { kind = INVALID, message = "steps%[1%]" },
  unknown_status = { ok = "exploded" },
  api_error_200 = { kind = "api", status = 200, message = "^Out of credits$" },
  rate_body = { kind = RATE, status = 429, retry_after = 30, message = "^Rate limit exceeded$" },
  rate_header_seconds = { kind = RATE, status = 429, retry_after = 7, message = "^Slow down$" },
  rate_header_date = { kind = RATE, status = 429, retry_after = { 118, 121 } },
  rate_both = { kind = RATE, status = 429, retry_after = 90 },
  rate_header_junk = { kind = RATE, status = 429, retry_after = false },
  rate_huge = { kind = RATE, status = 429, retry_after = 86400 },
  rate_html = { kind = RATE, status = 429, retry_after = false, message = "^Too Many Requests$" },
  redirect_loop = { kind = HTTP, status = 302, message = "redirect not followed" },
  redirect_port = { kind = HTTP, status = 302, message = "redirect not followed" },
  redirect_host = { kind = HTTP, status = 307, message = "redirect not followed" },
  redirect_file = { kind = HTTP, status = 302, message = "redirect not followed" },
  -- Running for two answers, then completed (so a wait polls three times).
  keepalive_closed = { ok = "running", wait_ok = "completed" },
  keepalive_race = { ok = "running", wait_ok = "completed" },
}
local REASONS = { [401] = "Unauthorized", [403] = "Forbidden", [404] = "Not Found", [422] = "Unprocessable Content",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout" }
for code, reason in pairs(REASONS) do
  local json = code == 401 and "Invalid API key" or ("Failure " .. code)
  EXPECT["http_" .. code .. "_json"] = { kind = HTTP, status = code, message = "^" .. json .. "$", retry_after = false }
  EXPECT["http_" .. code .. "_html"] = { kind = HTTP, status = code, message = "^" .. reason .. "$" }
  EXPECT["http_" .. code .. "_empty"] = { kind = HTTP, status = code, message = "^" .. reason .. "$" }
end

local function summary(e)
  if e.ok then return "a document (" .. e.ok .. ")" end
  return e.kind .. (e.status and " " .. e.status or "") .. (e.code and " (" .. e.code .. ")" or "")
end

-- A wait goes on while the execution is live.
local function wait_summary(e)
  local ok = e.wait_ok or e.ok
  if ok and not DOCUMENTED[ok] then return "unknown_status" end
  if ok and not modelslab.TERMINAL[ok] then return "timeout" end
  return summary(e)
end

local function documented_retryable(err)
  return err.kind == T or RETRYABLE_STATUS[err.status] == true
end

-- Checks one fetch's outcome against the expectation.
local function check_outcome(e, doc, err)
  if e.ok then
    assert(doc, "expected a document, got " .. tostring(err))
    assert.is_nil(err)
    assert.equal(e.ok, doc.execution.status)
    if e.check then e.check(doc) end
    return
  end
  assert.is_nil(doc)
  assert.is_true(errors.is(err), "the error is no modelslab error")
  assert.equal(e.kind, err.kind, tostring(err))
  if e.status then assert.equal(e.status, err.status) end
  if e.kind == T then
    assert.is_string(err.code)
    assert.is_nil(err.status)
  end
  if e.code then assert.equal(e.code, err.code, tostring(err)) end
  assert.equal(documented_retryable(err), err.retryable)
  assert.is_string(err.message)
  assert.is_true(#err.message > 0)
  if e.message then assert.matches(e.message, err.message) end
  if e.retry_after == false then
    assert.is_nil(err.retry_after)
  elseif type(e.retry_after) == "table" then
    assert.is_true(err.retry_after >= e.retry_after[1] and err.retry_after <= e.retry_after[2],
      "retry_after " .. tostring(err.retry_after))
  elseif e.retry_after then
    assert.equal(e.retry_after, err.retry_after)
  end
  local text = tostring(err)
  assert.matches("^modelslab: " .. e.kind, text)
  assert.is_nil(text:find(KEY, 1, true))
end

local function within(e, started)
  local elapsed = modelslab.now() - started
  assert.is_true(elapsed <= slack(e.budget or 1.5), string.format("took %.2f s", elapsed))
  if e.least then assert.is_true(elapsed >= e.least, string.format("took only %.2f s", elapsed)) end
end

local server

local function new_client(e)
  local opts = { api_key = KEY, base_url = server.base_url, timeout = 2, low_speed_time = 1, max_body = 65536 }
  for k, v in pairs(e.client or {}) do opts[k] = v end
  return modelslab.new(opts)
end

local DRIVERS = {
  { name = "client:status", run = function(case, e)
    local client = new_client(e)
    local started = modelslab.now()
    local doc, err = client:status(WF, case.id)
    within(e, started)
    check_outcome(e, doc, err)
    -- The client stays usable after whatever the server did.
    assert.equal("completed", assert(client:status(WF, hostile.id("completed"))).execution.status)
    client:close()
  end },

  { name = "client:wait", summary = wait_summary, run = function(case, e)
    local client = new_client(e)
    local time = fake_time.new()
    local max_errors = e.max_errors or 2
    local final, err = client:wait(WF, case.id, { timeout = 60, interval = 1, jitter = 0, max_errors = max_errors,
      sleep = time.sleep, clock = time.clock })
    client:close()
    local ok = e.wait_ok or e.ok
    if ok and modelslab.TERMINAL[ok] then
      check_outcome({ ok = ok, check = e.check }, final, err)
      return
    end
    assert.is_nil(final)
    if ok and not DOCUMENTED[ok] then
      assert.same({ "unknown_status", ok, 1 }, { err.kind, err.value, err.attempts })
    elseif ok then
      assert.equal("timeout", err.kind, tostring(err))
      assert.equal(ok, err.last.execution.status)
      assert.is_true(err.attempts > 2)
    else
      check_outcome(e, nil, err)
      assert.equal(err.retryable and max_errors or 1, err.attempts)
      assert.is_nil(err.last)
      if err.kind == RATE then -- the server's hint (else max_interval) passed before the next poll
        assert.is_true(time.t >= math.min(err.retry_after or 15, 60), "slept only " .. time.t)
      end
    end
    assert.is_number(err.elapsed)
  end },

  { name = "client:poller", run = function(case, e)
    local client = new_client(e)
    local p = client:poller { max_transfers = 1 }
    local started = modelslab.now()
    p:add(WF, case.id)
    local results = {}
    while #results == 0 and modelslab.now() - started < slack(e.budget or 1.5) + 1 do
      results = p:poll(0)
      if #results == 0 then p:wait(10) end
    end
    within(e, started)
    assert.equal(1, #results)
    check_outcome(e, results[1].doc, results[1].err)
    p:close()
    client:close()
  end },
}

describe("against hostile servers", function()
  setup(function() server = hostile.start() end)
  teardown(function() if server then server:stop() end end)
  before_each(function() server:reset() end)

  it("has an expectation for every case in the catalogue, and a case for every expectation", function()
    local names = {}
    for _, case in ipairs(hostile.cases) do
      names[case.name] = true
      assert.is_table(EXPECT[case.name], "no expectation for " .. case.name)
    end
    for name in pairs(EXPECT) do assert.is_true(names[name], "no case named " .. name) end
  end)

  for _, driver in ipairs(DRIVERS) do
    describe(driver.name .. " ends in", function()
      for _, case in ipairs(hostile.cases) do
        local e = EXPECT[case.name]
        if e then
          local what = (driver.summary or summary)(e)
          it(what .. " for " .. case.name:gsub("_", " "), function() driver.run(case, e) end)
        end
      end
    end)
  end

  describe("keep-alive", function()
    it("opens a new connection when the server closed the last one between polls", function()
      local client = new_client {}
      local id = hostile.id("keepalive_closed")
      assert.equal("running", assert(client:status(WF, id)).execution.status)
      assert.equal("running", assert(client:status(WF, id)).execution.status)
      local final = assert(client:wait(WF, id, { interval = 0.01, jitter = 0 }))
      client:close()
      assert.equal("completed", final.execution.status)
      local stats = server:stats()
      -- Clients share one connection cache, so the first poll may go on a
      -- connection an earlier case left open; each later one needs a new one.
      assert.equal(3, stats.main.requests)
      assert.is_true(stats.main.connections >= 2, "a new connection after each close")
    end)

    it("retries on a new connection when the server drops a reused one without answering", function()
      local client = new_client {}
      local id = hostile.id("keepalive_race")
      assert.equal("running", assert(client:status(WF, id)).execution.status)
      assert.equal("running", assert(client:status(WF, id)).execution.status)
      client:close()
      local stats = server:stats()
      -- The second request reached the first connection, which was dropped; it
      -- went again on a second connection.
      assert.same({ 3, 2 }, { stats.main.requests, stats.main.connections })
    end)

    it("keeps one connection across polls while the server allows it", function()
      local client = new_client {}
      for _ = 1, 5 do assert(client:status(WF, hostile.id("running"))) end
      client:close()
      -- One, or none when the shared cache held one from an earlier case.
      assert.is_true(server:stats().main.connections <= 1)
    end)
  end)

  describe("reports", function()
    it("the HTTP status on every invalid_response error that followed an HTTP answer", function()
      local client = new_client {}
      for _, name in ipairs { "html_200", "top_null", "execution_missing", "steps_object", "id_2_64" } do
        local _, err = client:status(WF, hostile.id(name))
        assert.equal(INVALID, err.kind)
        assert.equal(200, err.status, name .. ": " .. tostring(err))
      end
      client:close()
    end)

    it("a top-level JSON array as a body that is not a JSON object", function()
      local client = new_client {}
      local _, err = client:status(WF, hostile.id("top_array"))
      client:close()
      assert.equal(INVALID, err.kind)
      assert.matches("not a JSON object", err.message)
    end)
  end)
end)
