--- The poller: many status fetches at once, driven by calls that never block.
-- Built on libcurl's multi interface in the core; this layer keeps the queue
-- beyond the concurrent-transfer cap and turns finished transfers into
-- results with the same documents and errors as `client:status`.
-- @classmod modelslab.poller

local check = require "modelslab.check"
local errors = require "modelslab.errors"
local response = require "modelslab.response"
local document = require "modelslab.document"
local openresty = require "modelslab.openresty"

local poller = {}

local DEFAULT_MAX_TRANSFERS = 16
local NGINX_MAX_TRANSFERS = 1024
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
  -- Inside nginx a transfer is a light thread, cheap enough for a higher default.
  local max = opts.max_transfers or (client._nginx and NGINX_MAX_TRANSFERS or DEFAULT_MAX_TRANSFERS)
  if type(max) ~= "number" or max < 1 or max > 1024 or max ~= math.floor(max) then
    error("modelslab.poller: max_transfers must be a whole number from 1 to 1024", 3)
  end
  return setmetatable({
    -- Inside nginx, light threads on cosockets (modelslab.openresty).
    _core = client._nginx and openresty.poller(client._nginx, max) or client._handle:poller(max),
    _base_url = client.base_url, _max = max,
    _requests = {}, _queue = {}, _next_id = 1, _count = 0, _ready = {},
  }, Poller)
end

-- Queues a request; returns its id.
function Poller:_submit(req)
  if not self._core then error("modelslab: the poller is closed", 3) end
  local id = self._next_id
  self._next_id = id + 1
  req.id = id
  self._requests[id] = req
  self._queue[#self._queue + 1] = req
  self._count = self._count + 1
  self:_start_queued()
  return id
end

function Poller:_start_queued()
  local started = 0
  for _, req in ipairs(self._queue) do
    if not self._core:start(req.id, req.method, req.url, req.body) then break end
    started = started + 1
  end
  if started > 0 then
    local rest = {}
    for i = started + 1, #self._queue do rest[#rest + 1] = self._queue[i] end
    self._queue = rest
  end
end

--- Queues one status fetch. Exactly one result comes back per call, from
-- `poll` (or from `close`, as an abort).
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @param[opt] tag any value, handed back with the result
function Poller:add(workflow_id, execution_id, tag)
  check.workflow_id("poller:add", workflow_id)
  local id = check.execution_id("poller:add", execution_id)
  self:_submit {
    method = "GET", url = self._base_url .. "/workflows/" .. workflow_id .. "/runs/" .. id, status = true,
    result = { workflow_id = workflow_id, execution_id = execution_id, tag = tag },
  }
end

-- A request of the client's own (any endpoint); its (body, err) is kept for
-- `_take` instead of being returned by `poll`.
function Poller:_request(method, path, body)
  return self:_submit { method = method, url = self._base_url .. path, body = body, internal = true }
end

-- The (decoded body, err) of an internal request once it finished, or nil.
function Poller:_take(id)
  local r = self._ready[id]
  if r then self._ready[id] = nil end
  return r
end

-- The core's positional result { id, status, body, retry_after } or
-- { id, nil, code, message, status } with the names the nginx transport uses
-- (until the core hands back named fields itself).
local function named(r)
  if r.id then return r end
  if r[2] == nil then return { id = r[1], code = r[3], message = r[4], status = r[5] } end
  return { id = r[1], status = r[2], body = r[3], retry_after = r[4] }
end

local function judge(req, r)
  local doc, err
  if r.code then
    err = response.failure(r.code, r.message, r.status)
  else
    doc, err = response.read(r.status, r.body, r.retry_after)
    if doc and req.status then doc, err = document.status(doc, r.status) end
  end
  return doc, err, r.status
end

--- Advances every transfer and returns the finished ones. `poll(0)` never
-- blocks; `poll(ms)` first waits up to ms for activity.
-- @tparam[opt=0] number timeout_ms
-- @treturn table a sequence of results `{workflow_id=, execution_id=, tag=, doc=, err=}`
function Poller:poll(timeout_ms)
  if not self._core then error("modelslab: the poller is closed", 2) end
  if timeout_ms and timeout_ms > 0 then self:wait(timeout_ms) end
  local done = {}
  for _, r in ipairs(self._core:perform()) do
    r = named(r)
    local req = self._requests[r.id]
    self._requests[r.id] = nil
    self._count = self._count - 1
    local doc, err, http_status = judge(req, r)
    if req.internal then
      self._ready[req.id] = { doc, err, http_status }
    else
      req.result.doc, req.result.err = doc, err
      done[#done + 1] = req.result
    end
  end
  self:_start_queued()
  return done
end

--- Blocks until a transfer has something to do, or ms pass (plain scripts;
-- never inside nginx or a frame). Returns at once when nothing is in flight.
function Poller:wait(ms)
  if self._core and self._core:active() > 0 then
    self._core:wait(math.max(0, math.floor(ms)))
  end
end

--- Milliseconds until the poller next needs a call (for event loops); 0 when
-- it has queued work it can start, -1 when nothing is pending.
function Poller:timeout()
  if not self._core or self._count == 0 then return -1 end
  if #self._queue > 0 and self._core:active() < self._max then return 0 end
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
  local aborted = {}
  for id, req in pairs(self._requests) do
    local err = errors.new("aborted", "the poller was closed before the transfer finished")
    if req.internal then
      self._ready[id] = { nil, err }
    else
      req.result.err, req.result._id = err, id
      aborted[#aborted + 1] = req.result
    end
  end
  self._requests, self._queue, self._count = {}, {}, 0
  table.sort(aborted, function(a, b) return a._id < b._id end)
  for _, result in ipairs(aborted) do result._id = nil end
  return aborted
end

function Poller:__tostring()
  return string.format("modelslab.poller (%s, %d pending)", self._core and "open" or "closed", self._count)
end

Poller.__close = Poller.close
Poller.__gc = Poller.close

return poller
