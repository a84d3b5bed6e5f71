--- The policy of following one execution, shared by `client:wait` (which
-- blocks between polls) and the tracker (which never blocks): what a poll's
-- outcome means, which events it fires, and how long until the next poll.
-- Callers do the polling and the sleeping; this module only decides.
-- @module modelslab.follow

local core = require "modelslab.core"
local errors = require "modelslab.errors"
local steps = require "modelslab.steps"
local document = require "modelslab.document"
local transport = require "modelslab.transport"

local follow = {}

local KNOWN, TERMINAL = document.KNOWN, document.TERMINAL

--- The defaults of every option.
follow.DEFAULTS = {
  timeout = 600, interval = 2, backoff = 1.5, max_interval = 15, jitter = 0.2,
  max_errors = 5, not_found_grace = 10, unknown_status = "error", cancel_remote = false,
}

local OPTIONS = {
  timeout = "number", interval = "number", backoff = "number", max_interval = "number",
  jitter = "number", max_errors = "number", not_found_grace = "number", stall_timeout = "number",
  unknown_status = "string", cancel_remote = "boolean", should_stop = "function",
  on_update = "function", on_event = "function", on_retry = "function", sleep = "function", clock = "function",
}

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
  o.sleep, o.clock = o.sleep or transport.sleep, o.clock or transport.clock
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
function follow.stop_requested(o)
  return o.should_stop ~= nil and o.should_stop() and true or false
end

--- True when the caller asked this follow to stop.
function Follower:should_stop()
  return follow.stop_requested(self.o)
end

-- The next gap while the execution is quiet, with jitter so many waiters
-- started together drift apart. The core's own generator: the application's
-- math.random sequence stays its own.
local function jittered(o, gap)
  if o.jitter <= 0 then return gap end
  return gap * (1 + o.jitter * (2 * core.random() - 1))
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
  local delay = math.max(0, math.min(hint or jittered(o, self.gap), self.deadline - now))
  if err and o.on_retry then o.on_retry(err, self.errors_in_row, delay) end
  return "again", delay
end

--- True when a follow that ended with err should cancel the execution on
-- the server (`cancel_remote`, after a timeout or should_stop).
function follow.cancels_remotely(o, err)
  return o.cancel_remote and (err.kind == "timeout" or err.kind == "cancelled") or false
end

-- A run is retried only when the server cannot have started anything: a 429,
-- or no connection at all (refused, or no address), before a byte was sent.
-- Any other failure may have reached the server, and a run is never sent twice.
local NOTHING_SENT = { COULDNT_CONNECT = true, COULDNT_RESOLVE_HOST = true, COULDNT_RESOLVE_PROXY = true }

--- Whether a failed run may be sent again, and after how long.
-- @tparam table o settings from `follow.settings`
-- @tparam table err the run's error
-- @tparam number attempt failed runs in a row so far (1, 2, ...)
-- @treturn number|nil seconds until the retry, or nil: give up
function follow.run_retry_delay(o, err, attempt)
  local safe = err.kind == "rate_limited" or (err.kind == "transport" and NOTHING_SENT[err.code])
  if not safe or attempt >= o.max_errors then return nil end
  return err.retry_after or math.min(o.interval * o.backoff ^ attempt, o.max_interval)
end

return follow
