--- The tracker: follows many executions on one schedule and one rate budget,
-- without ever blocking. Call `update()` once per frame or tick; it starts the
-- polls that are due, collects finished ones from the poller and fires the
-- callbacks. Each execution follows the same policy as `client:wait`.
-- @classmod modelslab.tracker

local check = require "modelslab.check"
local errors = require "modelslab.errors"
local follow = require "modelslab.follow"

local tracker = {}

local Tracker = {}
Tracker.__index = Tracker

local EXTRA = { max_transfers = "number" }
local PER_EXECUTION = { on_event = "function", on_update = "function", on_done = "function" }

--- Makes a tracker; see `client:tracker`.
function tracker.new(client, opts)
  local o = follow.settings(opts, "tracker", EXTRA)
  return setmetatable({
    _client = client, _o = o, _poller = client:poller { max_transfers = o.max_transfers },
    _items = {}, _inbox = {},
  }, Tracker)
end

--- Starts following an execution.
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @tparam[opt] table callbacks `on_event(ev)`, `on_update(doc, prev)`,
--   `on_done(doc, err)` (once: the final document, or nil and the error)
function Tracker:track(workflow_id, execution_id, callbacks)
  check.workflow_id("tracker:track", workflow_id)
  check.execution_id("tracker:track", execution_id)
  callbacks = callbacks or {}
  check.known_options("tracker:track", callbacks, PER_EXECUTION)
  local o = setmetatable({ on_event = callbacks.on_event, on_update = callbacks.on_update }, { __index = self._o })
  local item = {
    workflow_id = workflow_id, execution_id = execution_id, on_done = callbacks.on_done,
    follower = follow.new(o, self._client, execution_id), due = o.clock(), in_flight = false,
  }
  self._items[#self._items + 1] = item
end

-- Ends an item: it leaves the list before its callback runs, so an error in
-- the callback leaves the tracker consistent.
function Tracker:_finish(item, doc, err)
  for i, it in ipairs(self._items) do
    if it == item then table.remove(self._items, i) break end
  end
  if err and self._o.cancel_remote and (err.kind == "timeout" or err.kind == "cancelled") then
    -- Fire and forget: the answer is collected by the poller and dropped.
    self._poller:_request("POST", "/workflows/" .. item.workflow_id .. "/runs/" .. item.execution_id .. "/cancel", "")
  end
  if item.on_done then item.on_done(doc, err) end
end

--- Does what is due; never blocks. Call it once per frame or tick.
-- @treturn number the executions still being followed
function Tracker:update()
  local now = self._o.clock()
  local stop = self._o.should_stop and self._o.should_stop()
  for _, item in ipairs(self._items) do
    if not item.in_flight and now >= item.due and item.follower:paused(now) <= 0 and not stop then
      item.in_flight = true
      self._poller:add(item.workflow_id, item.execution_id, item)
    end
  end
  for _, r in ipairs(self._poller:poll(0)) do self._inbox[#self._inbox + 1] = r end
  -- One result at a time, each removed before its callbacks run: an error
  -- raised by a callback leaves the others for the next update.
  while #self._inbox > 0 do
    local r = table.remove(self._inbox, 1)
    local item = r.tag
    item.in_flight = false
    local verdict, value = item.follower:observe(r.doc, r.err, self._o.clock())
    if verdict == "again" then
      item.due = self._o.clock() + value
    elseif verdict == "done" then
      self:_finish(item, value, nil)
    else
      self:_finish(item, nil, value)
    end
  end
  if stop then
    while self._items[1] do
      local item = self._items[1]
      self:_finish(item, nil, item.follower:give_up(errors.new("cancelled", "the tracker was stopped by should_stop")))
    end
  end
  return #self._items
end

--- Executions still being followed.
function Tracker:pending()
  return #self._items
end

--- Seconds until the tracker next has something to do (for event loops).
function Tracker:next_due()
  local now, soonest = self._o.clock(), math.huge
  for _, item in ipairs(self._items) do
    if item.in_flight then return 0 end
    soonest = math.min(soonest, math.max(0, item.due - now, item.follower:paused(now)))
  end
  return soonest
end

--- Blocks until every execution is done (plain scripts, not nginx or frames).
function Tracker:run()
  while self:update() > 0 do
    local due = self:next_due()
    if self._poller:pending() > 0 then
      -- update() started what was due: a due of 0 means transfers in flight,
      -- which a wait of 0 would never see finish inside nginx (they need the
      -- event loop).
      self._poller:wait(due > 0 and math.min(due * 1000, 10) or 10)
    elseif due > 0 then
      self._o.sleep(due)
    end
  end
end

--- Stops following everything; the poller is closed.
function Tracker:close()
  self._items, self._inbox = {}, {}
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
