--- Frame times and the library's share of each frame, and the one-line JSON
-- report a headless run prints.
local meter = {}
meter.__index = meter

-- The first frames build fonts and shaders (slow under a software renderer)
-- before any execution could matter; they are left out of the worst frame.
local WARMUP_FRAMES = 5

function meter.new()
  return setmetatable({ frames = 0, worst_frame = 0, frame_total = 0, lib_worst = 0, lib_total = 0,
    lib_worst_cpu = 0 }, meter)
end

--- One frame: dt since the last one, and the seconds the library took in it
-- on the clock and in CPU time (the clock also counts time the process was
-- not running, which a loaded machine adds; waiting on the network shows on
-- the clock only).
function meter:frame(dt, lib, lib_cpu)
  self.frames = self.frames + 1
  self.last_frame, self.last_lib = dt, lib
  self.lib_worst, self.lib_total = math.max(self.lib_worst, lib), self.lib_total + lib
  self.lib_worst_cpu = math.max(self.lib_worst_cpu, lib_cpu)
  if self.frames > WARMUP_FRAMES then
    self.worst_frame = math.max(self.worst_frame, dt)
    self.frame_total = self.frame_total + dt
  end
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
