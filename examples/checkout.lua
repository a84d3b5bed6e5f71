-- Lets the examples run straight from a checkout, after `make` built the
-- core: the checkout's modules and its build of the core for the running
-- interpreter come first on the search paths. Each example loads it with
--   dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")
-- A program of your own, with modelslab installed by LuaRocks, needs none of it.
local root = ((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/.."
local build = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = root .. "/build/" .. build .. "/?.so;" .. package.cpath
