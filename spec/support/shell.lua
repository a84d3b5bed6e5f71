-- Runs a shell command; returns its output (stdout and stderr) and whether it
-- exited 0. The exit code is echoed, since popen's close does not give it on 5.1.
local shell = {}

function shell.run(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"exit:$?\""))
  local out = p:read("*a")
  p:close()
  local body, code = out:match("^(.-)exit:(%d+)%s*$")
  return body, tonumber(code) == 0
end

-- Runs a shell command that must succeed; returns its output, or raises with
-- the command and its output.
function shell.check(cmd)
  local out, ok = shell.run(cmd)
  if not ok then error("`" .. cmd .. "` failed:\n" .. out, 2) end
  return out
end

return shell
