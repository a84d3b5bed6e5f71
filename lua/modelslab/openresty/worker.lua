--- What one nginx worker shares across requests: the cap on transfers in
-- flight, and the news that the worker is shutting down, which ends every
-- sleep and queued transfer at once so a graceful stop takes no longer than
-- the transfers already on the wire.
-- @module modelslab.openresty.worker

local ngx = rawget(_G, "ngx")
local semaphore = require "ngx.semaphore"

local worker = {}

local settings = { max_transfers = 4096 }
local active = 0
local held = setmetatable({}, { __mode = "k" }) -- coroutine -> true while it holds a slot
local slots, exit_sema -- made in the worker, on first use
local to_wake = setmetatable({}, { __mode = "k" }) -- semaphores to post at exit

--- Changes the worker-wide limits: `max_transfers` (default 4096), requests
-- to the API in flight at once in one worker; more wait their turn.
function worker.configure(opts)
  local max = opts.max_transfers
  if max ~= nil then
    if type(max) ~= "number" or max < 1 or max ~= math.floor(max) then
      error("modelslab.openresty.configure: max_transfers must be a whole number above 0", 3)
    end
    settings.max_transfers = max
  end
end

--- True once the worker is shutting down.
function worker.exiting()
  return ngx.worker.exiting()
end

--- What a request gets once the worker is shutting down.
function worker.exit_failure()
  return { code = "WORKER_EXITING", message = "the nginx worker is shutting down" }
end

local function wake_all(sema)
  local waiting = -sema:count()
  if waiting > 0 then sema:post(waiting) end
end

-- Pending timers run early, with premature = true, when the worker starts
-- its graceful stop: one such timer per worker is our signal. A week, then
-- again: nginx hands the delay to epoll_wait as an int of milliseconds.
local WATCH_SECONDS = 7 * 86400

local on_exit
local function arm()
  local ok, err = ngx.timer.at(WATCH_SECONDS, on_exit)
  if not ok then ngx.log(ngx.WARN, "modelslab: cannot watch for the worker's exit: ", err) end
end

function on_exit(premature)
  if not premature then return arm() end
  wake_all(exit_sema)
  wake_all(slots)
  for sema in pairs(to_wake) do wake_all(sema) end
  -- The posts resume their waiters from nginx's posted events, which run
  -- after its next wait for I/O; a zero sleep makes that wait end at once.
  ngx.sleep(0)
end

local function watch()
  if exit_sema then return end
  exit_sema, slots = semaphore.new(), semaphore.new()
  arm()
end

--- Has sema posted (to all its waiters) when the worker starts to exit.
function worker.wake_at_exit(sema)
  watch()
  to_wake[sema] = true
end

--- Sleeps without blocking the worker; returns early when it starts to exit.
function worker.sleep(seconds)
  if seconds <= 0 or ngx.worker.exiting() then return end
  watch()
  exit_sema:wait(seconds)
end

-- A slot whose coroutine nginx ended mid-request (ngx.exit, an error in the
-- entry thread, a client abort under lua_check_client_abort) is never given
-- back; its entry leaves `held` with the collected coroutine. Counting the
-- entries, only when the cap seems reached, takes such slots back.
local function recount()
  active = 0
  for _ in pairs(held) do active = active + 1 end
  return active
end

--- Takes a transfer slot for the running coroutine, waiting up to `seconds`
-- for one; false when the wait ran out or the worker is exiting.
function worker.acquire(seconds)
  if ngx.worker.exiting() then return false end
  if active >= settings.max_transfers and recount() >= settings.max_transfers then
    watch()
    local ok = slots:wait(seconds)
    if not ok or ngx.worker.exiting() then return false end
  end
  active = active + 1
  held[coroutine.running()] = true
  return true
end

--- Gives back the slot co (default: the running coroutine) holds, if any,
-- handing it to the next in line. A killed light thread's slot comes back so.
function worker.release(co)
  co = co or coroutine.running()
  if not held[co] then return end
  held[co] = nil
  active = active - 1
  if slots and slots:count() < 0 then slots:post(1) end
end

--- Requests in flight in this worker.
function worker.active()
  return recount()
end

return worker
