--- Helpers over the `steps` array of an execution status document.
--
-- Every function accepts either a status document (a table with `.steps`)
-- or a steps array directly. A step is `{name=, status=, started_at=,
-- completed_at=}`; JSON nulls are already absent keys.
-- @module modelslab.steps

local time = require("modelslab.time")

local type, pairs, ipairs, next, error, pcall, tostring =
  type, pairs, ipairs, next, error, pcall, tostring
local find = string.find
local format = string.format

local M = {}

local TERMINAL = require("modelslab.document").TERMINAL

-- Raise "bad argument #n to 'fname' (...)" blaming the frame `level` above
-- this helper's caller, as luaL_argerror would.
local function argerror(level, n, fname, fmt, ...)
  error(format("bad argument #%d to '%s' (" .. fmt .. ")", n, fname, ...), level + 1)
end

-- Resolve the argument to a steps array. A document whose `steps` key is
-- absent (e.g. still pending) has no steps yet, so it yields an empty array
-- instead of being mistaken for an array itself.
local function list(doc, fname, argn)
  argn = argn or 1
  if type(doc) ~= "table" then
    argerror(3, argn, fname, "status document or steps array expected, got %s", type(doc))
  end
  local arr = doc.steps
  if arr == nil then
    if doc[1] == nil and next(doc) ~= nil then
      return {}
    end
    arr = doc
  elseif type(arr) ~= "table" then
    argerror(3, argn, fname, "steps must be a table, got %s", type(arr))
  end
  for i = 1, #arr do
    if type(arr[i]) ~= "table" then
      argerror(3, argn, fname, "step %d is a %s, expected a table", i, type(arr[i]))
    end
  end
  return arr
end

local function exec_status(doc)
  local ex = type(doc) == "table" and doc.execution
  return type(ex) == "table" and ex.status or nil
end

local FILTER_FIELDS = { status = true, name = true, name_pattern = true }

-- Turn a filter table into a predicate, checking it once up front so a typo
-- fails loudly instead of silently matching nothing.
local function compile(f)
  local statuses
  for k, v in pairs(f) do
    if not FILTER_FIELDS[k] then
      argerror(3, 2, "filter", "unknown field '%s'", tostring(k))
    end
    if k == "status" and type(v) == "table" then
      if v[1] == nil then
        argerror(3, 2, "filter", "status list is empty")
      end
      statuses = {}
      for i, st in ipairs(v) do
        if type(st) ~= "string" then
          argerror(3, 2, "filter", "status[%d] must be a string, got %s", i, type(st))
        end
        statuses[st] = true
      end
    elseif type(v) ~= "string" then
      argerror(3, 2, "filter", "field '%s' must be a string%s, got %s",
        k, k == "status" and " or a list of strings" or "", type(v))
    elseif k == "status" then
      statuses = { [v] = true }
    end
  end
  local name, pattern = f.name, f.name_pattern
  return function(step)
    if statuses and not statuses[step.status] then
      return false
    end
    local n = step.name
    if (name or pattern) and type(n) ~= "string" then
      return false
    end
    if name and not find(n, name, 1, true) then
      return false
    end
    if pattern then
      -- A malformed pattern only shows up when matched; re-raise it naming the argument.
      local ok, res = pcall(find, n, pattern)
      if not ok then
        argerror(3, 2, "filter", "name_pattern: %s", tostring(res))
      end
      return res ~= nil
    end
    return true
  end
end

--- Select steps by fields or by a predicate.
-- With a table, every given field must match: `status` (a string, or a list
-- meaning "any of"), `name` (plain substring), `name_pattern` (Lua pattern).
-- With a function, it is called as `f(step, index)` and truthy keeps the step.
-- @tparam table doc status document or steps array
-- @tparam table|function f filter fields or predicate
-- @treturn table a new sequence of the matching steps, in order
-- @raise on an unknown field, a wrong field type or a bad `f`
-- @usage
-- steps.filter(doc, { status = { "failed", "cancelled" } })
-- steps.filter(doc, { name = "Upscaler", status = "running" })
-- steps.filter(doc, function(step, i) return i > 1 end)
function M.filter(doc, f)
  local arr = list(doc, "filter")
  local keep = f
  if type(f) == "table" then
    keep = compile(f)
  elseif type(f) ~= "function" then
    argerror(2, 2, "filter", "table or function expected, got %s", type(f))
  end
  local out = {}
  for i = 1, #arr do
    if keep(arr[i], i) then
      out[#out + 1] = arr[i]
    end
  end
  return out
end

--- Find the first step with exactly this name.
-- @tparam table doc status document or steps array
-- @tparam string name the exact step name
-- @treturn[1] table the step
-- @treturn[1] integer its index
-- @treturn[2] nil when no step has that name
-- @usage local step, i = steps.find(doc, "Image Upscaler")
function M.find(doc, name)
  local arr = list(doc, "find")
  if type(name) ~= "string" then
    argerror(2, 2, "find", "string expected, got %s", type(name))
  end
  for i = 1, #arr do
    if arr[i].name == name then
      return arr[i], i
    end
  end
  return nil
end

--- Count steps by status.
-- Steps without a string status are counted under `unknown`.
-- @tparam table doc status document or steps array
-- @treturn table e.g. `{completed = 2, running = 1, total = 3}`
-- @usage print(steps.count(doc).completed or 0)
function M.count(doc)
  local arr = list(doc, "count")
  local counts = { total = #arr }
  for i = 1, #arr do
    local s = arr[i].status
    if type(s) ~= "string" then
      s = "unknown"
    end
    counts[s] = (counts[s] or 0) + 1
  end
  return counts
end

--- The first running step.
-- @tparam table doc status document or steps array
-- @treturn[1] table the step
-- @treturn[1] integer its index
-- @treturn[2] nil when no step is running
-- @usage local step = steps.current(doc); if step then print(step.name) end
function M.current(doc)
  local arr = list(doc, "current")
  for i = 1, #arr do
    if arr[i].status == "running" then
      return arr[i], i
    end
  end
  return nil
end

--- Progress over the steps known so far.
-- Only `completed` steps count as done: a failed or cancelled step did not
-- advance the work. The API appends steps as they start, so `total` can grow
-- between polls and the fraction can drop. When the document's
-- `execution.status` is `"completed"` the fraction is 1 regardless.
-- @tparam table doc status document or steps array
-- @treturn integer done (completed steps)
-- @treturn integer total (steps listed)
-- @treturn number fraction in [0, 1]; 0 when there are no steps
-- @usage local done, total, frac = steps.progress(doc)
function M.progress(doc)
  local arr = list(doc, "progress")
  local total, done = #arr, 0
  for i = 1, total do
    if arr[i].status == "completed" then
      done = done + 1
    end
  end
  local fraction = 0
  if exec_status(doc) == "completed" then
    fraction = 1
  elseif total > 0 then
    fraction = done / total
  end
  return done, total, fraction
end

--- Seconds a step took, or has taken so far.
-- A step still running (no `completed_at`) is measured to `now`, clamped at 0
-- because the local clock may lag the server's. A finished step whose
-- `completed_at` precedes its `started_at` is inconsistent and yields nil.
-- @tparam table step a step table
-- @tparam[opt] number now epoch seconds for running steps (default `os.time()`)
-- @treturn number|nil seconds, or nil when not started, unparsable or not running
-- @usage local step = steps.current(doc); if step then print(steps.duration(step)) end
function M.duration(step, now)
  if type(step) ~= "table" then
    argerror(2, 1, "duration", "step table expected, got %s", type(step))
  end
  if now ~= nil and type(now) ~= "number" then
    argerror(2, 2, "duration", "number expected, got %s", type(now))
  end
  local started = time.parse(step.started_at)
  if not started then
    return nil
  end
  if step.completed_at == nil then
    if step.status ~= "running" then
      return nil
    end
    local d = (now or os.time()) - started
    return d > 0 and d or 0
  end
  local finished = time.parse(step.completed_at)
  if not finished or finished < started then
    return nil
  end
  return finished - started
end

local STEP_EVENT = { running = "step_started", completed = "step_completed", failed = "step_failed" }

--- Change events between two polls of the same execution.
-- Steps are matched by index (the API only appends); a different name at an
-- index counts as a new step. A new step, or one whose status changed, emits
-- `step_started` / `step_completed` / `step_failed` / `step_changed` with
-- `step`, `index`, `from` (previous status or nil) and `to`. A step first seen
-- already completed emits `step_completed` with `from = nil`. Steps that vanish
-- emit nothing.
--
-- Order: a `{type = "status", from =, to =}` event comes FIRST when the new
-- execution status is non-terminal (pending, running, or unknown), so a
-- watcher learns the run started before its steps do; it comes LAST when the
-- new status is terminal (completed, failed, cancelled), so the final step is
-- reported finished before the execution is.
-- @tparam table|nil prev the previous document (nil = nothing seen yet)
-- @tparam table cur the current document
-- @treturn table a sequence of event tables (empty when nothing changed)
-- @usage
-- for _, ev in ipairs(steps.diff(last, doc)) do
--   print(ev.type, ev.step and ev.step.name, ev.from, ev.to)
-- end
function M.diff(prev, cur)
  local cur_steps = list(cur, "diff", 2)
  local prev_steps = {}
  if prev ~= nil then
    if type(prev) ~= "table" then
      argerror(2, 1, "diff", "status document, steps array or nil expected, got %s", type(prev))
    end
    prev_steps = list(prev, "diff")
  end

  local events = {}
  local from_status, to_status = exec_status(prev), exec_status(cur)
  local status_event
  if to_status ~= nil and to_status ~= from_status then
    status_event = { type = "status", from = from_status, to = to_status }
    if not TERMINAL[to_status] then
      events[1] = status_event
    end
  end

  for i = 1, #cur_steps do
    local c, p = cur_steps[i], prev_steps[i]
    if p and p.name ~= c.name then
      p = nil
    end
    local from = p and p.status
    if p == nil or from ~= c.status then
      events[#events + 1] = {
        type = STEP_EVENT[c.status] or "step_changed",
        step = c, index = i, from = from, to = c.status,
      }
    end
  end

  if status_event and TERMINAL[to_status] then
    events[#events + 1] = status_event
  end
  return events
end

return M
