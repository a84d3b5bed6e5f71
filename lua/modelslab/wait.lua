--- Waiting for an execution to finish: bounded, polite, observable.
-- Polls adapt (fast while things change, slower while they do not), server
-- hints win, a 429 pauses every wait on the same client, and every way out
-- is a documented outcome.
-- @module modelslab.wait

local core = require "modelslab.core"
local errors = require "modelslab.errors"
local steps = require "modelslab.steps"

local wait = {}

local KNOWN = { pending = true, running = true, completed = true, failed = true, cancelled = true }
local TERMINAL = { completed = true, failed = true, cancelled = true }

--- The defaults of every option, for the README and for callers.
wait.DEFAULTS = {
  timeout = 600, interval = 2, backoff = 1.5, max_interval = 15, jitter = 0.2,
  max_errors = 5, not_found_grace = 10, unknown_status = "error", cancel_remote = false,
}

local OPTIONS = {
  timeout = "number", interval = "number", backoff = "number", max_interval = "number",
  jitter = "number", max_errors = "number", not_found_grace = "number", stall_timeout = "number",
  unknown_status = "string", cancel_remote = "boolean", should_stop = "function",
  on_update = "function", on_event = "function", sleep = "function", clock = "function",
}

-- Inside OpenResty the worker must not block: ngx.sleep yields to the event
-- loop. Elsewhere the core's nanosleep and monotonic clock need no luasocket.
local function default_timing()
  local ngx = rawget(_G, "ngx")
  if ngx and type(ngx.sleep) == "function" then
    return ngx.sleep, function() ngx.update_time(); return ngx.now() end
  end
  return core.sleep, core.now
end

local function settings(opts)
  if opts ~= nil and type(opts) ~= "table" then error("modelslab.wait: opts must be a table", 3) end
  local o = {}
  for k, v in pairs(opts or {}) do
    local kind = OPTIONS[k]
    if not kind then error("modelslab.wait: option " .. tostring(k) .. " is unknown", 3) end
    if type(v) ~= kind then error("modelslab.wait: option " .. k .. " must be a " .. kind, 3) end
    o[k] = v
  end
  for k, v in pairs(wait.DEFAULTS) do
    if o[k] == nil then o[k] = v end
  end
  if o.unknown_status ~= "error" and o.unknown_status ~= "wait" then
    error('modelslab.wait: option unknown_status must be "error" or "wait"', 3)
  end
  local sleep, clock = default_timing()
  o.sleep, o.clock = o.sleep or sleep, o.clock or clock
  return o
end

-- The next gap while the execution is quiet, with jitter so many waiters
-- started together drift apart.
local function jittered(o, gap)
  if o.jitter <= 0 then return gap end
  return gap * (1 + o.jitter * (2 * math.random() - 1))
end

--- Waits until the execution reaches a terminal status.
-- @tparam modelslab.client client the client
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @tparam[opt] table opts see the README's table of wait options
-- @treturn table|nil the final status document (completed, failed or cancelled)
-- @treturn table the error: kinds "timeout", "stalled", "cancelled",
--   "unknown_status", or the last request error; all carry `attempts`,
--   `elapsed` and `last` (the last document seen)
-- @usage local final, err = client:wait(wf, id, { timeout = 300, on_event = print })
function wait.wait(client, workflow_id, execution_id, opts)
  local o = settings(opts)
  local start = o.clock()
  local deadline = start + o.timeout
  -- A new execution can take a moment to appear: 404s are retried until
  -- not_found_grace after this client started it.
  local run_age = client:_run_age(execution_id)
  local grace_until = run_age and start + o.not_found_grace - run_age or -math.huge
  local state = { attempts = 0, errors_in_row = 0, last = nil, last_change = start, gap = o.interval }

  local function give_up(e)
    e.attempts, e.elapsed, e.last = state.attempts, o.clock() - start, state.last
    if o.cancel_remote and (e.kind == "timeout" or e.kind == "cancelled") then
      local ok, cancel_err = client:cancel(workflow_id, execution_id)
      e.remote_cancelled, e.cancel_error = ok == true, cancel_err
    end
    return nil, e
  end

  while true do
    if o.should_stop and o.should_stop() then
      return give_up(errors.new("cancelled", "the wait was stopped by should_stop"))
    end
    local pause = client:_paused_until() - o.clock()
    if pause > 0 then o.sleep(math.min(pause, math.max(0, deadline - o.clock()))) end

    local doc, err = client:status(workflow_id, execution_id)
    state.attempts = state.attempts + 1
    local now = o.clock()
    local hint
    if doc then
      state.errors_in_row = 0
      local prev = state.last
      local events = steps.diff(prev, doc)
      state.last = doc
      if o.on_update then o.on_update(doc, prev) end
      if o.on_event then
        for _, ev in ipairs(events) do o.on_event(ev) end
      end
      local status = doc.execution.status
      if TERMINAL[status] then return doc end
      if not KNOWN[status] and o.unknown_status ~= "wait" then
        return give_up(errors.new("unknown_status", "the execution reports an undocumented status: " .. status,
          { value = status }))
      end
      if #events > 0 then
        state.last_change, state.gap = now, o.interval
      elseif prev then
        state.gap = math.min(state.gap * o.backoff, o.max_interval)
      end
      if o.stall_timeout and now - state.last_change >= o.stall_timeout then
        return give_up(errors.new("stalled", string.format("nothing changed for %g s", now - state.last_change)))
      end
    else
      local grace = err.status == 404 and now < grace_until
      if not (err.retryable or grace) then return give_up(err) end
      state.errors_in_row = state.errors_in_row + 1
      if state.errors_in_row >= o.max_errors then return give_up(err) end
      if err.kind == "rate_limited" then client:_pause(now + (err.retry_after or o.max_interval)) end
      hint = err.retry_after
      state.gap = math.min(o.interval * o.backoff ^ state.errors_in_row, o.max_interval)
    end

    if now >= deadline then
      return give_up(errors.new("timeout", string.format("not finished after %g s", o.timeout)))
    end
    -- A server hint wins; the last sleep is clamped so one more poll lands on the deadline.
    local delay = math.min(hint or jittered(o, state.gap), deadline - now)
    if delay > 0 then o.sleep(delay) end
  end
end

--- Starts an execution and waits for it. See `client:run` and `client:wait`.
-- @treturn table|nil the final document
-- @treturn table the error (of the run, or of the wait)
function wait.run_and_wait(client, workflow_id, params, opts)
  local started, err = client:run(workflow_id, params)
  if not started then return nil, err end
  return client:wait(workflow_id, started.execution_id, opts)
end

return wait
