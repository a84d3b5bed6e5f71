-- The tracker starts executions without blocking, says what it is doing, keeps
-- to wait's schedule and its update budget, cancels for real, and leaves the
-- application's random sequence alone.
local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local fake_time = require "spec.support.fake_time"
local slack = require "spec.support.slack"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local SLOW = "9a8b7c6d-1234-4abc-8def-0123456789ab"
local FAST = { interval = 0.05, max_interval = 0.2, timeout = 10 }

-- Calls update() like a game's frames until nothing is pending; returns the
-- slowest update in seconds.
local function frames(t, seconds)
  local slowest, deadline = 0, modelslab.now() + (seconds or 10)
  while t:pending() > 0 and modelslab.now() < deadline do
    local t0 = modelslab.now()
    t:update()
    slowest = math.max(slowest, modelslab.now() - t0)
    require("modelslab.core").sleep(1 / 120)
  end
  return slowest
end

describe("tracker:start", function()
  local sim, client

  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" } end)
  teardown(function() sim:stop() end)
  before_each(function()
    sim:reset()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
  end)
  after_each(function() client:close() end)

  it("queues runs without blocking, waits out a 429's retry_after, then follows each to the end", function()
    local t = client:tracker(FAST)
    local started, retries, finals, handles = {}, {}, {}, {}
    for i = 1, 3 do
      handles[i] = t:start(WF, { prompt = "fox " .. i }, {
        on_started = function(s) started[i] = s.execution_id end,
        on_retry = function(err, attempt, delay) retries[#retries + 1] = { err.kind, attempt, delay } end,
        on_done = function(doc, err) finals[i] = doc or err end,
      })
      assert.equal("starting", t:state(handles[i]).phase)
    end
    local saw_retrying = false
    local slowest, deadline = 0, modelslab.now() + 15
    while t:pending() > 0 and modelslab.now() < deadline do
      local t0 = modelslab.now()
      t:update()
      slowest = math.max(slowest, modelslab.now() - t0)
      for i = 1, 3 do saw_retrying = saw_retrying or t:state(handles[i]).phase == "retrying" end
      require("modelslab.core").sleep(1 / 120)
    end
    for i = 1, 3 do
      assert.equal("completed", finals[i].execution.status, tostring(finals[i]))
      assert.equal(started[i], finals[i].execution.id)
      local state = t:state(handles[i])
      assert.same({ "done", started[i] }, { state.phase, state.execution_id })
      assert.is_true(state.attempts >= 2)
    end
    -- The third run met the limit of two per window: one 429, retried once.
    assert.same({ "rate_limited", 1 }, { retries[1][1], retries[1][2] })
    assert.is_true(retries[1][3] >= 1)
    assert.is_true(saw_retrying)
    local stats = sim:stats()
    assert.equal(4, stats.by_route.run)
    assert.is_true(slowest < slack(0.5), string.format("slowest update took %.1f ms", slowest * 1000))
    t:close()
  end)

  it("never sends a run twice after a failure that may have reached the server", function()
    local final
    -- A listener that never answers: the run may have reached a server, so
    -- its timeout ends the start, never a second run.
    local silent = require("spec.support.silent_server").start()
    local deaf = modelslab.new { api_key = sim.key, base_url = silent.url, timeout = 0.3 }
    local td = deaf:tracker(FAST)
    local retried = false
    td:start(WF, {}, { on_done = function(_, err) final = err end, on_retry = function() retried = true end })
    frames(td, 5)
    silent.close()
    assert.equal("OPERATION_TIMEDOUT", final.code)
    assert.is_false(retried)
    td:close(); deaf:close()
  end)

  it("retries a run whose connection was refused (nothing was sent)", function()
    local socket = require "socket"
    local s = assert(socket.bind("127.0.0.1", 0))
    local _, port = s:getsockname()
    s:close() -- nobody listens there now
    local c = modelslab.new { api_key = sim.key, base_url = "http://127.0.0.1:" .. port .. "/api/v1", timeout = 1 }
    local t = c:tracker { interval = 0.01, max_interval = 0.02, max_errors = 3, timeout = 5 }
    local attempts, final = {}, nil
    t:start(WF, {}, {
      on_retry = function(err, attempt) attempts[#attempts + 1] = err.code .. " " .. attempt end,
      on_done = function(_, err) final = err end,
    })
    frames(t, 5)
    assert.same({ "COULDNT_CONNECT 1", "COULDNT_CONNECT 2" }, attempts)
    assert.equal("COULDNT_CONNECT", final.code)
    assert.equal(3, final.attempts)
    t:close(); c:close()
  end)

  it("reports errors as they happen: on_retry and state's last_error and since_ok", function()
    local t = client:tracker { interval = 0.05, max_interval = 0.1, max_errors = 100, timeout = 10 }
    local retries = {}
    local h = t:track(SLOW, 40, { on_retry = function(err, attempt, delay)
      retries[#retries + 1] = { err.status, attempt, delay }
    end })
    local deadline = modelslab.now() + 5
    while #retries == 0 and modelslab.now() < deadline do
      t:update()
      if t:state(h).since_ok and not retries.stopped then
        sim:stop() -- the server goes away after the first good poll
        retries.stopped = true
      end
      require("modelslab.core").sleep(0.01)
    end
    retries.stopped = nil
    local state = t:state(h)
    assert.equal("retrying", state.phase)
    assert.equal("transport", state.last_error.kind)
    assert.is_true(state.since_ok > 0)
    assert.equal(1, retries[1][2])
    assert.is_true(retries[1][3] > 0)
    t:close()
    sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" }
    client:close()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
  end)

  it("with cancel_remote, tracker:run and wait_all cancel on the server before they return", function()
    local stop = false
    local t = client:tracker { interval = 0.05, cancel_remote = true, should_stop = function() return stop end }
    local final
    t:track(SLOW, 41, { on_update = function() stop = true end, on_done = function(_, err) final = err end })
    t:run()
    assert.equal("cancelled", final.kind)
    assert.is_true(final.remote_cancelled)
    assert.equal(1, sim:stats().by_route.cancel)
    t:close()
    local results = client:wait_all({ { SLOW, 42 } }, { timeout = 0.2, interval = 0.05, cancel_remote = true })
    assert.equal("timeout", results[1].err.kind)
    assert.is_true(results[1].err.remote_cancelled)
    assert.equal(2, sim:stats().by_route.cancel)
    assert.equal("cancelled", client:status(SLOW, 42).execution.status)
  end)

  it("puts a failed cancel on the error (cancel_error)", function()
    local stop = false
    local t = client:tracker { interval = 0.05, cancel_remote = true, should_stop = function() return stop end }
    local final
    t:track(WF, 43, {
      on_update = function() stop = true; sim:stop() end, -- the cancel finds nobody listening
      on_done = function(_, err) final = err end,
    })
    t:run()
    t:close()
    assert.equal("cancelled", final.kind)
    assert.is_false(final.remote_cancelled)
    assert.equal("COULDNT_CONNECT", final.cancel_error.code)
    sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" }
    client:close()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
  end)

  it("cancels one execution with tracker:cancel, on the server, without blocking", function()
    local t = client:tracker(FAST)
    local final, never, started
    local h
    h = t:start(SLOW, {}, {
      on_started = function(s) started = s.execution_id; t:cancel(h) end,
      on_done = function(_, err) final = err end,
    })
    local unsent = t:start(SLOW, {}, { on_done = function(_, err) never = err end })
    t:cancel(unsent) -- its run was not sent yet: it never will be
    assert.equal("cancelled", never.kind)
    frames(t, 5)
    assert.equal("cancelled", final.kind)
    assert.is_true(final.remote_cancelled)
    assert.equal("done", t:state(h).phase)
    local stats = sim:stats()
    assert.same({ 1, 1 }, { stats.by_route.run, stats.by_route.cancel })
    assert.equal("cancelled", client:status(SLOW, started).execution.status)
    t:close()
  end)

  it("bounds a cancel_remote cancel by a timeout of its own (5 s on the tracker's clock)", function()
    local silent = require("spec.support.silent_server").start()
    local deaf = modelslab.new { api_key = sim.key, base_url = silent.url, timeout = 60 }
    local clock = fake_time.new()
    local t = deaf:tracker { cancel_remote = true, should_stop = function() return true end,
      clock = clock.clock, sleep = clock.sleep }
    local final
    t:track(SLOW, 40, { on_done = function(_, err) final = err end })
    t:update() -- stopped: the cancel goes out, and nobody answers it
    assert.is_nil(final)
    clock.t = 4.9
    t:update()
    assert.is_nil(final)
    clock.t = 5
    t:update()
    assert.equal("cancelled", final.kind)
    assert.is_false(final.remote_cancelled)
    assert.equal("timeout", final.cancel_error.kind)
    t:close(); deaf:close(); silent.close()
  end)

  it("keeps nothing for fire-and-forget cancels, however many are sent", function()
    local p = client:poller { max_transfers = 8 }
    for _ = 1, 200 do p:cancel_and_forget(SLOW, 40) end
    local deadline = modelslab.now() + 10
    while p:pending() > 0 and modelslab.now() < deadline do
      assert.same({}, p:poll(0))
      p:wait(5)
    end
    assert.equal(0, p:pending())
    assert.is_nil(next(p._requests))
    assert.is_nil(next(p._queue))
    assert.equal(200, sim:stats().by_route.cancel)
    p:close()
  end)

  it("bounds the results handled per update with max_results", function()
    local t = client:tracker { interval = 0.05, timeout = 10, max_results = 1 }
    local most = 0
    for id = 40, 42 do t:track(SLOW, id, {}) end
    local handled_before = 0
    local deadline = modelslab.now() + 5
    local polls = 0
    while modelslab.now() < deadline and polls < 9 do
      t:update()
      local answered = 0
      for _, item in ipairs(t._items) do answered = answered + item.attempts end
      most = math.max(most, answered - handled_before)
      handled_before = answered
      polls = answered
      require("modelslab.core").sleep(0.01)
    end
    assert.equal(1, most)
    assert.is_true(polls >= 9)
    t:close()
  end)
end)

describe("a tracker's budget_ms", function()
  it("handles one answer per update when the budget is spent at once, and still finishes", function()
    local sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" }
    local client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
    local t = client:tracker { interval = 0.05, timeout = 10, budget_ms = 1e-9 }
    local done, per_update = 0, {}
    for _ = 1, 3 do t:start(WF, {}, { on_done = function() done = done + 1 end }) end
    local deadline = modelslab.now() + 10
    while t:pending() > 0 and modelslab.now() < deadline do
      local before = done
      local answered = 0
      for _, item in ipairs(t._items) do answered = answered + item.attempts end
      t:update()
      local after = 0
      for _, item in ipairs(t._items) do after = after + item.attempts end
      per_update[#per_update + 1] = after - answered + (done - before)
      require("modelslab.core").sleep(0.005)
    end
    assert.equal(3, done)
    for _, n in ipairs(per_update) do assert.is_true(n <= 1, "answers handled in one update: " .. n) end
    t:close(); client:close(); sim:stop()
  end)
end)

describe("a tracker's schedule", function()
  local sim, client

  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" } end)
  teardown(function() sim:stop() end)
  before_each(function()
    sim:reset()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
  end)
  after_each(function() client:close() end)

  -- Answers come at once in fake time: each update sends what is due, and
  -- the real poller is drained before the fake clock moves on.
  local function polls_in(window, opts)
    local clock = fake_time.new()
    opts.clock, opts.sleep, opts.jitter = clock.clock, clock.sleep, 0
    local t = client:tracker(opts)
    local at = {}
    t:track(SLOW, 40, { on_update = function() at[#at + 1] = clock.t end })
    while clock.t < window do
      t:update()
      while t._poller:pending() > 0 do
        t._poller:wait(5)
        t:update()
      end
      clock.t = clock.t + 0.05
    end
    t:close()
    return at
  end

  it("polls on wait's schedule (interval, then backoff up to max_interval), not after every answer", function()
    local at = polls_in(20, { interval = 1, backoff = 2, max_interval = 4, timeout = 60 })
    -- 0, 1, 3, 7, 11, 15, 19: gaps of 1, 2, 4, 4, ...
    assert.equal(7, #at)
    local gaps = {}
    for i = 2, #at do gaps[#gaps + 1] = math.floor((at[i] - at[i - 1]) * 10 + 0.5) / 10 end
    assert.same({ 1, 2, 4, 4, 4, 4 }, gaps)
    assert.equal(7, sim:stats().by_route.status)
  end)
end)

describe("jitter", function()
  it("uses a generator of its own: math.random's sequence is the application's", function()
    local sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" }
    local client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
    local function sequence(with_tracker)
      math.randomseed(42)
      local t = with_tracker and client:tracker { interval = 0.01, max_interval = 0.02, jitter = 0.5, timeout = 0.3 }
      if t then t:track(SLOW, 40, {}) end
      local seq = {}
      for i = 1, 20 do
        if t then t:update() end
        seq[i] = math.random(1000000)
        require("modelslab.core").sleep(0.02)
      end
      if t then
        assert.is_true(t._items[1] == nil or t._items[1].attempts >= 3, "the tracker polled with jitter")
        t:close()
      end
      return seq
    end
    local plain, tracked = sequence(false), sequence(true)
    assert.same(plain, tracked)
    -- wait too
    math.randomseed(7)
    local a = { math.random(), math.random() }
    math.randomseed(7)
    client:wait(SLOW, 40, { interval = 0.01, jitter = 0.5, timeout = 0.1 })
    assert.same(a, { math.random(), math.random() })
    client:close()
    sim:stop()
  end)

  it("spreads polls: core.random is uniform on [0, 1)", function()
    local core = require "modelslab.core"
    local sum, lo, hi = 0, 1, 0
    for _ = 1, 10000 do
      local r = core.random()
      sum, lo, hi = sum + r, math.min(lo, r), math.max(hi, r)
    end
    assert.is_true(lo >= 0 and hi < 1)
    assert.is_true(math.abs(sum / 10000 - 0.5) < 0.02)
  end)
end)
