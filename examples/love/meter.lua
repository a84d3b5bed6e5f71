--- Frame times and the library's share of each frame, and the one-line JSON
-- report a headless run prints.
local meter = {}
meter.__index = meter

-- The first frames build fonts and shaders (slow under a software renderer)
-- before any execution could matter; they are left out of the worst frame.
local WARMUP_FRAMES = 5

-- The main thread's own CPU time, and how often it went to sleep (voluntary
-- context switches: it waited on something, such as the network), from
-- getrusage(RUSAGE_THREAD) on Linux. Elsewhere: the process's CPU time, and
-- no count. Time on the clock also holds what a busy machine gives to other
-- processes; these two do not.
local usage
if rawget(_G, "jit") and jit.os == "Linux" then
  local ffi = require "ffi"
  ffi.cdef [[
    struct meter_timeval { long sec, usec; };
    struct meter_rusage { struct meter_timeval utime, stime; long counts[14]; };
    int getrusage(int who, struct meter_rusage *usage);
  ]]
  local RUSAGE_THREAD, NVCSW = 1, 12  -- ru_nvcsw: the 13th count after the times
  local ru = ffi.new("struct meter_rusage")
  usage = function()
    ffi.C.getrusage(RUSAGE_THREAD, ru)
    return tonumber(ru.utime.sec + ru.stime.sec) + tonumber(ru.utime.usec + ru.stime.usec) / 1e6,
      tonumber(ru.counts[NVCSW])
  end
else
  usage = function() return os.clock(), nil end
end

function meter.new()
  return setmetatable({ frames = 0, worst_frame = 0, frame_total = 0, lib_worst = 0, lib_total = 0,
    lib_worst_cpu = 0, lib_waits = select(2, usage()) and 0 or -1 }, meter)
end

--- One frame: dt since the last one.
function meter:frame(dt)
  self.frames = self.frames + 1
  self.last_frame = dt
  if self.frames > WARMUP_FRAMES then
    self.worst_frame = math.max(self.worst_frame, dt)
    self.frame_total = self.frame_total + dt
  end
end

--- Runs fn(arg), the library's part of the frame, and keeps its cost:
-- seconds on the clock, seconds of the thread's CPU, and whether the thread
-- waited.
function meter:lib(fn, arg)
  local t0, cpu0, slept0 = love.timer.getTime(), usage()
  fn(arg)
  local t, cpu, slept = love.timer.getTime() - t0, usage()
  self.last_lib = t
  self.lib_worst, self.lib_total = math.max(self.lib_worst, t), self.lib_total + t
  self.lib_worst_cpu = math.max(self.lib_worst_cpu, cpu - cpu0)
  if slept0 and slept > slept0 then self.lib_waits = self.lib_waits + 1 end
end

function meter:lib_mean()
  return self.frames > 0 and self.lib_total / self.frames or 0
end

function meter:frame_mean()
  local counted = self.frames - WARMUP_FRAMES
  return counted > 0 and self.frame_total / counted or 0
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function json_value(v)
  if type(v) == "string" then return json_string(v) end
  if type(v) == "boolean" then return tostring(v) end
  if math.floor(v) == v then return string.format("%d", v) end
  return string.format("%.3f", v)
end

--- The report: fields in order, a flat JSON object on one line.
-- @tparam table fields a sequence of { name, value } (numbers, strings, booleans)
function meter.json(fields)
  local out = {}
  for i, f in ipairs(fields) do out[i] = json_string(f[1]) .. ":" .. json_value(f[2]) end
  return "{" .. table.concat(out, ",") .. "}"
end

return meter
