--- Draws the board: one row per execution with its steps, its progress, and
-- its error while it is retrying or once it failed. Counts the errors (and
-- the jobs that heard nothing for a while) it has put on screen, so a
-- headless run can tell they were shown.
local view = {}
view.__index = view

local COLORS = {
  completed = { 0.35, 0.8, 0.4 }, running = { 0.35, 0.6, 1 }, pending = { 0.7, 0.7, 0.7 },
  starting = { 0.7, 0.7, 0.7 }, retrying = { 1, 0.65, 0.2 }, failed = { 1, 0.3, 0.3 },
  cancelled = { 1, 0.3, 0.3 }, text = { 0.92, 0.92, 0.92 }, dim = { 0.55, 0.55, 0.6 },
}
local ROW, LEFT, BAR = 84, 20, 300

function view.new()
  -- Weak keys: errors and jobs gone from the game are not kept for the count.
  local shown = setmetatable({}, { __mode = "k" })
  return setmetatable({ errors_shown = 0, retries_shown = 0, quiet_shown = 0, shown = shown }, view)
end

local function color(name)
  love.graphics.setColor(COLORS[name] or COLORS.failed)
end

-- Counts an error the first time it is drawn.
function view:show_error(err, retrying)
  if self.shown[err] then return end
  self.shown[err] = true
  self.errors_shown = self.errors_shown + 1
  if retrying then self.retries_shown = self.retries_shown + 1 end
end

local function since(state)
  if state and state.since_ok then return string.format(", last answer %.1f s ago", state.since_ok) end
  return ""
end

-- Seconds without a good answer after which a quiet job says so: a hung
-- server answers nothing until the request times out.
local QUIET = 5

-- The line under a job's steps: its error while it is retried, the one it
-- ended with, or how long it has heard nothing.
function view:error_line(job, max_errors)
  if job.error then
    self:show_error(job.error, false)
    return "failed: " .. tostring(job.error), "failed"
  end
  local retry = job.retry
  if retry then
    self:show_error(retry.err, true)
    local wait = math.max(0, retry.at - love.timer.getTime())
    return string.format("retrying (%d/%d) in %.1f s: %s%s", retry.attempt, max_errors, wait,
      tostring(retry.err), since(job.state)), "retrying"
  end
  if job.finished then return end
  local quiet = job.state and job.state.since_ok or love.timer.getTime() - job.added
  if quiet > QUIET then
    if not self.shown[job] then
      self.shown[job] = true
      self.quiet_shown = self.quiet_shown + 1
    end
    return string.format("no answer for %.0f s", quiet), "retrying"
  end
end

local function draw_steps(job, x, y)
  for _, step in ipairs(job.steps) do
    color(step.status)
    love.graphics.rectangle("fill", x, y + 4, 8, 8)
    color("text")
    love.graphics.print(step.name, x + 12, y)
    x = x + 24 + love.graphics.getFont():getWidth(step.name)
  end
end

function view:draw_job(job, y, max_errors)
  local phase = job.retry and "retrying" or job.status
  color("text")
  love.graphics.print(string.format("#%d  %s", job.n, job.prompt), LEFT, y)
  color("dim")
  love.graphics.print(job.execution_id and ("execution " .. job.execution_id) or "not started yet", LEFT + 330, y)
  color(phase)
  love.graphics.print(phase, LEFT + 520, y)
  color("dim")
  love.graphics.rectangle("line", LEFT, y + 22, BAR, 10)
  color(job.status)
  local fraction = job.total > 0 and job.done / job.total or 0
  love.graphics.rectangle("fill", LEFT, y + 22, BAR * fraction, 10)
  color("text")
  love.graphics.print(string.format("%d/%d steps", job.done, job.total), LEFT + BAR + 10, y + 18)
  draw_steps(job, LEFT + BAR + 100, y + 18)
  local line, kind = self:error_line(job, max_errors)
  if line then
    color(kind)
    love.graphics.printf(line, LEFT, y + 40, 760)
  end
end

--- Draws a frame.
-- @tparam table list the jobs (see jobs.lua)
-- @tparam string header the first line (frame times, counts)
-- @tparam number max_errors errors in a row before a job fails
-- @tparam[opt] string problem a message shown instead of the jobs (the library did not load)
function view:draw(list, header, max_errors, problem)
  love.graphics.clear(0.08, 0.08, 0.1)
  color("text")
  love.graphics.print(header, LEFT, 16)
  if problem then
    self:show_error(problem, false)
    color("failed")
    love.graphics.printf(problem, LEFT, 60, 760)
    return
  end
  for i, job in ipairs(list) do self:draw_job(job, 50 + (i - 1) * ROW, max_errors) end
end

return view
