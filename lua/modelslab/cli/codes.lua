--- Exit codes of the `modelslab` command, so shell scripts can branch.
-- The execution's outcome comes first (0, 1, 2, 3); the rest follow
-- sysexits.h: 64 usage, 69 service unavailable, 77 permission denied.
-- @module modelslab.cli.codes

local codes = {
  COMPLETED = 0,     -- also: pending or running at `status`, and every other success
  FAILED = 1,
  CANCELLED = 2,
  TIMEOUT = 3,       -- --timeout or --stall-timeout passed
  USAGE = 64,        -- EX_USAGE: bad arguments, unreadable files named on the command line
  UNAVAILABLE = 69,  -- EX_UNAVAILABLE: any other API, HTTP or network error
  AUTH = 77,         -- EX_NOPERM: no key, or the server answered 401 or 403
  SOFTWARE = 70,     -- EX_SOFTWARE: a bug in this command (with a traceback)
  INTERRUPTED = 130, -- 128 + SIGINT, as shells report it
}

local BY_STATUS = {
  completed = codes.COMPLETED, pending = codes.COMPLETED, running = codes.COMPLETED,
  failed = codes.FAILED, cancelled = codes.CANCELLED,
}

--- The exit code for an execution's status.
-- A status the API does not document is an API problem: 69.
-- @tparam string status `execution.status`
-- @treturn number the code
function codes.for_status(status)
  return BY_STATUS[status] or codes.UNAVAILABLE
end

--- The exit code for an error table from the library.
-- @tparam table err the error (`kind`, `status`)
-- @treturn number the code
function codes.for_error(err)
  if err.kind == "timeout" or err.kind == "stalled" then return codes.TIMEOUT end
  if err.status == 401 or err.status == 403 then return codes.AUTH end
  return codes.UNAVAILABLE
end

return codes
