--- Where requests go and how waiting works, decided once, when this module
-- loads: the only place that asks whether we run inside nginx.
--
-- Outside nginx, the core: libcurl, with one multi and one connection cache
-- per Lua state shared by every client and poller (src/transport.c).
--
-- Inside nginx (a global `ngx` with `get_phase`), the backend in
-- `modelslab.openresty`, which must provide:
--
--   openresty.request(config, method, url, body) -> result
--   openresty.poller(config, max) -> an object with the core poller's methods:
--     start(id, method, url, body) -> true | false (every slot busy),
--     perform() -> { result with `id`, ... }, wait(ms) (yields, never blocks),
--     timeout() -> ms | -1, active() -> n, close() -> { aborted ids }
--
-- `result` is the record of contracts.md: `{status=, body=, retry_after=}` for
-- an HTTP answer, `{code=, message=, status=}` for a transport failure.
-- `config` is the client's settings table (see `client.new`): `handle` (the
-- core handle), `timeout`, `connect_timeout`, `low_speed_time`, `max_body`,
-- `ca_file`, `user_agent`, and inside nginx only, `key`.
-- @module modelslab.transport

local core = require "modelslab.core"

local transport = {}

local ngx = rawget(_G, "ngx")

--- True inside nginx.
transport.IN_NGINX = type(ngx) == "table" and type(ngx.get_phase) == "function"

local backend = transport.IN_NGINX and require "modelslab.openresty" or nil

--- Sends one request and waits for its answer (yielding inside nginx).
-- @treturn table|nil the decoded body of a plain success (a 2xx JSON object)
-- @return the HTTP status after a decoded body, else the result record
function transport.exchange(config, method, url, body)
  if backend then
    if not config.handle:is_open() then error("modelslab: the client is closed", 0) end
    return nil, backend.request(config, method, url, body)
  end
  return config.handle:fetch(method, url, body)
end

--- A poller's engine: many transfers at once, never blocking.
function transport.poller(config, max)
  if backend then return backend.poller(config, max) end
  return config.handle:poller(max)
end

--- The default sleep and clock of waits: inside nginx, ngx.sleep yields to the
-- event loop; elsewhere the core's nanosleep and monotonic clock.
if transport.IN_NGINX then
  transport.sleep = ngx.sleep
  transport.clock = function() ngx.update_time(); return ngx.now() end
else
  transport.sleep, transport.clock = core.sleep, core.now
end

return transport
