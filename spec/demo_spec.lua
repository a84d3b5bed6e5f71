-- `make demo`, the project's main job: it must follow an execution to the end.
local shell = require "spec.support.shell"

describe("the demo", function()
  it("runs the simulator's three-step workflow to completed and exits 0", function()
    local out, ok = shell.run("LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/lua5.4/?.so;;' " ..
      "timeout 60 lua5.4 examples/demo.lua")
    assert(ok, out)
    for _, step in ipairs { "Text to Image", "Image Upscaler", "Face Restore" } do
      assert.matches(step .. ": completed", out, 1, true)
    end
    assert.matches("completed in %d+s %(3/3 steps%)", out)
    assert.matches("output:\n  http://127%.0%.0%.1:%d+/generated/", out)
  end)
end)
