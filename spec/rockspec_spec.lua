-- Packaging, tested with the real luarocks: the rock installs into a fresh
-- tree, and a separate Lua process that cannot see the checkout loads it.
local run = require("spec.support.shell").run

local function lua_files(dir)
  local out = run("cd " .. dir .. " && find . -name '*.lua' | sort")
  return out
end

describe("the rockspec", function()
  local tree = os.tmpname()
  local lua_version = _VERSION:match("%d+%.%d+")

  setup(function()
    os.remove(tree)
    local out, ok = run("make -s rock ROCK_TREE=" .. tree .. " LUA=" .. lua_version)
    assert(ok, out)
  end)

  teardown(function() run("rm -rf " .. tree) end)

  it("installs every Lua module of the checkout", function()
    assert.equal(lua_files("lua/modelslab"), lua_files(tree .. "/share/lua/" .. lua_version .. "/modelslab"))
  end)

  it("installs the simulator command", function()
    local out = run(tree .. "/bin/modelslab-simulator --help")
    assert.matches("modelslab%-simulator", out)
  end)

  -- package.searchpath is 5.2+, hence the small search of our own.
  it("gives a module that a process outside the checkout can load and use", function()
    local script = [[
      local function search(name, path)
        for template in path:gmatch("[^;]+") do
          local file = template:gsub("%?", (name:gsub("%.", "/")))
          local f = io.open(file)
          if f then f:close() return file end
        end
      end
      local modelslab = require "modelslab"
      local doc = assert(modelslab.decode_status('{"execution":{"id":7,"status":"running"}}'))
      print(search("modelslab.core", package.cpath), search("modelslab", package.path), doc.execution.status)
    ]]
    local script_file = tree .. "/check.lua"
    local f = assert(io.open(script_file, "w"))
    f:write(script)
    f:close()
    local cmd = string.format("cd / && LUA_PATH='%s/share/lua/%s/?.lua;%s/share/lua/%s/?/init.lua;;' " ..
      "LUA_CPATH='%s/lib/lua/%s/?.so;;' lua%s %s", tree, lua_version, tree, lua_version, tree, lua_version,
      lua_version, script_file)
    local out, ok = run(cmd)
    assert(ok, out)
    local core_file, module_file, status = out:match("^(%S+)\t(%S+)\t(%S+)")
    assert.equal(tree .. "/lib/lua/" .. lua_version .. "/modelslab/core.so", core_file)
    assert.equal(tree .. "/share/lua/" .. lua_version .. "/modelslab/init.lua", module_file)
    assert.equal("running", status)
  end)
end)
