--- Validates and normalises a decoded status document in place, so users get
-- the documented shape or an `invalid_response` error, never a half-checked
-- table. The checks run on every poll, so the core does them
-- (`src/document.c`): ids become integers (5.3+), `steps` an empty sequence
-- when absent, `output.proxy_links` a sequence even when sent as an object
-- keyed "0", "1", ...; unknown fields are left alone.
-- @module modelslab.document

local core = require "modelslab.core"
local errors = require "modelslab.errors"

local document = {}

--- The execution statuses the API documents, and those after which nothing changes.
document.KNOWN = { pending = true, running = true, completed = true, failed = true, cancelled = true }
document.TERMINAL = { completed = true, failed = true, cancelled = true }

--- Checks a decoded status document and normalises it in place.
-- @tparam table doc the decoded body
-- @tparam[opt] number http_status the status of the answer it came in, for the error
-- @tparam[opt] number execution_id the id the request asked for
-- @treturn table|nil doc
-- @treturn table an `invalid_response` error. A document of another
--   execution is one too, `retryable` and marked `out_of_step`: the
--   connection it came on answers some other request, so the caller drops it
--   and a wait polls again.
function document.status(doc, http_status, execution_id)
  local checked, why = core.check_status(doc)
  if not checked then return nil, errors.new("invalid_response", why, { status = http_status }) end
  if execution_id and checked.execution.id ~= execution_id then
    return nil, errors.new("invalid_response", string.format("the answer is for execution %.0f, not %.0f",
      checked.execution.id, execution_id), { status = http_status, retryable = true, out_of_step = true })
  end
  return checked
end

return document
