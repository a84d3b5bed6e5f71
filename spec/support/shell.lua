-- Runs shell commands for the specs, and the small file and quoting helpers
-- they go with. The exit code is echoed, since popen's close does not give it
-- on 5.1.
local shell = {}

local function exec(cmd)
  local p = assert(io.popen("(" .. cmd .. ") 2>&1; echo \"exit:$?\""))
  local out = p:read("*a")
  p:close()
  local body, code = out:match("^(.-)exit:(%d+)%s*$")
  return body, tonumber(code)
end

-- The output (stdout and stderr) and whether the command exited 0.
function shell.run(cmd)
  local body, code = exec(cmd)
  return body, code == 0
end

-- The same as { out = output, code = exit code }.
function shell.exec(cmd)
  local body, code = exec(cmd)
  return { out = body, code = code }
end

-- One word for sh, whatever it holds.
function shell.quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- A file's whole content.
function shell.read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

-- Runs a shell command that must succeed; returns its output, or raises with
-- the command and its output.
function shell.check(cmd)
  local out, ok = shell.run(cmd)
  if not ok then error("`" .. cmd .. "` failed:\n" .. out, 2) end
  return out
end

return shell
