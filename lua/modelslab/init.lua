--- Follow ModelsLab workflow executions from Lua.
-- @module modelslab
-- @usage
-- local modelslab = require "modelslab"
-- local client = modelslab.new { api_key = os.getenv("MODELSLAB_API_KEY") }
-- local doc, err = client:status("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", 12345)
-- if not doc then print(err) else print(doc.execution.status) end

local core = require "modelslab.core"
local client = require "modelslab.client"
local response = require "modelslab.response"
local document = require "modelslab.document"
local time = require "modelslab.time"
local steps = require "modelslab.steps"
local webhook = require "modelslab.webhook"
local wait = require "modelslab.wait"

local modelslab = {}

--- The library's version.
modelslab.VERSION = client.VERSION

--- The execution statuses after which nothing changes.
modelslab.TERMINAL = document.TERMINAL

--- Makes a client.
-- @tparam[opt] table opts `api_key` (default: env MODELSLAB_API_KEY; none at
--   all raises), `base_url` (env MODELSLAB_BASE_URL, else
--   "https://modelslab.com/api/v1"), `timeout` (30 s, whole request),
--   `connect_timeout` (10 s), `low_speed_time` (10 s below 10 bytes/s fails),
--   `max_body` (1 MiB), `ca_file`, `user_agent`
-- @treturn modelslab.client the client
-- @raise on a bad option, naming it
modelslab.new = client.new

--- Parses an ISO-8601 timestamp into UTC epoch seconds.
-- @tparam string text e.g. "2024-01-15T10:30:05Z"
-- @treturn number|nil seconds
-- @treturn string why the text is not a timestamp
modelslab.parse_time = time.parse

--- Decodes and validates a status document fetched some other way.
-- Same results and errors as `client:status`.
-- @tparam string text the JSON body
-- @treturn table|nil the document
-- @treturn table the error
function modelslab.decode_status(text)
  if type(text) ~= "string" then
    error("modelslab.decode_status: text must be a string", 2)
  end
  local doc, err = response.read(nil, text)
  if not doc then return nil, err end
  return document.status(doc)
end

--- Helpers over an execution's steps: filter, find, count, current,
-- progress, duration, diff.
modelslab.steps = steps

--- Decodes a webhook body (both documented payload shapes) into one table:
-- `event`, `execution_id`, `workflow_id`, `status`, `output`, `completed_at`, `raw`.
-- @function decode_webhook
modelslab.decode_webhook = webhook.decode

--- The defaults of `client:wait`'s options.
modelslab.WAIT_DEFAULTS = wait.DEFAULTS

--- The core's monotonic clock, in seconds.
modelslab.now = core.now

return modelslab
