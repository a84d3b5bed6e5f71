-- Turns bench/openresty.sh's measurements into a Markdown table: the library
-- against the in-nginx floor, with the issue's targets checked.
-- usage: lua5.4 bench/openresty_report.lua RESULTS_TSV IDLE_TSV CLK_TCK COMMAND
local results_file, idle_file, clk_tck, command = arg[1], arg[2], tonumber(arg[3]), arg[4]
local BACKEND_MS = 50

local function read(path)
  local f = assert(io.open(path))
  local text = f:read("a")
  f:close()
  return text
end

local function ms(value, unit)
  local scale = { us = 0.001, ms = 1, s = 1000 }
  return tonumber(value) * scale[unit]
end

-- wrk's report: requests, req/s, p50, p99 (ms), and any errors.
local function wrk(path)
  local text = read(path)
  local w = {
    requests = tonumber(text:match("(%d+) requests in")),
    rate = tonumber(text:match("Requests/sec:%s*([%d.]+)")),
    errors = text:match("(Socket errors:[^\n]*)") or text:match("(Non%-2xx[^\n]*)"),
  }
  w.p50 = ms(text:match("50%%%s+([%d.]+)(%a+)"))
  w.p99 = ms(text:match("99%%%s+([%d.]+)(%a+)"))
  return w
end

-- Every measured run of a name; the report shows each figure's median.
local rounds, order = {}, {}
for line in read(results_file):gmatch("[^\n]+") do
  local name, _, ticks, conns, path = line:match("^([^\t]+)\t(%d+)\t(%-?%d+)\t(%-?%d+)\t(.+)$")
  local w = wrk(path)
  w.cpu_us = tonumber(ticks) * 1e6 / clk_tck / w.requests
  w.tick_us = 1e6 / clk_tck / w.requests -- /proc counts CPU in ticks: the resolution
  w.conns = tonumber(conns)
  if not rounds[name] then rounds[name], order[#order + 1] = {}, name end
  table.insert(rounds[name], w)
end

local function median(list, field)
  local values = {}
  for i, w in ipairs(list) do values[i] = w[field] end
  table.sort(values)
  return values[(#values + 1) // 2]
end

local runs, count = {}, 0
for _, name in ipairs(order) do
  local m = { errors = nil }
  for _, field in ipairs { "rate", "p50", "p99", "cpu_us", "tick_us" } do
    m[field] = median(rounds[name], field)
  end
  m.conns = 0 -- connections opened add up over the rounds
  for _, w in ipairs(rounds[name]) do
    m.errors = m.errors or w.errors
    m.conns = m.conns + w.conns
  end
  runs[name] = m
  count = math.max(count, #rounds[name])
end
local idle = {}
for line in read(idle_file):gmatch("[^\n]+") do
  local name, ticks, secs, stop = line:match("^([^\t]+)\t(%d+)\t([%d.]+)\t([%d.]+)$")
  idle[name] = { cpu = tonumber(ticks) / clk_tck / tonumber(secs) * 100, stop = tonumber(stop) }
end

local out = {}
local function say(fmt, ...) out[#out + 1] = string.format(fmt, ...) end
local function verdict(ok) return ok and "met" or "**missed**" end

say("# make bench-openresty")
say("")
say("Command: `%s`, run %s on %d cores (load average before: %s), %s, Debian's Lua module",
  command, os.date("!%Y-%m-%dT%H:%MZ"), tonumber(io.popen("nproc"):read("l")),
  (read("/proc/loadavg"):match("^(%S+ %S+ %S+)")), io.popen("nginx -v 2>&1"):read("l"):match("nginx/%S+"))
say("and lua-resty-core, one front worker; the backend answers every status after %d ms. The floor", BACKEND_MS)
say("is a bare cosocket GET with setkeepalive and cjson (written in the bench only). Load runs: %d", count)
say("interleaved rounds of each; every figure is the median of its rounds.")
say("")
say("| | ours | floor | ours / floor |")
say("|---|---:|---:|---:|")
for _, c in ipairs { 1, 50, 200 } do
  local o, f = runs["ours c" .. c], runs["floor c" .. c]
  say("| req/s at %d concurrent | %.0f | %.0f | %.2fx |", c, o.rate, f.rate, o.rate / f.rate)
  say("| p50 / p99 at %d concurrent (ms) | %.2f / %.2f | %.2f / %.2f | |", c, o.p50, o.p99, f.p50, f.p99)
  say("| worker CPU per request at %d concurrent (± %.0f µs) | %.0f µs | %.0f µs | %.2fx |", c,
    math.max(o.tick_us, f.tick_us), o.cpu_us, f.cpu_us, o.cpu_us / f.cpu_us)
  say("| backend connections opened at %d concurrent, all rounds | %d | %d | |", c, o.conns, f.conns)
end
local per = runs["ours, a client per request c50"]
say("| a client made per request, 50 concurrent: req/s, CPU, connections opened | %.0f, %.0f µs, %d | | |",
  per.rate, per.cpu_us, per.conns)
say("| worker CPU, idle, 200 waits in flight | %.2f %% | %.2f %% | |", idle.ours.cpu, idle.floor.cpu)
say("| graceful stop (QUIT) with 200 waits in flight | %.2f s | %.2f s | |", idle.ours.stop, idle.floor.stop)
say("| graceful stop (QUIT) with nothing in flight (nginx itself) | %.2f s | | |", idle.nothing.stop)
say("")
local o1, f1 = runs["ours c1"], runs["floor c1"]
local added, floor_added = o1.p50 - BACKEND_MS, f1.p50 - BACKEND_MS
say("Targets (issue 12):")
say("")
say("- req/s at 200 concurrent >= 0.9x the floor: %.2fx, %s", runs["ours c200"].rate / runs["floor c200"].rate,
  verdict(runs["ours c200"].rate >= 0.9 * runs["floor c200"].rate))
say("- added p50 at 1 concurrent <= 1.5 ms: %.2f ms over the backend's %d ms (the floor adds %.2f ms; "
  .. "ours - floor: %.2f ms), %s", added, BACKEND_MS, floor_added, added - floor_added, verdict(added <= 1.5))
local cpu_ratio = runs["ours c50"].cpu_us / runs["floor c50"].cpu_us
say("- worker CPU per request <= 1.5x the floor's (50 concurrent): %.2fx, %s", cpu_ratio, verdict(cpu_ratio <= 1.5))
say("- idle worker CPU with 200 waits in flight <= 2 %%: %.2f %%, %s", idle.ours.cpu, verdict(idle.ours.cpu <= 2))
say("- graceful stop within 3 s with waits in flight: %.2f s, %s", idle.ours.stop, verdict(idle.ours.stop <= 3))
for name, w in pairs(runs) do
  if w.errors then say("- wrk reported errors for %s: %s", name, w.errors) end
end
print(table.concat(out, "\n"))
