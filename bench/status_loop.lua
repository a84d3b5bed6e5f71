-- client:status in a loop over one kept connection.
-- usage: status_loop.lua LABEL BASE_URL COUNT [CA_FILE]
local modelslab = require "modelslab"
local measure = require "bench.measure"

local label, base_url, count, ca_file = arg[1], arg[2], tonumber(arg[3]), arg[4]
local client = modelslab.new { api_key = "bench-key", base_url = base_url, ca_file = ca_file }
local wf = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
measure.run(label, count, function(n)
  for i = 1, n do
    local doc, err = client:status(wf, 12345)
    if not doc then error("request " .. i .. " failed: " .. tostring(err)) end
  end
end)
client:close()
