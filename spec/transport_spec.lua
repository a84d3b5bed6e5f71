-- One transport per Lua state: clients share connections (a client made per
-- request reuses them, descriptors stay flat), pollers share one multi and
-- each gets only its own results back, every operation runs on the poller,
-- and a cancel answered without a body is a success.
local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local socket = require "socket"
local drain = require "spec.support.drain"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local SLOW = "9a8b7c6d-1234-4abc-8def-0123456789ab"

local function open_descriptors()
  local stat = assert(io.open("/proc/self/stat"))
  local pid = stat:read("*l"):match("^%d+")
  stat:close()
  local n = 0
  local p = io.popen("ls /proc/" .. pid .. "/fd")
  for _ in p:lines() do n = n + 1 end
  p:close()
  return n
end

describe("the shared transport", function()
  local sim

  setup(function() sim = simulator.start { scenario = "spec/fixtures/scenarios/start.lua" } end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("lets a client made per request reuse connections: descriptors stay flat", function()
    local function clients(n)
      for _ = 1, n do
        local c = modelslab.new { api_key = sim.key, base_url = sim.base_url } -- never closed: left to the GC
        assert(c:status(SLOW, 40))
      end
    end
    clients(10)
    local before = open_descriptors()
    clients(300)
    local after = open_descriptors()
    -- Flat, give or take a connection the shared cache opened meanwhile (seen
    -- under AddressSanitizer): a descriptor per client would add 300.
    assert.is_true(after <= before + 2, string.format("%d descriptors before, %d after", before, after))
    -- One connection, perhaps one more, for 300 clients; one for stats().
    assert.is_true(sim:stats().connections <= 3, "connections: " .. sim:stats().connections)
  end)

  it("hands each poller its own results while they share one multi", function()
    local c = modelslab.new { api_key = sim.key, base_url = sim.base_url }
    local a, b = c:poller { max_transfers = 4 }, c:poller { max_transfers = 4 }
    for i = 1, 10 do a:add(SLOW, 40, "a" .. i); b:add(SLOW, 41, "b" .. i) end
    -- Driving only a first runs b's transfers too; b still gets all of its own.
    local from_a = drain(a)
    local from_b = drain(b)
    assert.equal(10, #from_a)
    assert.equal(10, #from_b)
    for _, r in ipairs(from_a) do assert.equal(40, r.execution_id); assert.matches("^a", r.tag) end
    for _, r in ipairs(from_b) do assert.equal(41, r.execution_id); assert.matches("^b", r.tag) end
    a:close(); b:close(); c:close()
  end)

  it("keeps a blocking call's speed while pollers have transfers in flight, and theirs finish", function()
    local c = modelslab.new { api_key = sim.key, base_url = sim.base_url }
    local p = c:poller()
    for _ = 1, 5 do p:add(SLOW, 40) end
    assert(c:status(SLOW, 41))
    assert.equal(5, #drain(p))
    p:close(); c:close()
  end)

  it("runs every operation on the poller: run, status, cancel, workflow, workflows", function()
    local c = modelslab.new { api_key = sim.key, base_url = sim.base_url }
    local p = c:poller()
    p:run(WF, { prompt = "fox" }, "run")
    p:workflow(WF, "workflow")
    p:workflows("workflows")
    p:cancel(SLOW, 42, "cancel")
    local by = {}
    for _, r in ipairs(drain(p)) do by[r.tag] = r end
    assert.is_number(by.run.doc.execution_id)
    assert.equal("run", by.run.op)
    assert.equal(WF, by.workflow.doc.workflow.id)
    assert.equal(2, #by.workflows.doc)
    assert.is_true(by.cancel.doc)
    p:add(WF, by.run.doc.execution_id, "status")
    local r = drain(p)[1]
    assert.equal(by.run.doc.execution_id, r.doc.execution.id)
    p:close(); c:close()
  end)

  it("formats an execution id once, as an integer, whatever number type it came as", function()
    local c = modelslab.new { api_key = sim.key, base_url = sim.base_url }
    local t = c:tracker { cancel_remote = true, timeout = 0.05, interval = 0.01 }
    t:track(SLOW, 40.0, {})
    t:run()
    t:close()
    assert.equal("/api/v1/workflows/" .. SLOW .. "/runs/40/cancel", sim:stats().last_request.path)
    c:close()
  end)
end)

describe("a cancel answered without a body", function()
  -- A one-connection server in this process, driven between poller calls.
  local function serve_once(status_line)
    local server = assert(socket.bind("127.0.0.1", 0))
    local _, port = server:getsockname()
    server:settimeout(0)
    return "http://127.0.0.1:" .. port .. "/api/v1", function()
      local conn = server:accept()
      if not conn then return false end
      conn:settimeout(2)
      repeat local line = conn:receive("*l") until line == "" or line == nil
      conn:send(status_line .. "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
      conn:close()
      server:close()
      return true
    end
  end

  for _, status_line in ipairs { "HTTP/1.1 204 No Content", "HTTP/1.1 200 OK" } do
    it("is a success: " .. status_line, function()
      local url, step = serve_once(status_line)
      local c = modelslab.new { api_key = "k", base_url = url }
      local p = c:poller()
      p:cancel(WF, 7, "x")
      local results, served, deadline = {}, false, modelslab.now() + 5
      while #results == 0 and modelslab.now() < deadline do
        served = served or step()
        results = p:poll(0)
        p:wait(5)
      end
      assert.is_true(results[1].doc, tostring(results[1].err))
      p:close(); c:close()
    end)
  end
end)
