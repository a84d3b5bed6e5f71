--- The tracker: starts and follows many executions on one schedule and one
-- rate budget, without ever blocking. Call `update()` once per frame or tick;
-- it sends the requests that are due, collects finished ones from the poller
-- and fires the callbacks. Each execution follows the same policy as
-- `client:wait` (`modelslab.follow`).
-- @classmod modelslab.tracker

local core = require "modelslab.core"
local check = require "modelslab.check"
local errors = require "modelslab.errors"
local follow = require "modelslab.follow"
local endpoints = require "modelslab.endpoints"

local tracker = {}

local Tracker = {}
Tracker.__index = Tracker

local EXTRA = { max_transfers = "number", max_results = "number", budget_ms = "number" }
local CALLBACKS = {
  on_started = "function", on_event = "function", on_update = "function", on_retry = "function",
  on_done = "function",
}
-- How long a `cancel_remote` cancel may take before the follow ends without
-- its answer (`cancel_error` then says so).
local CANCEL_TIMEOUT = 5
-- The longest `run()` waits on the poller before looking at the clock again.
local MAX_WAIT = 1

--- Makes a tracker; see `client:tracker`.
function tracker.new(client, opts)
  local o = follow.settings(opts, "tracker", EXTRA)
  if o.max_results ~= nil and not (o.max_results >= 1 and o.max_results == math.floor(o.max_results)) then
    error("modelslab.tracker: option max_results must be a whole number from 1", 3)
  end
  if o.budget_ms ~= nil and (o.budget_ms ~= o.budget_ms or o.budget_ms <= 0) then
    error("modelslab.tracker: option budget_ms must be above 0", 3)
  end
  return setmetatable({
    _client = client, _o = o, _poller = client:poller { max_transfers = o.max_transfers },
    _items = {}, _inbox = {}, _in_head = 1, _in_tail = 0,
  }, Tracker)
end

-- One execution's record; it is also the handle the caller gets.
function Tracker:_add(fn, workflow_id, callbacks, fields)
  callbacks = callbacks or {}
  if type(callbacks) ~= "table" then error("modelslab." .. fn .. ": callbacks must be a table", 3) end
  check.known_options(fn, callbacks, CALLBACKS)
  local item = {
    workflow_id = workflow_id, callbacks = callbacks, due = self._o.clock(), in_flight = false,
    attempts = 0, run_failures = 0, started_at = self._o.clock(),
    o = setmetatable({ on_event = callbacks.on_event, on_update = callbacks.on_update,
      on_retry = callbacks.on_retry }, { __index = self._o }),
  }
  for k, v in pairs(fields) do item[k] = v end
  self._items[#self._items + 1] = item
  return item
end

-- From here on the item polls its execution's status (ep and path: its request).
function Tracker:_follow(item, execution_id, ep, path)
  if not ep then ep, path = endpoints.build("status", "tracker:track", item.workflow_id, execution_id) end
  item.phase, item.execution_id, item.status_ep, item.status_path = "following", execution_id, ep, path
  item.follower = follow.new(item.o, self._client, execution_id)
end

--- Starts an execution (the run is queued on the poller, never blocking) and
-- follows it. A 429 on the run is retried after its `retry_after`, as is a
-- connection refused before anything was sent; no other failure is: a run is
-- never sent twice.
-- @tparam string workflow_id the workflow's UUID
-- @tparam[opt] table params the workflow's parameters
-- @tparam[opt] table callbacks `on_started(started)`, then those of `track`
-- @treturn table the handle, for `state`
function Tracker:start(workflow_id, params, callbacks)
  local ep, path, body = endpoints.build("run", "tracker:start", workflow_id, params)
  return self:_add("tracker:start", workflow_id, callbacks,
    { phase = "starting", run_ep = ep, run_path = path, run_body = body })
end

--- Follows an execution.
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @tparam[opt] table callbacks `on_event(ev)`, `on_update(doc, prev)`,
--   `on_retry(err, attempt, delay)`, `on_done(doc, err)` (once: the final
--   document, or nil and the error)
-- @treturn table the handle, for `state`
function Tracker:track(workflow_id, execution_id, callbacks)
  local ep, path = endpoints.build("status", "tracker:track", workflow_id, execution_id)
  local item = self:_add("tracker:track", workflow_id, callbacks, {})
  self:_follow(item, check.to_execution_id(execution_id), ep, path)
  return item
end

--- What an execution is doing, for a game's display.
-- @tparam table handle from `start` or `track`
-- @treturn table `phase` ("starting", "following", "retrying" or "done"),
--   `execution_id`, `last_error` (the last failure, until a success), `since_ok`
--   (seconds since the last good answer), `attempts` (requests answered)
function Tracker:state(handle)
  local phase = handle.phase
  if phase ~= "done" and handle.last_error then phase = "retrying" end
  return {
    phase = phase, execution_id = handle.execution_id, last_error = handle.last_error,
    since_ok = handle.last_ok and self._o.clock() - handle.last_ok, attempts = handle.attempts,
  }
end

-- Ends an item: it leaves the list before its callback runs, so an error in
-- the callback leaves the tracker consistent.
function Tracker:_finish(item, doc, err)
  for i, it in ipairs(self._items) do
    if it == item then table.remove(self._items, i) break end
  end
  item.phase, item.in_flight, item.pending_err = "done", false, nil
  if item.callbacks.on_done then item.callbacks.on_done(doc, err) end
end

-- Ends an item with err, cancelling it on the server first when asked
-- (remote) or when the policy says so: the outcome goes on err
-- (`remote_cancelled`, `cancel_error`).
function Tracker:_fail(item, err, remote)
  if item.execution_id and (remote or follow.cancels_remotely(self._o, err)) then
    item.pending_err, item.cancel_until, item.in_flight = err, self._o.clock() + CANCEL_TIMEOUT, true
    local ep, path, body = endpoints.build("cancel", "tracker", item.workflow_id, item.execution_id)
    self._poller:_submit(ep, path, body, { op = "cancel", tag = item })
  else
    self:_finish(item, nil, err)
  end
end

local function stopped()
  return errors.new("cancelled", "the tracker was stopped by should_stop")
end

-- A copy of a list, to walk while items leave it.
local function snapshot(list)
  local copy = {}
  for i, v in ipairs(list) do copy[i] = v end
  return copy
end

local function run_give_up(item, err, now)
  err.attempts, err.elapsed = item.attempts, now - item.started_at
  return err
end

function Tracker:_on_run(item, started, err, now)
  if started then
    item.last_ok, item.last_error, item.due = now, nil, now
    self:_follow(item, started.execution_id)
    if item.callbacks.on_started then item.callbacks.on_started(started) end
    if item.stopping then
      self:_fail(item, item.follower:give_up(item.stopping), item.stop_remote)
    end
    return
  end
  local attempt = item.run_failures + 1
  local delay = not item.stopping and follow.run_retry_delay(self._o, err, attempt)
  if not delay or now + delay > item.started_at + self._o.timeout then
    return self:_finish(item, nil, run_give_up(item, err, now))
  end
  item.run_failures, item.last_error, item.due = attempt, err, now + delay
  if item.o.on_retry then item.o.on_retry(err, attempt, delay) end
end

function Tracker:_on_status(item, doc, err, now)
  if doc then item.last_ok, item.last_error = now, nil else item.last_error = err end
  local verdict, value = item.follower:observe(doc, err, now)
  if verdict == "again" then
    item.due = now + value
  elseif verdict == "done" then
    self:_finish(item, value, nil)
  else
    self:_fail(item, value)
  end
end

function Tracker:_on_cancel(item, ok, err)
  local failure = item.pending_err
  failure.remote_cancelled, failure.cancel_error = ok == true, err
  self:_finish(item, nil, failure)
end

-- Sends what is due: runs, and polls outside a 429 pause.
function Tracker:_send_due(now)
  for _, item in ipairs(self._items) do
    if not item.in_flight and now >= item.due then
      if item.phase == "starting" then
        item.in_flight = true
        self._poller:_submit(item.run_ep, item.run_path, item.run_body, { op = "run", tag = item })
      elseif item.follower:paused(now) <= 0 then
        item.in_flight = true
        self._poller:_submit(item.status_ep, item.status_path, nil, { op = "status", tag = item })
      end
    end
  end
end

-- Ends an item with err (cancelled), on the server too when remote: a run
-- in flight lands first (its answer says whether there is an execution to
-- cancel); a cancel already on its way is left to finish.
function Tracker:_stop(item, err, remote)
  if item.phase == "done" or item.pending_err or item.stopping then return end
  if item.phase ~= "starting" then
    self:_fail(item, item.follower:give_up(err), remote)
  elseif item.in_flight then
    item.stopping, item.stop_remote = err, remote
  else
    self:_finish(item, nil, run_give_up(item, err, self._o.clock()))
  end
end

-- should_stop said stop: everything ends as cancelled.
function Tracker:_stop_all()
  for _, item in ipairs(snapshot(self._items)) do self:_stop(item, stopped(), false) end
end

--- Cancels one execution: on the server (never blocking: the cancel is
-- queued), then `on_done(nil, err)` with `err.kind == "cancelled"` and the
-- outcome in `err.remote_cancelled` and `err.cancel_error`. An execution
-- still starting is cancelled once its run is answered; one whose run was
-- not sent yet is never started.
-- @tparam table handle from `start` or `track`
function Tracker:cancel(handle)
  self:_stop(handle, errors.new("cancelled", "cancelled by tracker:cancel"), true)
end

-- Cancels that took too long end their follow without an answer.
function Tracker:_expire_cancels(now)
  for _, item in ipairs(snapshot(self._items)) do
    if item.pending_err and now >= item.cancel_until then
      self:_on_cancel(item, nil, errors.new("timeout", string.format("the cancel got no answer within %g s",
        CANCEL_TIMEOUT)))
    end
  end
end

-- Handles finished requests, one at a time, each removed before its
-- callbacks run (an error raised by a callback leaves the others for the
-- next update), within the update's budget.
function Tracker:_handle_inbox()
  local o, inbox = self._o, self._inbox
  local t0, handled = o.budget_ms and core.now(), 0
  while self._in_head <= self._in_tail do
    -- At least one per update, so a tiny budget still makes progress.
    if handled > 0 and ((o.max_results and handled >= o.max_results)
      or (t0 and (core.now() - t0) * 1000 >= o.budget_ms)) then return end
    local r = inbox[self._in_head]
    inbox[self._in_head] = nil
    self._in_head = self._in_head + 1
    handled = handled + 1
    local item = r.tag
    if item.phase ~= "done" then -- else a late answer for a follow already ended
      item.in_flight = false
      local now = o.clock()
      if r.op == "cancel" then
        self:_on_cancel(item, r.doc, r.err)
      else
        item.attempts = item.attempts + 1
        if r.op == "run" then self:_on_run(item, r.doc, r.err, now) else self:_on_status(item, r.doc, r.err, now) end
      end
    end
  end
end

--- Does what is due; never blocks. Call it once per frame or tick.
-- @treturn number the executions still being started or followed
function Tracker:update()
  local now = self._o.clock()
  if follow.stop_requested(self._o) then self:_stop_all() else self:_send_due(now) end
  for _, r in ipairs(self._poller:poll(0)) do
    self._in_tail = self._in_tail + 1
    self._inbox[self._in_tail] = r
  end
  self:_handle_inbox()
  self:_expire_cancels(self._o.clock())
  return #self._items
end

--- Executions still being started or followed.
function Tracker:pending()
  return #self._items
end

--- Seconds until the tracker next has something to do (for event loops):
-- 0 while answers wait to be handled or requests are in flight.
function Tracker:next_due()
  if self._in_head <= self._in_tail then return 0 end
  local now, soonest = self._o.clock(), math.huge
  for _, item in ipairs(self._items) do
    if item.in_flight then return 0 end
    local pause = item.follower and item.follower:paused(now) or 0
    soonest = math.min(soonest, math.max(0, item.due - now, pause))
  end
  return soonest
end

-- Seconds until a request is due to be sent, or a cancel expires.
function Tracker:_next_send(now)
  local soonest = math.huge
  for _, item in ipairs(self._items) do
    if item.pending_err then
      soonest = math.min(soonest, item.cancel_until - now)
    elseif not item.in_flight then
      local pause = item.follower and item.follower:paused(now) or 0
      soonest = math.min(soonest, math.max(item.due - now, pause))
    end
  end
  return math.max(0, soonest)
end

--- Runs until every execution is done: blocks in plain scripts, yields inside
-- nginx (the poller's wait and the sleep both yield there).
function Tracker:run()
  while self:update() > 0 do
    if self._in_head > self._in_tail then
      local due = self:_next_send(self._o.clock())
      if self._poller:pending() > 0 then
        self._poller:wait(math.min(due, MAX_WAIT) * 1000)
      elseif due > 0 then
        self._o.sleep(due)
      end
    end
  end
end

--- Stops following everything; the poller is closed (aborting its transfers).
function Tracker:close()
  for _, item in ipairs(self._items) do item.phase = "done" end
  self._items, self._inbox, self._in_head, self._in_tail = {}, {}, 1, 0
  self._poller:close()
end

--- Waits for many executions at once; see `client:wait_all`.
function tracker.wait_all(client, list, opts)
  if type(list) ~= "table" then
    error("modelslab.wait_all: list must be a sequence of {workflow_id, execution_id}", 3)
  end
  local t = tracker.new(client, opts)
  local results = {}
  for i, pair in ipairs(list) do
    results[i] = {}
    t:track(pair[1], pair[2], { on_done = function(doc, err) results[i].doc, results[i].err = doc, err end })
  end
  local ok, err = pcall(t.run, t)
  t:close()
  if not ok then error(err, 0) end
  return results
end

return tracker
