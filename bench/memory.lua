-- Resident memory of client:status after 1,000 calls and after COUNT calls.
-- usage: memory.lua BASE_URL COUNT
local modelslab = require "modelslab"
local measure = require "bench.measure"

local base_url, count = arg[1], tonumber(arg[2])
local client = modelslab.new { api_key = "bench-key", base_url = base_url }
local wf = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local after_1000
for i = 1, count do
  assert(client:status(wf, 12345))
  if i == 1000 then
    collectgarbage()
    after_1000 = measure.rss_kib()
  end
end
collectgarbage()
print(string.format("rss\t%d\t%d", after_1000, measure.rss_kib()))
client:close()
