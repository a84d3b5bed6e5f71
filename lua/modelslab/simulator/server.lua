--- A small HTTP/1.1 server over luasocket for the simulator: one coroutine per
-- connection, all driven by socket.select, so a slow or hanging answer on one
-- connection never holds up another. Keep-alive by default on HTTP/1.1;
-- request bodies only by Content-Length.
--
-- The handler is called as handler(req, sleep) inside the connection's
-- coroutine; sleep(seconds) waits without blocking other connections. It
-- returns a response table: { status, headers = {}, body = "" } plus, to
-- misbehave on purpose, close = true (drop the connection unanswered),
-- hang = true (never answer), no_length = true (no Content-Length, close after
-- the body) or truncate = N (full Content-Length, only N body bytes, close).
-- @module modelslab.simulator.server

local socket = require("socket")

local M = {}

local MAX_HEAD = 16 * 1024    -- request line and headers
local MAX_BODY = 1024 * 1024  -- request bodies larger than this get 413

local REASONS = {
  [100] = "Continue", [200] = "OK", [201] = "Created", [202] = "Accepted",
  [204] = "No Content", [301] = "Moved Permanently", [302] = "Found",
  [304] = "Not Modified", [307] = "Temporary Redirect", [400] = "Bad Request", [401] = "Unauthorized",
  [402] = "Payment Required", [403] = "Forbidden", [404] = "Not Found",
  [405] = "Method Not Allowed", [408] = "Request Timeout", [411] = "Length Required",
  [413] = "Content Too Large", [422] = "Unprocessable Content", [429] = "Too Many Requests",
  [431] = "Request Header Fields Too Large", [500] = "Internal Server Error",
  [502] = "Bad Gateway", [503] = "Service Unavailable", [504] = "Gateway Timeout",
}

local Server = {}
Server.__index = Server

--- Binds and listens. Returns the server, or nil and an error message.
-- opts: host (default "127.0.0.1"), port (0 = a free one), idle_timeout
-- (seconds, default 60), log (a function(line) or nil), on_connection (called
-- on each accepted connection).
function M.new(opts)
  local host = opts.host or "127.0.0.1"
  local listener, err = socket.bind(host, opts.port or 0, 64)
  if not listener then return nil, err end
  listener:settimeout(0)
  local _, port = listener:getsockname()
  return setmetatable({
    host = host, port = tonumber(port), listener = listener, conns = {},
    idle_timeout = opts.idle_timeout or 60, log = opts.log,
    on_connection = opts.on_connection,
  }, Server)
end

-- Reads more bytes into c.buf. Yields while nothing is there; gives up at
-- the deadline (nil = never). Returns true, or nil and "closed"/"timeout"/err.
local function fill(c, deadline)
  while true do
    local data, err, partial = c.sock:receive(8192)
    local got = data or partial
    if got and #got > 0 then
      c.buf = c.buf .. got
      return true
    end
    if err ~= "timeout" then return nil, err end
    if not coroutine.yield("read", deadline) then return nil, "timeout" end
  end
end

local function send_all(c, data)
  local i = 1
  while i <= #data do
    local last, err, partial = c.sock:send(data, i)
    if last then
      i = last + 1
    elseif err == "timeout" then
      i = partial + 1
      coroutine.yield("write")
    else
      return nil, err
    end
  end
  return true
end

local function format_response(status, headers, body, length)
  local lines = { "HTTP/1.1 " .. status .. " " .. (REASONS[status] or "Unknown") }
  for name, value in pairs(headers) do
    lines[#lines + 1] = name .. ": " .. value
  end
  if length then lines[#lines + 1] = "Content-Length: " .. length end
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end

-- Parses the head block; returns the request table or nil, HTTP status.
local function parse_head(head)
  local line, rest = head:match("^([^\r\n]*)\r?\n(.*)$")
  local method, target, version = (line or head):match("^(%u+) (%S+) HTTP/(%d%.%d)$")
  if not method then return nil, 400 end
  local path, query = target:match("^([^?#]*)%??([^#]*)")
  local req = { method = method, path = path, query = query, version = version, headers = {} }
  for hline in (rest or ""):gmatch("[^\r\n]+") do
    local name, value = hline:match("^([^:%s]+):%s*(.-)%s*$")
    if not name then return nil, 400 end
    name = name:lower()
    local old = req.headers[name]
    req.headers[name] = old and (old .. ", " .. value) or value
  end
  return req
end

-- Reads one request. Returns the request, or nil and an HTTP status to send
-- before closing (nil status: just close).
local function read_request(c, idle_timeout)
  local deadline = socket.gettime() + idle_timeout
  local head_start, head_end
  while true do
    head_start, head_end = c.buf:find("\r?\n\r?\n")
    if head_start or #c.buf > MAX_HEAD then break end
    if not fill(c, deadline) then return nil end
  end
  if not head_start or head_start > MAX_HEAD then return nil, 431 end
  local req, status = parse_head(c.buf:sub(1, head_start - 1))
  if not req then return nil, status end
  c.buf = c.buf:sub(head_end + 1)
  local h = req.headers
  if h["transfer-encoding"] then return nil, 411 end  -- chunked bodies unsupported
  local length = 0
  if h["content-length"] then
    length = tonumber(h["content-length"]:match("^%d+$"))
    if not length then return nil, 400 end
    if length > MAX_BODY then return nil, 413 end
  end
  if length > 0 and (h["expect"] or ""):lower() == "100-continue" then
    if not send_all(c, "HTTP/1.1 100 Continue\r\n\r\n") then return nil end
  end
  while #c.buf < length do
    if not fill(c, socket.gettime() + idle_timeout) then return nil end
  end
  req.body = c.buf:sub(1, length)
  c.buf = c.buf:sub(length + 1)
  local conn = (h["connection"] or ""):lower()
  req.keep_alive = req.version == "1.1" and not conn:find("%f[%w]close%f[%W]")
  return req
end

function Server:write_log(req, what)
  if self.log then self.log(req.method .. " " .. req.path .. " " .. what) end
end

-- Sends a response the handler returned; returns true to keep the connection.
function Server:respond(c, req, res)
  if res.close then
    self:write_log(req, "close")
    return false
  end
  if res.hang then
    self:write_log(req, "hang")
    c.writing = true  -- nothing more will be sent on this connection
    while fill(c, nil) do c.buf = "" end  -- until the client goes away
    return false
  end
  local body = res.body or ""
  local headers = {}
  for k, v in pairs(res.headers or {}) do headers[k] = v end
  local keep = req.keep_alive and not res.no_length and not res.truncate
  headers["Connection"] = keep and "keep-alive" or "close"
  headers["Server"] = "modelslab-simulator"
  local length = not res.no_length and #body or nil
  if res.truncate then body = body:sub(1, res.truncate) end
  self:write_log(req, tostring(res.status))
  c.writing = true
  local ok = send_all(c, format_response(res.status, headers, body, length))
  c.writing = false
  return ok and keep
end

-- The life of one connection: requests in a loop until either side closes.
function Server:connection(c, handler)
  local function sleep(seconds)
    coroutine.yield("sleep", socket.gettime() + seconds)
  end
  while true do
    local req, status = read_request(c, self.idle_timeout)
    if not req then
      if status then
        self:write_log({ method = "-", path = "-" }, tostring(status))
        local body = '{"status":"error","message":"' .. REASONS[status] .. '"}'
        send_all(c, format_response(status, { Connection = "close",
          ["Content-Type"] = "application/json" }, body, #body))
      end
      return
    end
    if not self:respond(c, req, handler(req, sleep)) then return end
  end
end

function Server:spawn(sock, handler)
  sock:settimeout(0)
  sock:setoption("tcp-nodelay", true)
  local c = { sock = sock, buf = "" }
  c.co = coroutine.create(function() self:connection(c, handler) end)
  self.conns[c] = true
  if self.on_connection then self.on_connection() end
  self:resume(c, true)
end

-- Runs the connection until it waits again; closes it when it is done.
function Server:resume(c, ...)
  c.wait, c.deadline = nil, nil
  local ok, what, arg = coroutine.resume(c.co, ...)
  if ok and coroutine.status(c.co) == "suspended" then
    c.wait, c.deadline = what, arg
    return
  end
  if not ok then
    io.stderr:write("modelslab-simulator: internal error: ", tostring(what), "\n")
    if not c.writing then  -- best effort: tell the client something went wrong
      local body = '{"status":"error","message":"Simulator internal error"}'
      c.sock:settimeout(1)
      c.sock:send(format_response(500, { Connection = "close",
        ["Content-Type"] = "application/json" }, body, #body))
    end
  end
  c.sock:close()
  self.conns[c] = nil
end

--- Serves forever. tick (optional) is called about once a second.
function Server:serve(handler, tick)
  while true do
    local recvt, sendt = { self.listener }, {}
    local now = socket.gettime()
    local timeout = 1
    for c in pairs(self.conns) do
      if c.wait == "read" then recvt[#recvt + 1] = c.sock end
      if c.wait == "write" then sendt[#sendt + 1] = c.sock end
      if c.deadline then timeout = math.min(timeout, math.max(0, c.deadline - now)) end
    end
    local readable, writable = socket.select(recvt, sendt, timeout)
    if readable[self.listener] then
      while true do  -- accept everything that is waiting
        local sock = self.listener:accept()
        if not sock then break end
        self:spawn(sock, handler)
      end
    end
    now = socket.gettime()
    local ready = {}
    for c in pairs(self.conns) do
      if (c.wait == "read" and readable[c.sock]) or (c.wait == "write" and writable[c.sock]) then
        ready[#ready + 1] = { c, true }
      elseif c.deadline and now >= c.deadline then
        ready[#ready + 1] = { c, c.wait == "sleep" }  -- false: a read timed out
      end
    end
    for _, r in ipairs(ready) do
      if self.conns[r[1]] then self:resume(r[1], r[2]) end
    end
    if tick then tick() end
  end
end

M.REASONS = REASONS
--- Sends all of data from a connection's coroutine, yielding while the socket is full.
M.send_all = send_all

return M
