local modelslab = require "modelslab"
local simulator = require "modelslab.simulator"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

describe("client:status against the simulator", function()
  local sim, client

  setup(function()
    sim = simulator.start { scenario = "spec/fixtures/scenarios/client.lua" }
    client = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 2 }
  end)

  teardown(function()
    client:close()
    sim:stop()
  end)

  local function status_error(id, c)
    local doc, err = (c or client):status(WF, id)
    assert.is_nil(doc)
    assert.is_table(err)
    assert.is_nil(tostring(err):find(sim.key, 1, true))
    return err
  end

  describe("gives the documented shape for", function()
    it("a completed execution, with integer ids and output links", function()
      local doc = assert(client:status(WF, 100))
      assert.equal("completed", doc.execution.status)
      assert.equal(100, doc.execution.id)
      if math.type then assert.equal("integer", math.type(doc.execution.id)) end
      assert.equal(WF, doc.execution.workflow_id)
      assert.is_number(doc.execution.execution_time)
      assert.is_string(doc.execution.completed_at)
      assert.equal(2, #doc.steps)
      assert.equal(1, #doc.output.output)
      assert.matches("^http://127%.0%.0%.1:%d+/", doc.output.output[1])
    end)

    it("a pending execution: no steps, nulls absent", function()
      local doc = assert(client:status(WF, "101"))
      assert.equal("pending", doc.execution.status)
      assert.same({}, doc.steps)
      assert.is_nil(doc.execution.completed_at)
      assert.is_nil(doc.execution.execution_time)
      assert.is_nil(doc.output)
    end)

    it("a running execution whose second step is under way", function()
      local doc = assert(client:status(WF, 102))
      assert.equal("running", doc.execution.status)
      assert.equal("completed", doc.steps[1].status)
      assert.equal("running", doc.steps[2].status)
      assert.is_nil(doc.steps[2].completed_at)
    end)

    it("a failed execution and its error", function()
      local doc = assert(client:status(WF, 103))
      assert.equal("failed", doc.execution.status)
      assert.equal("Image generation failed: Invalid prompt", doc.error)
      assert.equal("failed", doc.steps[1].status)
    end)

    it("a cancelled execution", function()
      assert.equal("cancelled", assert(client:status(WF, 104)).execution.status)
    end)

    it("an undocumented status, passed through for the caller to judge", function()
      assert.equal("exploded", assert(client:status(WF, 105)).execution.status)
    end)

    it("proxy_links sent as an object, as a sequence", function()
      local doc = assert(client:status(WF, 106))
      assert.equal(3, #doc.output.proxy_links)
      assert.matches("%-1%.png$", doc.output.proxy_links[1])
      assert.matches("%-3%.png$", doc.output.proxy_links[3])
    end)
  end)

  describe("returns nil and an error of kind", function()
    it("http 401 for a wrong key, not retryable", function()
      local other = modelslab.new { api_key = "wrong-key", base_url = sim.base_url }
      local err = status_error(100, other)
      other:close()
      assert.equal("http", err.kind)
      assert.equal(401, err.status)
      assert.equal("Invalid API key", err.message)
      assert.is_false(err.retryable)
      assert.equal("modelslab: http 401: Invalid API key", tostring(err))
    end)

    it("http 404 for an unknown execution", function()
      local err = status_error(999999)
      assert.equal("http", err.kind)
      assert.equal(404, err.status)
      assert.equal("Execution not found", err.message)
      assert.equal("modelslab: http 404: Execution not found", tostring(err))
    end)

    it("http 403 with the body's message", function()
      local err = status_error(213)
      assert.same({ "http", 403, "Not available on your plan", false },
        { err.kind, err.status, err.message, err.retryable })
    end)

    it("rate_limited with retry_after from the body", function()
      local err = status_error(200)
      assert.same({ "rate_limited", 429, 30, true }, { err.kind, err.status, err.retry_after, err.retryable })
    end)

    it("rate_limited with retry_after from a Retry-After header in seconds", function()
      local err = status_error(201)
      assert.equal("rate_limited", err.kind)
      assert.equal(7, err.retry_after)
    end)

    it("rate_limited with retry_after from a Retry-After HTTP-date, capped at a day", function()
      local err = status_error(202)
      assert.equal(86400, err.retry_after)
    end)

    it("http 500 reading the legacy messege key, retryable", function()
      local err = status_error(203)
      assert.same({ "http", 500, true }, { err.kind, err.status, err.retryable })
      assert.is_string(err.message)
      assert.is_not.equal("Internal Server Error", err.message)
    end)

    it("http 503, retryable", function()
      local err = status_error(204)
      assert.same({ "http", 503, true }, { err.kind, err.status, err.retryable })
    end)

    it("http 502 with an HTML body and a generic message", function()
      local err = status_error(205)
      assert.same({ "http", 502, "Bad Gateway", true }, { err.kind, err.status, err.message, err.retryable })
    end)

    it("invalid_response for an HTML 200 (a proxy's page)", function()
      local err = status_error(206)
      assert.equal("invalid_response", err.kind)
      assert.equal(200, err.status)
    end)

    it("invalid_response for an empty 200", function()
      assert.equal("invalid_response", status_error(214).kind)
    end)

    it("api for a 200 whose body says status error", function()
      local err = status_error(207)
      assert.same({ "api", 200, "Out of credits" }, { err.kind, err.status, err.message })
    end)

    it("http for a redirect, which is never followed", function()
      local err = status_error(215)
      assert.same({ "http", 301 }, { err.kind, err.status })
    end)

    -- On a reused connection libcurl retries once on a fresh one, as it should
    -- for a keep-alive connection the server dropped; so a new connection here:
    -- clients share their connections, by host name, so another name for the host.
    it("transport when the server closes a new connection without answering", function()
      local fresh = modelslab.new { api_key = sim.key, base_url = (sim.base_url:gsub("127%.0%.0%.1", "localhost")) }
      local err = status_error(208, fresh)
      fresh:close()
      assert.equal("transport", err.kind)
      assert.equal("GOT_NOTHING", err.code)
      assert.is_true(err.retryable)
    end)

    it("transport OPERATION_TIMEDOUT when the server never answers", function()
      local quick = modelslab.new { api_key = sim.key, base_url = sim.base_url, timeout = 0.5 }
      local t0 = modelslab.now()
      local err = status_error(209, quick)
      quick:close()
      assert.equal("OPERATION_TIMEDOUT", err.code)
      assert.is_true(modelslab.now() - t0 < 5, "the timeout bounds the call")
    end)

    it("transport PARTIAL_FILE for a body shorter than its Content-Length", function()
      local err = status_error(210)
      assert.same({ "transport", "PARTIAL_FILE" }, { err.kind, err.code })
    end)

    it("transport COULDNT_CONNECT when nothing listens", function()
      local nowhere = modelslab.new { api_key = "k", base_url = "http://127.0.0.1:9/api/v1" }
      local err = status_error(1, nowhere)
      assert.same({ "transport", "COULDNT_CONNECT" }, { err.kind, err.code })
    end)

    it("invalid_response for a body over max_body", function()
      local small = modelslab.new { api_key = sim.key, base_url = sim.base_url, max_body = 1024 }
      local err = status_error(211, small)
      assert.equal("invalid_response", err.kind)
      assert.matches("max_body", err.message)
      small:close()
    end)
  end)

  it("accepts a body that ends when the connection closes", function()
    assert.equal("completed", assert(client:status(WF, 212)).execution.status)
  end)

  it("reuses one connection for many calls", function()
    local c = modelslab.new { api_key = sim.key, base_url = sim.base_url }
    local before = sim:stats().connections
    for _ = 1, 20 do assert(c:status(WF, 100)) end
    assert.equal(before + 1, sim:stats().connections - 1) -- one for us, one for stats()
    c:close()
  end)
end)
