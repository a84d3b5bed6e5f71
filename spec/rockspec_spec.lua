-- Packaging, tested with the real luarocks on a fresh copy of the checkout
-- (its files as one commit, work in progress included), the way a Lua user on
-- Debian types it: no CURL variable, --deps-mode=none for Debian's lua-cjson.
-- The installed library and command are run by a Lua process outside the
-- checkout that cannot see LuaSocket.
local shell = require "spec.support.shell"
local run, check = shell.run, shell.check

local V = _VERSION:match("%d+%.%d+") -- LuaJIT: the 5.1 tree, as luarocks sees it
local LUA = "lua" .. V
local MULTIARCH = run("gcc -print-multiarch"):gsub("%s+$", "")


local function tmpdir()
  return (check("mktemp -d"):gsub("%s+$", ""))
end

-- The checkout's files (tracked or new, not ignored) in a new git repository.
local function fresh_copy()
  local dir = tmpdir()
  check("git ls-files -z -co --exclude-standard | tar --null -T - --ignore-failed-read -cf - 2>/dev/null | " ..
    "tar -xf - -C " .. dir .. " && cd " .. dir .. " && git init -q && git add -A && " ..
    "git -c user.name=spec -c user.email=spec@localhost commit -qm copy")
  return dir
end

-- The make that luarocks starts must not inherit the flags of a make that
-- runs these specs (make -s memcheck would hide the compiler's command line).
local function luarocks(dir, args)
  return check("cd " .. dir .. " && unset MAKEFLAGS MFLAGS MAKELEVEL; luarocks --lua-version " .. V .. " " .. args)
end

-- What the specs' own process has on its paths stays out of the ones it starts.
local UNSET = "unset LUA_PATH LUA_CPATH LUA_PATH_" .. V:gsub("%.", "_") .. " LUA_CPATH_" .. V:gsub("%.", "_") .. "; "

-- Runs lua code with only the tree and a directory holding a copy of cjson.so
-- on the paths: Debian keeps LuaSocket next to cjson, so the system
-- directories stay out.
local function isolated(tree, cjson_dir, cmd)
  return string.format("cd / && " .. UNSET .. "LUA_PATH='%s/share/lua/%s/?.lua;%s/share/lua/%s/?/init.lua' " ..
    "LUA_CPATH='%s/lib/lua/%s/?.so;%s/?.so' %s", tree, V, tree, V, tree, V, cjson_dir, cmd)
end

local function lua_files(dir)
  return check("cd " .. dir .. " && find . -name '*.lua' | sort")
end

-- Lua code for `lua -e '...'`: prints a status decoded by the core, the
-- version and where the core came from.
local LOAD = [==[
local modelslab = require "modelslab"
local doc = assert(modelslab.decode_status([[{"execution":{"id":7,"status":"running"}}]]))
local core = package.searchpath and package.searchpath("modelslab.core", package.cpath) or "?"
print(doc.execution.status, modelslab.VERSION, core)
]==]

describe("luarocks make, as the README says", function()
  local copy, tree, cjson_dir, out

  setup(function()
    copy, tree, cjson_dir = fresh_copy(), tmpdir(), tmpdir()
    check("cp /usr/lib/" .. MULTIARCH .. "/lua/" .. V .. "/cjson.so " .. cjson_dir)
    out = luarocks(copy, "make --tree " .. tree .. " --deps-mode=none")
  end)

  teardown(function() run("rm -rf " .. copy .. " " .. tree .. " " .. cjson_dir) end)

  it("builds without CURL_INCDIR or CURL_DIR where curl/curl.h is under a multiarch directory", function()
    -- The layout that made luarocks' header lookup fail: Debian's.
    check("test -f /usr/include/" .. MULTIARCH .. "/curl/curl.h && test ! -e /usr/include/curl/curl.h")
    assert.matches("modelslab scm%-1 is now installed", out)
    check("test -f " .. tree .. "/lib/lua/" .. V .. "/modelslab/core.so")
  end)

  it("installs every Lua module of the checkout", function()
    assert.equal(lua_files(copy .. "/lua/modelslab"), lua_files(tree .. "/share/lua/" .. V .. "/modelslab"))
  end)

  it("leaves nothing in the checkout but build/, which git ignores", function()
    assert.equal("", check("cd " .. copy .. " && git status --porcelain"))
    assert.equal("!! build/\n", check("cd " .. copy .. " && git status --porcelain --ignored"))
  end)

  it("gives a library that loads with no LuaSocket on the path", function()
    local socket_out, socket_ok = run(isolated(tree, cjson_dir, LUA .. " -e 'require \"socket\"'"))
    assert.is_false(socket_ok)
    assert.matches("module 'socket' not found", socket_out)
    local loaded = check(isolated(tree, cjson_dir, LUA .. " -e '" .. LOAD .. "'"))
    assert.matches("^running\t%d+%.%d+%.%d+\t", loaded)
    if V ~= "5.1" then
      assert.equal(tree .. "/lib/lua/" .. V .. "/modelslab/core.so", loaded:match("\t(%S+)\n$"))
    end
  end)

  it("installs the modelslab command, which runs with no LuaSocket on the path", function()
    assert.matches("Usage: modelslab", check(isolated(tree, cjson_dir, tree .. "/bin/modelslab --help")))
  end)

  it("installs the simulator command, which alone needs LuaSocket", function()
    check("test -x " .. tree .. "/bin/modelslab-simulator")
    local sim = check(UNSET .. "LUA_PATH='" .. tree .. "/share/lua/" .. V .. "/?.lua;" .. tree .. "/share/lua/" .. V ..
      "/?/init.lua;;' " .. tree .. "/bin/modelslab-simulator --help")
    assert.matches("modelslab%-simulator", sim)
  end)
end)

-- The rest builds for Lua 5.4 only, the version the README's commands name.
if V == "5.4" and not rawget(_G, "jit") then
  describe("luarocks make, other ways", function()
    local copy, dirs

    setup(function()
      copy, dirs = fresh_copy(), {}
    end)

    local function dir()
      dirs[#dirs + 1] = tmpdir()
      return dirs[#dirs]
    end

    teardown(function() run("rm -rf " .. copy .. " " .. table.concat(dirs, " ")) end)

    -- A libcurl under its own prefix with the plain include/curl/curl.h and
    -- lib/libcurl.so layout (as under /usr on systems without multiarch),
    -- named with CURL_DIR; the header says when the compiler reads it.
    it("builds against a plain include/curl/curl.h layout named by CURL_DIR", function()
      local prefix, tree = dir(), dir()
      check(string.format("mkdir -p %s/include %s/lib && cp -r /usr/include/%s/curl %s/include/ && " ..
        "sed -i '1i #pragma message \"curl.h from CURL_DIR\"' %s/include/curl/curl.h && " ..
        "ln -s /usr/lib/%s/libcurl.so %s/lib/libcurl.so", prefix, prefix, MULTIARCH, prefix, prefix,
        MULTIARCH, prefix))
      local out = luarocks(copy, "make --tree " .. tree .. " --deps-mode=none CURL_DIR=" .. prefix)
      assert.matches("curl.h from CURL_DIR", out, 1, true)
      assert.matches("-L" .. prefix .. "/lib", out, 1, true)
      check("cd / && " .. UNSET .. "LUA_CPATH='" .. tree .. "/lib/lua/5.4/?.so;;' " ..
        "lua5.4 -e 'require \"modelslab.core\"'")
    end)

    it("installs with --local into ~/.luarocks, usable after eval \"$(luarocks path)\"", function()
      local home = dir()
      check("cd " .. copy .. " && HOME=" .. home .. " luarocks --lua-version 5.4 --local make --deps-mode=none")
      local found = check("cd / && " .. UNSET .. "export HOME=" .. home .. " && " ..
        "eval \"$(luarocks --lua-version 5.4 path)\" && lua5.4 -e '" .. LOAD .. "'")
      assert.matches("^running\t", found)
      assert.equal(home .. "/.luarocks/lib/lua/5.4/modelslab/core.so", found:match("\t(%S+)\n$"))
    end)
  end)

  describe("make release", function()
    local copy, elsewhere, tree, out

    setup(function()
      copy, elsewhere, tree = fresh_copy(), tmpdir(), tmpdir()
      out = check("cd " .. copy .. " && make -s release")
    end)

    teardown(function() run("rm -rf " .. copy .. " " .. elsewhere .. " " .. tree) end)

    it("writes a versioned rockspec and a source rock", function()
      local version = require("modelslab").VERSION
      assert.matches("modelslab%-" .. version:gsub("%p", "%%%0") .. "%-1%.src%.rock", out)
      local spec = check("cat " .. copy .. "/build/release/modelslab-" .. version .. "-1.rockspec")
      assert.matches('version = "' .. version:gsub("%p", "%%%0") .. '%-1"', spec)
    end)

    -- Another machine: the rock alone, elsewhere, with no network at all (a
    -- network namespace of its own; a user namespace too when not root,
    -- which a chroot would not allow).
    it("gives a source rock that luarocks installs offline elsewhere", function()
      check("mv " .. copy .. "/build/release/*.src.rock " .. elsewhere .. " && rm -rf " .. copy .. "/build/release")
      local offline = run("id -u") == "0\n" and "unshare -n " or "unshare -rn "
      check("cd " .. elsewhere .. " && " .. offline .. "luarocks --lua-version 5.4 install --tree " .. tree ..
        " --deps-mode=none *.src.rock")
      local loaded = check("cd / && " .. UNSET .. "LUA_PATH='" .. tree .. "/share/lua/5.4/?.lua;" .. tree ..
        "/share/lua/5.4/?/init.lua;;' LUA_CPATH='" .. tree .. "/lib/lua/5.4/?.so;;' lua5.4 -e '" .. LOAD .. "'")
      assert.equal(tree .. "/lib/lua/5.4/modelslab/core.so", loaded:match("\t(%S+)\n$"))
    end)

    it("refuses a VERSION other than the code's", function()
      local refused, ok = run("cd " .. copy .. " && make -s release VERSION=99.0.0")
      assert.is_false(ok)
      assert.matches("VERSION=99.0.0, but lua/modelslab/client.lua says", refused, 1, true)
    end)
  end)
end
