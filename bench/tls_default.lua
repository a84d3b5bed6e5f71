-- New TLS connections checked against libcurl's built-in CA bundle (no
-- ca_file). Our test certificate is not in it, so each request fails
-- verification, after the CA store is loaded: the cost measured here.
-- usage: tls_default.lua LABEL BASE_URL COUNT
local modelslab = require "modelslab"
local measure = require "bench.measure"

local label, base_url, count = arg[1], arg[2], tonumber(arg[3])
local client = modelslab.new { api_key = "bench-key", base_url = base_url }
measure.run(label, count, function(n)
  for _ = 1, n do
    local _, err = client:status("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", 12345)
    assert(err and err.code == "PEER_FAILED_VERIFICATION", tostring(err))
  end
end)
client:close()
