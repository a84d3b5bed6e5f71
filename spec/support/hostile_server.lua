-- The hostile server: plays the answers of spec/support/hostile.lua on three
-- loopback listeners (main: 127.0.0.1, other: 127.0.0.1 on another port,
-- alt: 127.0.0.2) and counts what arrives, so a spec can tell whether a
-- request or a `key` header ever reached the other two. A fourth, proxy,
-- acts as an HTTP forward proxy: it records a request in absolute form and
-- answers it as main would, without main counting it. One coroutine per
-- connection over socket.select, so a hanging or dripping answer never holds
-- up another connection.
--
-- usage: lua5.4 spec/support/hostile_server.lua [--parent-pid PID]
-- prints "hostile listening on MAIN OTHER ALT PROXY" (host:port each) when ready.

local socket = require "socket"
local cjson = require "cjson"

local dir = (arg[0] or ""):match("^(.*)/[^/]*$") or "."
package.path = dir .. "/../../lua/?.lua;" .. dir .. "/../../lua/?/init.lua;" .. package.path
local hostile = dofile(dir .. "/hostile.lua")
-- The simulator's sender: yields while the socket is full.
local send = require("modelslab.simulator.server").send_all

local MAX_HEAD = 64 * 1024
local IDLE = 30 -- seconds before an idle keep-alive connection is dropped

local parent_pid
for i = 1, #arg do
  if arg[i] == "--parent-pid" then parent_pid = tonumber(arg[i + 1]) end
end

local function listen(host)
  local l = assert(socket.bind(host, 0, 128))
  l:settimeout(0)
  local ip, port = l:getsockname()
  return { sock = l, addr = ip .. ":" .. port }
end

local listeners = { main = listen("127.0.0.1"), other = listen("127.0.0.1"), alt = listen("127.0.0.2"),
  proxy = listen("127.0.0.1") }

local stats, state
local function reset()
  stats = { by_case = {}, soak = { requests = 0, faults = 0 } }
  for name in pairs(listeners) do
    stats[name] = { accepted = 0, connections = 0, requests = 0, key_requests = 0, header_names = {}, targets = {} }
  end
  state = { answered = {}, soak_polls = {} }
end
reset()

-- Coroutine side: each returns only when the socket is ready or time has come.
local function receive(c)
  while true do
    local data, err, partial = c.sock:receive(8192)
    data = data or partial
    if data and #data > 0 then return data end
    if err ~= "timeout" then return nil end
    if not coroutine.yield("read", socket.gettime() + IDLE) then return nil end
  end
end

local function sleep(seconds)
  coroutine.yield("sleep", socket.gettime() + seconds)
end

-- Reads one request head (and a Content-Length body); nil when the client left.
local function read_request(c)
  while not c.buf:find("\r\n\r\n", 1, true) do
    if #c.buf > MAX_HEAD then return nil end
    local data = receive(c)
    if not data then return nil end
    c.buf = c.buf .. data
  end
  local head_end = c.buf:find("\r\n\r\n", 1, true)
  local head = c.buf:sub(1, head_end - 1)
  c.buf = c.buf:sub(head_end + 4)
  local method, target = head:match("^(%u+) (%S+) HTTP/1%.%d")
  local req = { method = method or "?", target = target or "?", headers = {}, raw_head = head }
  for name, value in head:gmatch("\r\n([^:\r\n]+):[ \t]*([^\r\n]*)") do
    req.headers[name:lower()] = value
  end
  local length = tonumber(req.headers["content-length"] or "0") or 0
  while #c.buf < length do
    local data = receive(c)
    if not data then return nil end
    c.buf = c.buf .. data
  end
  c.buf = c.buf:sub(length + 1)
  return req
end

local function record(listener, req)
  local s = stats[listener]
  s.requests = s.requests + 1
  if req.headers.key then s.key_requests = s.key_requests + 1 end
  for name in pairs(req.headers) do s.header_names[name] = true end
  table.insert(s.targets, req.method .. " " .. req.target)
  if #s.targets > 20 then table.remove(s.targets, 1) end
end

local close_idle -- below, with the connections

local function control(req, c)
  if req.target == "/_hostile/reset" then
    reset()
    close_idle(c)
  end
  local body = cjson.encode(stats)
  return { { "send", hostile.http(200, "application/json", body, { "Connection: close" }) }, { "close" } }
end

local function not_found()
  return { { "send", hostile.http(404, "application/json", '{"status":"error","message":"Execution not found"}') } }
end

-- What to play for a request on the main listener.
local function answer_main(req, c)
  if req.target:find("^/_hostile/") then return control(req, c) end
  local odd = req.target:match("^/odd/(%a+)/")
  if odd then
    local answered = state.answered["odd " .. odd] or 0
    if req.target:find("/runs/") then state.answered["odd " .. odd] = answered + 1 end
    return hostile.odd_answer(odd, req.target, answered) or not_found()
  end
  local case, asked = hostile.case_of(req.target)
  local id = tonumber(asked)
  if id and id >= hostile.SOAK_IDS[1] and id <= hostile.SOAK_IDS[2] then
    local polls = (state.soak_polls[id] or 0) + 1
    local roll = math.random()
    local actions, done = hostile.soak_answer(id, polls, roll)
    state.soak_polls[id] = not done and polls or nil
    stats.soak.requests = stats.soak.requests + 1
    if roll < 0.05 then stats.soak.faults = stats.soak.faults + 1 end
    return actions
  end
  if not case then return not_found() end
  stats.by_case[case.name] = (stats.by_case[case.name] or 0) + 1
  local ctx = { conn_requests = c.requests, answered = state.answered[case.name] or 0,
    other = listeners.other.addr, alt = listeners.alt.addr }
  local actions = hostile.for_id(case.respond(req, ctx), asked)
  if actions[1] and actions[1][1] == "send" then state.answered[case.name] = ctx.answered + 1 end
  return actions
end

-- The other listeners answer like a good server would, so a client that
-- followed a redirect there would visibly succeed.
local function answer_elsewhere()
  return { { "send", hostile.http(200, "application/json", hostile.COMPLETED) } }
end

-- Plays actions; true when the connection may serve another request.
local function play(c, actions)
  for _, a in ipairs(actions) do
    local what = a[1]
    if what == "send" then
      if not send(c, a[2]) then return false end
    elseif what == "drip" then
      for i = 1, #a[2] do
        if not send(c, a[2]:sub(i, i)) then return false end
        sleep(a[3])
      end
    elseif what == "reset" then
      c.sock:setoption("linger", { on = true, timeout = 0 })
      return false
    elseif what == "close" then
      return false
    elseif what == "sleep" then
      sleep(a[2])
    elseif what == "skip_next" then
      c.skip = (c.skip or 0) + 1
    elseif what == "hang" then
      while receive(c) do end -- until the client goes away
      return false
    end
  end
  return true
end

local function serve(c)
  while true do
    local req = read_request(c)
    if not req then return end
    c.requests = c.requests + 1
    local is_control = req.target:find("^/_hostile/")
    if is_control then
      c.control = true
    else
      if c.requests == 1 then stats[c.listener].connections = stats[c.listener].connections + 1 end
      record(c.listener, req)
    end
    local actions = {}
    if c.skip and c.skip > 0 then
      c.skip = c.skip - 1
    elseif c.listener == "proxy" then
      req.target = req.target:gsub("^%a+://[^/]+", "")
      actions = answer_main(req, c)
    else
      actions = c.listener == "main" and answer_main(req, c) or answer_elsewhere()
    end
    if not play(c, actions) then return end
  end
end

local conns = {}

-- Closes every connection but the one asking: clients share a connection
-- cache (one per Lua state), and a case must not begin on a connection an
-- earlier case left open. libcurl drops the closed ones before reusing any.
function close_idle(asking)
  for c in pairs(conns) do
    if c ~= asking then
      c.sock:close()
      conns[c] = nil
    end
  end
end

local function resume(c, ...)
  local ok, what, deadline = coroutine.resume(c.co, ...)
  if ok and coroutine.status(c.co) == "suspended" then
    c.wait, c.deadline = what, deadline
    return
  end
  if not ok then io.stderr:write("hostile: ", tostring(what), "\n") end
  c.sock:close()
  conns[c] = nil
end

local function accept(name, l)
  while true do
    local sock = l.sock:accept()
    if not sock then return end
    sock:settimeout(0)
    sock:setoption("tcp-nodelay", true)
    stats[name].accepted = stats[name].accepted + 1
    local c = { sock = sock, buf = "", listener = name, requests = 0 }
    c.co = coroutine.create(serve)
    conns[c] = true
    resume(c, c)
  end
end

local function parent_alive()
  return not parent_pid or io.open("/proc/" .. parent_pid .. "/stat") ~= nil
end

io.stdout:write("hostile listening on ", listeners.main.addr, " ", listeners.other.addr, " ",
  listeners.alt.addr, " ", listeners.proxy.addr, "\n")
io.stdout:flush()

local next_check = 0
while true do
  local now = socket.gettime()
  if now >= next_check then
    if not parent_alive() then os.exit(0) end
    next_check = now + 1
  end
  local recvt, sendt, timeout = {}, {}, 1
  for _, l in pairs(listeners) do recvt[#recvt + 1] = l.sock end
  for c in pairs(conns) do
    if c.wait == "read" then recvt[#recvt + 1] = c.sock end
    if c.wait == "write" then sendt[#sendt + 1] = c.sock end
    if c.deadline then timeout = math.min(timeout, math.max(0, c.deadline - now)) end
  end
  local readable, writable = socket.select(recvt, sendt, timeout)
  for name, l in pairs(listeners) do
    if readable[l.sock] then accept(name, l) end
  end
  now = socket.gettime()
  local ready = {}
  for c in pairs(conns) do
    if (c.wait == "read" and readable[c.sock]) or (c.wait == "write" and writable[c.sock]) then
      ready[#ready + 1] = { c, true }
    elseif c.deadline and now >= c.deadline then
      ready[#ready + 1] = { c, c.wait == "sleep" }
    end
  end
  for _, r in ipairs(ready) do
    if conns[r[1]] then resume(r[1], r[2]) end
  end
end
