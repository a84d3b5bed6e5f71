--- Reads one HTTP/1.1 response from a cosocket: status line, headers, and a
-- body framed by Content-Length, chunked coding or the connection's end.
-- Outcomes match the core's (libcurl) wherever a server misbehaves, so a
-- result means the same inside and outside nginx.
-- @module modelslab.openresty.response

local find, sub, match, lower, tonumber = string.find, string.sub, string.match, string.lower, tonumber
local concat = table.concat
local ngx = rawget(_G, "ngx")

local reader = {}

local MAX_HEAD = 102400 -- libcurl's own cap on response headers
local MAX_CHUNK_LINE = 1024
local READ_SIZE = 65536
local LOW_SPEED_LIMIT = 10 -- bytes per second, as the core asks libcurl
local CUT = "transfer closed with outstanding read data remaining"

local function fail(code, message, status)
  return { code = code, message = message, status = status }
end
reader.fail = fail

-- The core's words for a body over max_body; the HTTP status goes along.
local function too_large(max_body, status)
  return fail("TOO_LARGE", string.format("response body larger than max_body (%d bytes)", max_body), status)
end

-- The socket's reads, bounded by the overall deadline and the low-speed rule:
-- fewer than LOW_SPEED_LIMIT bytes a second over low_speed seconds fails.
local Stream = {}
Stream.__index = Stream

-- The socket's read timeout must already stand for the first read (the
-- smaller of low_speed and what is left until deadline): one call less on
-- the common path, where one read brings the whole answer.
function reader.stream(sock, deadline, low_speed, started)
  return setmetatable({ sock = sock, deadline = deadline, low_speed = low_speed, buf = "",
    got = 0, window = started, window_bytes = 0, started = started, timeout_set = true }, Stream)
end

-- Appends what arrives to self.buf. nil and a result on failure; "closed"
-- when the peer ended the connection cleanly.
function Stream:more()
  local now = ngx.now()
  if not self.timeout_set then
    local wait = math.min(self.deadline - now, self.window + self.low_speed - now)
    if wait < 0.001 then wait = 0.001 end
    self.sock:settimeout(wait * 1000)
  end
  self.timeout_set = false
  local data, err = self.sock:receiveany(READ_SIZE)
  now = ngx.now()
  if data then
    self.buf = self.buf == "" and data or self.buf .. data
    self.got = self.got + #data
    self.window_bytes = self.window_bytes + #data
  end
  if now >= self.deadline then
    return nil, fail("OPERATION_TIMEDOUT", string.format("Operation timed out after %d milliseconds with %d bytes "
      .. "received", (now - self.started) * 1000, self.got))
  end
  if now - self.window >= self.low_speed then
    if self.window_bytes < LOW_SPEED_LIMIT * (now - self.window) then
      return nil, fail("OPERATION_TIMEDOUT", string.format("Operation too slow. Less than %d bytes/sec "
        .. "transferred the last %g seconds", LOW_SPEED_LIMIT, self.low_speed))
    end
    self.window, self.window_bytes = now, 0
  end
  if data then return true end
  if err == "timeout" then return self:more() end
  if err == "closed" then return "closed" end
  return nil, fail("RECV_ERROR", "Recv failure: " .. tostring(err))
end

-- The status line: three digits after HTTP/1.x, or the core's verdicts.
local function status_of(line)
  local code, rest = match(line, "^HTTP/1%.%d (%d%d%d)(.*)$")
  code = tonumber(code)
  if code and (rest == "" or find(rest, "^[ \t]")) then
    if code < 100 then return nil, fail("UNSUPPORTED_PROTOCOL", "Unsupported response code in HTTP response") end
    return code
  end
  if find(line, "^HTTP/1%.%d ") then
    return nil, fail("UNSUPPORTED_PROTOCOL", "Unsupported response code in HTTP response")
  end
  return nil, fail("WEIRD_SERVER_REPLY", "invalid HTTP status line")
end

-- Reads up to the end of the head; returns the head's text (without the
-- blank line) or nil and a result. Leaves the rest in s.buf.
local function read_head(s)
  while true do
    local buf = s.buf
    if #buf >= 5 and sub(buf, 1, 5) ~= "HTTP/" then
      return nil, fail("UNSUPPORTED_PROTOCOL", "Received HTTP/0.9 when not allowed")
    end
    -- The plain search is the fast path; a server may end lines with LF alone.
    local at, last = find(buf, "\r\n\r\n", 1, true)
    if not at then at, last = find(buf, "\r?\n\r?\n") end
    if at then
      s.buf = sub(buf, last + 1)
      return sub(buf, 1, at - 1)
    end
    if #buf > MAX_HEAD then
      return nil, fail("RECV_ERROR", "response headers larger than " .. MAX_HEAD .. " bytes")
    end
    local ok, err = s:more()
    if ok == "closed" then
      if #buf == 0 then return nil, fail("GOT_NOTHING", "Empty reply from server") end
      if sub(buf, 1, 5) ~= "HTTP/" then
        return nil, fail("UNSUPPORTED_PROTOCOL", "Received HTTP/0.9 when not allowed")
      end
      return nil, fail("PARTIAL_FILE", "connection closed in the response headers")
    end
    if not ok then return nil, err end
  end
end

-- The value of the header `name` ("\ncontent-length:", lower case) and
-- where its name ends in the lower-cased head lhead; nil when absent.
local function header(head, lhead, name, from)
  local _, last = find(lhead, name, from or 1, true)
  if not last then return nil end
  return match(head, "^[ \t]*([^\r\n]*)", last + 1), last
end

-- A header's value in the lower-cased head, without trailing blanks.
local function token(lhead, name)
  local v = header(lhead, lhead, name)
  return v and match(v, "^(.-)[ \t]*$")
end

-- The headers the transport acts on; nil and a result for framing that
-- cannot be trusted. Plain searches in the lower-cased head: the few names
-- we need cost less to find than every line costs to split.
local function headers_of(head, status)
  local lhead = lower(head)
  local h = {
    ["transfer-encoding"] = token(lhead, "\ntransfer-encoding:"),
    connection = token(lhead, "\nconnection:"),
    ["content-encoding"] = token(lhead, "\ncontent-encoding:"),
  }
  local length, at = header(head, lhead, "\ncontent-length:")
  while length do
    length = match(length, "^(%d+)[ \t]*$")
    if not length or (h.length and h.length ~= tonumber(length)) then
      return nil, fail("WEIRD_SERVER_REPLY", "Invalid Content-Length: value", status)
    end
    h.length = tonumber(length)
    length, at = header(head, lhead, "\ncontent-length:", at + 1)
  end
  local retry_after = header(head, lhead, "\nretry-after:")
  -- As the core keeps it: printable ASCII, at most 63 bytes.
  if retry_after then h.retry_after = sub(match(retry_after, "^[ -~]*"), 1, 63) end
  return h
end

-- A chunked body into parts; true, or nil and a result.
local function read_chunked(s, max_body, status, parts)
  local total, pos = 0, 1
  while true do
    local line_end = find(s.buf, "\n", pos, true)
    if not line_end then
      if #s.buf - pos > MAX_CHUNK_LINE then
        return nil, fail("RECV_ERROR", "Illegal or missing hexadecimal sequence in chunked-encoding")
      end
      local ok, err = s:more()
      if ok == "closed" then return nil, fail("PARTIAL_FILE", CUT) end
      if not ok then return nil, err end
    else
      local hex = match(s.buf, "^(%x+)[^\r\n]*\r?\n", pos)
      if not hex then return nil, fail("RECV_ERROR", "Illegal or missing hexadecimal sequence in chunked-encoding") end
      if #hex > 16 then return nil, fail("RECV_ERROR", "Too long hexadecimal number in chunked-encoding") end
      local size = tonumber(hex, 16)
      pos = line_end + 1
      if size == 0 then
        s.buf = sub(s.buf, pos)
        return true
      end
      total = total + size
      if total > max_body then return nil, too_large(max_body, status) end
      while #s.buf - pos + 1 < size + 2 do
        local ok, err = s:more()
        if ok == "closed" then return nil, fail("PARTIAL_FILE", CUT) end
        if not ok then return nil, err end
      end
      parts[#parts + 1] = sub(s.buf, pos, pos + size - 1)
      pos = pos + size
      local crlf = match(s.buf, "^\r?\n()", pos)
      if not crlf then return nil, fail("RECV_ERROR", "chunk not followed by CRLF") end
      s.buf, pos = sub(s.buf, crlf), 1
    end
  end
end

-- The trailer section after the last chunk, up to its blank line.
local function skip_trailers(s)
  while true do
    local _, last = find(s.buf, "^[^\n]-\r?\n")
    if last then
      local line = sub(s.buf, 1, last)
      s.buf = sub(s.buf, last + 1)
      if find(line, "^\r?\n$") then return true end
    else
      if #s.buf > MAX_HEAD then return nil, fail("RECV_ERROR", "chunked trailers too large") end
      local ok, err = s:more()
      if ok == "closed" then return nil, fail("PARTIAL_FILE", "transfer closed in the chunked trailers") end
      if not ok then return nil, err end
    end
  end
end

-- A body of length bytes; the body, or nil and a result.
local function read_length(s, length)
  while #s.buf < length do
    local ok, err = s:more()
    if ok == "closed" then
      return nil, fail("PARTIAL_FILE", string.format("transfer closed with %d bytes remaining to read",
        length - #s.buf))
    end
    if not ok then return nil, err end
  end
  local body = s.buf
  if #body == length then
    s.buf = ""
  else
    body, s.buf = sub(body, 1, length), sub(body, length + 1)
  end
  return body
end

-- A body that ends with the connection.
local function read_to_close(s, max_body, status)
  while true do
    if #s.buf > max_body then return nil, too_large(max_body, status) end
    local ok, err = s:more()
    if ok == "closed" then
      local body = s.buf
      s.buf = ""
      return body
    end
    if not ok then return nil, err end
  end
end

-- A failure after the headers: it keeps their Retry-After, as the core's does
-- (a 429 whose body is over max_body still says when to come back).
local function failed_after_head(err, h)
  if err.status then err.retry_after = h.retry_after end
  return err, false
end

--- Reads a response from stream s.
-- @treturn table the result: `{status, body, retry_after}` or `{code, message, status, retry_after}`
-- @treturn boolean true when the connection may carry another request
function reader.read(s, max_body)
  local head, status, err
  repeat -- interim 1xx answers (100 Continue) come before the real one
    head, err = read_head(s)
    if not head then return err, false end
    status, err = status_of(match(head, "^[^\r\n]*"))
    if not status then return err, false end
  until status >= 200 or status == 101
  if status == 101 then return fail("WEIRD_SERVER_REPLY", "unexpected 101 Switching Protocols"), false end
  local h
  h, err = headers_of(head, status)
  if not h then return err, false end
  local keep = sub(head, 1, 8) == "HTTP/1.1" and not (h.connection and find(h.connection, "close", 1, true))
  local body
  if status == 204 or status == 304 then
    body = ""
  elseif h["transfer-encoding"] then
    if h["transfer-encoding"] ~= "chunked" then
      return fail("BAD_CONTENT_ENCODING", "unsupported Transfer-Encoding: " .. h["transfer-encoding"]), false
    end
    -- With both, chunked wins (RFC 9112); such a connection is not reused.
    if h.length then keep = false end
    local parts = {}
    local ok
    ok, err = read_chunked(s, max_body, status, parts)
    if ok then ok, err = skip_trailers(s) end
    if not ok then return failed_after_head(err, h) end
    body = concat(parts)
  elseif h.length then
    if h.length > max_body then return failed_after_head(too_large(max_body, status), h) end
    body, err = read_length(s, h.length)
  else
    keep = false
    body, err = read_to_close(s, max_body, status)
  end
  if not body then return failed_after_head(err, h) end
  if h["content-encoding"] and h["content-encoding"] ~= "identity" then
    return fail("BAD_CONTENT_ENCODING", "unsupported Content-Encoding: " .. h["content-encoding"]), false
  end
  -- Bytes past the answer mean the framing cannot be trusted for another request.
  return { status = status, body = body, retry_after = h.retry_after }, keep and s.buf == ""
end

return reader
