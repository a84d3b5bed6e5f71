local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local slack = require "spec.support.slack"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local FAST = { interval = 0.05, max_interval = 0.2, timeout = 10 }

describe("client:tracker", function()
  local sim, client

  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/tracker.lua" } end)
  teardown(function() sim:stop() end)
  before_each(function()
    sim:reset()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 5 }
  end)
  after_each(function() client:close() end)

  it("follows several executions to the end, each with its own callbacks", function()
    local t = client:tracker(FAST)
    local finals, events = {}, {}
    for _, id in ipairs { 1, 2, 3 } do
      events[id] = {}
      t:track(WF, id, {
        on_event = function(ev) table.insert(events[id], ev.type) end,
        on_done = function(doc, err) finals[id] = doc or err end,
      })
    end
    t:run()
    assert.equal(0, t:pending())
    assert.equal("completed", finals[1].execution.status)
    assert.equal("failed", finals[2].execution.status)
    assert.equal("cancelled", finals[3].execution.status)
    for id = 1, 3 do
      assert.equal("status", events[id][1])
      assert.equal("status", events[id][#events[id]])
    end
    t:close()
  end)

  it("never blocks in update() while answers are slow to come", function()
    local t = client:tracker(FAST)
    local done = 0
    for _, id in ipairs { 5, 6, 1 } do
      t:track(WF, id, { on_done = function() done = done + 1 end })
    end
    local slowest, frames = 0, 0
    local deadline = modelslab.now() + 10
    while t:pending() > 0 and modelslab.now() < deadline do
      local t0 = modelslab.now()
      t:update()
      slowest = math.max(slowest, modelslab.now() - t0)
      frames = frames + 1
      require("modelslab.core").sleep(1 / 60)
    end
    assert.equal(3, done)
    assert.is_true(frames > 30)
    -- Each answer takes a second: a blocking update would take that long. The
    -- bound leaves room for a loaded machine; the figures go in benchmarks.
    assert.is_true(slowest < slack(0.5), string.format("slowest update took %.1f ms", slowest * 1000))
    t:close()
  end)

  it("pauses every execution after a 429 until retry_after has passed", function()
    local now = 0
    local t = client:tracker { interval = 1, jitter = 0, clock = function() return now end }
    local finals = {}
    for _, id in ipairs { 7, 8 } do
      t:track(WF, id, { on_done = function(doc) finals[id] = doc end })
    end
    local function updates_for(seconds)
      local stop = modelslab.now() + seconds
      while modelslab.now() < stop do t:update(); require("modelslab.core").sleep(0.005) end
    end
    updates_for(0.3)                         -- both polled once; 7 got its 429
    local after_429 = sim:stats().by_route.status
    assert.equal(2, after_429)
    now = 5                                  -- 8 is due again, but the client is paused
    updates_for(0.3)
    assert.equal(after_429, sim:stats().by_route.status)
    now = 10
    updates_for(0.3)
    assert.equal("completed", finals[7].execution.status)
    assert.is_true(sim:stats().by_route.status > after_429)
    t:close()
  end)

  it("stops everything with cancelled when should_stop says so", function()
    local stop = false
    local t = client:tracker { interval = 0.05, should_stop = function() return stop end }
    local errs = {}
    for _, id in ipairs { 4, 4 } do
      t:track(WF, id, { on_done = function(_, err) errs[#errs + 1] = err end })
    end
    t:update()
    stop = true
    t:update()
    assert.equal(2, #errs)
    assert.equal("cancelled", errs[1].kind)
    assert.equal(0, t:pending())
    t:close()
  end)

  it("leaves the other executions in order when a callback raises", function()
    local t = client:tracker(FAST)
    local done = {}
    t:track(WF, 1, { on_done = function() error("boom") end })
    t:track(WF, 3, { on_done = function(doc) done[#done + 1] = doc end })
    local raised = 0
    local deadline = modelslab.now() + 10
    while t:pending() > 0 and modelslab.now() < deadline do
      local ok, err = pcall(t.update, t)
      if not ok then
        raised = raised + 1
        assert.matches("boom", err)
      end
      require("modelslab.core").sleep(0.01)
    end
    assert.equal(1, raised)
    assert.equal(1, #done)
    assert.equal("cancelled", done[1].execution.status)
    t:close()
  end)

  it("waits for many at once with wait_all, results in the order asked", function()
    local results = client:wait_all({ { WF, 3 }, { WF, 1 }, { WF, 2 }, { WF, 999 } }, FAST)
    assert.equal("cancelled", results[1].doc.execution.status)
    assert.equal("completed", results[2].doc.execution.status)
    assert.equal("failed", results[3].doc.execution.status)
    assert.same({ "http", 404 }, { results[4].err.kind, results[4].err.status })
  end)

  it("raises for bad arguments, naming them", function()
    assert.has_error(function() client:tracker { intervall = 1 } end, "modelslab.tracker: option intervall is unknown")
    local t = client:tracker()
    assert.has_error(function() t:track("x", 1) end)
    assert.has_error(function() t:track(WF, 1, { on_dnoe = print }) end,
      "modelslab.tracker:track: option on_dnoe is unknown")
    t:close()
  end)
end)
