--- One request to the API over an nginx cosocket, with the worker's
-- keep-alive pool: the HTTP/1.1 client of the nginx transport.
-- @module modelslab.openresty.http

local reader = require "modelslab.openresty.response"
local worker = require "modelslab.openresty.worker"

local ngx = rawget(_G, "ngx")
local tcp = ngx.socket.tcp
local find, format = string.find, string.format
local fail = reader.fail

local http = {}

local KEEPALIVE_MS = 60000 -- idle connections live this long in the pool
local POOL_SIZE = 256 -- idle connections kept per origin in each worker

-- connect's pool options by origin, shared by every client of the worker, so
-- that retiring a pool (http.drop) reaches them all.
local pools = {}
local retired = 0
-- result -> the pool options of the connection it came on, while that
-- connection waits in the pool (weak: nothing is kept for long).
local kept = setmetatable({}, { __mode = "k" })

-- A cosocket's error text, as the core's code names.
local function connect_failure(err, started)
  if err == "timeout" then
    return fail("OPERATION_TIMEDOUT", format("Connection timed out after %d milliseconds",
      (ngx.now() - started) * 1000))
  end
  if find(err, "resolve", 1, true) or find(err, "resolver", 1, true) then
    return fail("COULDNT_RESOLVE_HOST", "Could not resolve host: " .. err)
  end
  return fail("COULDNT_CONNECT", "Failed to connect: " .. err)
end

local function tls_failure(err)
  if err == "timeout" then return fail("OPERATION_TIMEDOUT", "TLS handshake timed out") end
  if find(err, "verif", 1, true) or find(err, "mismatch", 1, true) then
    return fail("PEER_FAILED_VERIFICATION", "TLS: " .. err)
  end
  return fail("SSL_CONNECT_ERROR", "TLS: " .. err)
end

-- Connects, from the pool when allowed (pool: connect's options); sock,
-- reused, or nil and a result.
local function open(o, pool, deadline, started)
  local sock = tcp()
  local left = deadline - ngx.now()
  if left <= 0 then return nil, connect_failure("timeout", started) end
  -- The read timeout stands for the answer's first read (see reader.stream).
  local io = math.min(o.low_speed, left) * 1000
  sock:settimeouts(math.min(o.connect_timeout, left) * 1000, io, io)
  local ok, err = sock:connect(o.connect_host, o.port, pool)
  if not ok then return nil, connect_failure(err, started) end
  local reused = sock:getreusedtimes()
  if reused == 0 and o.tls then
    -- Verification against lua_ssl_trusted_certificate; the name is checked
    -- too. When the handshake ends without yielding, lua-nginx-module 0.10.23
    -- reports a refused certificate as success (or, asked for a session,
    -- fails an assertion) and has closed the socket: that is checked too.
    ok, err = sock:sslhandshake(false, o.host, true)
    if ok and not sock:getreusedtimes() then
      ok, err = nil, "certificate verify failed (nginx's error log says why)"
    end
    if not ok then
      sock:close()
      return nil, tls_failure(err)
    end
  end
  return sock, reused > 0
end

-- The exchange itself, on a connection of the pool (or, for a POST, a new one).
local function exchange(o, head, method, target, body, started, deadline)
  local post = method == "POST"
  local req
  if post then
    req = { "POST ", target, " HTTP/1.1\r\nHost: ", o.authority, "\r\n", head,
      "Content-Type: application/json\r\nContent-Length: ", tostring(#body), "\r\n\r\n", body }
  else
    req = { "GET ", target, " HTTP/1.1\r\nHost: ", o.authority, "\r\n", head, "\r\n" }
  end
  -- A POST starts work that costs money: a connection of its own, never
  -- reused, never retried. A GET may go again once when a reused connection
  -- turns out to have been closed before it carried any answer.
  local pool = post and o.fresh_pool or o.pool
  local result
  for _ = 1, 2 do
    local sock, reused = open(o, pool, deadline, started)
    if not sock then
      result = reused
      break
    end
    local stale, keep
    local sent, err = sock:send(req)
    if not sent then
      result = err == "timeout" and fail("OPERATION_TIMEDOUT", "timed out sending the request")
        or fail("SEND_ERROR", "Send failure: " .. err)
      stale = reused and not post
    else
      local s = reader.stream(sock, deadline, o.low_speed, ngx.now())
      result, keep = reader.read(s, o.max_body)
      stale = reused and not post and s.got == 0 and (result.code == "GOT_NOTHING" or result.code == "RECV_ERROR")
    end
    if keep and not post then
      sock:setkeepalive(KEEPALIVE_MS)
      kept[result] = pool
    else
      sock:close()
    end
    if not stale then break end
  end
  return result
end

--- Sends one request and reads its answer.
-- @tparam table o the transport's settings (see modelslab.openresty)
-- @tparam string head the header lines after Host, each ending in CRLF
-- @tparam string method "GET" or "POST"
-- @tparam string target the request target ("/api/v1/...")
-- @tparam[opt] string body POST's body
-- @treturn table the result: `{status, body, retry_after}` or `{code, message, status, retry_after}`
function http.request(o, head, method, target, body)
  -- nginx's clock of this event-loop turn: ngx.update_time would format
  -- nginx's cached time strings on every request for a few ms of precision.
  local started = ngx.now()
  if not worker.acquire(o.timeout) then
    if worker.exiting() then return worker.exit_failure() end
    return fail("OPERATION_TIMEDOUT", "no transfer slot freed up in time (max_transfers)")
  end
  -- The slot comes back whatever happens, a bug raising included.
  local ok, result = pcall(exchange, o, head, method, target, body, started, started + o.timeout)
  worker.release()
  if not ok then error(result, 0) end
  return result
end

--- Takes the connection result came on out of use, if it went back to the
-- pool: a cosocket pool cannot give one connection back by name, so the
-- whole pool of its origin is renamed; its idle connections are never
-- handed out again and nginx closes them when their keep-alive time ends.
-- @treturn boolean true when the connection was in the pool
function http.drop(result)
  local pool = kept[result]
  if not pool then return false end
  kept[result] = nil
  retired = retired + 1
  pool.pool = pool.name .. " #" .. retired
  return true
end

--- Splits a base URL into what a connection needs; nil and why when the
-- nginx transport cannot reach it.
function http.origin(base_url)
  local scheme, authority = base_url:match("^([hH][tT][tT][pP][sS]?)://([^/]+)")
  if not scheme then return nil, "not an http or https URL" end
  scheme = scheme:lower()
  local host, port = authority:match("^%[([%x:.]+)%]:?(%d*)$")
  if not host then host, port = authority:match("^([%w.-]+):?(%d*)$") end
  if not host then return nil, "cannot use the host " .. authority end
  local tls = scheme == "https"
  port = tonumber(port) or (tls and 443 or 80)
  if port < 1 or port > 65535 then return nil, "port out of range" end
  host = host:lower()
  -- nginx's resolver does not read /etc/hosts; localhost is loopback by definition.
  local connect_host = host == "localhost" and "127.0.0.1" or host:find(":", 1, true) and "[" .. host .. "]" or host
  local origin = scheme .. "://" .. authority
  local name = "modelslab " .. origin
  -- connect reads pool and pool_size; name is the pool's first name, for http.drop.
  pools[origin] = pools[origin] or { pool = name, pool_size = POOL_SIZE, name = name }
  return {
    tls = tls, host = host, connect_host = connect_host, port = port, authority = authority,
    origin = origin,
    -- connect's options: a POST's pool is never filled, so each POST
    -- connects anew.
    pool = pools[origin],
    fresh_pool = { pool = "modelslab POST " .. origin },
  }
end

return http
