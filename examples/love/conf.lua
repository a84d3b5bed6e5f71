-- The example game's window and modules: no audio, so it starts anywhere
-- (Xvfb included); the identity names its save directory.
function love.conf(t)
  t.identity = "modelslab-love-example"
  t.version = "11.4"
  t.window.title = "modelslab: executions in a game loop"
  t.window.width, t.window.height = 800, 600
  t.window.vsync = 1
  t.modules.audio, t.modules.sound = false, false
  t.modules.joystick, t.modules.physics, t.modules.video = false, false, false
end
