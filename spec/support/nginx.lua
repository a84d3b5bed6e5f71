-- Starts Debian's nginx from a template in a temporary prefix on a free
-- loopback port, and stops it. Used by the OpenResty spec.
local socket = require "socket"

local nginx = {}

local sh = require("spec.support.shell").run
nginx.sh = sh

-- Started by root, nginx runs its workers as `nobody`, who cannot read a
-- checkout under /root (mode 700): the specs run them as the invoking user.
local as_root = sh("id -u") == "0\n"

--- The command starting nginx with prefix/nginx.conf, its error log in
-- prefix, and globals (directives for -g, e.g. "pid ...;").
function nginx.command(prefix, globals)
  globals = (as_root and "user root;" or "") .. (globals or "")
  return "nginx -p " .. prefix .. " -c " .. prefix .. "/nginx.conf -e " .. prefix .. "/error.log" ..
    (globals ~= "" and " -g '" .. globals .. "'" or "")
end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return port
end

--- Fills @NAME@ placeholders of template (a file, or the text itself when
-- it has a newline) with vars (PREFIX and PORT are added) and starts nginx
-- with env (a table of environment variables); returns { url, prefix, port,
-- stop, error_log }.
function nginx.start(template, vars, env)
  local prefix = os.tmpname()
  os.remove(prefix)
  assert(sh("mkdir -p " .. prefix .. " && chmod 755 " .. prefix))
  vars.PREFIX, vars.PORT = prefix, free_port()
  local text = template:find("\n") and template or assert(io.open(template)):read("*a")
  text = text:gsub("@(%u[%u_]*)@", function(name) return tostring(assert(vars[name], name)) end)
  local f = assert(io.open(prefix .. "/nginx.conf", "w"))
  f:write(text)
  f:close()
  local assignments = ""
  for k, v in pairs(env or {}) do assignments = assignments .. k .. "='" .. v .. "' " end
  local out, ok = sh(assignments .. nginx.command(prefix, "pid " .. prefix .. "/nginx.pid;"))
  assert(ok, "nginx did not start: " .. out)
  local self = { url = "http://127.0.0.1:" .. vars.PORT, prefix = prefix, port = vars.PORT }
  function self.error_log()
    local log = io.open(prefix .. "/error.log")
    local content = log and log:read("*a") or ""
    if log then log:close() end
    return content
  end
  function self.stop()
    sh("kill $(cat " .. prefix .. "/nginx.pid) 2>/dev/null; sleep 0.2; rm -rf " .. prefix)
  end
  -- Wait until it answers.
  for _ = 1, 100 do
    local c = socket.connect("127.0.0.1", vars.PORT)
    if c then c:close() return self end
    socket.sleep(0.05)
  end
  self.stop()
  error("nginx did not listen on port " .. vars.PORT)
end

return nginx
