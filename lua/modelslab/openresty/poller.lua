--- The nginx transport's poller: the core poller's methods, each transfer a
-- light thread (ngx.thread) on a cosocket. Nothing here polls: a finished
-- transfer posts a semaphore that `wait` sleeps on.
-- @module modelslab.openresty.poller

local semaphore = require "ngx.semaphore"
local worker = require "modelslab.openresty.worker"
local http = require "modelslab.openresty.http"

local ngx = rawget(_G, "ngx")
local spawn, kill = ngx.thread.spawn, ngx.thread.kill

local poller = {}

local Poller = {}
Poller.__index = Poller

local function exiting_result(id)
  local r = worker.exit_failure()
  r.id = id
  return r
end

--- Makes a poller running up to max transfers at once through
-- request(method, url, body) -> result, after check(method, url, level)
-- raised on what cannot be sent.
function poller.new(max, check, request)
  local sema = semaphore.new()
  worker.wake_at_exit(sema)
  return setmetatable({
    _check = check, _request = request, _max = max, _threads = {}, _active = 0, _done = {}, _sema = sema,
    _handed = {},
  }, Poller)
end

local function run(self, id, method, url, body)
  -- A bug that raises must still end the transfer, or its waiter would wait on.
  local ok, r = pcall(self._request, method, url, body)
  if not ok then
    ngx.log(ngx.ERR, "modelslab: ", r)
    r = { code = "CURLE_OTHER", message = "internal error in the nginx transport (see nginx's error log)" }
  end
  if self._threads[id] == nil then return end -- closed or aborted meanwhile
  self._threads[id] = nil
  self._active = self._active - 1
  r.id = id
  self._done[#self._done + 1] = r
  if self._sema:count() < 0 then self._sema:post(1) end
end

--- Starts a transfer; false when max are in flight.
function Poller:start(id, method, url, body)
  if not self._threads then error("modelslab: the poller is closed", 2) end
  self._check(method, url, 2)
  if self._active >= self._max then return false end
  if worker.exiting() then
    self._done[#self._done + 1] = exiting_result(id)
    return true
  end
  self._active = self._active + 1
  self._threads[id] = true -- before spawn: the thread may finish inside it
  local thread = spawn(run, self, id, method, url, body)
  if self._threads[id] then self._threads[id] = thread end
  return true
end

-- Ends every transfer in flight; their ids, in order.
function Poller:_abort()
  local ids = {}
  for id, thread in pairs(self._threads) do
    if thread ~= true then
      kill(thread)
      worker.release(thread)
    end
    ids[#ids + 1] = id
  end
  table.sort(ids)
  self._threads, self._active = {}, 0
  return ids
end

--- The finished transfers since the last call, each a result with `id`.
-- When the worker is exiting, those in flight end at once, as errors.
function Poller:perform()
  local done = self._done
  if self._active > 0 and worker.exiting() then
    for _, id in ipairs(self:_abort()) do done[#done + 1] = exiting_result(id) end
  end
  self._done, self._handed = {}, done
  return done
end

--- Takes the connection the answer of transfer id came on out of use (see
-- http.drop), for a result the last `perform` handed out.
-- @treturn boolean true when that connection was in the pool
function Poller:drop_connection(id)
  for _, r in ipairs(self._handed) do
    if r.id == id then return http.drop(r) end
  end
  return false
end

--- Sleeps (yielding) until a transfer finishes or ms pass.
function Poller:wait(ms)
  if #self._done > 0 or self._active == 0 or ms <= 0 then return end
  self._sema:wait(ms / 1000)
end

--- Nothing needs a call to make progress: 0 when results are waiting, else -1.
function Poller:timeout()
  return #self._done > 0 and 0 or -1
end

--- Transfers in flight.
function Poller:active()
  return self._active
end

--- Ends every transfer in flight; returns their ids. Idempotent.
function Poller:close()
  if not self._threads then return {} end
  local ids = self:_abort()
  self._threads, self._done, self._handed = nil, {}, {}
  return ids
end

return poller
