--- The live view of `watch` on a terminal: one block redrawn in place after
-- every poll and on every tick between polls (the spinner and the clocks
-- move while the wait sleeps). The cursor is hidden while it runs and always
-- shown again by `finish` or `restore`.
-- @module modelslab.cli.live

local term = require "modelslab.cli.term"
local view = require "modelslab.cli.view"

local live = {}

local Live = {}
Live.__index = Live

--- Makes the live view.
-- @tparam table ctx `out` (a file), `term` (from `term.detect`),
--   `execution_id`, `filter`, `getenv` (to follow the width on resize)
-- @treturn table the sink
function live.new(ctx)
  return setmetatable({ ctx = ctx, drawn = 0, spin = 0, text = nil, shown = true }, Live)
end

function Live:start()
  self.ctx.out:write(term.HIDE_CURSOR)
  self.shown = false
  self:draw()
end

-- Writes the frame over the previous one: back to its first line, each line
-- cleared before it is written, anything left below cleared. Lines never
-- reach the last column, so none wraps and the count stays true.
function Live:draw()
  local t = self.ctx.term
  local frame = view.frame(self.doc, {
    term = t, now = view.now(), spin = self.spin, width = t.width - 1,
    filter = self.ctx.filter, execution_id = self.ctx.execution_id,
  })
  local text = table.concat(frame, "\n")
  if text == self.text then return end
  self.text = text
  local parts = { self.drawn > 0 and term.up(self.drawn - 1) or "" }
  for i, line in ipairs(frame) do
    parts[#parts + 1] = term.CLEAR_LINE .. line .. (i < #frame and "\n" or "")
  end
  parts[#parts + 1] = term.CLEAR_BELOW
  self.ctx.out:write(table.concat(parts))
  self.ctx.out:flush()
  self.drawn = #frame
end

function Live:update(doc)
  self.doc = doc
  -- Follow a resized terminal once per poll (one fork every few seconds).
  if self.ctx.getenv then self.ctx.term.width = term.width(self.ctx.getenv) end
  self:draw()
end

-- The block is drawn from whole documents; single events add nothing.
function Live.event() end

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
  self.ctx.out:write(self.drawn > 0 and "\n" or "", term.RESET, term.SHOW_CURSOR)
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
