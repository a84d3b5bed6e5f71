-- Soak: many polls against the hostile server's soak executions, about 5 % of
-- them answered with a fault (500, 503, 429, reset, truncation, garbage, an
-- empty 200), half through client:status and half through client:wait, with a
-- fresh client every 1,000 polls. Resident memory (/proc/self/statm), open
-- descriptors (/proc/self/fd) and Lua memory after a full collection are
-- sampled as it goes and must stay flat. Not part of `make test`.
-- usage (from the checkout's root): lua5.4 bench/soak.lua [POLLS]   (make soak)
local modelslab = require "modelslab"
local hostile = require "spec.support.hostile"

local POLLS = tonumber(arg[1]) or 100000
local WARMUP = math.min(5000, math.floor(POLLS / 10))
local KEY = "soak-key"
local WF = hostile.WF
-- Allowed growth from the end of the warm-up to the end. A sample may fall
-- while the client's connection is closed after a fault, or open: +-1 fd.
local LIMITS = { rss_kb = 4096, fds = 1, lua_kb = 64 }

local function read_first_line(path)
  local f = assert(io.open(path))
  local line = f:read("*l")
  f:close()
  return line
end

local PID = read_first_line("/proc/self/stat"):match("^(%d+)")
local PAGE_KB
do
  local p = io.popen("getconf PAGESIZE")
  PAGE_KB = (tonumber(p:read("*l")) or 4096) / 1024
  p:close()
end

local function rss_kb()
  local _, resident = read_first_line("/proc/self/statm"):match("^(%d+) (%d+)")
  return tonumber(resident) * PAGE_KB
end

-- The pipe of this io.popen is open while ls runs: one more than at rest.
local function fds()
  local p = io.popen("ls /proc/" .. PID .. "/fd | wc -l")
  local n = tonumber(p:read("*l"))
  p:close()
  return n - 1
end

local function lua_kb()
  collectgarbage()
  collectgarbage()
  return collectgarbage("count")
end

local server = hostile.start()
local client
local made_at = -math.huge
local polls, outcomes, sample_at = 0, {}, 0
-- Made up front, so that keeping samples allocates nothing during the run.
local samples, nsamples = {}, 0
for i = 1, 16 do samples[i] = { label = "", polls = 0, rss = 0, fds = 0, lua = 0 } end

local function count(kind) outcomes[kind] = (outcomes[kind] or 0) + 1 end

-- Every request counts as a poll, including the retries inside a wait.
local function counting_status(self, ...)
  polls = polls + 1
  return getmetatable(self).status(self, ...)
end

local function fresh_client()
  if client then client:close() end
  client = modelslab.new { api_key = KEY, base_url = server.base_url, timeout = 5, low_speed_time = 2 }
  client.status = counting_status
  made_at = polls
end

local function sample(label)
  nsamples = math.min(nsamples + 1, #samples)
  local s = samples[nsamples]
  s.label, s.polls, s.rss, s.fds, s.lua = label, polls, rss_kb(), fds(), lua_kb()
  print(string.format("%-8s %8d polls  rss %8.0f KB  fds %3d  lua %8.1f KB", label, s.polls, s.rss, s.fds, s.lua))
  return s
end

-- The fake clock never sleeps for real, yet 429 pauses and backoff still run.
local t = 0
local function sleep(s) t = t + s end
local function clock() return t end

local next_id = hostile.SOAK_IDS[1]
local function one_round()
  if polls - made_at >= 1000 then fresh_client() end
  if polls % 2 == 0 then
    -- A status poll of one of 100 executions that keep starting over.
    local doc, err = client:status(WF, hostile.SOAK_IDS[1] + polls % 100)
    count(doc and "status: document" or ("status: " .. err.kind))
  else
    next_id = next_id < hostile.SOAK_IDS[2] and next_id + 1 or hostile.SOAK_IDS[1] + 100
    local final, err = client:wait(WF, next_id, { sleep = sleep, clock = clock, interval = 1, timeout = 1e6 })
    count(final and "wait: " .. final.execution.status or ("wait: " .. err.kind))
  end
end

local started = modelslab.now()
fresh_client()
while polls < WARMUP do one_round() end
local base = sample("warm")
while polls < POLLS do
  one_round()
  if polls >= sample_at + POLLS / 10 then
    sample_at = polls
    sample("soak")
  end
end
local last = sample("end")
client:close()
client = nil
sample("closed") -- the client's connection is gone
local stats = server:stats()
server:stop()

print(string.format("\n%d polls in %.1f s; the server answered %d soak requests, %d of them faults (%.1f %%)",
  polls, modelslab.now() - started, stats.soak.requests, stats.soak.faults,
  100 * stats.soak.faults / math.max(1, stats.soak.requests)))
local kinds = {}
for k in pairs(outcomes) do kinds[#kinds + 1] = k end
table.sort(kinds)
for _, k in ipairs(kinds) do print(string.format("  %-28s %7d", k, outcomes[k])) end

local growth = { rss_kb = last.rss - base.rss, fds = last.fds - base.fds, lua_kb = last.lua - base.lua }
local peak = 0
for i = 1, nsamples do peak = math.max(peak, samples[i].rss - base.rss) end
print(string.format("\ngrowth after the warm-up: rss %+.0f KB (peak %+.0f KB), fds %+d, lua %+.1f KB",
  growth.rss_kb, peak, growth.fds, growth.lua_kb))
local ok = true
for k, limit in pairs(LIMITS) do
  if growth[k] > limit then
    print(string.format("FAIL: %s grew by %g, over the limit of %g", k, growth[k], limit))
    ok = false
  end
end
print(ok and "flat: within the limits" or "not flat")
os.exit(ok and 0 or 1)
