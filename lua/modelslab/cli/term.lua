--- What the terminal can do, found out once at startup, and the few escape
-- sequences the live view needs. Pure Lua has no isatty: one `test -t 1`
-- fork answers it, which is cheap for a command that then runs for seconds.
-- @module modelslab.cli.term

local utf8 = require "modelslab.cli.utf8"

local term = {}

local ESC = "\27["

--- Escape sequences (ANSI/VT100, understood by every terminal emulator in use).
term.HIDE_CURSOR = ESC .. "?25l"
term.SHOW_CURSOR = ESC .. "?25h"
term.RESET = ESC .. "0m"
term.CLEAR_LINE = ESC .. "2K"
term.CLEAR_BELOW = ESC .. "J"

local COLORS = {
  red = "31", green = "32", yellow = "33", blue = "34", magenta = "35", cyan = "36",
  bold = "1", dim = "2",
}

-- os.execute answers true (5.2+) or 0 (5.1, LuaJIT) on success.
local function succeeds(command)
  local r = os.execute(command)
  return r == true or r == 0
end

local function read_command(command)
  local p = io.popen(command, "r")
  if not p then return nil end
  local text = p:read("*a")
  p:close()
  return text
end

--- The terminal's size as it reports it now (one short-lived `stty`: cheap
-- beside a frame every 0.1 s), so a resize shows at the next frame.
-- @treturn number|nil columns, nil when the terminal does not say
-- @treturn number|nil rows
function term.reported_size()
  local rows, cols = (read_command("stty size 2>/dev/null </dev/tty") or ""):match("^(%d+) (%d+)")
  rows, cols = tonumber(rows), tonumber(cols)
  if not cols or cols == 0 then return nil end
  return math.max(cols, 20), rows and rows > 0 and math.max(rows, 3) or nil
end

--- The terminal's size: as it reports it, else `$COLUMNS` (and `$LINES`),
-- else `tput`, else 80 columns.
-- @tparam function getenv like `os.getenv`
-- @treturn number columns, at least 20
-- @treturn number|nil rows, when known (at least 3)
function term.size(getenv)
  local cols, rows = term.reported_size()
  if cols then return cols, rows end
  cols, rows = tonumber(getenv("COLUMNS") or ""), tonumber(getenv("LINES") or "")
  if not cols then cols = tonumber((read_command("tput cols 2>/dev/null") or ""):match("%d+")) end
  if not cols or cols < 20 then cols = cols and 20 or 80 end
  return cols, rows and rows > 0 and math.max(rows, 3) or nil
end

local function utf8_locale(getenv)
  for _, name in ipairs { "LC_ALL", "LC_CTYPE", "LANG" } do
    local v = getenv(name)
    if v and v ~= "" then return v:lower():find("utf%-?8") ~= nil end
  end
  return false
end

--- Detects what stdout is and what it can show.
-- @tparam[opt] table opts `no_color` (the `--no-color` flag), `getenv`
--   (default `os.getenv`), `isatty` (a boolean, to skip the fork)
-- @treturn table `tty`, `live` (redraw in place: a tty and a TERM other than
--   dumb), `color` (live, no `--no-color`, `NO_COLOR` unset or empty),
--   `unicode` (a UTF-8 locale), `width`, `height` (rows, nil when unknown)
function term.detect(opts)
  opts = opts or {}
  local getenv = opts.getenv or os.getenv
  local tty = opts.isatty
  if tty == nil then tty = succeeds("test -t 1") end
  local name = getenv("TERM") or ""
  local live = tty and name ~= "" and name ~= "dumb"
  local no_color = getenv("NO_COLOR")
  local width, height = 80, nil
  if tty then width, height = term.size(getenv) end
  return {
    tty = tty,
    live = live,
    color = live and not opts.no_color and (no_color == nil or no_color == ""),
    unicode = utf8_locale(getenv),
    width = width, height = height,
  }
end

--- Wraps text in a colour when colour is on.
-- @tparam table t the table from `detect`
-- @tparam string name red, green, yellow, blue, magenta, cyan, bold or dim
-- @tparam string text the text
-- @treturn string the text, coloured or not
function term.paint(t, name, text)
  if not t.color or not COLORS[name] or text == "" then return text end
  return ESC .. COLORS[name] .. "m" .. text .. term.RESET
end

--- Moves the cursor up n lines, to column 1.
-- @tparam number n lines (0: just back to column 1)
-- @treturn string the escape sequence
function term.up(n)
  if n <= 0 then return "\r" end
  return "\r" .. ESC .. n .. "A"
end

--- Replaces every control character with "?", so text from the server can
-- neither move the cursor nor recolour or retitle the terminal: C0 and DEL,
-- the C1 controls U+0080-U+009F (xterm takes U+009B as CSI), and every byte
-- that is not part of well-formed UTF-8 (a lone 0x9B is CSI to a terminal in
-- 8-bit mode). Everything the command prints from the server goes through here.
-- @tparam any s the text (other values go through `tostring`)
-- @treturn string the cleaned text
function term.clean(s)
  s = tostring(s)
  if not s:find("[%z\1-\31\127-\255]") then return s end  -- printable ASCII: as it is
  local out, i, n = {}, 1, #s
  while i <= n do
    local c = s:byte(i)
    local ch = c >= 0x20 and c < 0x7F and string.char(c) or (c >= 0xC2 and utf8.char_at(s, i))
    if ch and utf8.is_c1(ch) then  -- one "?" for the whole character
      out[#out + 1], i = "?", i + 2
    else
      out[#out + 1], i = ch or "?", i + (ch and #ch or 1)
    end
  end
  return table.concat(out)
end

--- Text without its escape sequences (our own colours), to measure it.
-- @tparam string s the text
-- @treturn string the text as it shows
function term.plain(s)
  return (s:gsub("\27%[[%d;?]*[A-Za-z]", ""))
end

--- Cuts a line that may hold our colours to at most n columns, keeping
-- escape sequences whole (and resetting the colour when it cut).
-- @tparam string s the line
-- @tparam number n columns
-- @treturn string the line, cut if needed
function term.clip(s, n)
  if term.len(term.plain(s)) <= n then return s end
  local out, count, i = {}, 0, 1
  while i <= #s and count < n do
    local esc = s:match("^\27%[[%d;?]*[A-Za-z]", i)
    local ch = esc or s:match("^[%z\1-\127\194-\244][\128-\191]*", i) or s:sub(i, i)
    if not esc then count = count + 1 end
    out[#out + 1], i = ch, i + #ch
  end
  return table.concat(out) .. (s:find("\27", 1, true) and term.RESET or "")
end

--- Display width of a UTF-8 string (one column per code point).
-- @tparam string s the text, without escape sequences
-- @treturn number columns
function term.len(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

--- Cuts text to at most n columns, ending with an ellipsis when cut.
-- @tparam string s the text
-- @tparam number n columns
-- @tparam[opt] boolean unicode use "…" rather than "..."
-- @treturn string the text, shortened if needed
function term.fit(s, n, unicode)
  if term.len(s) <= n then return s end
  local dots = unicode and "…" or "..."
  local keep = n - term.len(dots)
  if keep < 1 then return (s:sub(1, math.max(n, 0))) end
  local out, count = {}, 0
  for ch in s:gmatch("[%z\1-\127\194-\244][\128-\191]*") do
    count = count + 1
    if count > keep then break end
    out[count] = ch
  end
  return table.concat(out) .. dots
end

--- Pads text with spaces to n columns (never cuts).
-- @tparam string s the text
-- @tparam number n columns
-- @treturn string the padded text
function term.pad(s, n)
  local len = term.len(s)
  if len >= n then return s end
  return s .. string.rep(" ", n - len)
end

return term
