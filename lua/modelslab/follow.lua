--- The policy of following one execution, shared by `client:wait` (which
-- blocks between polls) and the tracker (which never blocks): what a poll's
-- outcome means, which events it fires, and how long until the next poll.
-- Callers do the polling and the sleeping; this module only decides.
-- @module modelslab.follow

local core = require "modelslab.core"
local errors = require "modelslab.errors"
local steps = require "modelslab.steps"
local openresty = require "modelslab.openresty"

local follow = {}

local KNOWN = { pending = true, running = true, completed = true, failed = true, cancelled = true }
local TERMINAL = { completed = true, failed = true, cancelled = true }

--- The defaults of every option.
follow.DEFAULTS = {
  timeout = 600, interval = 2, backoff = 1.5, max_interval = 15, jitter = 0.2,
  max_errors = 5, not_found_grace = 10, unknown_status = "error", cancel_remote = false,
}

local OPTIONS = {
  timeout = "number", interval = "number", backoff = "number", max_interval = "number",
  jitter = "number", max_errors = "number", not_found_grace = "number", stall_timeout = "number",
  unknown_status = "string", cancel_remote = "boolean", should_stop = "function",
  on_update = "function", on_event = "function", sleep = "function", clock = "function",
}

-- Inside OpenResty the worker must not block: the sleep yields to the event
-- loop, and ends at once when the worker starts a graceful stop. Elsewhere
-- the core's nanosleep and monotonic clock need no luasocket.
local function default_timing()
  local ngx = rawget(_G, "ngx")
  if ngx and type(ngx.sleep) == "function" then
    return openresty.sleep, function() ngx.update_time(); return ngx.now() end
  end
  return core.sleep, core.now
end

--- Checks options and fills in defaults; raises naming a bad option.
-- @tparam[opt] table opts the caller's options
-- @tparam string fn the public function's name, for messages
-- @tparam[opt] table extra option names and types this caller also accepts
-- @treturn table the settings
function follow.settings(opts, fn, extra)
  if opts ~= nil and type(opts) ~= "table" then error("modelslab." .. fn .. ": opts must be a table", 3) end
  local o = {}
  for k, v in pairs(opts or {}) do
    local kind = OPTIONS[k] or (extra and extra[k])
    if not kind then error("modelslab." .. fn .. ": option " .. tostring(k) .. " is unknown", 3) end
    if type(v) ~= kind then error("modelslab." .. fn .. ": option " .. k .. " must be a " .. kind, 3) end
    o[k] = v
  end
  for k, v in pairs(follow.DEFAULTS) do
    if o[k] == nil then o[k] = v end
  end
  if o.unknown_status ~= "error" and o.unknown_status ~= "wait" then
    error("modelslab." .. fn .. ': option unknown_status must be "error" or "wait"', 3)
  end
  local sleep, clock = default_timing()
  o.sleep, o.clock = o.sleep or sleep, o.clock or clock
  return o
end

local Follower = {}
Follower.__index = Follower

--- Starts following one execution.
-- @tparam table o settings from `follow.settings`
-- @tparam modelslab.client client whose 429 pause this execution shares
-- @tparam number|string execution_id the execution
-- @treturn table the follower
function follow.new(o, client, execution_id)
  local start = o.clock()
  -- A new execution can take a moment to appear: 404s are retried until
  -- not_found_grace after this client started it.
  local run_age = client:_run_age(execution_id)
  return setmetatable({
    o = o, client = client, start = start, deadline = start + o.timeout,
    grace_until = run_age and start + o.not_found_grace - run_age or -math.huge,
    attempts = 0, errors_in_row = 0, last = nil, last_change = start, gap = o.interval,
  }, Follower)
end

--- Seconds to hold off before the next poll because of a 429 on the client.
function Follower:paused(now)
  return math.max(0, math.min(self.client:_paused_until(), self.deadline) - now)
end

--- Ends the follow with err, adding where it stood.
-- @treturn table err, with `attempts`, `elapsed` and `last`
function Follower:give_up(err)
  err.attempts, err.elapsed, err.last = self.attempts, self.o.clock() - self.start, self.last
  return err
end

--- True when the caller asked to stop (`should_stop`).
function Follower:should_stop()
  return self.o.should_stop ~= nil and self.o.should_stop() and true or false
end

-- The next gap while the execution is quiet, with jitter so many waiters
-- started together drift apart.
local function jittered(o, gap)
  if o.jitter <= 0 then return gap end
  return gap * (1 + o.jitter * (2 * math.random() - 1))
end

--- Takes one poll's outcome and decides. Fires `on_update` and `on_event`.
-- @tparam table|nil doc the status document
-- @tparam table|nil err the error when there is no document
-- @tparam number now the clock after the poll
-- @treturn string "done" (with the final document), "fail" (with the error,
--   already given up), or "again" (with the seconds until the next poll)
function Follower:observe(doc, err, now)
  local o = self.o
  self.attempts = self.attempts + 1
  local hint
  if doc then
    self.errors_in_row = 0
    local prev = self.last
    local events = steps.diff(prev, doc)
    self.last = doc
    if o.on_update then o.on_update(doc, prev) end
    if o.on_event then
      for _, ev in ipairs(events) do o.on_event(ev) end
    end
    local status = doc.execution.status
    if TERMINAL[status] then return "done", doc end
    if not KNOWN[status] and o.unknown_status ~= "wait" then
      return "fail", self:give_up(errors.new("unknown_status",
        "the execution reports an undocumented status: " .. status, { value = status }))
    end
    if #events > 0 then
      self.last_change, self.gap = now, o.interval
    elseif prev then
      self.gap = math.min(self.gap * o.backoff, o.max_interval)
    end
    if o.stall_timeout and now - self.last_change >= o.stall_timeout then
      return "fail", self:give_up(errors.new("stalled",
        string.format("nothing changed for %g s", now - self.last_change)))
    end
  else
    local grace = err.status == 404 and now < self.grace_until
    if not (err.retryable or grace) then return "fail", self:give_up(err) end
    self.errors_in_row = self.errors_in_row + 1
    if self.errors_in_row >= o.max_errors then return "fail", self:give_up(err) end
    if err.kind == "rate_limited" then self.client:_pause(now + (err.retry_after or o.max_interval)) end
    hint = err.retry_after
    self.gap = math.min(o.interval * o.backoff ^ self.errors_in_row, o.max_interval)
  end
  if now >= self.deadline then
    return "fail", self:give_up(errors.new("timeout", string.format("not finished after %g s", o.timeout)))
  end
  -- A server hint wins; the last sleep is clamped so one more poll lands on the deadline.
  return "again", math.max(0, math.min(hint or jittered(o, self.gap), self.deadline - now))
end

return follow
