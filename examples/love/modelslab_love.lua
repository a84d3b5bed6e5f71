--- Loads modelslab in a LÖVE game from the folder `make love-bundle` builds
-- (this file, the Lua modules under modelslab/, modelslab/core.so and
-- cjson.so), however the game is shipped:
--
--   local modelslab = require "modelslab_love"
--
-- LÖVE cannot load a C module from inside an archive, so this file puts the
-- directory holding cjson.so and modelslab/core.so first on package.cpath:
--   a folder game (`love mygame/`): the bundle copied next to main.lua
--     package.cpath = love.filesystem.getSource() .. "/?.so;" .. package.cpath
--   a fused game with the native files next to its executable:
--     package.cpath = love.filesystem.getSourceBaseDirectory() .. "/?.so;" .. package.cpath
--   a .love file (or a fused game without them): the native files inside the
--     archive are first copied to <save directory>/modelslab-native/
--     package.cpath = love.filesystem.getSaveDirectory() .. "/modelslab-native/?.so;" .. package.cpath
-- With none of them in the game (a system-wide install), package.cpath is
-- left as it is.

local fs = love.filesystem

local NATIVE = { "cjson.so", "modelslab/core.so" }
-- Apart from the archive's own paths: a copy at the same path would hide a
-- newer archive's file from love.filesystem.read.
local COPIES = "modelslab-native"

local function on_disk(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Copies the archive's native files to the save directory, rewriting only
-- those that changed (another running copy of the game may have them loaded).
local function copy_to_save_directory()
  for _, name in ipairs(NATIVE) do
    local data = assert(fs.read(name))
    local target = COPIES .. "/" .. name
    if fs.read(target) ~= data then
      assert(fs.createDirectory(target:match("^(.*)/")), "cannot create a folder in the save directory")
      assert(fs.write(target, data))
    end
  end
  return fs.getSaveDirectory() .. "/" .. COPIES
end

local function native_directory()
  if fs.isFused() and on_disk(fs.getSourceBaseDirectory() .. "/" .. NATIVE[1]) then
    return fs.getSourceBaseDirectory()
  end
  if on_disk(fs.getSource() .. "/" .. NATIVE[1]) then return fs.getSource() end
  if fs.getInfo(NATIVE[1], "file") then return copy_to_save_directory() end
end

local dir = native_directory()
if dir then package.cpath = dir .. "/?.so;" .. package.cpath end
return require "modelslab"
