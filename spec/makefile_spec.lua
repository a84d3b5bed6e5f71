-- The Makefile on a bare machine: packages are installed by an explicit step
-- before anything asks pkg-config for flags, and the rock builds the same C
-- sources as `make`. (make check-fresh runs the real thing on a new Debian
-- root; these catch a regression in a second.)
local shell = require "spec.support.shell"
local run, check = shell.run, shell.check


-- The C sources on the compiler line of a dry run's output.
local function sources(out)
  local line = assert(out:match("[^\n]*%-o [^\n]*core%.so[^\n]*"), out)
  local list = {}
  for file in line:gmatch("src/[%w_]+%.c") do list[#list + 1] = file end
  return table.concat(list, " ")
end

describe("the Makefile", function()
  local dir

  -- A pkg-config that notes each call, first on PATH.
  setup(function()
    dir = check("mktemp -d"):gsub("%s+$", "")
    check("printf '#!/bin/sh\\necho \"$*\" >> " .. dir .. "/calls\\nexec /usr/bin/pkg-config \"$@\"\\n' > " ..
      dir .. "/pkg-config && chmod +x " .. dir .. "/pkg-config")
  end)

  teardown(function() run("rm -rf " .. dir) end)

  it("asks pkg-config nothing while it is read, so a first run can install it first", function()
    check("PATH=" .. dir .. ":$PATH make -n deps-demo")
    assert.is_nil(io.open(dir .. "/calls"))
  end)

  it("installs the packages before it compiles the core", function()
    local out = check("PATH=" .. dir .. ":$PATH make -n -B LUA=5.4 demo")
    local deps, compile = out:find("sh .ci/deps.sh demo", 1, true), out:find("-o build/lua5.4/modelslab/core.so", 1,
      true)
    assert.truthy(deps, out)
    assert.truthy(compile, out)
    assert.is_true(deps < compile)
    assert.truthy(out:find("sh .ci/deps.sh lua5.4", 1, true) < compile)
  end)

  it("builds the rock from the same C sources as the core, every src/*.c", function()
    local all = check("ls src/*.c"):gsub("%s+", " "):gsub(" $", "")
    assert.equal(all, sources(check("make -n -B LUA=5.4 all")))
    assert.equal(all, sources(check("make -n rock-build LUA_INCDIR=/usr/include/lua5.4 CURL_INCDIR=/usr/include")))
  end)

  it("is what the rockspec builds with, so the rockspec lists no file of its own", function()
    local text, rockspec = assert(io.open("modelslab-scm-1.rockspec")):read("*a"), {}
    local chunk
    if setfenv then -- Lua 5.1 and LuaJIT
      chunk = assert(loadstring(text))
      setfenv(chunk, rockspec)
    else
      chunk = assert(load(text, "rockspec", "t", rockspec))
    end
    chunk()
    assert.equal("make", rockspec.build.type)
    assert.is_nil(rockspec.build.modules)
    assert.equal("rock-build", rockspec.build.build_target)
    assert.equal("rock-install", rockspec.build.install_target)
  end)
end)
