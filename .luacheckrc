-- Lua 5.1-5.4 and LuaJIT all run this code: allow what any of them defines.
std = "max"
max_line_length = 120
files["spec"] = { std = "+busted" }
exclude_files = { "build" }
-- LÖVE games define their callbacks on the global love table.
files["examples/love"] = { globals = { "love" } }
