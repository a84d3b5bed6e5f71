--- The two outputs of `watch` for pipes and files: one human line per event
-- (never a redrawn block), or JSON Lines for machines. Both are sinks with
-- the live view's methods: start, update, event, tick, finish.
-- @module modelslab.cli.lines

local steps = require "modelslab.steps"
local term = require "modelslab.cli.term"
local json = require "modelslab.cli.json"
local view = require "modelslab.cli.view"

local lines = {}

local TERMINAL = require("modelslab.document").TERMINAL

-- A step is shown unless a --filter leaves it out.
local function shows(filter, step)
  return not filter or #steps.filter({ step }, filter) == 1
end
lines.shows = shows

local function noop() end

local Lines = { start = noop, tick = noop }
Lines.__index = Lines

--- One line per event, each prefixed by the seconds since the watch began.
-- @tparam table ctx `out` (a file), `term`, `clock` (monotonic seconds),
--   `execution_id`, `filter`
-- @treturn table the sink
function lines.new(ctx)
  return setmetatable({ ctx = ctx, start_time = ctx.clock() }, Lines)
end

function Lines:say(text)
  local out = self.ctx.out
  out:write(string.format("[%6.1fs] %s\n", self.ctx.clock() - self.start_time, text))
  out:flush()
end

function Lines:update(doc)
  self.doc = doc
end

function Lines:event(ev)
  local id = tostring(self.ctx.execution_id)
  if ev.type == "status" then
    if TERMINAL[ev.to] and self.doc then
      local done, total = steps.progress(self.doc)
      self:say(string.format("execution %s %s in %s (%d/%d steps)", id, term.clean(ev.to),
        view.duration(view.elapsed(self.doc, view.now())), done, total))
    else
      self:say("execution " .. id .. " " .. term.clean(ev.to))
    end
  elseif shows(self.ctx.filter, ev.step) then
    local text = string.format("step %d %s: %s", ev.index, term.clean(ev.step.name), term.clean(ev.to))
    local d = ev.to ~= "running" and steps.duration(ev.step)
    if d then text = text .. " (" .. view.duration(d) .. ")" end
    self:say(text)
  end
end

--- Prints the outputs or the error once the execution finished.
function Lines:finish(result)
  if result.doc and not result.err and not result.interrupted then
    for _, line in ipairs(view.tail(result.doc, self.ctx.term)) do self.ctx.out:write(line, "\n") end
  end
  self.ctx.out:flush()
end

local Json = { start = noop, tick = noop, update = noop }
Json.__index = Json

--- JSON Lines: one object per event, then one `done`, `error` or
-- `interrupted` object that carries `exit_code`.
-- @tparam table ctx `out`, `clock`, `workflow_id`, `execution_id`, `filter`
-- @treturn table the sink
function lines.json(ctx)
  return setmetatable({ ctx = ctx, start_time = ctx.clock() }, Json)
end

function Json:emit(rec)
  local ctx = self.ctx
  rec.workflow_id, rec.execution_id = ctx.workflow_id, ctx.execution_id
  rec.elapsed = tonumber(string.format("%.3f", ctx.clock() - self.start_time))
  ctx.out:write(json.encode(rec), "\n")
  ctx.out:flush()
end

function Json:event(ev)
  if ev.step and not shows(self.ctx.filter, ev.step) then return end
  self:emit { type = ev.type, from = ev.from or json.null, to = ev.to, index = ev.index, step = ev.step }
end

function Json:finish(result)
  local rec
  if result.interrupted then
    rec = { type = "interrupted", remote_cancelled = result.remote_cancelled or false,
      cancel_error = result.cancel_error and tostring(result.cancel_error) }
  elseif result.err then
    local e = result.err
    rec = { type = "error", kind = e.kind, message = e.message and tostring(e.message),
      status = e.status, code = e.code, retry_after = e.retry_after }
  else
    local doc = result.doc
    rec = { type = "done", status = doc.execution.status, execution = doc.execution,
      steps = self.ctx.filter and steps.filter(doc, self.ctx.filter) or doc.steps,
      output = doc.output, error = doc.error }
  end
  rec.exit_code = result.code
  self:emit(rec)
end

return lines
