--- Following an execution to its end, for `watch` and for `run` with its
-- watch flag: client:wait with the right sink (live view, lines or JSON
-- Lines), a sleep cut into slices so the view moves and Ctrl-C is noticed
-- quickly, and a clean way out of every outcome.
--
-- Ctrl-C: the standalone interpreters (lua5.1-5.4, LuaJIT) turn SIGINT into
-- an "interrupted!" error at the next Lua instruction, which pcall catches.
-- The core's sleep resumes after a signal, so short slices keep the delay
-- small. A second Ctrl-C kills the process (the interpreter's default).
-- @module modelslab.cli.watch

local modelslab = require "modelslab"
local core = require "modelslab.core"
local follow = require "modelslab.follow"
local codes = require "modelslab.cli.codes"
local live = require "modelslab.cli.live"
local lines = require "modelslab.cli.lines"
local view = require "modelslab.cli.view"

local watch = {}

local SLICE = 0.1  -- seconds: the live view's frame rate and Ctrl-C's worst delay

local function sliced_sleep(seconds, tick)
  local stop = modelslab.now() + seconds
  while true do
    local left = stop - modelslab.now()
    if left <= 0 then return end
    core.sleep(math.min(left, SLICE))
    tick()
  end
end

local function interrupted(e)
  return tostring(e):find("interrupted!", 1, true) ~= nil
end

-- A word for the shell: as it is when nothing in it is special, else in
-- single quotes (a quote inside written as '\'').
local function shell_word(s)
  if s:find("^[%w%-_./:@%%+=,]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- The command that picks the watch up again, as it can be typed: with the
-- options that say where the server is and where the key is.
-- @tparam string workflow_id the workflow's UUID
-- @param execution_id the execution's id
-- @tparam table o the parsed options (`base_url`, `api_key_file`)
-- @treturn string the command line
function watch.resume_command(workflow_id, execution_id, o)
  local words = { "modelslab", "watch", workflow_id, tostring(execution_id) }
  if o.base_url then words[#words + 1] = "--base-url " .. shell_word(o.base_url) end
  if o.api_key_file then words[#words + 1] = "--api-key-file " .. shell_word(o.api_key_file) end
  return table.concat(words, " ")
end

local function make_sink(ctx, o)
  if o.json then return lines.json(ctx) end
  if ctx.term.live then return live.new(ctx) end
  return lines.new(ctx)
end

--- Follows an execution until it ends, printing as it goes.
-- @tparam table client a `modelslab` client
-- @tparam string workflow_id the workflow's UUID
-- @tparam string execution_id the execution's id (digits)
-- @tparam table o the parsed options: `json`, `filter`, `interval`,
--   `max_interval`, `timeout`, `stall_timeout`, `cancel_on_interrupt`,
--   `cancel_on_timeout`
-- @tparam table env `term` (from `term.detect`), `out`, `err` (files),
--   `getenv`, `say_error` (prints to stderr without the key)
-- @treturn number the exit code (see `modelslab.cli.codes`)
function watch.follow(client, workflow_id, execution_id, o, env)
  local ctx = {
    out = env.out, term = env.term, clock = modelslab.now, filter = o.filter,
    workflow_id = workflow_id, execution_id = tonumber(execution_id),
  }
  local sink = make_sink(ctx, o)
  local last
  local wait_opts = {
    interval = o.interval, max_interval = o.max_interval, stall_timeout = o.stall_timeout,
    timeout = o.timeout == 0 and math.huge or o.timeout,
    cancel_remote = o.cancel_on_timeout or nil,
    on_update = function(doc) last = doc; sink:update(doc) end,
    on_event = function(ev) sink:event(ev) end,
    on_retry = function(e, attempt, delay) sink:retry(e, attempt, follow.DEFAULTS.max_errors, delay) end,
    sleep = function(s) sliced_sleep(s, function() sink:tick() end) end,
  }
  local ok, final, err = pcall(function()
    sink:start()
    return client:wait(workflow_id, execution_id, wait_opts)
  end)
  -- An interrupt can also land inside a pcall of the library and come back
  -- as an error value carrying the same message.
  if (not ok and interrupted(final)) or (ok and not final and interrupted(err.message)) then
    if sink.restore then sink:restore() end
    local result = { interrupted = true, doc = last, code = codes.INTERRUPTED }
    if o.cancel_on_interrupt then
      local done, cancel_err = client:cancel(workflow_id, execution_id)
      result.remote_cancelled, result.cancel_error = done == true, cancel_err
    end
    sink:finish(result)
    if result.remote_cancelled then
      env.say_error("interrupted; execution " .. execution_id .. " cancelled on the server")
    elseif result.cancel_error then
      env.say_error("interrupted; cancelling failed: " .. tostring(result.cancel_error))
    else
      env.say_error("interrupted; the execution goes on: " .. watch.resume_command(workflow_id, execution_id, o))
    end
    return codes.INTERRUPTED
  elseif not ok then
    if sink.restore then sink:restore() end
    error(final, 0)
  end
  local code = final and codes.for_status(final.execution.status) or codes.for_error(err)
  sink:finish { doc = final or last, err = err, code = code }
  if err then
    env.say_error(view.error_text(err))
    if err.remote_cancelled then
      env.say_error("execution " .. execution_id .. " cancelled on the server")
    elseif code == codes.TIMEOUT then
      env.say_error("the execution goes on: " .. watch.resume_command(workflow_id, execution_id, o))
    end
  end
  return code
end

return watch
