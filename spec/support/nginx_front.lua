-- spec/nginx/hostile.conf.in in a real nginx: each request makes a client
-- from the options in its query and answers the outcome as JSON.
--
--   local front = require("spec.support.nginx_front").start { CA_FILE = ... }
--   front:get("/status", { base_url = ..., id = 1000 }) -> decoded JSON
--   front:url("/status", q); front.stop()
--   local server, front = require("spec.support.nginx_front").start_with_hostile()
local cjson = require "cjson"
local hostile = require "spec.support.hostile"
local nginx = require "spec.support.nginx"
local luassert = require "luassert"

local front = {}

local SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"
front.KEY = "nginx-front-key-51d2"

local function escape(s)
  return (s:gsub("[^%w._~-]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function query(t)
  local parts = {}
  for k, v in pairs(t) do parts[#parts + 1] = k .. "=" .. escape(tostring(v)) end
  table.sort(parts)
  return table.concat(parts, "&")
end

--- Starts nginx; vars.CA_FILE is lua_ssl_trusted_certificate (default: the system bundle).
function front.start(vars)
  vars = vars or {}
  local server = nginx.start("spec/nginx/hostile.conf.in", { ROOT = os.getenv("PWD"), KEY = front.KEY,
    CA_FILE = vars.CA_FILE or SYSTEM_CA })
  function server.url_of(path, q)
    return server.url .. path .. "?" .. query(q)
  end
  function server.get(path, q)
    local out = nginx.sh("curl -s -m 60 '" .. server.url_of(path, q) .. "'")
    local ok, decoded = pcall(cjson.decode, out)
    assert(ok, "nginx answered: " .. out .. "\n" .. server.error_log())
    return decoded
  end
  -- nginx itself logs some failures a cosocket saw, which the transport
  -- reports as results; any other error is a failure.
  function server.assert_clean_log()
    for line in server.error_log():gmatch("[^\n]+") do
      if line:find("[error]", 1, true) then
        local known = line:find("recv() failed (104: Connection reset by peer)", 1, true)
          or line:find("the handler fails with a transfer in flight", 1, true) -- on purpose (/abandon)
          or line:find("SSL_do_handshake() failed", 1, true) or line:find("lua ssl certificate", 1, true)
        luassert.is_truthy(known, line)
      end
    end
  end
  return server
end

--- Builds the core for nginx's LuaJIT, then starts a hostile server and a
-- front; returns both.
function front.start_with_hostile()
  local out, ok = nginx.sh("make -s LUA=luajit")
  assert(ok, out)
  return hostile.start(), front.start()
end

--- Stops what start_with_hostile started (either may be nil).
function front.stop_all(server, f)
  if f then f.stop() end
  if server then server:stop() end
end

--- The slowest of 50 pings sent at once to base_url/ping, in seconds.
function front.slowest_ping(base_url)
  local out = nginx.sh("curl -s -m 10 --parallel --parallel-immediate --parallel-max 50 -o /dev/null "
    .. "-w '%{http_code} %{time_total}\\n' '" .. base_url .. "/ping?n=[1-50]' 2>/dev/null")
  local answered, slowest = 0, 0
  for code, seconds in out:gmatch("(%d+) ([%d.]+)") do
    luassert.equal("200", code)
    answered = answered + 1
    slowest = math.max(slowest, tonumber(seconds))
  end
  luassert.equal(50, answered)
  return slowest
end

return front
