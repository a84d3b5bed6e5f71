-- The properties fuzz/http_fuzz.c checks for every answer its loopback server
-- plays: client:status and client:wait return (never raise), errors have a
-- documented kind and consistent fields, and the key never shows.
local modelslab = require "modelslab"
local errors = require "modelslab.errors"

local KEY = "fuzz-secret-key-8d1e"
local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local KINDS = { transport = true, http = true, rate_limited = true, api = true, invalid_response = true }
local WAIT_KINDS = { timeout = true, stalled = true, cancelled = true, unknown_status = true }
local RETRYABLE = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }

local function check_error(err, kinds)
  assert(errors.is(err), "not a modelslab error: " .. tostring(err))
  assert(kinds[err.kind], "undocumented kind " .. tostring(err.kind))
  assert(type(err.message) == "string", "message")
  local text = tostring(err)
  assert(not text:find(KEY, 1, true) and not err.message:find(KEY, 1, true), "the key shows in an error")
  local s = err.status
  -- An HTTP status has three digits; anything else is no HTTP answer (a transport error).
  assert(s == nil or (math.type(s) == "integer" and s >= 100 and s <= 999), "status " .. tostring(s))
  if err.kind == "http" then assert(s and (s < 200 or s > 299) and s ~= 429, "http with status " .. tostring(s)) end
  if err.kind == "rate_limited" then assert(s == 429, "rate_limited with status " .. tostring(s)) end
  if err.kind == "transport" then assert(type(err.code) == "string", "transport without code") end
  if KINDS[err.kind] then
    -- An answer about another execution is out of step: retried on a new connection.
    local out_of_step = err.out_of_step == true and err.kind == "invalid_response"
    assert(err.retryable == (err.kind == "transport" or RETRYABLE[s] == true or out_of_step), "retryable")
  end
  local ra = err.retry_after
  assert(ra == nil or (type(ra) == "number" and ra >= 0 and ra <= 86400), "retry_after " .. tostring(ra))
end

local function fake_time()
  local t = 0
  return function(s) t = t + s end, function() return t end
end

return function(base_url)
  return function()
    local client = modelslab.new { api_key = KEY, base_url = base_url, timeout = 5, connect_timeout = 2,
      low_speed_time = 2, max_body = 65536 }
    assert(not tostring(client):find(KEY, 1, true), "the key shows in tostring(client)")
    local doc, err = client:status(WF, 12345)
    if doc then
      assert(err == nil and type(doc.execution) == "table" and type(doc.steps) == "table")
      local sleep, clock = fake_time()
      local final, werr = client:wait(WF, 12345, { timeout = 1, interval = 1, jitter = 0, max_errors = 1,
        sleep = sleep, clock = clock })
      if final then
        assert(modelslab.TERMINAL[final.execution.status], "wait returned a live execution")
      else
        local all = {}
        for k in pairs(KINDS) do all[k] = true end
        for k in pairs(WAIT_KINDS) do all[k] = true end
        check_error(werr, all)
        assert(werr.attempts >= 1 and werr.attempts <= 2, "attempts " .. tostring(werr.attempts))
      end
    else
      check_error(err, KINDS)
    end
    client:close()
  end
end
