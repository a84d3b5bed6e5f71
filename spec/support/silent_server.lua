-- A listener that never accepts: the kernel completes connections into its
-- backlog, clients send their requests, and no answer ever comes.
local socket = require "socket"

local silent = {}

function silent.start(backlog)
  local server = assert(socket.tcp())
  assert(server:bind("127.0.0.1", 0))
  assert(server:listen(backlog or 512))
  local _, port = server:getsockname()
  return { url = "http://127.0.0.1:" .. port .. "/api/v1", server = server, close = function() server:close() end }
end

return silent
