-- bench/report.sh, which turns `make bench`'s measurements into the table
-- written to build/bench/RESULTS.md: every ratio is shown against its target,
-- and a missed target is flagged in its row and in the closing line.
local run = require("spec.support.shell").run

-- label, operations, wall seconds, CPU seconds, peak KiB: as the loops print.
local function measurements(overrides)
  local rows = {
    { "plain C, http keep-alive", 10000, 1.0, 0.5 },
    { "client:status Lua 5.4, http keep-alive", 10000, 1.1, 0.6 },
    { "client:status LuaJIT, http keep-alive", 10000, 1.05, 0.6 },
    { "LuaSocket + cjson, http", 1000, 1.0, 0.6 },
    { "client:status Lua 5.4, https keep-alive", 10000, 1.2, 0.6 },
    { "LuaSocket + LuaSec + cjson, https", 1000, 1.0, 0.6 },
    { "client:status Lua 5.4, https new connection each", 1000, 2.0, 1.5 },
    { "client:status, new TLS connection, built-in CA bundle (fails verify)", 1000, 2.0, 1.0 },
    { "modelslab.decode_status", 50000, 1.0, 0.8 },
    { "poller (100 at once), 50 ms answers", 1000, 1.0, 0.6 },
    { "sequential client:status, 50 ms answers", 1000, 50.0, 0.6 },
  }
  local lines = {}
  for _, r in ipairs(rows) do
    local wall = overrides[r[1]] or r[3]
    lines[#lines + 1] = table.concat({ r[1], r[2], wall, r[4], 9000 }, "\t")
  end
  return table.concat(lines, "\n") .. "\n"
end

local function report(overrides, memory)
  local results, mem = os.tmpname(), os.tmpname()
  local f = assert(io.open(results, "w"))
  f:write(measurements(overrides))
  f:close()
  f = assert(io.open(mem, "w"))
  f:write("rss\t" .. memory[1] .. "\t" .. memory[2] .. "\n")
  f:close()
  local out, ok = run("sh bench/report.sh " .. results .. " " .. mem .. " 'make bench'")
  os.remove(results)
  os.remove(mem)
  assert(ok, out)
  return out
end

describe("make bench's report", function()
  it("shows each ratio against its target and says all were met", function()
    local out = report({}, { 1000, 1500 })
    assert.matches("| client:status Lua 5.4 / plain C, http keep-alive | 0.91 | ≥ 0.85 | met |", out, 1, true)
    assert.matches("| resident memory growth from 1,000 to 100,000 client:status calls | 500 KiB (1000 -> 1500) " ..
      "| ≤ 1024 KiB | met |", out, 1, true)
    assert.matches("**Targets: 7 of 7 met.**", out, 1, true)
    assert.is_nil(out:find("MISSED", 1, true))
  end)

  it("flags a missed target in its row and in the closing line", function()
    -- LuaJIT at 0.5 of plain C; memory growing by 3 MiB.
    local out = report({ ["client:status LuaJIT, http keep-alive"] = 2.0 }, { 1000, 4072 })
    assert.matches("| client:status LuaJIT / plain C, http keep-alive | 0.50 | ≥ 0.85 | **MISSED** |", out, 1, true)
    assert.matches("| 3072 KiB (1000 -> 4072) | ≤ 1024 KiB | **MISSED** |", out, 1, true)
    assert.matches("**Targets: 5 of 7 met; MISSED: client:status LuaJIT / plain C, http keep-alive; " ..
      "resident memory growth from 1,000 to 100,000 client:status calls.**", out, 1, true)
  end)
end)
