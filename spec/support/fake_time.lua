-- A fake clock and sleep for waits: sleeping advances the clock at once and
-- is recorded, so a wait's schedule can be checked without real time.
local fake_time = {}

function fake_time.new()
  local self = { t = 0, slept = {} }
  function self.clock() return self.t end
  function self.sleep(s)
    self.slept[#self.slept + 1] = s
    self.t = self.t + s
  end
  return self
end

-- Runs several waits as coroutines on one fake clock: each sleep yields,
-- and the waiter due soonest runs next. Returns each body's results.
function fake_time.scheduler()
  local self = { t = 0, tasks = {} }
  function self.clock() return self.t end
  function self.sleep(s) coroutine.yield(s) end
  function self.spawn(body)
    self.tasks[#self.tasks + 1] = { co = coroutine.create(body), wake = self.t }
  end
  function self.run()
    local results = {}
    while true do
      local next_task
      for i, task in ipairs(self.tasks) do
        if not task.done and (not next_task or task.wake < next_task.wake) then next_task = task end
        task.index = i
      end
      if not next_task then return results end
      self.t = math.max(self.t, next_task.wake)
      local out = { coroutine.resume(next_task.co) }
      assert(out[1], out[2])
      if coroutine.status(next_task.co) == "dead" then
        next_task.done = true
        results[next_task.index] = { table.unpack(out, 2) }
      else
        next_task.wake = self.t + out[2]
      end
    end
  end
  return self
end

return fake_time
