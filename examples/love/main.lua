-- A LÖVE game that starts several ModelsLab workflow executions and follows
-- them from love.update without ever waiting on the network, drawing each
-- one's steps, progress and errors, and timing every frame.
--
--   MODELSLAB_API_KEY, MODELSLAB_BASE_URL   the account and the API, as everywhere
--   MODELSLAB_WORKFLOW_ID                   what to run (default: the simulator's demo)
--   MODELSLAB_LOVE_JOBS=N                   executions to start (default 6)
--   MODELSLAB_LOVE_SECONDS=N                quit after N seconds: save a screenshot in
--                                           the save directory, print one JSON line
--   MODELSLAB_LOVE_BASELINE=1               the same game without the library (frame
--                                           times to compare with)
-- The report: frames, worst_frame_ms and mean_frame_ms (time between frames);
-- lib_worst_ms, lib_mean_ms (the library's update on the clock),
-- lib_worst_cpu_ms (its CPU time) and lib_waits (frames in which it waited
-- on anything; -1 where that cannot be told); the executions started,
-- completed and failed of jobs; errors_shown, retries_shown and quiet_shown
-- (drawn on screen); math_random (one draw of the game's seeded sequence).
-- Build it with the library next to it: `make love-game`, then `love build/love-game`.
local meter = require "meter"
local view = require "view"

local DEMO_WORKFLOW = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local FRAME = 1 / 60  -- Xvfb has no vsync: the loop keeps its own pace
local SCREENSHOT = "modelslab-love.png"
-- The game's own random sequence, seeded at load and drawn from once at the
-- end: the library must leave it alone (its jitter has its own generator).
local RANDOM_SEED = 20240115

local game = {
  seconds = tonumber(os.getenv("MODELSLAB_LOVE_SECONDS") or ""),
  baseline = os.getenv("MODELSLAB_LOVE_BASELINE") == "1",
  meter = meter.new(), view = view.new(), list = {}, max_errors = 0,
}

-- The board of executions, or (baseline) the same rows with nothing behind them.
local function start_jobs(count)
  if game.baseline then
    -- Rows as a finished execution draws them: same text, bars and steps.
    local steps = { { name = "Text to Image", status = "completed" },
      { name = "Image Upscaler", status = "completed" }, { name = "Face Restore", status = "completed" } }
    for i = 1, count do
      game.list[i] = { n = i, prompt = "baseline: no library", status = "completed", steps = steps,
        done = #steps, total = #steps, finished = true }
    end
    return
  end
  local jobs = require "jobs"
  local ok, board = pcall(function()
    return jobs.start(require "modelslab_love", os.getenv("MODELSLAB_WORKFLOW_ID") or DEMO_WORKFLOW, count)
  end)
  if not ok then
    game.problem = "modelslab could not start: " .. tostring(board)
    return
  end
  game.board, game.list, game.max_errors = board, board.list, jobs.MAX_ERRORS
end

function love.load()
  math.randomseed(RANDOM_SEED)
  love.graphics.setFont(love.graphics.newFont(13))
  start_jobs(tonumber(os.getenv("MODELSLAB_LOVE_JOBS") or "") or 6)
  game.t0 = love.timer.getTime()
end

local function counts()
  local b = game.board or { started = 0, completed = 0, failed = 0 }
  return b.started, b.completed, b.failed
end

local function report()
  local m, started, completed, failed = game.meter, counts()
  return meter.json {
    { "frames", m.frames }, { "worst_frame_ms", m.worst_frame * 1000 },
    { "lib_worst_ms", m.lib_worst * 1000 }, { "lib_mean_ms", m:lib_mean() * 1000 },
    { "lib_worst_cpu_ms", m.lib_worst_cpu * 1000 }, { "lib_waits", m.lib_waits },
    { "started", started }, { "completed", completed }, { "failed", failed },
    { "errors_shown", game.view.errors_shown }, { "retries_shown", game.view.retries_shown },
    { "quiet_shown", game.view.quiet_shown },
    { "jobs", #game.list }, { "mean_frame_ms", m:frame_mean() * 1000 },
    { "library", not game.baseline }, { "problem", game.problem or "" }, { "math_random", math.random(1000000) },
    { "screenshot", love.filesystem.getSaveDirectory() .. "/" .. SCREENSHOT },
  }
end

function love.update(dt)
  if game.shot then
    -- A headless run ends here, the frame after the screenshot (whose PNG
    -- encoding is no game frame, so it is not counted).
    io.stdout:write(report(), "\n")
    io.stdout:flush()
    love.event.quit(0)
    return
  end
  game.meter:frame(dt)
  if game.board then game.meter:lib(game.board.update, game.board) end
  if game.seconds and love.timer.getTime() - game.t0 >= game.seconds then
    love.graphics.captureScreenshot(SCREENSHOT)  -- taken when this frame is drawn
    game.shot = true
  end
end

function love.draw()
  local m, started, completed, failed = game.meter, counts()
  local header = string.format("frame %.1f ms (worst %.1f)   library %.2f ms (worst %.2f)   " ..
    "started %d, completed %d, failed %d of %d", (m.last_frame or 0) * 1000, m.worst_frame * 1000,
    (m.last_lib or 0) * 1000, m.lib_worst * 1000, started, completed, failed, #game.list)
  game.view:draw(game.list, header, game.max_errors, game.problem)
end

function love.keypressed(key)
  if key == "escape" then love.event.quit() end
end

function love.quit()
  if game.board then game.board:close() end
end

-- LÖVE 11's loop, paced to at most 60 frames a second.
function love.run()
  love.load(love.arg.parseGameArguments(arg), arg)
  love.timer.step()
  local next_frame = love.timer.getTime()
  return function()
    love.event.pump()
    for name, a, b, c, d, e, f in love.event.poll() do
      if name == "quit" and not (love.quit and love.quit()) then return a or 0 end
      love.handlers[name](a, b, c, d, e, f)
    end
    love.update(love.timer.step())
    if love.graphics.isActive() then
      love.graphics.origin()
      love.draw()
      love.graphics.present()
    end
    next_frame = next_frame + FRAME
    local now = love.timer.getTime()
    if next_frame > now then love.timer.sleep(next_frame - now) else next_frame = now end
  end
end
