--- The transport inside nginx: the bytes move through cosockets and the
-- worker's keep-alive pool, so a waiting request costs the worker nothing
-- and a client made per request still reuses connections. Outside nginx the
-- core (libcurl) does the same job; both hand back the same named results.
-- `modelslab.transport` loads it once it has found nginx; a gateway requires
-- it too, for `configure` and `active` (it needs nginx's API).
-- @module modelslab.openresty

local http = require "modelslab.openresty.http"
local worker = require "modelslab.openresty.worker"
local poller = require "modelslab.openresty.poller"

local openresty = {}

local ngx = rawget(_G, "ngx")

-- Phases in which a cosocket may yield to nginx's event loop.
local YIELDABLE = {
  rewrite = true, access = true, content = true, timer = true,
  ssl_cert = true, ssl_session_fetch = true, ssl_client_hello = true, preread = true,
}

-- Raises in a phase that cannot yield: blocking there would stall the worker.
local function check_phase(level)
  local phase = ngx.get_phase()
  if not YIELDABLE[phase] then
    error("modelslab: requests cannot run in nginx's " .. tostring(phase) .. " phase without blocking the worker; "
      .. "make them in rewrite, access or content handlers, or in a timer (ngx.timer.at)", level + 1)
  end
end

-- The header lines that carry the key, by config: out of reach of tostring,
-- pairs and error messages, and gone with the config.
local secrets = setmetatable({}, { __mode = "k" })

local Config = {}
Config.__index = Config
Config.__metatable = "modelslab.openresty config"

function Config:__tostring()
  return "modelslab.openresty config (" .. self.origin .. ")"
end

-- Where config's errors point: the caller of modelslab.new (config <-
-- transport.config <- client.new <- the caller).
local NEW_LEVEL = 4

-- The client options nginx's Lua module cannot honour: why, and what to do.
local REFUSED = {
  ca_file = "its Lua module verifies TLS against lua_ssl_trusted_certificate only; set that directive to the file "
    .. "instead",
  proxy = "cosockets connect directly; reach the API through nginx's own proxy_pass instead, or pass proxy = false",
}

--- Makes the transport's settings for one client.
-- @tparam string base_url the client's base URL (checked already)
-- @tparam table settings what the core gets: key, timeout, connect_timeout,
--   low_speed_time, max_body, user_agent, ca_file, proxy
-- @treturn table an opaque config for `request` and `poller`
-- @raise when ca_file or a proxy URL is set (see the README's OpenResty section)
function openresty.config(base_url, settings)
  for name, why in pairs(REFUSED) do
    if settings[name] then error("modelslab.new: " .. name .. " cannot be used inside nginx: " .. why, NEW_LEVEL) end
  end
  local o, why = http.origin(base_url)
  if not o then error("modelslab.new: base_url cannot be used inside nginx: " .. why, NEW_LEVEL) end
  o.base = base_url .. "/"
  o.timeout, o.connect_timeout = settings.timeout, settings.connect_timeout
  o.low_speed, o.max_body = settings.low_speed_time, settings.max_body
  local cfg = setmetatable(o, Config)
  secrets[cfg] = "key: " .. settings.key .. "\r\nAccept: application/json\r\nUser-Agent: " .. settings.user_agent
    .. "\r\n"
  return cfg
end

local function head_of(cfg, url, method, level)
  local head = secrets[cfg]
  if not head then error("modelslab: not a config made by modelslab.openresty.config", level + 1) end
  -- The key goes to the client's own origin and nowhere else.
  if url:sub(1, #cfg.base) ~= cfg.base then error("modelslab: url is not under the client's base_url", level + 1) end
  -- What could split the request line or a header (plain searches: this runs per request).
  if url:find(" ", 1, true) or url:find("\r", 1, true) or url:find("\n", 1, true) or url:find("\0", 1, true) then
    error("modelslab: url contains a space, CR, LF or NUL", level + 1)
  end
  if method ~= "GET" and method ~= "POST" then error("modelslab: method must be GET or POST", level + 1) end
  return head
end

--- Sends one request; yields while it waits. Raises in a phase that cannot yield.
-- @tparam table cfg from `config`
-- @tparam string method "GET" or "POST" (a POST is never retried, never on a reused connection)
-- @tparam string url under the client's base URL
-- @tparam[opt] string body POST's JSON body
-- @treturn table `{status=, body=, retry_after=}` or `{code=, message=, status=, retry_after=}`
function openresty.request(cfg, method, url, body)
  check_phase(2)
  local head = head_of(cfg, url, method, 2)
  return http.request(cfg, head, method, url:sub(#cfg.origin + 1), body or "")
end

--- Takes the connection a request's answer came on out of use: that answer
-- was out of step with its request (see modelslab.transport).
-- @treturn boolean true when the connection had gone back to the pool
function openresty.drop_connection(_, result)
  return http.drop(result)
end

--- Makes a poller with the core poller's methods (start, perform, wait,
-- timeout, active, drop_connection, close) whose transfers are light threads.
-- @tparam table cfg from `config`
-- @tparam number max transfers in flight at once
function openresty.poller(cfg, max)
  head_of(cfg, cfg.base, "GET", 2)
  return poller.new(max, function(method, url, level)
    check_phase(level + 1)
    head_of(cfg, url, method, level + 1)
  end, function(method, url, body)
    return http.request(cfg, secrets[cfg], method, url:sub(#cfg.origin + 1), body or "")
  end)
end

--- Sleeps without blocking the worker; ends early when the worker starts
-- a graceful stop (so waits end at once then).
-- @function sleep
openresty.sleep = worker.sleep

--- Requests to the API in flight in this worker (for monitoring).
function openresty.active()
  return worker.active()
end

--- Worker-wide settings: `max_transfers` (default 4096), requests to the API
-- in flight at once in one worker; more wait their turn (within their timeout).
-- @usage require("modelslab.openresty").configure { max_transfers = 1000 }
function openresty.configure(opts)
  if type(opts) ~= "table" then error("modelslab.openresty.configure: opts must be a table", 2) end
  worker.configure(opts)
end

return openresty
