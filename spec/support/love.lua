-- Runs the LÖVE example (examples/love, built with `make love-game`) in
-- Debian's love under xvfb-run, packed as a folder, a .love file or a fused
-- executable, and reads the JSON line it prints when MODELSLAB_LOVE_SECONDS
-- runs out.
local cjson = require "cjson"
local sh = require("spec.support.shell").run

local love = {}

local GAME = "build/love-game"

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- Builds the bundle and the game; returns a scratch folder for packed games.
function love.build()
  local out, ok = sh("make -s love-game")
  assert(ok, out)
  local dir = os.tmpname()
  os.remove(dir)
  assert(sh("mkdir -p " .. dir))
  return dir
end

--- The command that starts the game packed as kind: "folder" (the game's
-- folder), "love" (a .love file), "fused" (love and the .love in one
-- executable, the native files next to it) or "fused-bare" (without them).
function love.game(kind, scratch)
  if kind == "folder" then return "love " .. GAME end
  local file = scratch .. "/game.love"
  assert(sh("rm -f " .. file .. " && cd " .. GAME .. " && zip -qr " .. file .. " ."))
  if kind == "love" then return "love " .. file end
  local dir = scratch .. "/fused"
  assert(sh("rm -rf " .. dir .. " && mkdir -p " .. dir .. " && cat /usr/bin/love " .. file .. " > " .. dir
    .. "/game && chmod +x " .. dir .. "/game"))
  if kind == "fused" then
    assert(sh("mkdir " .. dir .. "/modelslab && cp " .. GAME .. "/cjson.so " .. dir .. " && cp " .. GAME
      .. "/modelslab/core.so " .. dir .. "/modelslab"))
  end
  return dir .. "/game"
end

--- Starts the game (a command from love.game) for seconds with env (a table
-- of environment variables); returns a handle whose finish() gives the
-- decoded report and the whole output. LUA_PATH and LUA_CPATH point nowhere:
-- the game must find everything in its own files, as on a player's machine.
function love.start(command, seconds, env, scratch)
  local vars = { MODELSLAB_LOVE_SECONDS = seconds, XDG_DATA_HOME = scratch .. "/data",
    LUA_PATH = "/nonexistent/?.lua", LUA_CPATH = "/nonexistent/?.so" }
  for k, v in pairs(env or {}) do vars[k] = v end
  local assignments = {}
  for k, v in pairs(vars) do assignments[#assignments + 1] = k .. "=" .. quote(v) end
  -- A game that never quits fails the spec instead of hanging it.
  local p = assert(io.popen("env " .. table.concat(assignments, " ") .. " timeout " .. (seconds + 60)
    .. " xvfb-run -a -s '-screen 0 1024x768x24' " .. command .. " 2>&1"))
  return {
    finish = function()
      local out = p:read("*a")
      p:close()
      local line = out:match("({\"frames\"[^\n]*})")
      assert(line, "the game printed no report:\n" .. out)
      return cjson.decode(line), out
    end,
  }
end

--- Width and height of a PNG file, or nil when it is not one.
function love.png_size(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local head = f:read(24)
  f:close()
  if not head or head:sub(1, 8) ~= "\137PNG\r\n\26\n" then return nil end
  local function u32(i)
    local a, b, c, d = head:byte(i, i + 3)
    return ((a * 256 + b) * 256 + c) * 256 + d
  end
  return u32(17), u32(21)
end

--- A file's bytes, or nil when it is missing.
function love.read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local data = f:read("*a")
  f:close()
  return data
end

function love.exists(path)
  return love.read(path) ~= nil
end

return love
