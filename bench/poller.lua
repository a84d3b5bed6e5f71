-- The poller against one-after-another client:status, side by side, for
-- executions whose every answer takes 50 ms. usage: poller.lua BASE COUNT MAX_TRANSFERS
local modelslab = require "modelslab"

local base, count, max = arg[1], tonumber(arg[2]), tonumber(arg[3])
local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local client = modelslab.new { api_key = "bench-key", base_url = base }

local t0 = modelslab.now()
for i = 1, count do assert(client:status(WF, i)) end
local sequential = modelslab.now() - t0

local p = client:poller { max_transfers = max }
t0 = modelslab.now()
for i = 1, count do p:add(WF, i) end
local got = 0
while p:pending() > 0 do
  for _, r in ipairs(p:poll(0)) do
    assert(r.doc, r.err)
    got = got + 1
  end
  p:wait(10)
end
local polled = modelslab.now() - t0
assert(got == count)
p:close()
client:close()

print(string.format("%d executions, 50 ms per answer: one after another %.2f s, poller (%d at once) %.2f s, " ..
  "ratio %.1f", count, sequential, max, polled, sequential / polled))
