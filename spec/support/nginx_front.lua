-- spec/nginx/hostile.conf.in in a real nginx: each request makes a client
-- from the options in its query and answers the outcome as JSON.
--
--   local front = require("spec.support.nginx_front").start { CA_FILE = ... }
--   front:get("/status", { base_url = ..., id = 1000 }) -> decoded JSON
--   front:url("/status", q); front.stop()
local cjson = require "cjson"
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
          or line:find("SSL_do_handshake() failed", 1, true) or line:find("lua ssl certificate", 1, true)
        luassert.is_truthy(known, line)
      end
    end
  end
  return server
end

return front
