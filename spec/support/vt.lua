-- A small terminal emulator for the CLI spec: it replays what the command
-- wrote to a pseudo-terminal (text, CR, LF, cursor up, erase line, erase
-- below; colours and cursor visibility are ignored) on a grid of `cols`
-- columns, so a spec can look at what a person would see, scrollback
-- included. `resize` changes the width the way terminals do: most rewrap
-- lines (reflow), some cut them.
--
--   local t = vt.new(100, 40)
--   t:feed(bytes); t:resize(40, true); t:feed(more)
--   t:lines()  -- every row, scrollback first, as text

local vt = {}

local Term = {}
Term.__index = Term

function vt.new(cols, height)
  return setmetatable({ cols = cols, height = height, rows = { {} }, wrapped = {}, r = 1, c = 1 }, Term)
end

function Term:row(r)
  for i = #self.rows + 1, r do self.rows[i] = {} end
  return self.rows[r]
end

function Term:put(ch)
  if self.c > self.cols then  -- the last column was written: wrap now
    self.wrapped[self.r] = true
    self.r, self.c = self.r + 1, 1
  end
  self:row(self.r)[self.c] = ch
  self.c = self.c + 1
end

-- The cursor cannot leave the screen: its top is `height` rows above the last.
function Term:up(n)
  local top = math.max(1, #self.rows - self.height + 1)
  self.r, self.c = math.max(top, self.r - n), math.min(self.c, self.cols)
end

function Term:feed(bytes)
  local i = 1
  while i <= #bytes do
    local csi, final = bytes:match("^\27%[([%d;?]*)(%a)", i)
    if csi then
      i = i + 2 + #csi + 1
      if final == "A" then
        self:up(tonumber(csi) or 1)
      elseif final == "K" then
        self.rows[self.r], self.wrapped[self.r] = {}, nil
      elseif final == "J" then
        local row = self:row(self.r)
        for k = self.c, #row do row[k] = nil end
        for k = #self.rows, self.r + 1, -1 do self.rows[k], self.wrapped[k] = nil, nil end
        self.wrapped[self.r] = nil
      end
    else
      local ch = bytes:match("^[%z\1-\127\194-\244][\128-\191]*", i) or bytes:sub(i, i)
      i = i + #ch
      if ch == "\r" then
        self.c = 1
      elseif ch == "\n" then
        self.r = self.r + 1
        self:row(self.r)
      elseif ch:byte() >= 32 then
        self:put(ch)
      end
    end
  end
end

-- The text of a row, without the blanks at its end.
local function text(row)
  local out = {}
  for k = 1, #row do out[k] = row[k] or " " end
  return (table.concat(out):gsub("%s+$", ""))
end

--- Changes the width. With reflow, rows joined by a wrap become one line
-- again and are wrapped anew; without, each row is cut at the new width.
function Term:resize(cols, reflow)
  if not reflow then
    for _, row in ipairs(self.rows) do
      for k = cols + 1, #row do row[k] = nil end
    end
    self.cols, self.c = cols, math.min(self.c, cols + 1)
    return
  end
  -- Logical lines, and where the cursor sits in them.
  local lines, at = {}, nil
  local line = {}
  for r, row in ipairs(self.rows) do
    if r == self.r then at = { #lines + 1, #line + self.c } end
    for k = 1, self.wrapped[r] and self.cols or #row do line[#line + 1] = row[k] or " " end
    if not self.wrapped[r] then
      lines[#lines + 1], line = line, {}
    end
  end
  if #line > 0 then lines[#lines + 1] = line end
  self.cols, self.rows, self.wrapped = cols, {}, {}
  for n, l in ipairs(lines) do
    local first = #self.rows + 1
    local count = math.max(1, math.ceil(#l / cols))
    for k = 0, count - 1 do
      local row = {}
      for j = 1, cols do row[j] = l[k * cols + j] end
      self.rows[first + k] = row
      self.wrapped[first + k] = k < count - 1 or nil
    end
    if at and at[1] == n then
      local offset = at[2] - 1  -- characters before the cursor in this line
      self.r = first + math.min(math.floor(offset / cols), count - 1)
      self.c = offset - (self.r - first) * cols + 1
    end
  end
end

--- Every row, scrollback first, as text.
function Term:lines()
  local out = {}
  for r, row in ipairs(self.rows) do out[r] = text(row) end
  return out
end

return vt
