--- Inside nginx: the backend of modelslab.transport (see there for the
-- interface). Requests go through a core poller driven between `ngx.sleep`
-- slices, so a worker keeps serving everyone else while we wait on the API.
-- @module modelslab.openresty

local openresty = {}

local ngx = rawget(_G, "ngx")

-- Phases in which ngx.sleep may yield to nginx's event loop.
local YIELDABLE = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

local FIRST_NAP, LONGEST_NAP = 0.001, 0.01
local MAX_TRANSFERS = 16

-- Raises in a phase that cannot yield: blocking there would stall the worker.
local function check_phase()
  local phase = ngx.get_phase()
  if not YIELDABLE[phase] then
    error("modelslab: requests cannot run in nginx's " .. phase .. " phase without blocking the worker; " ..
      "make them in rewrite, access or content handlers, or in a timer (ngx.timer.at)", 0)
  end
end

-- A core poller whose wait yields instead of blocking.
local Poller = {}
Poller.__index = Poller
for _, name in ipairs { "start", "perform", "timeout", "active", "close" } do
  Poller[name] = function(self, ...) return self.core[name](self.core, ...) end
end
function Poller.wait(_, ms)
  check_phase()
  ngx.sleep(math.max(ms, 1) / 1000)
end

--- A poller engine for `modelslab.poller`.
function openresty.poller(config, max)
  return setmetatable({ core = config.handle:poller(max) }, Poller)
end

--- Sends a request through the client's shared poller, yielding between polls.
-- @treturn table the result record
function openresty.request(config, method, url, body)
  check_phase()
  if not config.shared then
    config.shared = { core = config.handle:poller(MAX_TRANSFERS), next_id = 1, done = {} }
  end
  local shared = config.shared
  local id = shared.next_id
  shared.next_id = id + 1
  local nap = FIRST_NAP
  while not shared.core:start(id, method, url, body) do
    ngx.sleep(nap)
    nap = math.min(nap * 2, LONGEST_NAP)
  end
  nap = FIRST_NAP
  while true do
    for _, r in ipairs(shared.core:perform()) do shared.done[r.id] = r end
    local r = shared.done[id]
    if r then
      shared.done[id] = nil
      return r
    end
    ngx.sleep(nap)
    nap = math.min(nap * 2, LONGEST_NAP)
  end
end

return openresty
