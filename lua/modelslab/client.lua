--- The client: one connection to the API, reused across calls.
-- @classmod modelslab.client

local core = require "modelslab.core"
local check = require "modelslab.check"
local endpoints = require "modelslab.endpoints"
local transport = require "modelslab.transport"
local wait = require "modelslab.wait"
local poller = require "modelslab.poller"
local tracker = require "modelslab.tracker"

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
  local config = {
    key = key,
    timeout = timeout,
    connect_timeout = check.positive("new", "connect_timeout", opts.connect_timeout or math.min(10, timeout), 86400),
    -- libcurl counts low-speed time in whole seconds.
    low_speed_time = math.ceil(check.positive("new", "low_speed_time", opts.low_speed_time or math.min(10, timeout),
      86400)),
    max_body = check.positive("new", "max_body", opts.max_body or 1048576, 1e9),
    ca_file = check.optional("new", "ca_file", opts.ca_file, "string"),
    user_agent = check.header_value("new", "user_agent", user_agent),
  }
  config.handle = core.new(config)
  -- The key stays inside the core's header list; nothing here keeps it,
  -- except for nginx's backend (see modelslab.transport).
  if not transport.IN_NGINX then config.key = nil end
  return setmetatable({
    base_url = base_url, timeout = timeout, _config = config, _handle = config.handle,
    _runs = {}, _run_count = 0, _pause_until = -math.huge, _last_status = {},
  }, Client)
end

client.VERSION = VERSION

local STATUS = endpoints.op("status")

-- Sends one operation's request and judges the answer.
local function exchange(self, ep, url, body)
  local decoded, r = transport.exchange(self._config, ep.method, url, body)
  if decoded then return ep.answer(decoded, r) end
  return endpoints.judge(ep, r)
end

-- The same, for a request from endpoints.build.
local function call(self, ep, path, body)
  return exchange(self, ep, self.base_url .. path, body)
end

--- Fetches an execution's status document.
-- @tparam string workflow_id the workflow's UUID
-- @tparam number|string execution_id the execution's id
-- @treturn table|nil the document: `execution`, `steps` (always a sequence),
--   `output` and `error` when present
-- @treturn table the error (see the README's error contract)
-- @usage local doc, err = client:status("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", 12345)
function Client:status(workflow_id, execution_id)
  return exchange(self, STATUS, self:_status_url(workflow_id, execution_id))
end

-- The URL of the last status asked for, kept with its arguments: a wait
-- polls one execution again and again, and checking and formatting its
-- arguments once saves about 8 % of a keep-alive poll's CPU.
function Client:_status_url(workflow_id, execution_id)
  local last = self._last_status
  if last.workflow_id ~= workflow_id or last.execution_id ~= execution_id then
    local _, path = endpoints.build("status", "status", workflow_id, execution_id)
    last.workflow_id, last.execution_id, last.url = workflow_id, execution_id, self.base_url .. path
  end
  return last.url
end

--- Starts an execution of a workflow. Sent once: never retried by the library.
-- @tparam string workflow_id the workflow's UUID
-- @tparam[opt] table params the workflow's parameters, sent as one flat JSON object
-- @treturn table|nil the answer: `execution_id` (an integer), `status_url`, `message`, ...
-- @treturn table the error (a 422 is kind "http" with `status` 422)
-- @usage local started = assert(client:run(wf, { prompt = "a red fox" }))
function Client:run(workflow_id, params)
  local started, err = call(self, endpoints.build("run", "run", workflow_id, params))
  if started then self:_remember_run(started.execution_id) end
  return started, err
end

--- Cancels an execution on the server.
-- @treturn boolean|nil true once the server accepted (also on 204 No Content)
-- @treturn table the error (400 when the execution already finished)
function Client:cancel(workflow_id, execution_id)
  return call(self, endpoints.build("cancel", "cancel", workflow_id, execution_id))
end

--- Fetches a workflow's schema.
-- @treturn table|nil the answer: `workflow`, `parameters` (a sequence), `endpoints`
-- @treturn table the error
function Client:workflow(workflow_id)
  return call(self, endpoints.build("workflow", "workflow", workflow_id))
end

--- Lists the workflows the key can run through the API.
-- @treturn table|nil a sequence of workflows (`id`, `name`, `rate_limit`, ...)
-- @treturn table the error
function Client:workflows()
  return call(self, endpoints.build("workflows", "workflows"))
end

Client.wait = wait.wait
Client.run_and_wait = wait.run_and_wait

--- Makes a poller: many requests at once, never blocking.
-- @tparam[opt] table opts `max_transfers` (default 16): transfers at once
-- @treturn modelslab.poller the poller
function Client:poller(opts)
  return poller.new(self, opts)
end

--- Makes a tracker: follows many executions on one schedule, never blocking.
-- @tparam[opt] table opts the options of `wait`, plus `max_transfers`
-- @treturn modelslab.tracker the tracker
function Client:tracker(opts)
  return tracker.new(self, opts)
end

--- Waits for many executions at once; blocks until all are done.
-- @tparam table list a sequence of `{workflow_id, execution_id}` pairs
-- @tparam[opt] table opts the options of `wait`
-- @treturn table a sequence, in the order of list, of `{doc=, err=}`
function Client:wait_all(list, opts)
  return tracker.wait_all(self, list, opts)
end

-- Which executions this client started, and when (core clock), so a wait can
-- forgive the 404 of an execution that has not appeared yet. Bounded: the
-- table is dropped wholesale past 256 entries.
local function run_key(id)
  return string.format("%.0f", tonumber(id) or 0)
end

function Client:_remember_run(id)
  if self._run_count >= 256 then self._runs, self._run_count = {}, 0 end
  self._runs[run_key(id)] = core.now()
  self._run_count = self._run_count + 1
end

--- Seconds since this client started the execution, or nil.
-- @local
function Client:_run_age(id)
  local at = self._runs[run_key(id)]
  return at and core.now() - at
end

--- A 429 pauses every wait on this client until `t` (in the waits' clock).
-- @local
function Client:_pause(t)
  if t > self._pause_until then self._pause_until = t end
end

--- @local
function Client:_paused_until()
  return self._pause_until
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
