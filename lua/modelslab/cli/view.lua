--- Renders a status document as a block of text lines: a header with the
-- execution's status and elapsed time, a progress bar over the known steps,
-- one line per (shown) step, then the outputs or the error. Pure functions:
-- `status` prints one frame, the live view redraws them.
-- @module modelslab.cli.view

local steps = require "modelslab.steps"
local time = require "modelslab.time"
local term = require "modelslab.cli.term"

local view = {}

local MARKS = {
  unicode = { completed = "✓", failed = "✗", cancelled = "⊘", pending = "·", running = "▶", unknown = "?" },
  ascii = { completed = "+", failed = "x", cancelled = "-", pending = ".", running = ">", unknown = "?" },
}
local SPINNERS = {
  unicode = { "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏" },
  ascii = { "|", "/", "-", "\\" },
}
local BAR = { unicode = { "█", "░" }, ascii = { "#", "-" } }
local COLORS = { completed = "green", failed = "red", cancelled = "magenta", running = "cyan", pending = "dim" }

-- Wall-clock seconds, with a fraction when luasocket is installed: step and
-- execution times are measured against the server's timestamps.
local have_socket, socket = pcall(require, "socket")
local wall = have_socket and socket.gettime or os.time

--- Epoch seconds now (fractional when luasocket is there).
-- @treturn number seconds
function view.now()
  return wall()
end

-- Past this, a duration says only that it is long (a server may send 1e300).
local LONGEST = 10000 * 3600

--- A duration for people: "3s", "0.4s", "12.3s", "2m05s", "1h02m", ">10000h".
-- Whole seconds stay whole: the API's timestamps have no fraction, and
-- "1.0s" would claim a precision they lack.
-- @tparam number|nil s seconds
-- @treturn string the text ("" for nil)
function view.duration(s)
  if not s then return "" end
  s = math.max(0, s)  -- a server's clock or its execution_time may say less than 0
  if s >= LONGEST then return ">" .. math.floor(LONGEST / 3600) .. "h" end
  if s < 60 then return string.format(s == math.floor(s) and "%.0fs" or "%.1fs", s) end
  if s < 3600 then return string.format("%dm%02ds", math.floor(s / 60), math.floor(s % 60)) end
  return string.format("%dh%02dm", math.floor(s / 3600), math.floor(s % 3600 / 60))
end

--- Seconds the execution has run: its `execution_time` once finished,
-- else measured from `started_at` to now (never below 0).
-- @tparam table doc a status document
-- @tparam number now epoch seconds
-- @treturn number|nil seconds, nil when unknown
function view.elapsed(doc, now)
  local e = doc.execution
  if e.execution_time then return e.execution_time end
  local started = time.parse(e.started_at)
  if not started then return nil end
  return math.max(0, now - started)
end

-- The mark of a status, coloured: a spinner frame while running (a still
-- mark when there is no spinner, as in a one-off `status`).
local function mark(t, status, spin)
  local set = t.unicode and "unicode" or "ascii"
  local m
  if status == "running" and spin then
    local frames = SPINNERS[set]
    m = frames[(spin or 0) % #frames + 1]
  else
    m = MARKS[set][status] or MARKS[set].unknown
  end
  return term.paint(t, COLORS[status] or "yellow", m)
end
view.mark = mark

local function bar(t, fraction, width)
  local chars = BAR[t.unicode and "unicode" or "ascii"]
  local full = math.floor(fraction * width + 0.5)
  return "[" .. term.paint(t, "green", string.rep(chars[1], full))
    .. term.paint(t, "dim", string.rep(chars[2], width - full)) .. "]"
end

--- The lines of one frame.
-- @tparam table doc the status document, or nil before the first answer
-- @tparam table ctx `term` (from `term.detect`), `now` (epoch seconds),
--   `spin` (spinner frame), `width` (columns; nil: no limit), `elapsed`
--   (seconds to show, instead of `view.elapsed`), `filter` (a
--   `steps.filter` table), `execution_id` (shown before the first answer)
-- @treturn table the lines, without newlines; none wider than `width`
function view.frame(doc, ctx)
  local t, width = ctx.term, ctx.width or math.huge
  if not doc then
    return { mark(t, "running", ctx.spin) .. " " .. term.fit("waiting for execution "
      .. tostring(ctx.execution_id) .. "...", width - 2, t.unicode) }
  end
  local status = term.clean(doc.execution.status)
  local sep = t.unicode and " · " or " - "
  local head = term.fit(status .. sep .. "execution " .. tostring(doc.execution.id) .. sep
    .. view.duration(ctx.elapsed or view.elapsed(doc, ctx.now)), width - 2, t.unicode)
  local lines = { mark(t, status, ctx.spin) .. " " .. head }

  local done, total, fraction = steps.progress(doc)
  local tail = string.format(" %d/%d steps", done, total)
  local bar_width = math.max(0, math.min(30, width - 4 - #tail))
  lines[2] = "  " .. (bar_width >= 5 and bar(t, fraction, bar_width) or "") .. tail
  if total == 0 then lines[2] = lines[2] .. (status == "pending" and ", queued" or "") end

  local shown = ctx.filter and steps.filter(doc, ctx.filter) or doc.steps
  local name_w = 0
  for _, step in ipairs(shown) do name_w = math.max(name_w, term.len(term.clean(step.name))) end
  -- mark, name, status word, duration: the name gives way when space is short.
  name_w = math.max(1, math.min(name_w, width - 4 - 11 - 9))
  for _, step in ipairs(shown) do
    local name = term.pad(term.fit(term.clean(step.name), name_w, t.unicode), name_w)
    local word = term.paint(t, COLORS[step.status] or "yellow", term.pad(term.clean(step.status), 9))
    local d = view.duration(steps.duration(step, ctx.now))
    lines[#lines + 1] = string.format("  %s %s  %s %s", mark(t, step.status, ctx.spin), name,
      word, d):gsub("%s+$", "")
  end
  if #shown < #doc.steps then
    lines[#lines + 1] = term.fit(string.format("  (%d of %d steps hidden by --filter)",
      #doc.steps - #shown, #doc.steps), width, t.unicode)
  end
  return lines
end

-- libcurl's names for the troubles a retry is most often about, in words.
local TRANSPORT = {
  COULDNT_CONNECT = "cannot connect", COULDNT_RESOLVE_HOST = "unknown host",
  OPERATION_TIMEDOUT = "no answer in time", GOT_NOTHING = "empty reply", RECV_ERROR = "connection lost",
  SEND_ERROR = "connection lost", PARTIAL_FILE = "answer cut short",
}

--- One line about an error the wait will retry, e.g.
-- "retrying: cannot connect (2/5)" (cleaned for the terminal).
-- @tparam table err the error
-- @tparam number attempt errors in a row so far
-- @tparam number max errors in a row before the wait gives up
-- @treturn string the line
function view.retrying(err, attempt, max)
  local what = err.kind == "transport" and TRANSPORT[err.code] or tostring(err.message)
  if err.status then what = "HTTP " .. err.status .. " " .. what end
  return string.format("retrying: %s (%d/%d)", term.clean(what), attempt, max)
end

-- A 422's `errors`, e.g. { prompt = { "The prompt field is required." } },
-- as "prompt: The prompt field is required.".
local function details_text(d)
  if type(d) ~= "table" then return d ~= nil and tostring(d) or nil end
  local function said(v)
    if type(v) ~= "table" then return tostring(v) end
    local parts = {}
    for _, x in ipairs(v) do parts[#parts + 1] = tostring(x) end
    return table.concat(parts, " ")
  end
  if d[1] ~= nil then return said(d) end
  local keys, parts = {}, {}
  for k in pairs(d) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = k .. ": " .. said(d[k]) end
  return #parts > 0 and table.concat(parts, "; ") or nil
end

--- An error for people, with a 422's details after its message.
-- @tparam table err the error
-- @treturn string the text (not yet cleaned: stderr's writer cleans it)
function view.error_text(err)
  local details = details_text(err.details)
  return tostring(err) .. (details and " -- " .. details or "")
end

--- The lines after the frame: the outputs of a completed execution, or the
-- error of a failed one. Never cut, so the URLs stay whole.
-- @tparam table doc a status document
-- @tparam table t the terminal (from `term.detect`)
-- @treturn table the lines
function view.tail(doc, t)
  local lines = {}
  local out = doc.output
  if out and out.output and #out.output > 0 then
    lines[1] = "output:"
    for _, url in ipairs(out.output) do lines[#lines + 1] = "  " .. term.clean(url) end
  end
  if out and out.proxy_links and #out.proxy_links > 0 then
    lines[#lines + 1] = "proxy links:"
    for _, url in ipairs(out.proxy_links) do lines[#lines + 1] = "  " .. term.clean(url) end
  end
  if doc.error then
    lines[#lines + 1] = term.paint(t, "red", "error: ") .. term.clean(doc.error)
  end
  return lines
end

return view
