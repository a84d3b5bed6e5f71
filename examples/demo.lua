-- The demo: start the bundled simulator on a free loopback port and run its
-- three-step workflow through `modelslab run --watch`, which follows the
-- execution to the end. Exits with the command's code: 0 when the execution
-- completes. No account or network needed. From the checkout:
--
--   make demo
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local simulator = require "modelslab.simulator"

local WORKFLOW = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"

local sim = simulator.start {}
print("ModelsLab simulator listening on " .. sim.url)
local command = table.concat({
  "MODELSLAB_API_KEY=" .. sim.key, "bin/modelslab", "run", WORKFLOW,
  "'prompt=a lighthouse at dawn, oil painting'", "--watch", "--interval", "0.25", "--max-interval", "1",
  "--base-url", sim.base_url,
}, " ")
print("$ " .. command:gsub("^MODELSLAB_API_KEY=%S+ ", "") .. "\n")
local ok, _, code = os.execute(command)
sim:stop()
-- os.execute returns the exit code itself on 5.1 and LuaJIT.
if type(ok) == "number" then code = ok / 256 end
os.exit(code == 0 and 0 or (code or 1))
