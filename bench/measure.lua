-- What every Lua runner of bench/compare.sh reports, in one line:
-- "<label>\t<operations>\t<wall seconds>\t<cpu seconds>\t<peak KiB>".
local core = require "modelslab.core"

local measure = {}

local function peak_kib()
  local f = io.open("/proc/self/status")
  local text = f and f:read("*a") or ""
  if f then f:close() end
  return tonumber(text:match("VmHWM:%s*(%d+)")) or 0
end

--- Runs body(n) and prints its line.
function measure.run(label, n, body)
  local wall0, cpu0 = core.now(), os.clock()
  body(n)
  print(string.format("%s\t%d\t%.4f\t%.4f\t%d", label, n, core.now() - wall0, os.clock() - cpu0, peak_kib()))
end

--- The resident set size now, in KiB.
function measure.rss_kib()
  local f = io.open("/proc/self/statm")
  local pages = f and tonumber(f:read("*a"):match("^%d+%s+(%d+)")) or 0
  if f then f:close() end
  return pages * 4
end

return measure
