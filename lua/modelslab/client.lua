--- The client: one connection to the API, reused across calls.
-- @classmod modelslab.client

local core = require "modelslab.core"
local check = require "modelslab.check"
local response = require "modelslab.response"
local document = require "modelslab.document"

local client = {}

local VERSION = "0.1.0"
local DEFAULT_BASE_URL = "https://modelslab.com/api/v1"

local Client = {}
Client.__index = Client

local OPTIONS = {
  api_key = true, base_url = true, timeout = true, connect_timeout = true,
  low_speed_time = true, max_body = true, ca_file = true, user_agent = true,
}

--- Makes a client. See `modelslab.new`.
function client.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("modelslab.new: options must be a table", 2) end
  check.known_options("new", opts, OPTIONS)
  local key = opts.api_key or os.getenv("MODELSLAB_API_KEY")
  if key == nil or key == "" then
    error("modelslab.new: api_key missing: pass api_key or set MODELSLAB_API_KEY", 2)
  end
  check.header_value("new", "api_key", key)
  local base_url = check.base_url("new", opts.base_url or os.getenv("MODELSLAB_BASE_URL") or DEFAULT_BASE_URL)
  local timeout = check.positive("new", "timeout", opts.timeout or 30, 86400)
  local user_agent = opts.user_agent or ("lua-modelslab/" .. VERSION .. " libcurl/" .. core.curl_version)
  local handle = core.new {
    key = key,
    timeout = timeout,
    connect_timeout = check.positive("new", "connect_timeout", opts.connect_timeout or math.min(10, timeout), 86400),
    low_speed_time = check.positive("new", "low_speed_time", opts.low_speed_time or math.min(10, timeout), 86400),
    max_body = check.positive("new", "max_body", opts.max_body or 1048576, 1e9),
    ca_file = check.optional("new", "ca_file", opts.ca_file, "string"),
    user_agent = check.header_value("new", "user_agent", user_agent),
  }
  -- The key stays inside the core's header list; nothing here keeps it.
  return setmetatable({ base_url = base_url, timeout = timeout, _handle = handle }, Client)
end

client.VERSION = VERSION

--- Sends one request and judges the response.
-- @local
function Client:_request(method, path, body)
  if not self._handle:is_open() then error("modelslab: the client is closed", 3) end
  -- The core answers (status, body, retry_after) or (nil, code, message, status).
  local status, a, b, c = self._handle:request(method, self.base_url .. path, body)
  if not status then return nil, response.failure(a, b, c) end
  return response.read(status, a, b)
end

--- Fetches an execution's status document.
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @treturn table|nil the document: `execution`, `steps` (always a sequence),
--   `output` and `error` when present
-- @treturn table the error (see the README's error contract)
-- @usage local doc, err = client:status("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", 12345)
function Client:status(workflow_id, execution_id)
  check.workflow_id("status", workflow_id)
  local id = check.execution_id("status", execution_id)
  local doc, err = self:_request("GET", "/workflows/" .. workflow_id .. "/runs/" .. id)
  if not doc then return nil, err end
  return document.status(doc)
end

--- Closes the connection. Idempotent; also runs on garbage collection and,
-- on Lua 5.4, when a `<close>` variable goes out of scope.
function Client:close()
  self._handle:close()
end

--- True until `close` is called.
function Client:is_open()
  return self._handle:is_open()
end

function Client:__tostring()
  return string.format("modelslab.client (%s, %s)", self.base_url, self:is_open() and "open" or "closed")
end

Client.__close = Client.close
Client.__gc = Client.close

return client
