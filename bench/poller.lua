-- The poller against one-after-another client:status, side by side, for
-- executions whose every answer takes 50 ms. Prints bench/measure.lua lines.
-- usage: poller.lua BASE COUNT MAX_TRANSFERS
local modelslab = require "modelslab"
local measure = require "bench.measure"

local base, count, max = arg[1], tonumber(arg[2]), tonumber(arg[3])
local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local client = modelslab.new { api_key = "bench-key", base_url = base }

measure.run("sequential client:status, 50 ms answers", count, function(n)
  for i = 1, n do assert(client:status(WF, i)) end
end)

measure.run("poller (" .. max .. " at once), 50 ms answers", count, function(n)
  local p = client:poller { max_transfers = max }
  for i = 1, n do p:add(WF, i) end
  local got = 0
  while p:pending() > 0 do
    for _, r in ipairs(p:poll(0)) do
      assert(r.doc, r.err)
      got = got + 1
    end
    p:wait(10)
  end
  assert(got == n)
  p:close()
end)
client:close()
