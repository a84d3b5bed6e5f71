--- Waiting for an execution to finish: bounded, polite, observable.
-- The policy (adaptive gaps, retries, hints, events, outcomes) lives in
-- `modelslab.follow`; this is the loop that polls and sleeps between polls.
-- @module modelslab.wait

local errors = require "modelslab.errors"
local follow = require "modelslab.follow"

local wait = {}

--- The defaults of every option, for the README and for callers.
wait.DEFAULTS = follow.DEFAULTS

--- Waits until the execution reaches a terminal status.
-- @tparam modelslab.client client the client
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @tparam[opt] table opts see the README's table of wait options
-- @treturn table|nil the final status document (completed, failed or cancelled)
-- @treturn table the error: kinds "timeout", "stalled", "cancelled",
--   "unknown_status", or the last request error; all carry `attempts`,
--   `elapsed` and `last` (the last document seen)
-- @usage local final, err = client:wait(wf, id, { timeout = 300, on_event = print })
function wait.wait(client, workflow_id, execution_id, opts)
  local o = follow.settings(opts, "wait")
  local f = follow.new(o, client, execution_id)
  local verdict, value
  repeat
    if f:should_stop() then
      verdict, value = "fail", f:give_up(errors.new("cancelled", "the wait was stopped by should_stop"))
      break
    end
    local pause = f:paused(o.clock())
    if pause > 0 then o.sleep(pause) end
    local doc, err = client:status(workflow_id, execution_id)
    verdict, value = f:observe(doc, err, o.clock())
    if verdict == "again" and value > 0 then o.sleep(value) end
  until verdict ~= "again"
  if verdict == "done" then return value end
  if follow.cancels_remotely(o, value) then
    local ok, cancel_err = client:cancel(workflow_id, execution_id)
    value.remote_cancelled, value.cancel_error = ok == true, cancel_err
  end
  return nil, value
end

--- Starts an execution and waits for it. See `client:run` and `client:wait`.
-- @treturn table|nil the final document
-- @treturn table the error (of the run, or of the wait)
function wait.run_and_wait(client, workflow_id, params, opts)
  local started, err = client:run(workflow_id, params)
  if not started then return nil, err end
  return client:wait(workflow_id, started.execution_id, opts)
end

return wait
