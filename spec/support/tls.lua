-- An https server for the TLS specs: certificates made at test time with
-- openssl (a CA, a server certificate for localhost/127.0.0.1, and one for
-- another name), and Debian's nginx serving the completed fixture from a
-- temporary prefix on two free loopback ports.
--
--   local tls = require("spec.support.tls").start()
--   -- tls.url (cert for localhost and 127.0.0.1), tls.localhost_url,
--   -- tls.other_url (cert for other.example), tls.plain_url (https:// to a
--   -- port speaking plain HTTP), tls.ca_file, tls.other_ca_file (a CA that
--   -- signed neither)
--   tls:stop()
local socket = require "socket"
local nginx = require "spec.support.nginx"

local M = {}

-- Runs a shell command without the sanitizer runtime `make asan` preloads;
-- returns its output, or raises with it.
local function sh(command)
  local p = assert(io.popen("env -u LD_PRELOAD sh -ec '" .. command:gsub("'", "'\\''") .. "' 2>&1"))
  local out = p:read("*a")
  local ok = p:close()
  if not ok then error("tls: `" .. command .. "` failed:\n" .. out, 2) end
  return out
end

local function free_port()
  local s = assert(socket.bind("127.0.0.1", 0))
  local _, port = s:getsockname()
  s:close()
  return tonumber(port)
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local EC = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

-- A key and a certificate for `name` signed by the CA in dir, with `san`.
local function issue(dir, name, san)
  write(dir .. "/" .. name .. ".ext", "subjectAltName=" .. san .. "\nbasicConstraints=CA:FALSE\n"
    .. "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
  sh(string.format("cd %s && openssl req %s -keyout %s.key -out %s.csr -subj /CN=%s && "
    .. "openssl x509 -req -in %s.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out %s.crt "
    .. "-extfile %s.ext", dir, EC, name, name, name, name, name, name))
end

local CONF = [[
worker_processes 1;
daemon on;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path @PREFIX@/body;
    proxy_temp_path @PREFIX@/proxy;
    fastcgi_temp_path @PREFIX@/fastcgi;
    uwsgi_temp_path @PREFIX@/uwsgi;
    scgi_temp_path @PREFIX@/scgi;
    default_type application/json;
    server {
        listen 127.0.0.1:@PORT@ ssl;
        ssl_certificate @PREFIX@/localhost.crt;
        ssl_certificate_key @PREFIX@/localhost.key;
        root @PREFIX@;
        location / { try_files /completed.json =404; }
    }
    server {
        listen 127.0.0.1:@PLAIN_PORT@;
        root @PREFIX@;
        location / { try_files /completed.json =404; }
    }
    server {
        listen 127.0.0.1:@OTHER_PORT@ ssl;
        ssl_certificate @PREFIX@/other.example.crt;
        ssl_certificate_key @PREFIX@/other.example.key;
        root @PREFIX@;
        location / { try_files /completed.json =404; }
    }
}
]]

local Server = {}
Server.__index = Server

--- Stops nginx and removes the prefix (idempotent).
function Server:stop()
  if not self.prefix then return end
  sh("p=" .. self.prefix .. "; if [ -f $p/nginx.pid ]; then kill $(cat $p/nginx.pid) || true; fi; "
    .. "for i in 1 2 3 4 5 6 7 8 9 10; do [ -f $p/nginx.pid ] || break; sleep 0.05; done; rm -rf $p")
  self.prefix = nil
end

Server.__gc = Server.stop

--- Makes the certificates, starts nginx and waits until both ports accept.
function M.start()
  local prefix = sh("mktemp -d"):gsub("%s+$", "")
  local self = setmetatable({ prefix = prefix, port = free_port(), other_port = free_port(),
    plain_port = free_port() }, Server)
  local ok, err = pcall(function()
    sh("chmod 755 " .. prefix) -- nginx's workers may run as another user
    sh(string.format("cd %s && openssl req -x509 %s -keyout ca.key -out ca.crt -days 2 "
      .. "-subj '/CN=modelslab test CA' -addext basicConstraints=critical,CA:TRUE "
      .. "-addext keyUsage=critical,keyCertSign,cRLSign", prefix, EC))
    issue(prefix, "localhost", "DNS:localhost,IP:127.0.0.1")
    issue(prefix, "other.example", "DNS:other.example")
    -- A second CA that signed nothing the server shows.
    sh(string.format("cd %s && openssl req -x509 %s -keyout ca2.key -out ca2.crt -days 2 "
      .. "-subj '/CN=another test CA' -addext basicConstraints=critical,CA:TRUE", prefix, EC))
    sh("cp spec/fixtures/completed.json " .. prefix .. "/ && chmod 644 " .. prefix .. "/completed.json")
    write(prefix .. "/nginx.conf", (CONF:gsub("@PREFIX@", prefix):gsub("@OTHER_PORT@", self.other_port)
      :gsub("@PLAIN_PORT@", self.plain_port):gsub("@PORT@", self.port)))
    sh(nginx.command(prefix))
    for _, port in ipairs { self.port, self.other_port, self.plain_port } do
      local up
      for _ = 1, 100 do
        local c = socket.connect("127.0.0.1", port)
        if c then c:close() up = true break end
        socket.sleep(0.02)
      end
      assert(up, "nginx does not listen on " .. port)
    end
  end)
  if not ok then
    self:stop()
    error(err, 2)
  end
  self.ca_file, self.other_ca_file = prefix .. "/ca.crt", prefix .. "/ca2.crt"
  self.url = "https://127.0.0.1:" .. self.port .. "/api/v1"
  self.localhost_url = "https://localhost:" .. self.port .. "/api/v1"
  self.other_url = "https://127.0.0.1:" .. self.other_port .. "/api/v1"
  self.plain_url = "https://127.0.0.1:" .. self.plain_port .. "/api/v1" -- https to a plain HTTP port
  return self
end

return M
