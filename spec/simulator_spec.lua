-- Specs for the ModelsLab Workflows API simulator, run against the real
-- process over loopback with luasocket's own HTTP client and raw TCP.
local socket = require("socket")
local http = require("socket.http")
local ltn12 = require("ltn12")
local cjson = require("cjson")
local simulator = require("modelslab.simulator")
local scenario = require("modelslab.simulator.scenario")

local FAST = "spec/fixtures/scenarios/fast.lua"
local WF = "aaaaaaaa-0000-4000-8000-000000000001"
local OTHER = "bbbbbbbb-0000-4000-8000-000000000002"
local ISO = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"
local DEFAULT_TIMEOUT = 5

http.TIMEOUT = DEFAULT_TIMEOUT

-- One request with socket.http; returns { status, headers, body, json } or nil, err.
local function request(sim, method, path, opts)
  opts = opts or {}
  local chunks, headers = {}, opts.headers or { key = sim.key }
  if opts.body then
    headers["content-type"] = "application/json"
    headers["content-length"] = tostring(#opts.body)
  end
  http.TIMEOUT = opts.timeout or DEFAULT_TIMEOUT  -- socket.http has no per-request timeout
  local ok, code, res_headers = http.request({ url = sim.url .. path, method = method,
    headers = headers, source = opts.body and ltn12.source.string(opts.body),
    sink = ltn12.sink.table(chunks) })
  http.TIMEOUT = DEFAULT_TIMEOUT
  if not ok then return nil, code end
  local body = table.concat(chunks)
  local decoded, doc = pcall(cjson.decode, body)
  return { status = code, headers = res_headers, body = body, json = decoded and doc or nil }
end

local function shape(v)  -- a value's JSON structure, without its values
  if v == cjson.null then return "null" end
  if type(v) ~= "table" then return type(v) end
  local s = {}
  for k, x in pairs(v) do s[k] = shape(x) end
  return s
end

local function fixture(name)
  local f = assert(io.open("spec/fixtures/" .. name .. ".json"))
  local doc = cjson.decode(f:read("*a"))
  f:close()
  return doc
end

local function sh(cmd)  -- output and exit code of a shell command
  local p = assert(io.popen(cmd .. " 2>&1; echo \"rc=$?\""))
  local out = p:read("*a")
  p:close()
  return out, tonumber(out:match("rc=(%d+)%s*$"))
end

describe("the simulator command", function()
  local bin = "lua5.4 bin/modelslab-simulator"

  it("prints usage with --help and exits 0", function()
    local out, rc = sh(bin .. " --help")
    assert.matches("Usage: modelslab%-simulator", out)
    assert.equal(0, rc)
  end)

  it("exits 64 on bad arguments", function()
    assert.equal(64, select(2, sh(bin .. " --bogus")))
    assert.equal(64, select(2, sh(bin .. " --port abc")))
    assert.equal(64, select(2, sh(bin .. " --host 10.1.2.3")))
    for _, bad in ipairs({ "1", "2:1", "-1:1", "a:b", "1:2:3", "0:4000" }) do
      local out, rc = sh(bin .. " --latency " .. bad)
      assert.equal(64, rc, bad)
      assert.matches("%-%-latency must be LO:HI", out)
    end
  end)

  it("exits 65 naming the field of an invalid scenario", function()
    local out, rc = sh(bin .. " --scenario spec/fixtures/scenarios/bad.lua")
    assert.matches("steps%[1%]: unknown field 'secs'", out)
    assert.equal(65, rc)
  end)

  it("listens on a free port by default and on the port it is given", function()
    local a, b = simulator.start(), simulator.start()
    local probe = socket.bind("127.0.0.1", 0)
    local _, free = probe:getsockname()
    probe:close()
    local c = simulator.start({ port = tonumber(free) })
    a:stop(); b:stop(); c:stop()
    assert.matches("^http://127%.0%.0%.1:%d+$", a.url)
    assert.are_not.equal(a.port, b.port)
    assert.equal(tonumber(free), c.port)
    assert.equal("sim-key", a.key)
  end)

  it("stops idempotently and leaves no process behind", function()
    local sim = simulator.start()
    sim:stop()
    sim:stop()
    -- os.execute gives true on success from 5.2 on, 0 on 5.1 and LuaJIT.
    local alive = os.execute("kill -0 " .. sim.pid .. " 2>/dev/null")
    assert.is_true(alive ~= true and alive ~= 0)
  end)

  it("raises in the launcher for an invalid scenario", function()
    assert.has_error(function() simulator.start({ scenario = "spec/fixtures/scenarios/bad.lua" }) end,
      "spec/fixtures/scenarios/bad.lua.workflows[1].steps[1]: unknown field 'secs'")
  end)

  it("defines no globals", function()
    local out = sh("lua5.4 -e \"package.path='lua/?.lua;lua/?/init.lua;'..package.path "
      .. "local g = {} for k in pairs(_G) do g[k] = true end "
      .. "require('modelslab.simulator') require('modelslab.simulator.api') "
      .. "for k in pairs(_G) do if not g[k] then print('global', k) end end\"")
    assert.equal("rc=0\n", out)
  end)
end)

describe("scenario validation", function()
  local function wf(extra)
    local w = { id = "w1", steps = { { name = "A", seconds = 1 } } }
    for k, v in pairs(extra or {}) do w[k] = v end
    return w
  end

  it("accepts the default scenario with its four demo executions", function()
    local sc = scenario.load(nil)
    assert.equal("sim-key", sc.key)
    assert.equal(3, #sc.workflows[1].steps)
    local outcomes = {}
    for _, e in ipairs(sc.executions) do outcomes[e.id] = e.timeline.outcome end
    assert.same({ [12345] = "completed", [12346] = "failed", [12347] = "cancelled",
      [12348] = "exploded" }, outcomes)
  end)

  it("names the bad field", function()
    assert.has_error(function() scenario.validate({ workflows = { wf() }, kye = "x" }) end,
      "scenario: unknown field 'kye'")
    assert.has_error(function() scenario.validate({ workflows = { wf({ fail_at = 2 }) } }) end,
      "scenario.workflows[1].fail_at: is 2 but there are only 1 steps")
    assert.has_error(function()
      scenario.validate({ workflows = { wf() }, executions = { { id = 1, workflow = "w2" } } })
    end, "scenario.executions[1].workflow: no workflow with id w2")
    assert.has_error(function()
      scenario.validate({ workflows = { wf() },
        executions = { { id = 1, workflow = "w1", responses = { { hange = true } } } } })
    end, "scenario.executions[1].responses[1]: unknown field 'hange'")
  end)
end)

describe("the simulated API", function()
  local sim
  setup(function() sim = simulator.start({ scenario = FAST }) end)
  teardown(function() if sim then sim:stop() end end)
  before_each(function() sim:reset() end)

  local function get(path, opts) return request(sim, "GET", path, opts) end
  local function post(path, opts) return request(sim, "POST", path, opts) end
  local function status_of(eid, opts)
    return get("/api/v1/workflows/" .. WF .. "/runs/" .. eid, opts)
  end
  local function run(body, wid)
    return post("/api/v1/workflows/" .. (wid or WF) .. "/run", { body = body or '{"prompt":"a cat"}' })
  end

  it("answers 401 without a key and with a wrong one", function()
    local none = get("/api/v1/workflows", { headers = {} })
    local wrong = get("/api/v1/workflows", { headers = { KEY = "nope" } })
    assert.same({ 401, "API key required" }, { none.status, none.json.message })
    assert.same({ 401, "Invalid API key" }, { wrong.status, wrong.json.message })
    assert.equal("error", wrong.json.status)
    assert.is_false(sim:stats().last_key_ok)
  end)

  it("lists workflows and shows a schema", function()
    local list = get("/api/v1/workflows")
    assert.equal(200, list.status)
    assert.equal("application/json", list.headers["content-type"])
    assert.equal(2, #list.json.workflows)
    assert.same({ call_count = "number", created_at = "string", description = "string", id = "string",
      last_called_at = "null", name = "string", rate_limit = "number", updated_at = "string" },
      shape(list.json.workflows[1]))
    local schema = get("/api/v1/workflows/" .. WF).json
    assert.same({ key = "prompt", type = "string", required = true, node_id = "1",
      node_name = "Text to Image" }, schema.parameters[1])
    assert.equal(sim.base_url .. "/workflows/" .. WF .. "/runs/{execution_id}", schema.endpoints.status)
    assert.equal(3, schema.workflow.rate_limit)
    assert.equal(cjson.null, schema.workflow.webhook_url)
  end)

  it("walks a pre-existing execution from pending through its steps to completed", function()
    local seen, order = {}, {}
    local deadline = socket.gettime() + 4
    repeat
      local res = status_of(1)
      local phase = res.json.execution.status .. ":" .. #res.json.steps
      if not seen[phase] then order[#order + 1], seen[phase] = phase, res end
      socket.sleep(0.03)
    until phase == "completed:2" or socket.gettime() > deadline
    assert.same({ "pending:0", "running:1", "running:2", "completed:2" }, order)
    assert.matches('"steps":%[%]', seen["pending:0"].body)
    local one = seen["running:1"].json.steps[1]
    assert.same({ "Text to Image", "running", cjson.null }, { one.name, one.status, one.completed_at })
    assert.same(shape(fixture("running")), shape(seen["running:2"].json))
    local done = seen["completed:2"].json
    assert.same(shape(fixture("completed")), shape(done))
    assert.equal(sim.url .. "/generated/1-1.png", done.output.output[1])
    assert.matches('"id":1,', seen["completed:2"].body)  -- an integer, not 1.0
    assert.matches(ISO, done.execution.completed_at)
    assert.is_true(done.execution.execution_time >= 1.0 and done.execution.execution_time < 1.3)
  end)

  it("reports a failed execution like the docs' fixture", function()
    status_of(2)
    socket.sleep(0.25)
    local doc = status_of(2).json
    assert.same(shape(fixture("failed")), shape(doc))
    assert.equal("Image generation failed: Invalid prompt", doc.error)
    assert.same({ "failed", "failed" }, { doc.execution.status, doc.steps[1].status })
  end)

  it("reports a cancelled outcome and an unknown status", function()
    status_of(3); status_of(4)
    socket.sleep(0.25)
    local cancelled, odd = status_of(3).json, status_of(4).json
    assert.same({ "cancelled", "completed", "cancelled" },
      { cancelled.execution.status, cancelled.steps[1].status, cancelled.steps[2].status })
    assert.is_nil(cancelled.output)
    assert.same({ "exploded", cjson.null }, { odd.execution.status, odd.execution.completed_at })
  end)

  it("sends proxy_links as an object when the scenario asks", function()
    local res = status_of(5)
    assert.matches('"proxy_links":{"0":', res.body)
    assert.equal(sim.url .. "/proxy/5-2.png", res.json.output.proxy_links["1"])
    assert.equal(2, #res.json.output.output)
  end)

  it("starts a run with 202 and lets it progress", function()
    local res = run()
    assert.equal(202, res.status)
    local last = sim:stats().last_request
    assert.same({ '{"prompt":"a cat"}', "application/json" }, { last.body, last.headers["content-type"] })
    assert.is_nil(last.headers.key)
    local id = math.floor(res.json.execution_id)  -- lua-cjson 2.1 decodes 17 as 17.0
    assert.matches(string.format("\"execution_id\":%d,", id), res.body)  -- not 17.0
    assert.equal(sim.base_url .. "/workflows/" .. WF .. "/runs/" .. id, res.json.status_url)
    assert.equal("pending", status_of(id).json.execution.status)
    socket.sleep(1.2)
    assert.equal("completed", status_of(id).json.execution.status)
    assert.equal(1, get("/api/v1/workflows").json.workflows[1].call_count)
  end)

  it("answers 422 when a required parameter is missing or the body is no object", function()
    local missing = run("{}")
    assert.same({ 422, "Validation failed" }, { missing.status, missing.json.message })
    assert.same({ "The prompt field is required." }, missing.json.errors.prompt)
    assert.equal(422, run('{"prompt":""}').status)
    assert.is_table(run("[1,2]").json.errors.body)
  end)

  it("cancels a running execution once, then answers 400", function()
    status_of(6)
    local first = post("/api/v1/workflows/" .. WF .. "/runs/6/cancel")
    assert.same({ 200, "Execution cancelled." }, { first.status, first.json.message })
    local doc = status_of(6).json
    assert.same({ "cancelled", "cancelled" }, { doc.execution.status, doc.steps[1].status })
    assert.matches(ISO, doc.steps[1].completed_at)
    local again = post("/api/v1/workflows/" .. WF .. "/runs/6/cancel")
    assert.same({ 400, "Execution already finished." }, { again.status, again.json.message })
  end)

  it("answers 404 for unknown things and 405 for wrong methods", function()
    assert.equal("Workflow not found", get("/api/v1/workflows/nope").json.message)
    assert.equal(404, run(nil, "nope").status)
    assert.equal("Execution not found", status_of(999).json.message)
    assert.equal(404, status_of(7).status)  -- belongs to another workflow
    assert.equal(404, post("/api/v1/workflows/" .. WF .. "/runs/999/cancel").status)
    assert.equal(404, get("/api/v2/elsewhere").status)
    assert.equal(405, request(sim, "DELETE", "/api/v1/workflows").status)
    assert.equal(405, get("/api/v1/workflows/" .. WF .. "/run").status)
  end)

  it("plays scripted error statuses, then the normal answer", function()
    local a, b, c = status_of(10), status_of(10), status_of(10)
    assert.same({ 503, "Service temporarily unavailable" }, { a.status, a.json.message })
    assert.same({ 500, "Internal server error" }, { b.status, b.json.messege })
    assert.is_nil(b.json.message)
    assert.same({ 200, "completed" }, { c.status, c.json.execution.status })
    local r1, r2 = status_of(11), status_of(11)
    assert.same({ 429, 2 }, { r1.status, r1.json.retry_after })
    assert.same({ 429, "1" }, { r2.status, r2.headers["retry-after"] })
  end)

  it("plays scripted raw bodies, content types and 2xx error bodies", function()
    local raw, html, coffee, empty = status_of(12), status_of(12), status_of(12), status_of(12)
    assert.same({ 200, "not json" }, { raw.status, raw.body })
    assert.same({ 500, "text/html", "<html>oops</html>" },
      { html.status, html.headers["content-type"], html.body })
    assert.same({ 200, "Out of coffee" }, { coffee.status, coffee.json.message })
    assert.equal('{"status":"success","steps":[]}', empty.body)  -- a list even when empty
  end)

  it("closes the connection unanswered, then answers", function()
    local res, err = status_of(13)
    assert.is_nil(res)
    assert.equal("closed", err)
    assert.equal(200, status_of(13).status)
  end)

  it("hangs until the client gives up, then answers", function()
    local started = socket.gettime()
    local res, err = status_of(14, { timeout = 0.3 })
    assert.same({ nil, "timeout" }, { res, err })
    assert.is_true(socket.gettime() - started < 1)
    assert.equal(200, status_of(14).status)
  end)

  it("sends a body without Content-Length, and a truncated one", function()
    local res = status_of(16)
    assert.is_nil(res.headers["content-length"])
    assert.equal("completed", res.json.execution.status)
    local cut, err = status_of(16)
    assert.is_nil(cut)
    assert.equal("closed", err)
  end)

  local function raw_connect()
    local c = assert(socket.connect("127.0.0.1", sim.port))
    c:settimeout(3)
    return c
  end
  local function raw_send(c, path, extra, version)
    assert(c:send("GET " .. path .. " HTTP/" .. (version or "1.1") .. "\r\nHost: x\r\nkey: "
      .. sim.key .. "\r\n" .. (extra or "") .. "\r\n"))
  end
  local function raw_read(c)
    local line = assert(c:receive("*l"))
    local res = { status = tonumber(line:match("^HTTP/1%.1 (%d+)")), headers = {} }
    for h in function() return assert(c:receive("*l")) end do
      if h == "" then break end
      local k, v = h:match("^([^:]+):%s*(.*)$")
      res.headers[k:lower()] = v
    end
    res.body = assert(c:receive(tonumber(res.headers["content-length"])))
    return res
  end

  it("delays one answer without holding up another connection", function()
    local slow, quick = raw_connect(), raw_connect()
    local started = socket.gettime()
    raw_send(slow, "/api/v1/workflows/" .. WF .. "/runs/15")
    socket.sleep(0.05)
    raw_send(quick, "/api/v1/workflows")
    assert.equal(200, raw_read(quick).status)
    local quick_time = socket.gettime() - started
    local res = raw_read(slow)
    local slow_time = socket.gettime() - started
    slow:close(); quick:close()
    assert.is_true(quick_time < 0.5, "quick answer took " .. quick_time)
    assert.is_true(slow_time >= 0.95, "delayed answer took " .. slow_time)
    assert.equal("completed", cjson.decode(res.body).execution.status)
  end)

  it("rate-limits runs per workflow with retry_after", function()
    for _ = 1, 3 do assert.equal(202, run().status) end
    local limited = run()
    assert.same({ 429, "Rate limit exceeded. Try again later." }, { limited.status, limited.json.message })
    assert.is_true(limited.json.retry_after >= 1 and limited.json.retry_after <= 60)
    assert.equal(202, run(nil, OTHER).status)
    assert.equal(200, status_of(1).status)  -- polls do not count by default
    sim:reset()
    assert.equal(202, run().status)
  end)

  it("keeps a connection alive across requests", function()
    local c = raw_connect()
    raw_send(c, "/api/v1/workflows")
    local first = raw_read(c)
    raw_send(c, "/_sim/stats")
    local stats = cjson.decode(raw_read(c).body)
    c:close()
    assert.same({ 200, "keep-alive" }, { first.status, first.headers.connection })
    assert.same({ 1, 1, 1 }, { stats.connections, stats.requests, stats.by_route.list })
  end)

  it("closes after Connection: close and after HTTP/1.0", function()
    for _, case in ipairs({ { "Connection: close\r\n", "1.1" }, { "", "1.0" } }) do
      local c = raw_connect()
      raw_send(c, "/api/v1/workflows", case[1], case[2])
      assert.equal("close", raw_read(c).headers.connection)
      local line, err = c:receive("*l")
      assert.same({ nil, "closed" }, { line, err })
      c:close()
    end
  end)

  it("rejects chunked, oversized and malformed requests", function()
    local answers = {}
    for i, head in ipairs({ "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST /x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", "HELLO\r\n\r\n" }) do
      local c = raw_connect()
      c:send(head)
      answers[i] = raw_read(c).status
      c:close()
    end
    assert.same({ 411, 413, 400 }, answers)
  end)

  it("forgets clocks, runs and counters on reset", function()
    status_of(1)
    local id = math.floor(run().json.execution_id)
    socket.sleep(0.4)
    assert.equal("running", status_of(1).json.execution.status)
    sim:reset()
    assert.equal("pending", status_of(1).json.execution.status)
    assert.equal(404, status_of(id).status)
    local stats = sim:stats()
    assert.same({ 2, 2 }, { stats.requests, stats.by_route.status })
  end)
end)

describe("a scenario where polls are rate-limited", function()
  local sim
  setup(function() sim = simulator.start({ scenario = "spec/fixtures/scenarios/polls.lua" }) end)
  teardown(function() if sim then sim:stop() end end)

  it("counts polls against the limit and shows milliseconds", function()
    local path = "/api/v1/workflows/cccccccc-0000-4000-8000-000000000003/runs/42"
    local first, second, third = request(sim, "GET", path), request(sim, "GET", path),
      request(sim, "GET", path)
    assert.equal("poll-key", sim.key)
    assert.same({ 200, 200, 429 }, { first.status, second.status, third.status })
    assert.is_true(third.json.retry_after >= 29 and third.json.retry_after <= 30)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ$", first.json.execution.started_at)
  end)
end)

describe("a simulator with latency", function()
  local sim
  setup(function() sim = simulator.start({ scenario = FAST, latency = "0.4:0.6" }) end)
  teardown(function() if sim then sim:stop() end end)

  local function timed(method, path, body)
    local started = socket.gettime()
    local res = assert(request(sim, method, path, { body = body }))
    return res, socket.gettime() - started
  end

  it("delays every API request by LO to HI seconds, and not the /_sim/ routes", function()
    local base = "/api/v1/workflows/" .. OTHER  -- a five-second step: still running when cancelled
    local ran, t_run = timed("POST", base .. "/run", '{"prompt":"a cat"}')
    local id = math.floor(ran.json.execution_id)
    local polled, t_status = timed("GET", base .. "/runs/" .. id)
    local cancelled, t_cancel = timed("POST", base .. "/runs/" .. id .. "/cancel", "")
    local listed, t_list = timed("GET", "/api/v1/workflows")
    local refused, t_refused = timed("GET", base .. "/runs/999999")
    assert.same({ 202, 200, 200, 200, 404 },
      { ran.status, polled.status, cancelled.status, listed.status, refused.status })
    for _, t in ipairs({ t_run, t_status, t_cancel, t_list, t_refused }) do
      assert.is_true(t >= 0.4, "answered after " .. t .. " s")
    end
    local started = socket.gettime()
    assert.equal(5, sim:stats().requests)
    assert.is_true(socket.gettime() - started < 0.3, "the stats route waited")
  end)

  it("keeps serving other connections while one request waits", function()
    -- Six requests on six connections at once: together they take one
    -- latency, not six.
    local conns = {}
    local started = socket.gettime()
    for i = 1, 6 do
      conns[i] = assert(socket.connect("127.0.0.1", sim.port))
      conns[i]:settimeout(5)
      assert(conns[i]:send("GET /api/v1/workflows HTTP/1.1\r\nHost: x\r\nkey: " .. sim.key .. "\r\n\r\n"))
    end
    for i = 1, 6 do
      assert.matches("^HTTP/1%.1 200", assert(conns[i]:receive("*l")))
      conns[i]:close()
    end
    local elapsed = socket.gettime() - started
    assert.is_true(elapsed >= 0.4, "all six answered after " .. elapsed .. " s")
    assert.is_true(elapsed < 1.5, "six requests took " .. elapsed .. " s: served one after another")
  end)
end)
