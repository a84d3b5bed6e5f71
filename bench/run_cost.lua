-- What a run's fresh connection costs. The same URL (nginx answers a run's
-- JSON to both methods) fetched by the client's own transfer: as a POST,
-- which always goes out on a new connection so libcurl can never send it
-- twice, and as a GET on the kept connection. Only the connection differs.
-- usage: run_cost.lua LABEL POST|GET BASE_URL COUNT [CA_FILE]
local modelslab = require "modelslab"
local measure = require "bench.measure"

local label, method, base_url, count, ca_file = arg[1], arg[2], arg[3], tonumber(arg[4]), arg[5]
local client = modelslab.new { api_key = "bench-key", base_url = base_url, ca_file = ca_file }
local url = client.base_url .. "/workflows/3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42/run"
local body = method == "POST" and '{"prompt":"a fox"}' or nil
local function call()
  local status, err = client._handle:request(method, url, body)
  if status ~= 200 then error(method .. " failed: " .. tostring(status or err)) end
end
call() -- the first connection (and TLS session) outside the measure
measure.run(label, count, function(n)
  for _ = 1, n do call() end
end)
client:close()
