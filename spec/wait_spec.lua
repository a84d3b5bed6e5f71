local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"
local fake_time = require "spec.support.fake_time"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

describe("client:wait", function()
  local sim, client, time

  setup(function()
    sim = simulator.start { scenario = "spec/fixtures/scenarios/wait.lua" }
  end)
  teardown(function() sim:stop() end)

  before_each(function()
    sim:reset()
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 2 }
    time = fake_time.new()
  end)
  after_each(function() client:close() end)

  -- Deterministic options: fake time, no jitter.
  local function opts(extra)
    local o = { clock = time.clock, sleep = time.sleep, jitter = 0 }
    for k, v in pairs(extra or {}) do o[k] = v end
    return o
  end

  describe("with a fake clock", function()
    it("polls at once, then backs off while nothing changes and speeds up on a change", function()
      local final = assert(client:wait(WF, 300, opts()))
      assert.equal("completed", final.execution.status)
      assert.same({ 2, 3, 4.5, 2, 3 }, time.slept)
    end)

    it("never sleeps longer than max_interval between polls", function()
      local _, err = client:wait(WF, 301, opts { backoff = 2, max_interval = 5, timeout = 40 })
      assert.equal("timeout", err.kind)
      assert.same({ 2, 4, 5, 5, 5, 5, 5, 5, 4 }, time.slept)
    end)

    it("times out with the last document, the attempts and the time spent", function()
      local final, err = client:wait(WF, 301, opts { timeout = 5 })
      assert.is_nil(final)
      assert.equal("timeout", err.kind)
      assert.equal(3, err.attempts)
      assert.equal(5, err.elapsed)
      assert.equal("pending", err.last.execution.status)
      assert.equal(301, err.last.execution.id)
      assert.same({ 2, 3 }, time.slept)
      assert.equal("modelslab: timeout: not finished after 5 s", tostring(err))
    end)

    it("takes a terminal status seen on the poll at the deadline over the deadline", function()
      local final = assert(client:wait(WF, 302, opts { timeout = 5 }))
      assert.equal("completed", final.execution.status)
      assert.equal(5, time.t)
    end)

    it("fails with stalled when nothing changes for stall_timeout", function()
      local _, err = client:wait(WF, 301, opts { stall_timeout = 4 })
      assert.equal("stalled", err.kind)
      assert.equal(5, err.elapsed)
      assert.equal(3, err.attempts)
    end)

    it("stops with cancelled when should_stop says so, without touching the execution", function()
      local polls = 0
      local _, err = client:wait(WF, 301, opts {
        on_update = function() polls = polls + 1 end,
        should_stop = function() return polls >= 2 end,
      })
      assert.equal("cancelled", err.kind)
      assert.equal(2, err.attempts)
      assert.is_nil(err.remote_cancelled)
    end)

    it("fails with unknown_status on an undocumented status, holding the value", function()
      local _, err = client:wait(WF, 303, opts())
      assert.equal("unknown_status", err.kind)
      assert.equal("paused", err.value)
      assert.equal(2, err.attempts)
    end)

    it("keeps waiting through an undocumented status when unknown_status is wait", function()
      local final = assert(client:wait(WF, 303, opts { unknown_status = "wait" }))
      assert.equal("completed", final.execution.status)
    end)

    it("retries 5xx errors with growing gaps and then succeeds", function()
      local final = assert(client:wait(WF, 304, opts()))
      assert.equal("completed", final.execution.status)
      assert.same({ 3, 4.5 }, time.slept)
    end)

    it("calls on_retry with each retried error, the errors in a row and the delay", function()
      local calls = {}
      assert(client:wait(WF, 304, opts { on_retry = function(err, attempt, delay)
        calls[#calls + 1] = { err.status, attempt, delay }
      end }))
      assert.same({ { 503, 1, 3 }, { 500, 2, 4.5 } }, calls)
      -- never for the last error, the one the wait gives up on
      calls = {}
      client:wait(WF, 305, opts { max_errors = 3, on_retry = function(err, attempt)
        calls[#calls + 1] = { err.status, attempt }
      end })
      assert.same({ { 503, 1 }, { 502, 2 } }, calls)
    end)

    it("gives up with the last error after max_errors in a row", function()
      local _, err = client:wait(WF, 305, opts { max_errors = 3 })
      assert.equal("http", err.kind)
      assert.equal(504, err.status)
      assert.equal(3, err.attempts)
    end)

    it("ends at once on an error that is not retryable", function()
      local _, err = client:wait(WF, 306, opts())
      assert.same({ "http", 403, 1 }, { err.kind, err.status, err.attempts })
      _, err = client:wait(WF, 307, opts())
      assert.same({ "invalid_response", 1 }, { err.kind, err.attempts })
    end)

    it("ends at once on a wrong key", function()
      local other = modelslab.new { api_key = "wrong", base_url = sim.base_url }
      local _, err = other:wait(WF, 320, opts())
      other:close()
      assert.same({ "http", 401, 1 }, { err.kind, err.status, err.attempts })
    end)

    it("ends on a 404 for an execution this client did not start", function()
      local _, err = client:wait(WF, 312, opts())
      assert.same({ "http", 404, 1 }, { err.kind, err.status, err.attempts })
    end)

    it("sleeps exactly what the server's retry_after says", function()
      local final = assert(client:wait(WF, 308, opts()))
      assert.equal("completed", final.execution.status)
      assert.same({ 10, 10 }, time.slept)
      assert.equal("completed", assert(client:wait(WF, 310, opts())).execution.status)
      assert.same({ 10, 10, 3 }, time.slept)
    end)

    it("emits status and step events in order, and calls on_update with the previous document", function()
      local events, updates = {}, {}
      local final = assert(client:wait(WF, 311, opts {
        on_event = function(ev)
          events[#events + 1] = ev.type .. ":" .. (ev.index or "-") .. ":" .. tostring(ev.from) .. ">" .. ev.to
        end,
        on_update = function(doc, prev)
          updates[#updates + 1] = (prev and prev.execution.status or "nil") .. ">" .. doc.execution.status
        end,
      }))
      assert.equal("failed", final.execution.status)
      assert.same({
        "status:-:nil>pending",
        "status:-:pending>running", "step_started:1:nil>running",
        "step_completed:1:running>completed", "step_started:2:nil>running",
        "step_failed:2:running>failed", "status:-:running>failed",
      }, events)
      assert.same({ "nil>pending", "pending>running", "running>running", "running>failed" }, updates)
    end)

    it("lets an error raised in a callback reach the caller, and the client stays usable", function()
      local ok, err = pcall(client.wait, client, WF, 311, opts {
        on_event = function(ev) if ev.type == "step_started" then error("boom in callback") end end,
      })
      assert.is_false(ok)
      assert.matches("boom in callback", err)
      assert.equal(320, assert(client:status(WF, 320)).execution.id)
    end)

    it("stays under 10 requests a minute after the first minute with the defaults", function()
      local polls = {}
      local _, err = client:wait(WF, 322, { clock = time.clock, sleep = time.sleep, timeout = 600,
        on_update = function() polls[#polls + 1] = time.t end })
      assert.equal("timeout", err.kind)
      for _, t in ipairs(polls) do
        if t >= 60 then
          local in_window = 0
          for _, u in ipairs(polls) do
            if u >= t and u < t + 60 then in_window = in_window + 1 end
          end
          assert.is_true(in_window < 10, in_window .. " polls in the minute from " .. t)
        end
      end
    end)

    it("raises for an unknown option or a wrong option type", function()
      assert.has_error(function() client:wait(WF, 301, { timout = 3 }) end,
        "modelslab.wait: option timout is unknown")
      assert.has_error(function() client:wait(WF, 301, { timeout = "3" }) end,
        "modelslab.wait: option timeout must be a number")
      assert.has_error(function() client:wait(WF, 301, { unknown_status = "ignore" }) end)
    end)

    it("pauses every wait on the client during a 429 storm until retry_after has passed", function()
      local sched = fake_time.scheduler()
      local polls = {}
      local real_status = client.status
      client.status = function(c, wf, id)
        polls[#polls + 1] = { id = id, t = sched.t }
        return real_status(c, wf, id)
      end
      local o = { clock = sched.clock, sleep = sched.sleep, jitter = 0 }
      sched.spawn(function() return client:wait(WF, 308, o) end)
      sched.spawn(function() return client:wait(WF, 309, o) end)
      local results = sched.run()
      assert.equal("completed", results[1][1].execution.status)
      assert.equal("completed", results[2][1].execution.status)
      -- 308 answers 429 (retry_after 10) at t=0 and again at t=10.
      for _, p in ipairs(polls) do
        if p.t > 0 then assert.is_true(p.t >= 10, "poll of " .. p.id .. " at " .. p.t) end
        if p.t > 10 then assert.is_true(p.t >= 20, "poll of " .. p.id .. " at " .. p.t) end
      end
      assert.is_true(#polls >= 6)
    end)
  end)

  describe("in real time against the simulator's timelines", function()
    local fast = { interval = 0.05, max_interval = 0.2, timeout = 10 }

    it("follows an execution to completed", function()
      local final = assert(client:wait(WF, 320, fast))
      assert.equal("completed", final.execution.status)
      assert.equal(2, #final.steps)
    end)

    it("returns a failed execution as a result, not an error", function()
      local final = assert(client:wait(WF, 321, fast))
      assert.equal("failed", final.execution.status)
      assert.equal("Upscaler ran out of memory", final.error)
    end)

    it("cancels on the server at timeout when cancel_remote is set", function()
      local _, err = client:wait(WF, 322, { interval = 0.05, timeout = 0.3, cancel_remote = true })
      assert.equal("timeout", err.kind)
      assert.is_true(err.remote_cancelled)
      assert.equal("cancelled", assert(client:status(WF, 322)).execution.status)
    end)

    it("cancels on the server when should_stop stops a wait with cancel_remote set", function()
      local polls = 0
      local _, err = client:wait(WF, 322, { interval = 0.05, timeout = 10, cancel_remote = true,
        on_update = function() polls = polls + 1 end, should_stop = function() return polls >= 1 end })
      assert.equal("cancelled", err.kind)
      assert.is_true(err.remote_cancelled)
      assert.is_nil(err.cancel_error)
      assert.equal(1, sim:stats().by_route.cancel)
      assert.equal("cancelled", assert(client:status(WF, 322)).execution.status)
    end)

    it("runs and waits: run, then the new execution to the end", function()
      local events = {}
      local final = assert(client:run_and_wait(WF, { prompt = "a fox" }, {
        interval = 0.05, max_interval = 0.2, timeout = 10,
        on_event = function(ev) events[#events + 1] = ev.type end,
      }))
      assert.equal("completed", final.execution.status)
      assert.equal("status", events[1])
      assert.equal("status", events[#events])
    end)

    local SLOW = "5a1e0b4c-2d3f-4e5a-9b6c-7d8e9f0a1b2c"

    it("retries the 404 of an execution it just started, within not_found_grace", function()
      local statuses = {}
      local final = assert(client:run_and_wait(SLOW, {}, { interval = 0.05, max_interval = 0.2, timeout = 10,
        on_update = function(doc) statuses[#statuses + 1] = doc.execution.status end }))
      assert.equal("completed", final.execution.status)
      assert.is_true(sim:stats().by_route.status > #statuses, "some polls were answered 404")
    end)

    it("ends on that 404 once not_found_grace is over", function()
      local _, err = client:run_and_wait(SLOW, {}, { interval = 0.05, not_found_grace = 0 })
      assert.same({ "http", 404, 1 }, { err.kind, err.status, err.attempts })
    end)

    it("run_and_wait returns the run's error, with the 422's details", function()
      local _, err = client:run_and_wait(WF, { seed = 1 }, fast)
      assert.same({ "http", 422 }, { err.kind, err.status })
      assert.same({ prompt = { "The prompt field is required." } }, err.details)
    end)
  end)
end)
