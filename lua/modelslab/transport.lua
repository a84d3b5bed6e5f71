--- Where requests go and how waiting works, decided once, when this module
-- loads: the only place that asks whether we run inside nginx.
--
-- Outside nginx, the core: libcurl, with one multi and one connection cache
-- per Lua state shared by every client and poller (src/transport.c).
--
-- Inside nginx (a global `ngx` with `get_phase`), cosockets and the worker's
-- keep-alive pool (`modelslab.openresty`), which provides:
--
--   openresty.config(base_url, settings) -> an opaque config (it keeps the key)
--   openresty.request(cfg, method, url, body) -> result
--   openresty.poller(cfg, max) -> an object with the core poller's methods:
--     start(id, method, url, body) -> true | false (every slot busy),
--     perform() -> { result with `id`, ... }, wait(ms) (yields, never blocks),
--     timeout() -> ms | -1, active() -> n, close() -> { aborted ids },
--     drop_connection(id) -> true when it took the connection id's answer came on out of use
--   openresty.drop_connection(cfg, result) -> the same, for a request's result
--   openresty.sleep(seconds) (yields; ends early when the worker exits)
--
-- `result` is the record of contracts.md: `{status=, body=, retry_after=}` for
-- an HTTP answer, `{code=, message=, status=}` for a transport failure.
-- @module modelslab.transport

local core = require "modelslab.core"

local transport = {}

local ngx = rawget(_G, "ngx")

local in_nginx = type(ngx) == "table" and type(ngx.get_phase) == "function"
local backend = in_nginx and require "modelslab.openresty" or nil

--- Transfers a poller runs at once unless told otherwise: inside nginx each
-- is a light thread, cheap enough for many.
transport.MAX_TRANSFERS = backend and 1024 or 16

--- Makes a client's transport from its settings (what `core.new` takes:
-- key, timeout, connect_timeout, low_speed_time, max_body, ca_file,
-- user_agent, proxy). The key and a proxy's password stay inside the core,
-- and inside nginx in the backend's private table; the config keeps neither.
-- Raises, for the caller of `modelslab.new`, on what the backend cannot do.
-- @treturn table the config: `handle` (the core handle), and inside nginx `nginx`
function transport.config(base_url, settings)
  local nginx = backend and backend.config(base_url, settings)
  return { handle = core.new(settings), nginx = nginx }
end

--- Sends one request and waits for its answer (yielding inside nginx).
-- @treturn table|nil the decoded body of a plain success (a 2xx JSON object)
-- @return the HTTP status after a decoded body, else the result record
function transport.exchange(config, method, url, body)
  if backend then
    if not config.handle:is_open() then error("modelslab: the client is closed", 0) end
    return nil, backend.request(config.nginx, method, url, body)
  end
  return config.handle:fetch(method, url, body)
end

--- Takes out of use the connection the last exchange's answer came on
-- (result: its record, when it was not decoded): that answer was out of step
-- with its request, so nothing more may be read from the connection.
-- @treturn boolean true when it was still open (inside nginx: pooled)
function transport.drop_connection(config, result)
  if backend then return backend.drop_connection(config.nginx, result) end
  return config.handle:drop_connection()
end

--- A poller's engine: many transfers at once, never blocking.
function transport.poller(config, max)
  if backend then return backend.poller(config.nginx, max) end
  return config.handle:poller(max)
end

-- The default sleep and clock of waits: inside nginx a sleep that yields to
-- the event loop (and ends at once when the worker starts a graceful stop)
-- and ngx.now; elsewhere the core's nanosleep and monotonic clock.
local function nginx_clock() ngx.update_time(); return ngx.now() end

--- The default sleep of waits (seconds).
-- @function sleep
transport.sleep = backend and backend.sleep or core.sleep

--- The default clock of waits (seconds).
-- @function clock
transport.clock = backend and nginx_clock or core.now

return transport
