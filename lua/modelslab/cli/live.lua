--- The live view of `watch` on a terminal: one block redrawn in place after
-- every poll and on every tick between polls (the spinner and the clocks
-- move while the wait sleeps). The cursor is hidden while it runs and always
-- shown again by `finish` or `restore`.
-- @module modelslab.cli.live

local term = require "modelslab.cli.term"
local view = require "modelslab.cli.view"

local live = {}

local unpack = table.unpack or unpack

local Live = {}
Live.__index = Live

--- Makes the live view.
-- @tparam table ctx `out` (a file), `term` (from `term.detect`),
--   `execution_id`, `filter`
-- @treturn table the sink
function live.new(ctx)
  return setmetatable({ ctx = ctx, spin = 0, shown = true }, Live)
end

function Live:start()
  self.ctx.out:write(term.HIDE_CURSOR)
  self.shown = false
  self:draw()
end

-- The lines to draw, at most `rows` of them (a block taller than the screen
-- would scroll on every frame): the last kept line says what was left out.
local function clip(frame, rows, t)
  if not rows or #frame <= rows then return frame end
  local kept = { unpack(frame, 1, rows - 1) }
  kept[rows] = term.paint(t, "dim", string.format("  ... %d more lines (a taller terminal shows them)",
    #frame - rows + 1))
  return kept
end

-- Rows the last frame takes at this width. A terminal that rewraps on
-- resize (most do) shows an old line wider than the new width on several
-- rows; counting them all means that after a shrink the redraw starts at the
-- old frame's top, leaving no fragment behind. (A terminal that cuts lines
-- instead loses a few lines above the block, never the block itself.)
local function rows_taken(widths, columns)
  local rows = 0
  for _, w in ipairs(widths) do rows = rows + math.max(1, math.ceil(w / columns)) end
  return rows
end

-- Writes the frame over the previous one: back to its first row, each line
-- cleared before it is written, anything left below cleared. The size is
-- read again on every frame, lines stay short of the last column (so none
-- wraps) and the block shorter than the screen (so none scrolls away).
function Live:draw()
  local t = self.ctx.term
  -- A terminal that does not say (or not this time) keeps the size it had.
  local cols, rows = term.reported_size()
  if cols then t.width, t.height = cols, rows end
  local now = view.now()
  -- The clock shown never goes back, not even when the server's final
  -- execution_time is shorter than the time counted while waiting.
  local elapsed = self.doc and view.elapsed(self.doc, now)
  if elapsed and self.elapsed and elapsed < self.elapsed then elapsed = self.elapsed end
  self.elapsed = elapsed or self.elapsed
  local frame = view.frame(self.doc, {
    term = t, now = now, spin = self.spin, width = t.width - 1, elapsed = elapsed,
    filter = self.ctx.filter, execution_id = self.ctx.execution_id,
  })
  if self.trouble then frame[#frame + 1] = term.paint(t, "dim", term.fit(self.trouble, t.width - 1, t.unicode)) end
  frame = clip(frame, t.height and t.height - 1, t)
  local text = table.concat(frame, "\n")
  if text == self.text and t.width == self.columns then return end
  local up = self.widths and rows_taken(self.widths, t.width) - 1
  self.text, self.columns, self.widths = text, t.width, {}
  local parts = { up and term.up(up) or "" }
  for i, line in ipairs(frame) do
    line = term.clip(line, t.width - 1)
    parts[#parts + 1] = term.CLEAR_LINE .. line .. (i < #frame and "\n" or "")
    self.widths[i] = term.len(term.plain(line))
  end
  parts[#parts + 1] = term.CLEAR_BELOW
  self.ctx.out:write(table.concat(parts))
  self.ctx.out:flush()
end

function Live:update(doc)
  self.doc, self.trouble = doc, nil
  self:draw()
end

-- The block is drawn from whole documents; single events add nothing.
function Live.event() end

-- Trouble the wait retries shows under the block until a document comes.
function Live:retry(err, attempt, max)
  self.trouble = view.retrying(err, attempt, max)
  self:draw()
end

function Live:tick()
  self.spin = self.spin + 1
  self:draw()
end

--- Draws the last frame, then shows the cursor again and resets colours.
-- Idempotent, so every way out can call it; nothing is redrawn after it.
function Live:restore()
  if self.shown then return end
  self:draw()
  self.shown = true
  self.ctx.out:write(self.widths and "\n" or "", term.RESET, term.SHOW_CURSOR)
  self.ctx.out:flush()
end

--- Draws the final frame and restores the terminal (unless `restore` did
-- already), then prints the outputs (never cut, so the URLs stay whole) or
-- the error.
function Live:finish(result)
  if result.doc and not self.shown then self.doc = result.doc end
  self:restore()
  if result.doc and not result.err and not result.interrupted then
    for _, line in ipairs(view.tail(result.doc, self.ctx.term)) do self.ctx.out:write(line, "\n") end
  end
  self.ctx.out:flush()
end

return live
