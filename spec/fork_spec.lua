-- A client made before fork() (nginx loads modules in its master) keeps
-- working in both processes, and the child does not reuse the parent's
-- connection. Driven by a small C host embedding Lua 5.4.
local simulator = require "modelslab.simulator"
local shell = require "spec.support.shell"

describe("a client used across fork()", function()
  local sim, exe

  setup(function()
    exe = os.tmpname()
    local out, ok = shell.run("make -s LUA=5.4 && cc -o " .. exe ..
      " spec/support/fork_check.c $(pkg-config --cflags --libs lua5.4)")
    assert(ok, out)
    sim = simulator.start { scenario = "spec/fixtures/scenarios/tracker.lua" }
  end)

  teardown(function()
    sim:stop()
    os.remove(exe)
  end)

  it("works in parent and child, the child on a connection of its own", function()
    local out, ok = shell.run(string.format("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/lua5.4/?.so;;' " ..
      "%s %s %s", exe, sim.base_url, sim.key))
    assert(ok, out)
    assert.matches("parent %a+\nchild %a+\nparent %a+", out)
    -- One connection for the parent (kept across its two calls), one for the
    -- child (its client and its poller: the child's own shared cache), one
    -- for stats().
    assert.equal(3, sim:stats().connections)
  end)
end)
