--- Well-formed UTF-8, as the terminal and JSON outputs need it: server
-- text may hold any bytes, and a byte that is not part of a well-formed
-- character must never reach a terminal (nor a JSON text) as it is.
-- @module modelslab.cli.utf8

local utf8 = {}

--- The well-formed UTF-8 character (two to four bytes) that starts at byte i
-- (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF).
-- @tparam string s the text
-- @tparam number i a byte index
-- @treturn string|nil the character's bytes, nil when none starts there
function utf8.char_at(s, i)
  local c = s:byte(i)
  local n, lo, hi
  if c >= 0xC2 and c <= 0xDF then n, lo, hi = 1, 0x80, 0xBF
  elseif c == 0xE0 then n, lo, hi = 2, 0xA0, 0xBF
  elseif c == 0xED then n, lo, hi = 2, 0x80, 0x9F
  elseif c >= 0xE1 and c <= 0xEF then n, lo, hi = 2, 0x80, 0xBF
  elseif c == 0xF0 then n, lo, hi = 3, 0x90, 0xBF
  elseif c == 0xF4 then n, lo, hi = 3, 0x80, 0x8F
  elseif c >= 0xF1 and c <= 0xF3 then n, lo, hi = 3, 0x80, 0xBF
  else return nil end
  local second = s:byte(i + 1)
  if not second or second < lo or second > hi then return nil end
  for k = i + 2, i + n do
    local b = s:byte(k)
    if not b or b < 0x80 or b > 0xBF then return nil end
  end
  return s:sub(i, i + n)
end

--- True for a C1 control character (U+0080-U+009F, bytes C2 80-C2 9F).
-- @tparam string ch one character, from `char_at`
-- @treturn boolean
function utf8.is_c1(ch)
  return ch:byte(1) == 0xC2 and ch:byte(2) <= 0x9F
end

return utf8
