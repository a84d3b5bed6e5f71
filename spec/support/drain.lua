-- Runs a poller's poll(0) until nothing is pending or `seconds` (default 5)
-- pass; returns every result it gave.
local modelslab = require "modelslab"

return function(p, seconds)
  local results, deadline = {}, modelslab.now() + (seconds or 5)
  while p:pending() > 0 and modelslab.now() < deadline do
    for _, r in ipairs(p:poll(0)) do results[#results + 1] = r end
    p:wait(5)
  end
  return results
end
