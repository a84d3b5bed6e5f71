-- Over https to one host, the poller's concurrent transfers share one
-- HTTP/2 connection when the server offers it.
local modelslab = require "modelslab"
local nginx = require "spec.support.nginx"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

describe("the poller over https with HTTP/2", function()
  local server, dir

  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    local out, ok = nginx.sh("(mkdir -p " .. dir .. " && openssl req -x509 -newkey rsa:2048 -nodes -days 1 " ..
      "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 " ..
      "-keyout " .. dir .. "/key.pem -out " .. dir .. "/cert.pem && chmod -R a+rX " .. dir .. ")")
    assert(ok, out)
    server = nginx.start("spec/nginx/http2.conf.in", {
      CERT = dir .. "/cert.pem", KEY_FILE = dir .. "/key.pem", FIXTURES = os.getenv("PWD") .. "/spec/fixtures",
    })
  end)

  teardown(function()
    if server then server.stop() end
    nginx.sh("rm -rf " .. dir)
  end)

  it("multiplexes 20 concurrent transfers on one connection", function()
    local client = modelslab.new { api_key = "k", ca_file = dir .. "/cert.pem", timeout = 3,
      base_url = "https://localhost:" .. server.port .. "/api/v1" }
    local p = client:poller { max_transfers = 20 }
    for _ = 1, 20 do p:add(WF, 12345) end -- nginx answers the fixture (execution 12345) to each
    local got = 0
    local deadline = modelslab.now() + 10
    while p:pending() > 0 and modelslab.now() < deadline do
      for _, r in ipairs(p:poll(0)) do
        assert.is_nil(r.err and tostring(r.err))
        got = got + 1
      end
      p:wait(10)
    end
    p:close()
    client:close()
    assert.equal(20, got)
    -- nginx logs a request after answering it: give the last line a moment.
    local log
    for _ = 1, 50 do
      log = io.open(server.prefix .. "/access.log"):read("*a")
      if select(2, log:gsub("\n", "")) >= 20 then break end
      nginx.sh("sleep 0.05")
    end
    local connections, requests = {}, 0
    for conn, protocol in log:gmatch("(%d+) (%S+)") do
      assert.equal("HTTP/2.0", protocol)
      connections[conn] = true
      requests = requests + 1
    end
    assert.equal(20, requests)
    local n = 0
    for _ in pairs(connections) do n = n + 1 end
    assert.equal(1, n)
  end)
end)
