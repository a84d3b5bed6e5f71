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
-- @treturn table|nil doc
-- @treturn table an `invalid_response` error
function document.status(doc, http_status)
  local checked, why = core.check_status(doc)
  if not checked then return nil, errors.new("invalid_response", why, { status = http_status }) end
  return checked
end

return document
