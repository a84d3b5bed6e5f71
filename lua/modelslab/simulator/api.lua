--- The ModelsLab Workflows API as the simulator serves it: routes under
-- /api/v1/workflows, executions that follow their scenario timeline on the
-- wall clock, scripted faults, a per-key rate limit, and the /_sim/ routes
-- that tests use to look inside (stats) and start over (reset).
--
-- With a latency, every API request (not the /_sim/ ones) waits before it is
-- handled, as on a slow network; the server's sleep yields, so the other
-- connections are served meanwhile.
--
-- /_sim/stats counts API requests only (not /_sim/ ones): requests,
-- connections (accepted), by_route (list, workflow, run, status, cancel,
-- other), last_key_ok and last_request (method, path, headers without the
-- key, body). Runs count against the rate limit before validation.
-- @module modelslab.simulator.api

local cjson = require("cjson")
local socket = require("socket")
local REASONS = require("modelslab.simulator.server").REASONS
local scenario = require("modelslab.simulator.scenario")

local M = {}

local null = cjson.null
local ARRAY = {}  -- metatable marking a table as a JSON array, so {} can be []

local function array(t)
  return setmetatable(t or {}, ARRAY)
end

local ESCAPES = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

-- Keys whose value is a list in the API: an empty table there is written as
-- [] even in a scenario's hand-written fault body, where no marker is set.
local ARRAY_KEYS = { steps = true, workflows = true, parameters = true, proxy_links = true }

-- Our own small encoder: lua-cjson 2.1 cannot write an empty array, and
-- sorted keys make the bodies stable to read in logs.
local function encode(v, key)
  local kind = type(v)
  if v == null or v == nil then return "null" end
  if kind == "boolean" then return tostring(v) end
  if kind == "string" then
    return '"' .. (v:gsub('[%c"\\]', function(ch)
      return ESCAPES[ch] or string.format("\\u%04x", ch:byte())
    end)) .. '"'
  end
  if kind == "number" then
    assert(v == v and v ~= math.huge and v ~= -math.huge, "cannot encode NaN or infinity")
    if math.floor(v) == v and math.abs(v) < 2 ^ 53 then
      -- Lua 5.3+ keeps floats apart: 4.0 stays a float in JSON
      local float = math.type and math.type(v) == "float"
      return string.format(float and "%.1f" or "%d", v)
    end
    return string.format("%.14g", v)
  end
  assert(kind == "table", "cannot encode a " .. kind)
  local out = {}
  if getmetatable(v) == ARRAY or #v > 0 or (ARRAY_KEYS[key] and next(v) == nil) then
    for i = 1, #v do out[i] = encode(v[i]) end
    return "[" .. table.concat(out, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local value = v[k]
    if value == nil then value = v[tonumber(k)] end
    out[i] = encode(k) .. ":" .. encode(value, k)
  end
  return "{" .. table.concat(out, ",") .. "}"
end
M.encode, M.array = encode, array

local MESSAGES = {
  [400] = "Bad request", [401] = "Invalid API key", [402] = "Insufficient credits",
  [403] = "Forbidden", [404] = "Not found", [422] = "Validation failed",
  [429] = "Rate limit exceeded. Try again later.", [500] = "Internal server error",
  [502] = "Bad gateway", [503] = "Service temporarily unavailable",
}

local function json(status, doc)
  return { status = status, headers = { ["Content-Type"] = "application/json" }, body = encode(doc) }
end

local function err(status, message, extra)
  local doc = { status = "error", message = message }
  for k, v in pairs(extra or {}) do doc[k] = v end
  return json(status, doc)
end

local Api = {}
Api.__index = Api

--- Creates the API state for a normalized scenario.
-- @param sc the scenario (from scenario.validate)
-- @param url the server's own "http://host:port", for URLs in bodies
-- @param opts optional: latency = { lo, hi } (seconds each API request waits,
--   drawn uniformly)
function M.new(sc, url, opts)
  local self = setmetatable({ sc = sc, url = url, base = url .. "/api/v1/workflows",
    t_start = socket.gettime(), latency = opts and opts.latency }, Api)
  self:reset()
  return self
end

--- Forgets clocks, created executions, counters and rate windows.
function Api:reset()
  self.execs, self.windows, self.calls, self.last_called = {}, {}, {}, {}
  self.stats = { requests = 0, connections = 0, by_route = {}, last_key_ok = false }
  local top = 0
  for _, e in ipairs(self.sc.executions) do
    self.execs[e.id] = { id = e.id, workflow = e.workflow, timeline = e.timeline,
      responses = e.responses, next_fault = 1 }
    top = math.max(top, e.id)
  end
  self.next_id = top + 1
end

-- Scenario time: real time, sped up `speed` times from the start (a
-- three-minute execution can be followed in three seconds).
function Api:now()
  local t = socket.gettime()
  return self.t_start + (t - self.t_start) * self.sc.speed
end

function Api:on_connection()
  self.stats.connections = self.stats.connections + 1
end

function Api:iso(t)
  local secs = math.floor(t)
  local s = os.date("!%Y-%m-%dT%H:%M:%S", secs)
  if self.sc.fractional_times then
    s = s .. string.format(".%03d", math.floor((t - secs) * 1000))
  end
  return s .. "Z"
end

-- Where an execution's timeline stops and which step carries the outcome.
local function plan(tl)
  local mark = tl.fail_at
  if tl.outcome == "completed" then
    mark = nil
  elseif not mark and (tl.outcome == "failed" or tl.outcome == "cancelled") and #tl.steps > 0 then
    mark = #tl.steps
  end
  local last = mark or #tl.steps
  local finish = tl.pending
  for i = 1, last do finish = finish + tl.steps[i].seconds end
  return mark, last, finish
end

local KNOWN_END = { completed = true, failed = true, cancelled = true }

-- The execution's status at time now: status, completed_at (or nil).
local function status_at(e, now)
  if e.cancelled_at then return "cancelled", e.cancelled_at end
  local tl = e.timeline
  local _, _, finish = plan(tl)
  if now < e.t0 + tl.pending then return "pending" end
  if now < e.t0 + finish then return "running" end
  return tl.outcome, KNOWN_END[tl.outcome] and e.t0 + finish or nil
end

--- The status document of execution e at time now.
function Api:document(e, now)
  local tl = e.timeline
  local status, done = status_at(e, now)
  local seen = e.cancelled_at or now  -- nothing moves after a cancel
  local mark, last = plan(tl)
  local steps = array()
  local t = e.t0 + tl.pending
  for i = 1, last do
    if t > seen then break end  -- steps not started yet are absent
    local finish = t + tl.steps[i].seconds
    local st, ended = "running", nil
    if finish <= seen then
      st, ended = (i == mark) and tl.outcome or "completed", finish
    elseif e.cancelled_at then
      st, ended = "cancelled", e.cancelled_at
    end
    steps[#steps + 1] = { name = tl.steps[i].name, status = st, started_at = self:iso(t),
      completed_at = ended and self:iso(ended) or null }
    t = finish
  end
  local doc = { status = "success", steps = steps, execution = {
    id = e.id, workflow_id = e.workflow, status = status, started_at = self:iso(e.t0),
    completed_at = done and self:iso(done) or null,
    execution_time = done and math.floor((done - e.t0) * 1000 + 0.5) / 1000 or null,
  } }
  if status == "failed" then
    doc.error = tl.error or "Workflow execution failed"
  elseif status == "completed" then
    local outputs, proxies = array(), array()
    for i = 1, tl.outputs do
      outputs[i] = self.url .. "/generated/" .. e.id .. "-" .. i .. ".png"
      proxies[i] = self.url .. "/proxy/" .. e.id .. "-" .. i .. ".png"
    end
    if tl.proxy_links_object then  -- older API variant: {"0": url, "1": url}
      local object = {}
      for i, p in ipairs(proxies) do object[tostring(i - 1)] = p end
      proxies = object
    end
    doc.output = { output = outputs, proxy_links = proxies, status = "success" }
  end
  return doc
end

-- Counts one hit of key on workflow wf; returns seconds to wait when over the limit.
function Api:rate_limited(key, wf, now)
  local window, id = self.sc.rate_window, key .. "\0" .. wf.id
  local kept = {}
  for _, t in ipairs(self.windows[id] or {}) do
    if t > now - window then kept[#kept + 1] = t end
  end
  self.windows[id] = kept
  if #kept >= wf.rate_limit then
    return math.max(1, math.ceil(kept[1] + window - now))
  end
  kept[#kept + 1] = now
end

local function too_many(retry)
  return err(429, MESSAGES[429], { retry_after = retry })
end

-- Builds the answer a scripted fault asks for; nil means "the normal answer".
local function fault_response(f)
  if f.close then return { close = true } end
  if f.hang then return { hang = true } end
  if not (f.status or f.body or f.raw or f.messege or f.retry_after) then return nil end
  local status = f.status or ((f.body or f.raw) and 200 or 500)
  local body = f.raw
  if not body then
    local doc = f.body
    if not doc then
      doc = { status = "error", retry_after = f.retry_after }
      doc[f.messege and "messege" or "message"] = MESSAGES[status] or REASONS[status] or "Error"
    end
    body = encode(doc)
  end
  return { status = status, headers = { ["Content-Type"] = "application/json" }, body = body }
end

function Api:find(wid, eid, now)
  local e = self.execs[tonumber(eid:match("^%d+$") or "")]
  if not e or e.workflow ~= wid then return nil end
  if not e.t0 then e.t0 = now end  -- a pre-existing execution starts when first named
  if e.created and now < e.t0 + self.sc.by_id[wid].appear_after then return nil end
  return e
end

local routes = {}

function routes.list(self)
  local list = array()
  for i, w in ipairs(self.sc.workflows) do
    local last = self.last_called[w.id]
    list[i] = { id = w.id, name = w.name, description = w.description, rate_limit = w.rate_limit,
      call_count = self.calls[w.id] or 0, last_called_at = last and self:iso(last) or null,
      created_at = w.created_at, updated_at = w.created_at }
  end
  return json(200, { status = "success", workflows = list })
end

function routes.workflow(self, _, wid)
  local w = self.sc.by_id[wid]
  if not w then return err(404, "Workflow not found") end
  local params = array()
  for i, p in ipairs(w.parameters) do
    params[i] = { key = p.key, type = p.type or "string", required = p.required or false,
      node_id = p.node_id or null, node_name = p.node_name or null }
  end
  return json(200, { status = "success", parameters = params,
    workflow = { id = w.id, name = w.name, description = w.description,
      rate_limit = w.rate_limit, webhook_url = w.webhook_url or null },
    endpoints = { run = self.base .. "/" .. w.id .. "/run",
      status = self.base .. "/" .. w.id .. "/runs/{execution_id}" } })
end

function routes.run(self, req, wid, _, _, now)
  local w = self.sc.by_id[wid]
  if not w then return err(404, "Workflow not found") end
  local retry = self:rate_limited(req.headers.key, w, now)
  if retry then return too_many(retry) end
  local ok, params = pcall(cjson.decode, req.body)
  local object = ok and type(params) == "table" and req.body:match("^%s*{") ~= nil
  local errors = {}
  for _, p in ipairs(w.parameters) do
    local v = nil
    if object then v = params[p.key] end
    if p.required and (v == nil or v == null or v == "") then
      errors[p.key] = array({ "The " .. p.key .. " field is required." })
    end
  end
  if not object then errors.body = array({ "The request body must be a JSON object." }) end
  if next(errors) then return err(422, "Validation failed", { errors = errors }) end
  local id = self.next_id
  self.next_id = id + 1
  self.execs[id] = { id = id, workflow = w.id, t0 = now, created = true, responses = {}, next_fault = 1,
    timeline = scenario.merge_timeline(w, {}) }
  self.calls[w.id] = (self.calls[w.id] or 0) + 1
  self.last_called[w.id] = now
  return json(202, { status = "success", message = "Workflow execution started",
    execution_id = id, workflow_id = w.id, webhook_url = w.webhook_url or null,
    status_url = self.base .. "/" .. w.id .. "/runs/" .. id })
end

function routes.status(self, req, wid, eid, sleep, now)
  local e = self:find(wid, eid, now)
  if not e then return err(404, "Execution not found") end
  local f = e.responses[e.next_fault]
  local res
  if f then
    e.next_fault = e.next_fault + 1
    if f.delay then sleep(f.delay) end
    res = fault_response(f)
  end
  if not res then
    local retry = self.sc.rate_limit_polls and self:rate_limited(req.headers.key,
      self.sc.by_id[wid], self:now())
    res = retry and too_many(retry) or json(200, self:document(e, self:now()))
  end
  if f and res.headers then  -- transport-level misbehaviour applies to either answer
    if f.header_retry_after then res.headers["Retry-After"] = f.header_retry_after end
    if f.content_type then res.headers["Content-Type"] = f.content_type end
    res.no_length, res.truncate = f.no_length, f.truncate
  end
  return res
end

function routes.cancel(self, _, wid, eid, _, now)
  local e = self:find(wid, eid, now)
  if not e then return err(404, "Execution not found") end
  local status = status_at(e, now)
  if status ~= "pending" and status ~= "running" then
    return err(400, "Execution already finished.")
  end
  e.cancelled_at = now
  return json(200, { status = "success", message = "Execution cancelled." })
end

local METHODS = { list = "GET", workflow = "GET", run = "POST", status = "GET", cancel = "POST" }

-- Maps a path to a route name and its captures.
local function match(path)
  local rest = path:match("^/api/v1/workflows(.*)$")
  if not rest then return nil end
  if rest == "" then return "list" end
  local wid, eid = rest:match("^/([^/]+)/runs/([^/]+)/cancel$")
  if wid then return "cancel", wid, eid end
  wid, eid = rest:match("^/([^/]+)/runs/([^/]+)$")
  if wid then return "status", wid, eid end
  wid = rest:match("^/([^/]+)/run$")
  if wid then return "run", wid end
  wid = rest:match("^/([^/]+)$")
  if wid then return "workflow", wid end
end

function Api:sim_route(req, path)
  local want = ({ ["/_sim/stats"] = "GET", ["/_sim/reset"] = "POST" })[path]
  if not want then return err(404, "Not found") end
  if req.method ~= want then return err(405, "Method not allowed") end
  if path == "/_sim/reset" then
    self:reset()
    return json(200, { status = "success" })
  end
  return json(200, self.stats)
end

--- Answers one request (the server's handler). sleep(seconds) yields.
function Api:handle(req, sleep)
  local path = req.path:gsub("(.)/+$", "%1")  -- a trailing slash changes nothing
  if path:sub(1, 6) == "/_sim/" then return self:sim_route(req, path) end
  local stats = self.stats
  stats.requests = stats.requests + 1
  local headers = {}
  for k, v in pairs(req.headers) do
    if k ~= "key" then headers[k] = v end  -- never keep the key around
  end
  stats.last_request = { method = req.method, path = path, headers = headers, body = req.body }
  local route, wid, eid = match(path)
  stats.by_route[route or "other"] = (stats.by_route[route or "other"] or 0) + 1
  local latency = self.latency
  if latency then sleep(latency[1] + (latency[2] - latency[1]) * math.random()) end
  if not route then return err(404, "Not found") end
  if req.method ~= METHODS[route] then
    local res = err(405, "Method not allowed")
    res.headers.Allow = METHODS[route]
    return res
  end
  local key = req.headers.key
  stats.last_key_ok = key == self.sc.key
  if not key or key == "" then return err(401, "API key required") end
  if key ~= self.sc.key then return err(401, "Invalid API key") end
  return routes[route](self, req, wid, eid, sleep, self:now())
end

return M
