--- Inside nginx: requests go through a poller driven between `ngx.sleep`
-- slices, so a worker keeps serving everyone else while we wait on the API.
-- @module modelslab.openresty

local openresty = {}

-- Phases in which ngx.sleep may yield to nginx's event loop.
local YIELDABLE = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

local FIRST_NAP, LONGEST_NAP = 0.001, 0.01

--- The nginx phase we run in, or nil outside nginx.
function openresty.phase()
  local ngx = rawget(_G, "ngx")
  if type(ngx) ~= "table" or type(ngx.get_phase) ~= "function" then return nil end
  return ngx.get_phase()
end

--- Sends a request through the client's poller, yielding between polls.
-- Raises in a phase that cannot yield: blocking there would stall the worker.
-- @treturn table|nil the decoded body
-- @treturn table the error
function openresty.request(client, phase, method, path, body)
  if not YIELDABLE[phase] then
    error("modelslab: requests cannot run in nginx's " .. phase .. " phase without blocking the worker; " ..
      "make them in rewrite, access or content handlers, or in a timer (ngx.timer.at)", 3)
  end
  local ngx = rawget(_G, "ngx")
  local poller = client:_shared_poller()
  local id = poller:_request(method, path, body)
  local nap = FIRST_NAP
  while true do
    poller:poll(0)
    local r = poller:_take(id)
    if r then return r[1], r[2], r[3] end
    ngx.sleep(nap)
    nap = math.min(nap * 2, LONGEST_NAP)
  end
end

return openresty
