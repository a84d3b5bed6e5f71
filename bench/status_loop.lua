-- client:status in a loop, printing requests per second.
-- usage: status_loop.lua BASE_URL COUNT KEY
local modelslab = require "modelslab"

local base_url, count, key = arg[1], tonumber(arg[2]), arg[3]
local client = modelslab.new { api_key = key, base_url = base_url }
local wf = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local t0 = modelslab.now()
for i = 1, count do
  local doc, err = client:status(wf, 12345)
  if not doc then error("request " .. i .. " failed: " .. tostring(err)) end
end
print(string.format("%.0f", count / (modelslab.now() - t0)))
client:close()
