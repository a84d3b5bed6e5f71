-- OpenResty: the module inside a real nginx with Debian's Lua module (LuaJIT),
-- required in the master, used in the forked worker, never blocking it.
local simulator = require "modelslab.simulator"
local nginx = require "spec.support.nginx"
local nginx_front = require "spec.support.nginx_front"

local ROOT = os.getenv("PWD")

-- curl's -w output for one request: "<http code> <seconds> <body>".
local function get(url)
  local out = nginx.sh("curl -s -m 30 -w ' %{http_code} %{time_total}' '" .. url .. "'")
  local body, code, seconds = out:match("^(.-)%s+(%d+) ([%d.]+)$")
  return body, tonumber(code), tonumber(seconds)
end

describe("inside nginx", function()
  local sim, server

  setup(function()
    local out, ok = nginx.sh("make -s LUA=luajit")
    assert(ok, out)
    sim = simulator.start { scenario = "spec/fixtures/scenarios/nginx.lua" }
    server = nginx.start("spec/nginx/nginx.conf.in", { ROOT = ROOT, KEY = sim.key, BASE_URL = sim.base_url })
  end)

  teardown(function()
    if server then server.stop() end
    if sim then sim:stop() end
  end)

  it("fetches a status with a client made in the master process", function()
    local body, code = get(server.url .. "/status?id=1")
    assert.equal(200, code)
    assert.matches("^pending$", body)
  end)

  it("reports errors as error tables there too", function()
    local body = get(server.url .. "/status?id=999")
    assert.equal("modelslab: http 404: Execution not found", body)
  end)

  it("answers 50 concurrent requests quickly while a wait of seconds runs on the same worker", function()
    local wait_out = server.prefix .. "/wait.out"
    nginx.sh("curl -s -m 30 '" .. server.url .. "/wait?id=10' > " .. wait_out .. " &")
    nginx.sh("sleep 0.3")
    local slowest = nginx_front.slowest_ping(server.url)
    -- A blocked worker would hold every ping until the wait ends, seconds later.
    assert.is_true(slowest < 0.5, "slowest ping took " .. slowest .. " s")
    local result
    for _ = 1, 100 do
      local f = io.open(wait_out)
      result = f and f:read("*a") or ""
      if f then f:close() end
      if result ~= "" then break end
      nginx.sh("sleep 0.1")
    end
    local status, seconds = result:match("^(%S+) ([%d.]+)")
    assert.equal("completed", status)
    assert.is_true(tonumber(seconds) >= 3, "the wait took " .. tostring(seconds) .. " s")
  end)

  it("follows several executions with a tracker, yielding to the worker", function()
    local body = get(server.url .. "/track")
    assert.equal("1=completed 2=failed 3=cancelled", body)
  end)

  it("refuses to block in a phase that cannot yield, and says what is allowed", function()
    local body = get(server.url .. "/wrong_phase")
    assert.matches("cannot run in nginx's set phase", body, 1, true)
    assert.matches("rewrite, access or content", body, 1, true)
  end)

  it("leaves no Lua errors in nginx's error log", function()
    assert.is_nil(server.error_log():find("%[error%]"), server.error_log())
  end)
end)

describe("examples/nginx.conf", function()
  local sim, server
  local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

  setup(function()
    sim = simulator.start { scenario = "spec/fixtures/scenarios/nginx.lua" }
    local text = assert(io.open("examples/nginx.conf")):read("*a")
    text = text:gsub("/opt/modelslab", "@ROOT@"):gsub("127%.0%.0%.1:8080", "127.0.0.1:@PORT@")
    server = nginx.start(text, { ROOT = ROOT }, { MODELSLAB_API_KEY = sim.key, MODELSLAB_BASE_URL = sim.base_url })
  end)

  teardown(function()
    if server then server.stop() end
    if sim then sim:stop() end
  end)

  it("runs a workflow to the end from a POST", function()
    local out = nginx.sh("curl -s -m 30 -d '{\"prompt\":\"a fox\"}' " .. server.url .. "/generate/" .. WF)
    local body = require("cjson").decode(out)
    assert.equal("completed", body.status)
    assert.matches("^http://127%.0%.0%.1:%d+/generated/", body.output.output[1])
  end)

  it("reports one execution's status", function()
    local body = require("cjson").decode((get(server.url .. "/status/" .. WF .. "/3")))
    assert.equal("pending", body.status)
  end)

  it("turns an API error into a JSON error with its HTTP status", function()
    local body, code = get(server.url .. "/status/" .. WF .. "/999")
    assert.equal(404, code)
    assert.equal("Execution not found", require("cjson").decode(body).error)
  end)
end)
