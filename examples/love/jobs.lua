--- The game's executions: started with `tracker:start`, followed by one
-- tracker that `love.update` drives, and what each row on screen shows.
-- Nothing here waits on the network: starts are queued, answers arrive in
-- the callbacks during `board:update()`.
local jobs = {}

local Board = {}
Board.__index = Board

local PROMPTS = {
  "a red fox in the snow", "a lighthouse at dusk", "a city of glass", "an owl reading a map",
  "a ship in a bottle", "a forest made of coral", "a robot tending roses", "a castle on a cloud",
}

-- A frame's worth of work at most: a few results per update, a couple of
-- milliseconds of callbacks, a few transfers at once. Errors are retried a
-- little and then shown for good, so a dead server is visible within seconds.
local TRACKER_OPTIONS = {
  interval = 0.5, max_interval = 2, timeout = 60, max_errors = 3,
  max_transfers = 8, max_results = 4, budget_ms = 2,
}
jobs.MAX_ERRORS = TRACKER_OPTIONS.max_errors

--- Starts `count` executions of a workflow.
-- @param modelslab the loaded library
-- @tparam string workflow_id the workflow's UUID
-- @tparam number count how many
-- @treturn table the board: `list` (one job per execution) and the counts
--   `started`, `completed`, `failed`
function jobs.start(modelslab, workflow_id, count)
  -- The key and base URL come from MODELSLAB_API_KEY and MODELSLAB_BASE_URL.
  local client = modelslab.new { timeout = 10, connect_timeout = 3 }
  local board = setmetatable({
    client = client, tracker = client:tracker(TRACKER_OPTIONS), list = {},
    started = 0, completed = 0, failed = 0, progress = modelslab.steps.progress,
  }, Board)
  for i = 1, count do board:add(workflow_id, i) end
  return board
end

function Board:add(workflow_id, n)
  local job = { n = n, prompt = PROMPTS[(n - 1) % #PROMPTS + 1], status = "starting", steps = {}, done = 0,
    total = 0, added = love.timer.getTime() }
  self.list[n] = job
  job.handle = self.tracker:start(workflow_id, { prompt = job.prompt }, {
    on_started = function(started)
      job.execution_id, job.status, job.retry = started.execution_id, "pending", nil
      self.started = self.started + 1
    end,
    on_update = function(doc)
      job.status, job.steps, job.retry = doc.execution.status, doc.steps, nil
      job.done, job.total = self.progress(doc)
    end,
    on_retry = function(err, attempt, delay)
      job.retry = { err = err, attempt = attempt, at = love.timer.getTime() + delay }
    end,
    on_done = function(doc, err)
      job.finished, job.retry = true, nil
      if doc and doc.execution.status == "completed" then
        self.completed = self.completed + 1
      else
        self.failed = self.failed + 1
        job.status = doc and doc.execution.status or "failed"
        job.error = err or doc.error or ("the execution ended " .. job.status)
      end
    end,
  })
end

--- Once per frame: the tracker's turn, then each running job's state
-- (phase, seconds since the last good answer) for the screen.
function Board:update()
  self.tracker:update()
  for _, job in ipairs(self.list) do
    if not job.finished then job.state = self.tracker:state(job.handle) end
  end
end

function Board:close()
  self.tracker:close()
  self.client:close()
end

return jobs
