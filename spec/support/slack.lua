-- Bounds that only say "never blocks" are scaled under valgrind or sanitizers,
-- which slow everything down many times: MODELSLAB_TIME_SCALE=50.
local scale = tonumber(os.getenv("MODELSLAB_TIME_SCALE")) or 1

return function(seconds)
  return seconds * scale
end
