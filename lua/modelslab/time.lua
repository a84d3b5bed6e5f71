--- ISO-8601 timestamp parsing, independent of the machine's time zone.
--
-- The ModelsLab API sends UTC timestamps such as `2024-01-15T10:30:00Z`.
-- `os.time{...}` interprets its table as *local* time, so this module does
-- the civil-date arithmetic itself and never consults the local zone.
-- @module modelslab.time

local floor = math.floor
local type, tonumber = type, tonumber
local format = string.format

local M = {}

local DAYS_IN_MONTH = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }

local function is_leap(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

local function days_in_month(y, m)
  if m == 2 and is_leap(y) then
    return 29
  end
  return DAYS_IN_MONTH[m]
end

-- Days since 1970-01-01 for a proleptic Gregorian date. Counting in 400-year
-- eras (146097 days each) starting on March 1st puts the leap day at the end
-- of the year, so no month table is needed. Floor division is written as
-- floor(a / b) because `//` does not exist before Lua 5.3.
local function days_from_civil(y, m, d)
  if m <= 2 then
    y = y - 1
  end
  local era = floor(y / 400)
  local yoe = y - era * 400                          -- [0, 399]
  local mp = (m + 9) % 12                            -- March = 0
  local doy = floor((153 * mp + 2) / 5) + d - 1      -- [0, 365]
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468                 -- 719468 = 0000-03-01 .. 1970-01-01
end

-- Quote a piece of the input for a message, cut short so a huge garbage body
-- cannot turn into a huge error string.
local function show(s)
  if #s > 40 then
    s = s:sub(1, 40) .. "..."
  end
  return format("%q", s)
end

local function fail(msg, ...)
  return nil, "invalid timestamp: " .. format(msg, ...)
end

local function check_range(what, v, lo, hi)
  if v < lo or v > hi then
    return format("%s %d out of range", what, v)
  end
  return nil
end

--- Parse an ISO-8601 timestamp into UTC epoch seconds.
--
-- Accepted: `YYYY-MM-DDThh:mm:ss`, an optional fraction `.sss…`, then a zone:
-- `Z`, `+hh:mm`, `-hh:mm` or `+hhmm`. `t`/`z` may be lower case and a single
-- space may replace the `T`. A timestamp *without* a zone is rejected: the API
-- always sends `Z`, and guessing (UTC? local?) would silently shift times.
-- A leap second (`:60`) is accepted and lands on the next minute's `:00`.
-- @tparam string s the timestamp
-- @treturn[1] number seconds since 1970-01-01T00:00:00Z (an integral value
--   when there is no fraction; an integer subtype on Lua 5.3+)
-- @treturn[2] nil
-- @treturn[2] string a message such as `"invalid timestamp: month 13 out of range"`
-- @usage
-- local time = require("modelslab.time")
-- time.parse("2024-01-15T10:30:05Z")        --> 1705314605
-- time.parse("2024-01-15T12:30:05.25+02:00") --> 1705314605.25
-- time.parse("2024-13-01T00:00:00Z")        --> nil, "invalid timestamp: month 13 out of range"
function M.parse(s)
  if type(s) ~= "string" then
    return fail("expected a string, got %s", type(s))
  end
  if s == "" then
    return fail("empty string")
  end

  local Y, Mo, D, h, mi, sec, rest =
    s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not Y then
    return fail("expected YYYY-MM-DDThh:mm:ss, got %s", show(s))
  end
  local y, mo, d = tonumber(Y), tonumber(Mo), tonumber(D)
  local hh, mm, ss = tonumber(h), tonumber(mi), tonumber(sec)

  -- Optional fraction of a second: "." followed by at least one digit.
  local frac = 0
  local digits, after = rest:match("^%.(%d+)(.*)$")
  if digits then
    frac = tonumber("0." .. digits)
    rest = after
  elseif rest:sub(1, 1) == "." or rest:sub(1, 1) == "," then
    return fail("malformed fraction of a second in %s", show(s))
  end

  -- Zone designator, then nothing else.
  local offset = 0
  local zone_end
  if rest == "" then
    return fail("missing time zone (Z or +hh:mm) in %s", show(s))
  end
  local c = rest:sub(1, 1)
  if c == "Z" or c == "z" then
    zone_end = 2
  else
    local sign, oh, om, tail = rest:match("^([+-])(%d%d):?(%d%d)()")
    if not sign then
      return fail("malformed time zone %s", show(rest))
    end
    oh, om = tonumber(oh), tonumber(om)
    local err = check_range("zone hour", oh, 0, 23) or check_range("zone minute", om, 0, 59)
    if err then
      return fail("%s", err)
    end
    offset = (oh * 3600 + om * 60) * (sign == "-" and -1 or 1)
    zone_end = tail
  end
  if zone_end <= #rest then
    return fail("unexpected trailing characters %s", show(rest:sub(zone_end)))
  end

  local err = check_range("month", mo, 1, 12)
    or check_range("hour", hh, 0, 23)
    or check_range("minute", mm, 0, 59)
    or check_range("second", ss, 0, 60)
  if err then
    return fail("%s", err)
  end
  if d < 1 or d > days_in_month(y, mo) then
    return fail("day %d out of range for %04d-%02d", d, y, mo)
  end

  -- Local wall time minus its offset gives UTC: 12:00+02:00 is 10:00Z.
  local t = days_from_civil(y, mo, d) * 86400 + hh * 3600 + mm * 60 + ss - offset
  if frac ~= 0 then
    t = t + frac
  end
  return t
end

return M
