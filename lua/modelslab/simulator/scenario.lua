--- Scenarios for the ModelsLab Workflows API simulator: the built-in default,
-- loading one from a file, and validating it with errors that name the field.
--
-- A scenario file is a Lua file returning a table:
--
--   return {
--     key = "sim-key",            -- the accepted API key (--key overrides)
--     fractional_times = false,   -- true: timestamps carry milliseconds (...:00.250Z)
--     rate_limit_polls = false,   -- true: status polls count against rate_limit too
--     rate_window = 60,           -- seconds of the sliding rate-limit window
--     speed = 1,                  -- scenario seconds per real second (timelines,
--                                 -- rate windows); 60 runs a 3-minute execution in 3 s
--     idle_timeout = 60,          -- seconds an idle keep-alive connection is kept
--     workflows = {
--       { id = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42",  -- required, a string
--         name = "...", description = "...", webhook_url = nil,
--         created_at = "2024-01-15T10:00:00Z",       -- shown by the list route
--         rate_limit = 10,        -- runs (and polls, see above) per window per key
--         appear_after = 0,       -- seconds a new run's status and cancel answer 404
--                                 -- (the API can take a moment to show new executions)
--         parameters = { { key = "prompt", type = "string", required = true,
--                          node_id = "1", node_name = "Text to Image" } },
--         -- the timeline of every execution of this workflow:
--         pending = 0.5,          -- seconds queued before the first step starts
--         steps = { { name = "Text to Image", seconds = 1 } },  -- run one after another
--         outcome = "completed",  -- or "failed", "cancelled", or any other string,
--                                 -- which the execution then reports forever
--         fail_at = nil,          -- 1-based step that ends with the outcome as its
--                                 -- status (failed/cancelled default: the last step)
--         error = nil,            -- the failed execution's error message
--         outputs = 1,            -- how many output URLs a completed run has
--         proxy_links_object = false },  -- proxy_links as {"0":...} (older API)
--     },
--     executions = {              -- pre-existing; their clock starts at the first
--       { id = 12345,             -- request naming them
--         workflow = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42",
--         outcome = "failed", fail_at = 1, ...,  -- timeline fields may be overridden
--         responses = { ... } },  -- faults for its status requests, one each, in
--     },                          -- order, before the normal answers resume
--   }
--
-- Fault fields: status, retry_after (body field), header_retry_after (verbatim
-- Retry-After header), body (table to encode), raw (exact bytes), content_type,
-- messege (spell the error key "messege"), delay (seconds; alone it delays the
-- normal answer), close (drop the connection unanswered), hang (never answer),
-- no_length (no Content-Length; the body ends when the connection closes),
-- truncate (send only this many body bytes of a full Content-Length, then close).
-- In a fault body write JSON null as require("cjson").null; an empty table
-- under steps, workflows, parameters or proxy_links is written as [].
-- @module modelslab.simulator.scenario

local M = {}

local WORKFLOW_FIELDS = {
  id = true, name = true, description = true, webhook_url = true, created_at = true,
  rate_limit = true, parameters = true, appear_after = true,
}
-- The fields that shape one execution's timeline; executions may override them.
local TIMELINE_FIELDS = {
  pending = true, steps = true, outcome = true, fail_at = true, error = true,
  outputs = true, proxy_links_object = true,
}
local TOP_FIELDS = {
  key = true, fractional_times = true, rate_limit_polls = true, rate_window = true, speed = true,
  idle_timeout = true, workflows = true, executions = true,
}
local FAULT_FIELDS = {
  status = true, retry_after = true, header_retry_after = true, body = true, raw = true,
  content_type = true, messege = true, delay = true, close = true, hang = true,
  no_length = true, truncate = true,
}

local function fail(where, msg)
  error(where .. ": " .. msg, 0)
end

local function check_type(where, value, kind, optional)
  if value == nil and optional then return end
  if type(value) ~= kind then
    fail(where, "must be a " .. kind .. " (got " .. type(value) .. ")")
  end
end

local function check_number(where, value, min, integer)
  check_type(where, value, "number")
  if value ~= value or value < min or value == math.huge
      or (integer and math.floor(value) ~= value) then
    fail(where, "must be " .. (integer and "an integer" or "a number") .. " >= " .. min)
  end
end

local function check_fields(where, t, allowed, also)
  for k in pairs(t) do
    if not allowed[k] and not (also and also[k]) then
      fail(where, "unknown field '" .. tostring(k) .. "'")
    end
  end
end

local function check_list(where, value, optional)
  check_type(where, value, "table", optional)
  if value == nil then return {} end
  for k in pairs(value) do
    if type(k) ~= "number" or k < 1 or k > #value or math.floor(k) ~= k then
      fail(where, "must be a list (array), found key '" .. tostring(k) .. "'")
    end
  end
  return value
end

local function check_fault(where, f)
  check_type(where, f, "table")
  check_fields(where, f, FAULT_FIELDS)
  if f.status ~= nil then check_number(where .. ".status", f.status, 100, true) end
  if f.retry_after ~= nil then check_number(where .. ".retry_after", f.retry_after, 0) end
  check_type(where .. ".header_retry_after", f.header_retry_after, "string", true)
  check_type(where .. ".body", f.body, "table", true)
  check_type(where .. ".raw", f.raw, "string", true)
  check_type(where .. ".content_type", f.content_type, "string", true)
  if f.delay ~= nil then check_number(where .. ".delay", f.delay, 0) end
  if f.truncate ~= nil then check_number(where .. ".truncate", f.truncate, 0, true) end
  for _, flag in ipairs({ "messege", "close", "hang", "no_length" }) do
    check_type(where .. "." .. flag, f[flag], "boolean", true)
  end
  if next(f) == nil then fail(where, "is an empty fault") end
end

-- Checks the timeline fields present in t (a workflow or an override).
local function check_timeline(where, t)
  if t.pending ~= nil then check_number(where .. ".pending", t.pending, 0) end
  if t.steps ~= nil then
    for i, s in ipairs(check_list(where .. ".steps", t.steps)) do
      local sw = where .. ".steps[" .. i .. "]"
      check_type(sw, s, "table")
      check_fields(sw, s, { name = true, seconds = true })
      check_type(sw .. ".name", s.name, "string")
      check_number(sw .. ".seconds", s.seconds, 0)
    end
  end
  check_type(where .. ".outcome", t.outcome, "string", true)
  if t.outcome == "" then fail(where .. ".outcome", "must not be empty") end
  if t.fail_at ~= nil then check_number(where .. ".fail_at", t.fail_at, 1, true) end
  check_type(where .. ".error", t.error, "string", true)
  if t.outputs ~= nil then check_number(where .. ".outputs", t.outputs, 0, true) end
  check_type(where .. ".proxy_links_object", t.proxy_links_object, "boolean", true)
end

-- After merging, fail_at must name a step that exists.
local function check_fail_at(where, t)
  if t.fail_at and t.fail_at > #t.steps then
    fail(where .. ".fail_at", "is " .. t.fail_at .. " but there are only " .. #t.steps .. " steps")
  end
end

local function normalize_workflow(where, w)
  check_type(where, w, "table")
  check_fields(where, w, WORKFLOW_FIELDS, TIMELINE_FIELDS)
  check_type(where .. ".id", w.id, "string")
  if w.id == "" or w.id:find("[/%s?#]") then fail(where .. ".id", "must be a plain non-empty id") end
  for _, f in ipairs({ "name", "description", "webhook_url", "created_at" }) do
    check_type(where .. "." .. f, w[f], "string", true)
  end
  if w.rate_limit ~= nil then check_number(where .. ".rate_limit", w.rate_limit, 1, true) end
  if w.appear_after ~= nil then check_number(where .. ".appear_after", w.appear_after, 0) end
  for i, p in ipairs(check_list(where .. ".parameters", w.parameters, true)) do
    local pw = where .. ".parameters[" .. i .. "]"
    check_type(pw, p, "table")
    check_fields(pw, p, { key = true, type = true, required = true, node_id = true, node_name = true })
    check_type(pw .. ".key", p.key, "string")
    check_type(pw .. ".required", p.required, "boolean", true)
  end
  check_timeline(where, w)
  local n = {
    id = w.id, name = w.name or w.id, description = w.description or "",
    webhook_url = w.webhook_url, created_at = w.created_at or "2024-01-15T10:00:00Z",
    rate_limit = math.floor(w.rate_limit or 10), parameters = w.parameters or {},
    appear_after = w.appear_after or 0,
    pending = w.pending or 0, steps = w.steps or {}, outcome = w.outcome or "completed",
    fail_at = w.fail_at, error = w.error, outputs = w.outputs or 1,
    proxy_links_object = w.proxy_links_object or false,
  }
  check_fail_at(where, n)
  return n
end

--- Returns the timeline of a workflow with an execution's overrides applied.
local function merge_timeline(wf, over)
  local t = {}
  for k in pairs(TIMELINE_FIELDS) do
    if over[k] ~= nil then t[k] = over[k] else t[k] = wf[k] end
  end
  return t
end

--- Validates a scenario table and returns a normalized copy with defaults.
-- @param t the scenario table
-- @param source a name for error messages (a file name)
-- @return the normalized scenario; raises a string error naming the bad field
function M.validate(t, source)
  local where = source or "scenario"
  check_type(where, t, "table")
  check_fields(where, t, TOP_FIELDS)
  check_type(where .. ".key", t.key, "string", true)
  if t.key == "" then fail(where .. ".key", "must not be empty") end
  check_type(where .. ".fractional_times", t.fractional_times, "boolean", true)
  check_type(where .. ".rate_limit_polls", t.rate_limit_polls, "boolean", true)
  if t.speed ~= nil then check_number(where .. ".speed", t.speed, 0.001) end
  if t.rate_window ~= nil then check_number(where .. ".rate_window", t.rate_window, 0.001) end
  if t.idle_timeout ~= nil then check_number(where .. ".idle_timeout", t.idle_timeout, 0.001) end
  local sc = {
    key = t.key or "sim-key", fractional_times = t.fractional_times or false,
    rate_limit_polls = t.rate_limit_polls or false, rate_window = t.rate_window or 60,
    speed = t.speed or 1,
    idle_timeout = t.idle_timeout or 60, workflows = {}, by_id = {}, executions = {},
  }
  local wfs = check_list(where .. ".workflows", t.workflows)
  if #wfs == 0 then fail(where .. ".workflows", "must list at least one workflow") end
  for i, w in ipairs(wfs) do
    local n = normalize_workflow(where .. ".workflows[" .. i .. "]", w)
    if sc.by_id[n.id] then fail(where .. ".workflows[" .. i .. "].id", "duplicate id " .. n.id) end
    sc.workflows[i], sc.by_id[n.id] = n, n
  end
  local seen = {}
  for i, e in ipairs(check_list(where .. ".executions", t.executions, true)) do
    local ew = where .. ".executions[" .. i .. "]"
    check_type(ew, e, "table")
    check_fields(ew, e, { id = true, workflow = true, responses = true }, TIMELINE_FIELDS)
    check_number(ew .. ".id", e.id, 1, true)
    if seen[e.id] then fail(ew .. ".id", "duplicate execution id " .. e.id) end
    seen[e.id] = true
    check_type(ew .. ".workflow", e.workflow, "string")
    local wf = sc.by_id[e.workflow]
    if not wf then fail(ew .. ".workflow", "no workflow with id " .. e.workflow) end
    check_timeline(ew, e)
    local timeline = merge_timeline(wf, e)
    check_fail_at(ew, timeline)
    local responses = check_list(ew .. ".responses", e.responses, true)
    for j, f in ipairs(responses) do check_fault(ew .. ".responses[" .. j .. "]", f) end
    sc.executions[#sc.executions + 1] = {
      id = math.floor(e.id), workflow = wf.id, timeline = timeline, responses = responses,
    }
  end
  return sc
end

M.merge_timeline = merge_timeline

local DEMO_WORKFLOW = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

--- The built-in scenario (a fresh, unvalidated table on each call): the
-- documentation's workflow and one pre-existing execution per outcome.
function M.default()
  return {
    key = "sim-key",
    workflows = {
      { id = DEMO_WORKFLOW, name = "Text to image, upscaled",
        description = "Generates an image from a prompt, upscales it and restores faces.",
        rate_limit = 10,
        parameters = {
          { key = "prompt", type = "string", required = true, node_id = "1", node_name = "Text to Image" },
          { key = "negative_prompt", type = "string", required = false, node_id = "1",
            node_name = "Text to Image" },
        },
        pending = 0.5,
        steps = {
          { name = "Text to Image", seconds = 1 },
          { name = "Image Upscaler", seconds = 1.5 },
          { name = "Face Restore", seconds = 1 },
        },
        outcome = "completed" },
    },
    executions = {
      { id = 12345, workflow = DEMO_WORKFLOW },
      { id = 12346, workflow = DEMO_WORKFLOW, outcome = "failed", fail_at = 2,
        error = "Image generation failed: Invalid prompt" },
      { id = 12347, workflow = DEMO_WORKFLOW, outcome = "cancelled" },
      { id = 12348, workflow = DEMO_WORKFLOW, outcome = "exploded" },
    },
  }
end

--- Loads and validates a scenario file, or the default when path is nil.
-- @param path a Lua file returning a scenario table, or nil
-- @return the normalized scenario; raises a string error on a bad file
function M.load(path)
  if path == nil then return M.validate(M.default(), "default scenario") end
  local chunk, err = loadfile(path)
  if not chunk then error("cannot load scenario: " .. err, 0) end
  local ok, t = pcall(chunk)
  if not ok then error("scenario " .. path .. " raised: " .. tostring(t), 0) end
  return M.validate(t, path)
end

return M
