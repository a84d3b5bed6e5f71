-- What a Lua user writes today without us: LuaSocket's socket.http (LuaSec's
-- ssl.https for https) and lua-cjson. Each request opens a new connection.
-- usage: luasocket_loop.lua LABEL URL COUNT [CA_FILE]
local cjson = require "cjson"
local ltn12 = require "ltn12"
local measure = require "bench.measure"

local label, url, count, ca_file = arg[1], arg[2], tonumber(arg[3]), arg[4]
local http = url:find("^https:") and require("ssl.https") or require("socket.http")
measure.run(label, count, function(n)
  for i = 1, n do
    local chunks = {}
    local ok, code = http.request {
      url = url, headers = { key = "bench-key" }, sink = ltn12.sink.table(chunks),
      cafile = ca_file, verify = ca_file and "peer" or nil,
    }
    if not ok or code ~= 200 then error("request " .. i .. " failed: " .. tostring(code)) end
    local doc = cjson.decode(table.concat(chunks))
    assert(doc.execution.status == "completed")
  end
end)
