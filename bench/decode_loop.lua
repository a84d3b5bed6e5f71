-- What decoding costs: lua-cjson's decode alone on the benchmark's body, and
-- our whole decode and validation (modelslab.decode_status) on the same.
-- usage: decode_loop.lua COUNT
local cjson = require "cjson"
local modelslab = require "modelslab"
local measure = require "bench.measure"

local f = assert(io.open("spec/fixtures/completed.json"))
local body = f:read("*a")
f:close()
local count = tonumber(arg[1])
measure.run("cjson.decode alone", count, function(n)
  for _ = 1, n do cjson.decode(body) end
end)
measure.run("modelslab.decode_status", count, function(n)
  for _ = 1, n do assert(modelslab.decode_status(body)) end
end)
