-- Misbehaving HTTP servers for the specs, the fuzz seeds and the soak.
--
-- `hostile.cases` is a catalogue of answers, each a list of actions the server
-- (spec/support/hostile_server.lua, a separate process) plays on the socket:
--   { "send", bytes }          write bytes
--   { "drip", bytes, every }   write one byte, then wait `every` seconds, ...
--   { "reset" }                close with RST (SO_LINGER 0)
--   { "close" }                close with FIN
--   { "hang" }                 never write again; wait for the client to go
--   { "sleep", seconds }       wait, reading nothing
--   { "skip_next" }            leave the next request on this connection unanswered
-- Without a closing action the connection stays open for the next request.
-- A case is chosen by the execution id of a status request, hostile.id(name),
-- or by the workflow id of a run, hostile.workflow(name). An answer's
-- `"id":12345` becomes the id asked for (both have five digits), so a
-- document belongs to its request unless a case says otherwise.
--
--   local server = require("spec.support.hostile").start()
--   -- server.base_url, server.other_url (another port), server.alt_url (127.0.0.2),
--   -- server.proxy_url (an HTTP forward proxy that answers as the main listener)
--   server:stats(); server:reset(); server:stop()

local hostile = {}

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
hostile.WF = WF
hostile.FIRST_ID = 10000 -- five digits, as 12345
hostile.OTHER_ID = 54321 -- an execution no request asks for
hostile.BIG = 100 * 1024 -- over the specs' max_body of 64 KiB
hostile.MAX_BODY = 65536 -- the specs' max_body
hostile.SOAK_IDS = { 500000, 999999 } -- ids answered by hostile.soak_answer

local REASONS = {
  [200] = "OK", [204] = "No Content", [302] = "Found", [401] = "Unauthorized", [403] = "Forbidden",
  [404] = "Not Found", [422] = "Unprocessable Content", [429] = "Too Many Requests",
  [500] = "Internal Server Error", [502] = "Bad Gateway", [503] = "Service Unavailable",
  [504] = "Gateway Timeout",
}

-- A whole HTTP/1.1 answer with Content-Length; `extra` is a list of header lines.
local function http(status, ctype, body, extra)
  local lines = { "HTTP/1.1 " .. status .. " " .. (REASONS[status] or "Whatever") }
  if ctype then lines[#lines + 1] = "Content-Type: " .. ctype end
  for _, h in ipairs(extra or {}) do lines[#lines + 1] = h end
  lines[#lines + 1] = "Content-Length: " .. #body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. body
end
hostile.http = http

-- A status document; `execution` and `rest` are raw JSON fragments spliced in.
local function doc(status, execution, rest)
  return '{"status":"success","execution":{"id":12345,"workflow_id":"' .. WF .. '","status":"' .. status
    .. '","started_at":"2024-01-15T10:30:00Z"' .. (execution or "") .. '},"steps":[{"name":"Text to Image",'
    .. '"status":"completed","started_at":"2024-01-15T10:30:00Z","completed_at":"2024-01-15T10:30:05Z"}]'
    .. (rest or "") .. "}"
end
hostile.doc = doc

local RUNNING = doc("running")
local COMPLETED = doc("completed", ',"completed_at":"2024-01-15T10:30:15Z","execution_time":15.2',
  ',"output":{"output":["https://cdn.example/1.png"],"proxy_links":{"0":"https://cdn.example/p1.png"}}')
hostile.RUNNING, hostile.COMPLETED = RUNNING, COMPLETED

local function json(status, body, extra) return http(status, "application/json", body, extra) end

local HTML = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
  .. "</center><hr><center>nginx</center></body></html>\n"

-- Cases that play fixed bytes: the answer, then "close", "reset" or nothing.
local function fixed(bytes, after)
  return function()
    local actions = { { "send", bytes } }
    if after then actions[2] = { after } end
    return actions
  end
end

local function chunk(s) return string.format("%x\r\n%s\r\n", #s, s) end

local CHUNKED_HEAD = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

local function nested(open, close, depth, middle)
  return string.rep(open, depth) .. (middle or "") .. string.rep(close, depth)
end

local function big_json()
  return '{"status":"success","padding":"' .. string.rep("x", hostile.BIG) .. '"}'
end

-- A completed document of exactly `size` bytes (padded with a field).
local function sized(size)
  local head = COMPLETED:sub(1, -2) .. ',"padding":"'
  return head .. string.rep("x", size - #head - 2) .. '"}'
end

-- Output whose proxy_links is the raw JSON object `links`.
local function links(object)
  return doc("completed", nil, ',"output":{"output":["https://cdn.example/1.png"],"proxy_links":' .. object .. "}")
end

local function run_answer(id)
  return '{"status":"success","message":"Workflow execution started","execution_id":' .. id .. "}"
end

-- An HTTP-date `seconds` from now, as Retry-After may carry it.
local function http_date(seconds)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + seconds)
end

local cases = {
  { "running", fixed(json(200, RUNNING)) },
  { "completed", fixed(json(200, COMPLETED)) },
  -- Transport-level breakage.
  { "truncated", fixed(json(200, COMPLETED):gsub("Content%-Length: %d+", "Content-Length: " .. #COMPLETED + 100),
    "close") },
  { "chunked_bad_size", fixed(CHUNKED_HEAD .. "zz\r\n" .. COMPLETED .. "\r\n0\r\n\r\n") },
  { "chunked_huge_size", fixed(CHUNKED_HEAD .. "fffffffffffffffffffff\r\n" .. COMPLETED .. "\r\n0\r\n\r\n", "close") },
  { "chunked_cut", fixed(CHUNKED_HEAD .. chunk(COMPLETED:sub(1, 40)), "close") },
  { "reset_in_headers", fixed("HTTP/1.1 200 OK\r\nContent-Type: appli", "reset") },
  { "reset_in_body", fixed(json(200, COMPLETED):sub(1, -60), "reset") },
  { "silent", function() return { { "hang" } } end },
  { "drip", function() return { { "drip", json(200, COMPLETED), 1 }, { "close" } } end },
  { "garbage_text", fixed("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\nProtocol mismatch.\n", "close") },
  { "garbage_binary", fixed("\0\1\2\3\255\254\253\r\n\r\n\0\0\0", "close") },
  { "bad_status_line", fixed("HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\n{}", "close") },
  { "bad_gzip", fixed(http(200, "application/json", "\31\139\8\0garbage, not deflate",
    { "Content-Encoding: gzip" })) },
  { "huge_header", fixed("HTTP/1.1 200 OK\r\nX-Padding: " .. string.rep("a", 300 * 1024) .. "\r\n"
    .. "Content-Length: 2\r\n\r\n{}", "close") },
  { "length_overflow", fixed("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n" .. COMPLETED,
    "close") },
  { "length_negative", fixed("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n" .. COMPLETED, "close") },
  { "length_and_chunked", fixed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
    .. chunk(COMPLETED) .. "0\r\n\r\n") },
  { "status_4_digits", fixed("HTTP/2 4444 Whatever\r\nContent-Length: 2\r\n\r\n{}", "close") },
  { "status_glued", fixed(json(200, COMPLETED):gsub("^HTTP/1%.1 ", "HTTP/"), "close") }, -- "HTTP/200 OK"
  { "status_000", fixed("HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\n{}", "close") },
  { "status_099", fixed("HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\n{}", "close") },
  { "status_600", fixed("HTTP/1.1 600 High\r\nContent-Length: 2\r\n\r\n{}", "close") },
  { "status_999", fixed("HTTP/1.1 999 High\r\nContent-Length: 2\r\n\r\n{}", "close") },
  -- Odd but valid HTTP.
  { "http10_close", fixed("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" .. COMPLETED, "close") },
  { "continue_first", fixed("HTTP/1.1 100 Continue\r\n\r\n" .. json(200, COMPLETED)) },
  { "text_plain_json", fixed(http(200, "text/plain; charset=utf-8", COMPLETED)) },
  { "json_gzip_none", fixed(http(200, "application/json", COMPLETED, { "Content-Encoding: identity" })) },
  -- 2xx answers that are no status document.
  { "empty_200", fixed(json(200, "")) },
  { "empty_200_close", fixed("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n", "close") },
  { "no_content_204", fixed("HTTP/1.1 204 No Content\r\n\r\n") },
  { "html_200", fixed(http(200, "text/html", HTML)) },
  { "big_with_length", function() return { { "send", json(200, big_json()) } } end },
  { "big_chunked", function()
    local body, parts = big_json(), {}
    for i = 1, #body, 4096 do parts[#parts + 1] = chunk(body:sub(i, i + 4095)) end
    return { { "send", CHUNKED_HEAD .. table.concat(parts) .. "0\r\n\r\n" } }
  end },
  { "big_until_close", function()
    return { { "send", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n" .. big_json() }, { "close" } }
  end },
  { "deep_array", function() return { { "send", json(200, nested("[", "]", 100000)) } } end },
  { "deep_object", function() return { { "send", json(200, nested('{"a":', "}", 100000, "1")) } } end },
  { "deep_field", fixed(json(200, doc("running", nil, ',"extra":' .. nested("[", "]", 40)))) },
  { "number_nan", fixed(json(200, doc("running", ',"execution_time":NaN'))) },
  { "number_infinity", fixed(json(200, doc("running", ',"execution_time":Infinity'))) },
  { "number_minus_infinity", fixed(json(200, doc("running", ',"execution_time":-Infinity'))) },
  { "number_1e400", fixed(json(200, doc("running", ',"execution_time":1e400'))) },
  { "number_1e400_elsewhere", fixed(json(200, doc("running", nil, ',"extra":{"n":[1,-1e400]}'))) },
  { "number_hex", fixed(json(200, doc("running", ',"execution_time":0x10'))) },
  { "id_2_64", fixed(json(200, (doc("running"):gsub('"id":12345', '"id":18446744073709551616')))) },
  { "id_negative", fixed(json(200, (doc("running"):gsub('"id":12345', '"id":-5')))) },
  { "id_fraction", fixed(json(200, (doc("running"):gsub('"id":12345', '"id":12345.5')))) },
  { "id_2_53", fixed(json(200, (doc("running"):gsub('"id":12345', '"id":9007199254740992')))) },
  { "id_2_53_plus_1", fixed(json(200, (doc("running"):gsub('"id":12345', '"id":9007199254740993')))) },
  { "time_2_64", fixed(json(200, doc("completed", ',"execution_time":18446744073709551616'))) },
  { "invalid_utf8", fixed(json(200, (COMPLETED:gsub("Text to Image", "Text \255\254 \192\128 to Image")))) },
  { "lone_surrogate", fixed(json(200, (COMPLETED:gsub("Text to Image", "Text \\ud800 to Image")))) },
  { "nul_escape", fixed(json(200, (COMPLETED:gsub("Text to Image", "Text\\u0000Image")))) },
  { "top_array", fixed(json(200, "[" .. COMPLETED .. "]")) },
  { "top_string", fixed(json(200, '"completed"')) },
  { "top_null", fixed(json(200, "null")) },
  { "execution_missing", fixed(json(200, '{"status":"success","steps":[]}')) },
  { "execution_string", fixed(json(200, '{"status":"success","execution":"completed"}')) },
  { "execution_array", fixed(json(200, '{"status":"success","execution":[12345,"completed"]}')) },
  { "status_number", fixed(json(200, (doc("running"):gsub('"status":"running"', '"status":3')))) },
  { "steps_object", fixed(json(200, (COMPLETED:gsub('"steps":%[(.-)%]', '"steps":%1')))) },
  { "step_without_name", fixed(json(200, (COMPLETED:gsub('"name":"Text to Image",', "")))) },
  { "step_not_object", fixed(json(200, (COMPLETED:gsub('"steps":%[.-%]', '"steps":["Text to Image"]')))) },
  { "unknown_status", fixed(json(200, doc("exploded"))) },
  -- Another execution's document: never taken for the one asked for.
  { "other_execution", fixed(json(200, (COMPLETED:gsub('"id":12345', '"id":' .. hostile.OTHER_ID)))) },
  { "duplicate_id", fixed(json(200, (COMPLETED:gsub('"id":12345', '"id":12345,"id":' .. hostile.OTHER_ID)))) },
  -- A complete answer, then a moment later another execution's answer
  -- nobody asked for: the client's next request on this connection, sent in
  -- that moment, reads it as its own (and gets no other answer). Later
  -- requests on the connection are answered in step again.
  { "stale_answer", function()
    return { { "send", json(200, RUNNING) }, { "sleep", 0.3 }, { "skip_next" },
      { "send", json(200, (COMPLETED:gsub('"id":12345', '"id":' .. hostile.OTHER_ID))) } }
  end },
  -- proxy_links as an object: only "0", "1", ... "n-1" make a list.
  { "links_ordered", fixed(json(200, links('{"2":"c","0":"a","10":"k","1":"b","3":"d","4":"e","5":"f","6":"g",'
    .. '"7":"h","8":"i","9":"j"}'))) },
  { "links_leading_zero", fixed(json(200, links('{"0":"a","01":"b"}'))) },
  { "links_gap", fixed(json(200, links('{"0":"a","2":"c"}'))) },
  { "links_duplicate", fixed(json(200, links('{"0":"a","1":"b","1":"evil"}'))) },
  { "links_escaped_duplicate", fixed(json(200, links('{"0":"a","\\u0030":"evil"}'))) },
  { "links_negative", fixed(json(200, links('{"0":"a","-1":"b"}'))) },
  -- Bodies at the size limit.
  { "body_max", fixed(json(200, sized(hostile.MAX_BODY))) },
  { "body_max_plus_one", fixed(json(200, sized(hostile.MAX_BODY + 1))) },
  { "body_max_plus_one_until_close", fixed("HTTP/1.1 200 OK\r\n\r\n" .. sized(hostile.MAX_BODY + 1), "close") },
  { "api_error_200", fixed(json(200, '{"status":"error","message":"Out of credits"}')) },
  -- Rate limits.
  { "rate_body", fixed(json(429, '{"status":"error","message":"Rate limit exceeded","retry_after":30}')) },
  { "rate_header_seconds", fixed(json(429, '{"status":"error","message":"Slow down"}', { "Retry-After: 7" })) },
  { "rate_header_date", function()
    return { { "send", json(429, '{"status":"error"}', { "Retry-After: " .. http_date(120) }) } }
  end },
  { "rate_both", fixed(json(429, '{"status":"error","retry_after":30}', { "Retry-After: 90" })) },
  { "rate_header_space", fixed(json(429, '{"status":"error"}', { "Retry-After: \t120 " })) },
  -- Retry-After after a Content-Length over max_body, and with a chunked body over it.
  { "rate_big", fixed("HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: "
    .. #big_json() .. "\r\nRetry-After: 42\r\n\r\n" .. big_json()) },
  { "rate_big_chunked", fixed("HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nRetry-After: 42\r\n\r\n"
    .. chunk(big_json()) .. "0\r\n\r\n") },
  { "rate_header_junk", fixed(json(429, '{"status":"error"}', { "Retry-After: soon" })) },
  { "rate_huge", fixed(json(429, '{"status":"error","retry_after":1e9}')) },
  { "rate_html", fixed(http(429, "text/html", "<html><body>Too many requests</body></html>")) },
  -- Redirects: never followed, so the key stays with the origin it was given to.
  { "redirect_loop", function(req)
    return { { "send", http(302, "text/html", "", { "Location: " .. req.target }) } }
  end },
  { "redirect_port", function(req, ctx)
    return { { "send", http(302, "text/html", "", { "Location: http://" .. ctx.other .. req.target }) } }
  end },
  { "redirect_host", function(req, ctx)
    return { { "send", http(307, "text/html", "", { "Location: http://" .. ctx.alt .. req.target }) } }
  end },
  { "redirect_file", fixed(http(302, "text/html", "", { "Location: file:///etc/passwd" })) },
  -- Keep-alive: the server closes a connection the client means to reuse.
  { "keepalive_closed", function(_, ctx)
    return { { "send", json(200, ctx.answered < 2 and RUNNING or COMPLETED) }, { "close" } }
  end },
  { "keepalive_race", function(_, ctx)
    if ctx.conn_requests > 1 then return { { "close" } } end -- read the request, drop the connection
    return { { "send", json(200, ctx.answered < 2 and RUNNING or COMPLETED) } }
  end },
  -- Runs (chosen by workflow id): a good answer, and a server that reads the
  -- run and drops the connection without answering, every time.
  { "run_ok", fixed(json(200, run_answer(12345))) },
  { "run_dropped", function() return { { "close" } } end },
  { "run_id_2_53_plus_1", fixed(json(200, run_answer(9007199254740993))) },
  { "run_id_string_2_53_plus_1", fixed(json(200, run_answer('"9007199254740993"'))) },
  { "run_id_2_53_minus_1", fixed(json(200, run_answer(9007199254740991))) },
}

-- An error body with both fields shows `message` (the documented order).
cases[#cases + 1] = { "http_500_message_and_error",
  fixed(json(500, '{"status":"error","error":"internal detail","message":"Shown message"}')) }

-- Error statuses with a JSON, an HTML and an empty body.
for _, code in ipairs { 401, 403, 404, 422, 500, 502, 503, 504 } do
  local message = code == 401 and "Invalid API key" or ("Failure " .. code)
  cases[#cases + 1] = { "http_" .. code .. "_json",
    fixed(json(code, '{"status":"error","message":"' .. message .. '"}')) }
  cases[#cases + 1] = { "http_" .. code .. "_html", fixed(http(code, "text/html", HTML)) }
  cases[#cases + 1] = { "http_" .. code .. "_empty", fixed(http(code, nil, "")) }
end

hostile.cases = {}
local by_name = {}
for i, c in ipairs(cases) do
  local case = { name = c[1], respond = c[2], id = hostile.FIRST_ID + i - 1 }
  hostile.cases[i] = case
  by_name[case.name] = case
end

--- The execution id that selects the case `name` (raises for a name not in the catalogue).
function hostile.id(name)
  local case = by_name[name]
  if not case then error("hostile: no case named " .. tostring(name), 2) end
  return case.id
end

--- The case for an execution id, or nil.
function hostile.case(id)
  return hostile.cases[(tonumber(id) or 0) - hostile.FIRST_ID + 1]
end

local RUN_WF_PREFIX = "00000000-0000-4000-8000-0000000"

--- The workflow id whose runs play the case `name`.
function hostile.workflow(name)
  return RUN_WF_PREFIX .. hostile.id(name)
end

--- The case for a request target (a status fetch or a run), and the id asked for.
function hostile.case_of(target)
  local id = target:match("/workflows/[^/]+/runs/(%d+)$")
  if not id then id = target:match("/workflows/" .. RUN_WF_PREFIX:gsub("%-", "%%-") .. "(%d%d%d%d%d)/run$") end
  return hostile.case(id), id
end

--- The actions with each `"id":12345` turned into the id asked for (same length).
function hostile.for_id(actions, id)
  if not id or #id ~= 5 then return actions end
  for _, a in ipairs(actions) do
    if a[1] == "send" or a[1] == "drip" then a[2] = a[2]:gsub('"id":12345([,}])', '"id":' .. id .. "%1") end
  end
  return actions
end

-- The soak's executions: each completes after (id % 4) + 1 polls; `roll` in
-- [0, 1) picks a fault for about 5 % of answers.
local FAULTS = {
  function() return { { "send", json(500, '{"status":"error","message":"Internal"}') } } end,
  function() return { { "send", http(503, "text/html", HTML) } } end,
  function() return { { "send", json(429, '{"status":"error","retry_after":0.01}') } } end,
  function() return { { "send", json(200, COMPLETED):sub(1, -40) }, { "reset" } } end,
  function() return { { "send", json(200, COMPLETED):sub(1, 30) }, { "close" } } end,
  function() return { { "send", "\0garbage\r\n\r\n" }, { "close" } } end,
  function() return { { "send", json(200, "") } } end,
}

function hostile.soak_answer(id, polls, roll)
  if roll < 0.05 then
    return FAULTS[math.floor(roll / 0.05 * #FAULTS) + 1](), false
  end
  local done = polls > id % 4
  return { { "send", json(200, ((done and COMPLETED or RUNNING):gsub('"id":12345', '"id":' .. id))) } }, done
end

-- Launching ---------------------------------------------------------------

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function script_path()
  local source = debug.getinfo(1, "S").source
  local file = source:sub(1, 1) == "@" and source:sub(2) or "spec/support/hostile.lua"
  return (file:match("^(.*)/[^/]*$") or ".") .. "/hostile_server.lua"
end

local Server = {}
Server.__index = Server

-- One request to a /_hostile/ route with luasocket; returns the decoded body.
function Server:call(path)
  local http_client, ltn12 = require("socket.http"), require("ltn12")
  local chunks = {}
  local ok, code = http_client.request { url = self.url .. path, sink = ltn12.sink.table(chunks) }
  if not ok or code ~= 200 then error("hostile: " .. path .. " failed: " .. tostring(code), 2) end
  return require("cjson").decode(table.concat(chunks))
end

--- Counters since start or the last reset, leaving out the /_hostile/ routes:
-- for each listener (main, other, alt, proxy) `accepted` (every TCP connection,
-- even one that never sent a request), `connections` (those that sent one),
-- `requests`, `key_requests` (requests that carried a `key` header),
-- `header_names` (every header name seen) and `targets` (the last request
-- lines); `by_case` (requests per case name).
function Server:stats() return self:call("/_hostile/stats") end

--- Zeroes the counters and the per-case state, and closes every open
-- connection, so a case starts with none to reuse.
function Server:reset() self:call("/_hostile/reset") end

--- Stops the process and waits for it (idempotent).
function Server:stop()
  if not self.handle then return end
  os.execute("kill " .. self.pid .. " 2>/dev/null")
  self.handle:close()
  self.handle = nil
end

Server.__gc = Server.stop

--- Starts the server (lua5.4 or $MODELSLAB_SIM_LUA) and waits until it listens.
function hostile.start()
  local lua = os.getenv("MODELSLAB_SIM_LUA") or "lua5.4"
  -- `env -u LD_PRELOAD`: under `make asan` the server need not carry the sanitizer runtime.
  local handle = assert(io.popen("echo $$; exec env -u LD_PRELOAD " .. quote(lua) .. " "
    .. quote(script_path()) .. ' --parent-pid "$PPID"', "r"))
  local pid = handle:read("*l")
  local line = handle:read("*l") or ""
  local main, other, alt, proxy = line:match("^hostile listening on (%S+) (%S+) (%S+) (%S+)$")
  if not (pid and main) then
    handle:close()
    error("hostile: the server did not start (see stderr)", 2)
  end
  return setmetatable({
    handle = handle, pid = tonumber(pid), url = "http://" .. main, base_url = "http://" .. main .. "/api/v1",
    other_url = "http://" .. other, alt_url = "http://" .. alt, main = main, other = other, alt = alt,
    proxy_url = "http://" .. proxy,
  }, Server)
end

-- Documents that decode but are odd in every way a command must survive:
-- control characters (C0, C1 and a lone 0x9B byte) in every text, numbers
-- too large to print, strings where numbers go, list items that are not
-- objects. They are not in the catalogue the library's specs play: the CLI
-- spec asks for them with a base URL under /odd/NAME/ (see
-- hostile.odd_answer) and for execution 12345, the id these documents carry.
local ODD = "odd\27[2J\194\155[31m\155[5m\7text"
local ODD_JSON = '"' .. ODD:gsub("[%c]", function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
local function odd_status(status, execution, rest)
  return '{"status":"success","execution":{"id":12345,"workflow_id":"' .. WF .. '","status":' .. status
    .. ',"started_at":"0001-01-01T00:00:00Z"' .. execution .. '},"steps":[{"name":' .. ODD_JSON
    .. ',"status":"running","started_at":"0001-01-01T00:00:00Z"},{"name":"x","status":' .. ODD_JSON
    .. ',"started_at":"9999-12-31T23:59:59Z","completed_at":"9999-12-31T23:59:59Z"}]' .. (rest or "") .. "}"
end
local ODD_ANSWERS = {
  list = '{"status":"success","workflows":[{"id":' .. ODD_JSON .. ',"name":' .. ODD_JSON
    .. ',"rate_limit":"fast","call_count":1e300},"not an object",42,null,[1],'
    .. '{"id":7,"name":["x"],"rate_limit":1e300,"call_count":"12"}]}',
  schema = '{"status":"success","workflow":{"id":' .. ODD_JSON .. ',"name":{"a":1},"description":' .. ODD_JSON
    .. ',"rate_limit":"ten","webhook_url":' .. ODD_JSON .. '},"parameters":["prompt",null,7,'
    .. '{"key":' .. ODD_JSON .. ',"type":5,"required":"yes","node_id":[1],"node_name":' .. ODD_JSON .. '}]}',
  running = odd_status('"running"', ',"execution_time":1e300'),
  completed = odd_status('"completed"', ',"completed_at":"9999-12-31T23:59:59Z","execution_time":1e300',
    ',"output":{"output":[' .. ODD_JSON .. '],"proxy_links":{"0":' .. ODD_JSON .. '}}'),
  failed = odd_status('"failed"', ',"execution_time":-1e300', ',"error":' .. ODD_JSON),
  undocumented = odd_status(ODD_JSON, ""),
}
local ODD_FINAL = { completed = "completed", failed = "failed", status = "undocumented" }

--- What the server plays for a request under /odd/NAME/: the list, the
-- schema, or a status (running the first time, then NAME's final document);
-- nil for an unknown NAME.
-- @param name completed, failed or status
-- @param target the request's target
-- @param answered status requests answered so far for NAME
function hostile.odd_answer(name, target, answered)
  local final = ODD_FINAL[name]
  if not final then return nil end
  local route = target:find("/runs/%d+$") and (answered == 0 and "running" or final)
    or target:find("/workflows$") and "list" or "schema"
  return { { "send", json(200, ODD_ANSWERS[route]) } }
end

return hostile
