local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local silent_server = require "spec.support.silent_server"
local slack = require "spec.support.slack"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

-- Runs poll(0) until nothing is pending or `seconds` pass; returns the results.
local function drain(p, seconds)
  local results, deadline = {}, modelslab.now() + (seconds or 5)
  while p:pending() > 0 and modelslab.now() < deadline do
    for _, r in ipairs(p:poll(0)) do results[#results + 1] = r end
    p:wait(5)
  end
  return results
end

describe("client:poller", function()
  local sim, client

  setup(function()
    sim = simulator.start { scenario = "spec/fixtures/scenarios/client.lua" }
  end)
  teardown(function() sim:stop() end)
  before_each(function()
    sim:reset()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 2 }
  end)
  after_each(function() client:close() end)

  it("gives exactly one result per add, with the documents and errors of client:status", function()
    local ids = { 100, 101, 102, 103, 104, 105, 106, 200, 201, 203, 204, 205, 206, 207, 210, 213, 214, 215, 999 }
    local p = client:poller { max_transfers = 4 }
    for _, id in ipairs(ids) do p:add(WF, id, "tag-" .. id) end
    assert.equal(#ids, p:pending())
    local results = drain(p)
    assert.equal(0, p:pending())
    assert.equal(#ids, #results)
    local seen = {}
    for _, r in ipairs(results) do
      assert.is_nil(seen[r.tag], "a result came twice")
      seen[r.tag] = true
      assert.equal("tag-" .. r.execution_id, r.tag)
      assert.equal(WF, r.workflow_id)
      sim:reset() -- the scripted faults answer again for the blocking call
      local doc, err = client:status(WF, r.execution_id)
      if doc then
        assert.is_nil(r.err)
        assert.equal(doc.execution.status, r.doc.execution.status)
        assert.same(doc.steps[1] and doc.steps[1].name, r.doc.steps[1] and r.doc.steps[1].name)
      else
        assert.is_nil(r.doc)
        assert.same({ err.kind, err.status, err.code }, { r.err.kind, r.err.status, r.err.code })
      end
    end
    p:close()
  end)

  it("never runs more transfers than max_transfers, and reuses their connections", function()
    local p = client:poller { max_transfers = 2 }
    for _ = 1, 30 do p:add(WF, 100) end
    local results = drain(p)
    assert.equal(30, #results)
    -- At most two for the poller (fewer when the shared cache holds some
    -- already), one for stats().
    assert.is_true(sim:stats().connections <= 3)
    p:close()
  end)

  it("turns a transfer that times out into a transport error, and the others still finish", function()
    local p = client:poller()
    p:add(WF, 209, "hang")
    p:add(WF, 100, "fine")
    local by_tag = {}
    for _, r in ipairs(drain(p)) do by_tag[r.tag] = r end
    assert.equal("OPERATION_TIMEDOUT", by_tag.hang.err.code)
    assert.is_nil(by_tag.fine.err and tostring(by_tag.fine.err))
    assert.equal("completed", by_tag.fine.doc.execution.status)
    p:close()
  end)

  it("aborts what is queued or in flight on close, one result each", function()
    local p = client:poller { max_transfers = 1 }
    p:add(WF, 209, 1) -- hangs
    p:add(WF, 100, 2)
    p:add(WF, 101, 3)
    p:poll(0)
    local aborted = p:close()
    assert.equal(3, #aborted)
    for i, r in ipairs(aborted) do
      assert.equal(i, r.tag)
      assert.equal("aborted", r.err.kind)
      assert.is_nil(r.doc)
    end
    assert.same({}, p:close())
    assert.equal(0, p:pending())
    assert.has_error(function() p:add(WF, 100) end, "modelslab: the poller is closed")
    assert.has_error(function() p:poll(0) end, "modelslab: the poller is closed")
  end)

  it("survives being collected with transfers in flight", function()
    for _ = 1, 20 do
      local p = client:poller { max_transfers = 2 }
      p:add(WF, 100)
      p:add(WF, 101)
      p:poll(0)
    end
    collectgarbage()
    collectgarbage()
    assert.equal("completed", assert(client:status(WF, 100)).execution.status)
  end)

  it("says when it next needs a call", function()
    local p = client:poller { max_transfers = 1 }
    assert.equal(-1, p:timeout())
    p:add(WF, 209) -- hangs, filling the only slot
    p:add(WF, 100)
    local ms = p:timeout()
    assert.is_true(ms >= 0 and ms <= 10, "timeout " .. ms)
    p:close()
    assert.equal(-1, p:timeout())
  end)

  it("returns from wait at once when nothing is in flight", function()
    local p = client:poller()
    local t0 = modelslab.now()
    p:wait(2000)
    assert.is_true(modelslab.now() - t0 < 1)
    p:close()
  end)

  it("raises for bad arguments, naming them", function()
    assert.has_error(function() client:poller { max_transfers = 0 } end,
      "modelslab.poller: max_transfers must be a whole number from 1 to 1024")
    assert.has_error(function() client:poller { max_transferz = 3 } end,
      "modelslab.poller: option max_transferz is unknown")
    local p = client:poller()
    assert.has_error(function() p:add("nope", 1) end)
    assert.has_error(function() p:add(WF, -1) end)
    p:close()
  end)

  it("keeps poll(0) from blocking with 200 transfers in flight against a server that never answers", function()
    local server = silent_server.start(512)
    local c = modelslab.new { api_key = "k", base_url = server.url, timeout = 3 }
    local p = c:poller { max_transfers = 200 }
    for i = 1, 200 do p:add(WF, i) end
    local slowest, calls = 0, 0
    local stop = modelslab.now() + 0.5
    while modelslab.now() < stop do
      local t0 = modelslab.now()
      assert.same({}, p:poll(0))
      slowest = math.max(slowest, modelslab.now() - t0)
      calls = calls + 1
    end
    assert.equal(200, p:pending())
    -- A blocking call would take the whole 3 s timeout; this bound only says
    -- "never blocks", with room for a loaded machine (figures: benchmarks).
    assert.is_true(slowest < slack(0.5), string.format("slowest poll(0) took %.1f ms", slowest * 1000))
    assert.is_true(calls > 10)
    assert.equal(200, #p:close())
    c:close()
    server.close()
  end)
end)
