-- Writes the fuzzers' seed corpora from the fixtures and the hostile catalogue:
--   OUT/decode/  bodies: the fixtures, every hostile answer's body, webhooks, timestamps
--   OUT/http/    whole HTTP answers: every hostile answer, the fixtures served plainly
-- usage: lua5.4 fuzz/make_corpus.lua OUT   (run from the checkout's root)
local hostile = dofile("spec/support/hostile.lua")

local out = assert(arg[1], "usage: lua5.4 fuzz/make_corpus.lua OUT")
local MAX_SEED = 32 * 1024 -- larger seeds only slow the fuzzers down

local function write(dir, name, bytes)
  if #bytes > MAX_SEED then return end
  local f = assert(io.open(out .. "/" .. dir .. "/" .. name, "wb"))
  f:write(bytes)
  f:close()
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

assert(os.execute("mkdir -p '" .. out .. "/decode' '" .. out .. "/http'"))

for _, name in ipairs { "completed", "failed", "running" } do
  local body = read("spec/fixtures/" .. name .. ".json")
  write("decode", "fixture-" .. name, body)
  write("http", "fixture-" .. name, hostile.http(200, "application/json", body))
end

-- What the server would send for each case (drips sent whole, resets dropped).
local req = { method = "GET", target = "/api/v1/workflows/" .. hostile.WF .. "/runs/12345", headers = {} }
local ctx = { conn_requests = 1, answered = 0, other = "127.0.0.1:9", alt = "127.0.0.2:9" }
for _, case in ipairs(hostile.cases) do
  local bytes = {}
  for _, action in ipairs(case.respond(req, ctx)) do
    if action[1] == "send" or action[1] == "drip" then bytes[#bytes + 1] = action[2] end
  end
  local answer = table.concat(bytes)
  if answer ~= "" then
    write("http", "hostile-" .. case.name, answer)
    local body = answer:match("\r\n\r\n(.*)$")
    if body and body ~= "" then write("decode", "hostile-" .. case.name, body) end
  end
end

local webhooks = {
  flat = '{"event":"workflow.completed","execution_id":12345,"workflow_id":"' .. hostile.WF
    .. '","status":"completed","output":{"output":["https://cdn.example/1.png"]},'
    .. '"completed_at":"2024-01-15T10:30:15Z"}',
  nested = '{"event":"workflow.completed","workflow":{"id":"' .. hostile.WF .. '","name":"w","user_id":7},'
    .. '"execution":{"id":"12345","status":"completed","started_at":"2024-01-15T10:30:00Z",'
    .. '"completed_at":"2024-01-15T10:30:15Z","execution_time":15.2,"input_data":{},"output_data":{}}}',
}
for name, body in pairs(webhooks) do write("decode", "webhook-" .. name, body) end

local times = { "2024-01-15T10:30:05Z", "2024-01-15T12:30:05.25+02:00", "2024-02-29 23:59:60z",
  "1970-01-01T00:00:00-0130", "9999-12-31T23:59:59.999999Z", "2024-13-01T00:00:00Z" }
for i, t in ipairs(times) do write("decode", "time-" .. i, t) end
