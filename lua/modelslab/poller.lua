--- The poller: many requests at once (status, run, cancel, workflow,
-- workflows), driven by calls that never block. Its engine (the core's, on
-- the shared multi, or nginx's; see `modelslab.transport`) runs the
-- transfers; this layer keeps the queue beyond the concurrent-transfer cap
-- and turns finished transfers into results with the same values and errors
-- as the client's methods.
-- @classmod modelslab.poller

local check = require "modelslab.check"
local errors = require "modelslab.errors"
local endpoints = require "modelslab.endpoints"
local transport = require "modelslab.transport"

local poller = {}

local DEFAULT_MAX_TRANSFERS = 16
-- Without socket events, only a call notices data arriving: while transfers
-- are in flight, timeout() never asks the caller to wait longer than this.
local MAX_IDLE_MS = 10

local Poller = {}
Poller.__index = Poller

--- Makes a poller sharing the client's settings (key, base URL, limits).
-- See `client:poller`.
function poller.new(client, opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("modelslab.poller: opts must be a table", 3) end
  check.known_options("poller", opts, { max_transfers = true })
  local max = opts.max_transfers or DEFAULT_MAX_TRANSFERS
  if type(max) ~= "number" or max < 1 or max > 1024 or max ~= math.floor(max) then
    error("modelslab.poller: max_transfers must be a whole number from 1 to 1024", 3)
  end
  return setmetatable({
    _core = transport.poller(client._config, max), _client = client, _max = max,
    -- requests by transfer id; the queue is _queue[_head .. _tail]
    _requests = {}, _queue = {}, _head = 1, _tail = 0, _next_id = 1, _count = 0,
  }, Poller)
end

-- Queues a request (ep, path and body from endpoints.build); its outcome
-- fills result (`doc`, `err`), or, with no result, is dropped: nothing is kept.
function Poller:_submit(ep, path, body, result)
  if not self._core then error("modelslab: the poller is closed", 3) end
  local id = self._next_id
  self._next_id = id + 1
  self._requests[id] = { id = id, ep = ep, url = self._client.base_url .. path, body = body, result = result }
  self._tail = self._tail + 1
  self._queue[self._tail] = id
  self._count = self._count + 1
  self:_start_queued()
end

function Poller:_start_queued()
  local queue = self._queue
  while self._head <= self._tail do
    local req = self._requests[queue[self._head]]
    if req and not self._core:start(req.id, req.ep.method, req.url, req.body) then return end
    queue[self._head] = nil
    self._head = self._head + 1
  end
end

-- The result of a request: what the caller named it by, plus doc/err later.
local function result_of(op, workflow_id, execution_id, tag)
  return { op = op, workflow_id = workflow_id, execution_id = execution_id and tonumber(execution_id), tag = tag }
end

--- Queues one status fetch. Exactly one result comes back per call, from
-- `poll` (or from `close`, as an abort).
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @param[opt] tag any value, handed back with the result
function Poller:add(workflow_id, execution_id, tag)
  local ep, path, body, id = endpoints.build("status", "poller:add", workflow_id, execution_id)
  self:_submit(ep, path, body, result_of("status", workflow_id, id, tag))
end

--- Queues a run: its result's `doc` is the run's answer (`execution_id`...).
-- Sent once, never retried.
function Poller:run(workflow_id, params, tag)
  local ep, path, body = endpoints.build("run", "poller:run", workflow_id, params)
  self:_submit(ep, path, body, result_of("run", workflow_id, nil, tag))
end

--- Queues a cancel: its result's `doc` is true once the server accepted.
function Poller:cancel(workflow_id, execution_id, tag)
  local ep, path, body, id = endpoints.build("cancel", "poller:cancel", workflow_id, execution_id)
  self:_submit(ep, path, body, result_of("cancel", workflow_id, id, tag))
end

--- Queues a cancel nobody waits for: no result comes back, and nothing is kept.
function Poller:cancel_and_forget(workflow_id, execution_id)
  local ep, path, body = endpoints.build("cancel", "poller:cancel_and_forget", workflow_id, execution_id)
  self:_submit(ep, path, body, nil)
end

--- Queues a workflow's schema fetch: its result's `doc` is the schema.
function Poller:workflow(workflow_id, tag)
  local ep, path = endpoints.build("workflow", "poller:workflow", workflow_id)
  self:_submit(ep, path, nil, result_of("workflow", workflow_id, nil, tag))
end

--- Queues the list of workflows: its result's `doc` is the list.
function Poller:workflows(tag)
  local ep, path = endpoints.build("workflows", "poller:workflows")
  self:_submit(ep, path, nil, result_of("workflows", nil, nil, tag))
end

--- Advances every transfer and returns the finished ones. `poll(0)` never
-- blocks; `poll(ms)` first waits up to ms for activity.
-- @tparam[opt=0] number timeout_ms
-- @treturn table a sequence of results `{op=, workflow_id=, execution_id=, tag=, doc=, err=}`
function Poller:poll(timeout_ms)
  if not self._core then error("modelslab: the poller is closed", 2) end
  if timeout_ms and timeout_ms > 0 then self:wait(timeout_ms) end
  local done = {}
  for _, r in ipairs(self._core:perform()) do
    local req = self._requests[r.id]
    self._requests[r.id] = nil
    self._count = self._count - 1
    local result = req.result
    if result then
      result.doc, result.err = endpoints.judge(req.ep, r)
      if result.op == "run" and result.doc then self._client:_remember_run(result.doc.execution_id) end
      done[#done + 1] = result
    end
  end
  self:_start_queued()
  return done
end

--- Blocks until a transfer has something to do, or ms pass (plain scripts;
-- yields inside nginx; never in a frame). Returns at once when nothing is in flight.
function Poller:wait(ms)
  if self._core and self._core:active() > 0 then
    self._core:wait(math.max(0, math.floor(ms)))
  end
end

--- Milliseconds until the poller next needs a call (for event loops); 0 when
-- it has queued work it can start, -1 when nothing is pending.
function Poller:timeout()
  if not self._core or self._count == 0 then return -1 end
  if self._head <= self._tail and self._core:active() < self._max then return 0 end
  local ms = self._core:timeout()
  if ms < 0 or ms > MAX_IDLE_MS then ms = MAX_IDLE_MS end
  return ms
end

--- Transfers queued or in flight.
function Poller:pending()
  return self._count
end

--- Closes the poller, aborting what is queued or in flight. Idempotent; also
-- on garbage collection (then the aborted results have nobody to go to).
-- @treturn table the aborted results, each with `err.kind == "aborted"`
function Poller:close()
  if not self._core then return {} end
  self._core:close()
  self._core = nil
  local ids = {}
  for id, req in pairs(self._requests) do
    if req.result then ids[#ids + 1] = id end
  end
  table.sort(ids)
  local aborted = {}
  for i, id in ipairs(ids) do
    local result = self._requests[id].result
    result.err = errors.new("aborted", "the poller was closed before the transfer finished")
    aborted[i] = result
  end
  self._requests, self._queue, self._head, self._tail, self._count = {}, {}, 1, 0, 0
  return aborted
end

function Poller:__tostring()
  return string.format("modelslab.poller (%s, %d pending)", self._core and "open" or "closed", self._count)
end

Poller.__close = Poller.close
Poller.__gc = Poller.close

return poller
