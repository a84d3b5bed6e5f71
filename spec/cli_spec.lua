-- Specs for the `modelslab` command, run for real against the simulator:
-- with pipes for the line and JSON outputs, and under a pseudo-terminal
-- (util-linux `script`) for the live view and Ctrl-C.
local simulator = require "modelslab.simulator"
local hostile = require "spec.support.hostile"
local vt = require "spec.support.vt"
local shell = require "spec.support.shell"
local cjson = require "cjson"

local SCENARIO = "spec/fixtures/scenarios/cli.lua"
local WF = "cccccccc-0000-4000-8000-000000000003"
-- The command runs on the interpreter running the specs (make test-all).
local LUA = rawget(_G, "jit") and "luajit" or ("lua" .. _VERSION:match("%d+%.%d+"))
local FAST = { "--interval", "0.05", "--max-interval", "0.1" }
local unpack = table.unpack or unpack

local ESC = "\27["
local PESC = "\27%["  -- the same, in a pattern
local HIDE, SHOW = ESC .. "?25l", ESC .. "?25h"

local sim

local quote, read = shell.quote, shell.read

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- "env -u A B=b ... lua bin/modelslab words..." with the spec defaults:
-- the simulator's key and URL, a UTF-8 xterm, no NO_COLOR.
local function command(words, env)
  local vars = {
    MODELSLAB_API_KEY = sim.key, MODELSLAB_BASE_URL = sim.base_url, TERM = "xterm",
    LANG = "C.UTF-8", LC_ALL = false, LC_CTYPE = false, NO_COLOR = false, COLUMNS = "100",
    SHELL = "/bin/sh",
  }
  for k, v in pairs(env or {}) do vars[k] = v end
  local unset, set = {}, {}
  for k, v in pairs(vars) do
    if v == false then unset[#unset + 1] = "-u " .. k else set[#set + 1] = k .. "=" .. quote(v) end
  end
  local parts = { LUA, "bin/modelslab" }
  for _, w in ipairs(words) do parts[#parts + 1] = quote(w) end
  return "env " .. table.concat(unset, " ") .. " " .. table.concat(set, " ") .. " "
    .. table.concat(parts, " ")
end

-- The key must never reach the output, whatever happens.
local function no_key(res, key)
  assert.is_nil(res.out:find(key or sim.key, 1, true), "the key is on stdout")
  assert.is_nil((res.err or ""):find(key or sim.key, 1, true), "the key is on stderr")
  return res
end

-- Runs the command with pipes: { out, err, code }.
local function run(words, env, stdin)
  local err_file = os.tmpname()
  local p = assert(io.popen(command(words, env) .. " 2>" .. err_file .. (stdin and (" <" .. stdin) or "")
    .. '; echo "exit=$?"'))
  local out = p:read("*a")
  p:close()
  local code = tonumber(out:match("exit=(%d+)\n$"))
  local res = { out = out:gsub("exit=%d+\n$", ""), err = read(err_file), code = code }
  os.remove(err_file)
  return no_key(res)
end

-- Runs the command on a pseudo-terminal: { out (both streams), code }.
-- opts.interrupt: once this text shows, type Ctrl-C (the terminal turns it
-- into SIGINT for the command), then wait for the command to end.
-- opts.stty: settings for the terminal first; opts.meanwhile: shell to start
-- in the background before the command (e.g. a resize later on); @LOG@ in it
-- names the file that holds what the terminal has shown so far.
local function tty(words, env, opts)
  opts = opts or {}
  local log, out_file = os.tmpname(), os.tmpname()
  local inner = command(words, env)
  local meanwhile = (opts.meanwhile or ""):gsub("@LOG@", function() return quote(log) end)
  if opts.stty then inner = "stty " .. opts.stty .. "; " .. meanwhile .. "exec " .. inner end
  local feed = "true"
  if opts.interrupt then
    feed = "(i=0; while [ $i -lt 100 ] && ! grep -q " .. quote(opts.interrupt) .. " " .. log
      .. "; do sleep 0.05; i=$((i+1)); done; printf '\\003'; i=0; while [ $i -lt 100 ] && ! grep -q "
      .. "'interrupted;' " .. log .. "; do sleep 0.05; i=$((i+1)); done)"
  end
  local p = assert(io.popen(feed .. " | timeout -s KILL 30 script -qfec " .. quote(inner) .. " " .. log
    .. " >" .. out_file .. '; echo "exit=$?"'))
  local status = p:read("*a")
  p:close()
  local res = { out = read(out_file), code = tonumber(status:match("exit=(%d+)")) }
  os.remove(log)
  os.remove(out_file)
  return no_key(res)
end

local function json_lines(text)
  local list = {}
  for line in text:gmatch("[^\n]+") do list[#list + 1] = cjson.decode(line) end
  return list
end

-- Output a terminal can show safely: no escape sequence from the server
-- (ours are colours, cursor moves and erasing: never 2J, OSC or BEL), no C1
-- control, no lone 0x9B (none of our own marks holds that byte).
local function inert(text)
  assert.is_nil(text:find("\27[2J", 1, true), "an erase-screen from the server got through")
  assert.is_nil(text:find("\27]", 1, true), "an OSC from the server got through")
  assert.is_nil(text:find("\7", 1, true), "a BEL from the server got through")
  assert.is_nil(text:find("\194[\128-\159]"), "a C1 control got through")
  assert.is_nil(text:find("\155", 1, true), "a 0x9B byte got through")
end

-- A directory holding `modelslab`, which runs this checkout's command on the
-- spec's interpreter: a hint printed by the command can then run as printed.
local function modelslab_on_path()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir " .. quote(dir)))
  local pwd = io.popen("pwd"):read("*l")
  write(dir .. "/modelslab", "#!/bin/sh\nexec " .. LUA .. " " .. quote(pwd .. "/bin/modelslab") .. ' "$@"\n')
  assert(os.execute("chmod +x " .. quote(dir .. "/modelslab")))
  return dir
end

-- Runs a command line in sh with only the given variables changed: { out, err, code }.
local function sh(line, env)
  local unset, set = {}, {}
  for k, v in pairs(env) do
    if v == false then unset[#unset + 1] = "-u " .. k else set[#set + 1] = k .. "=" .. quote(v) end
  end
  local vars = { table.concat(unset, " "), table.concat(set, " ") }
  local err_file = os.tmpname()
  local p = assert(io.popen("env " .. table.concat(vars, " ") .. " sh -c " .. quote(line) .. " 2>" .. err_file
    .. '; echo "exit=$?"'))
  local out = p:read("*a")
  p:close()
  local res = { out = out:gsub("exit=%d+\n$", ""), err = read(err_file), code = tonumber(out:match("exit=(%d+)\n$")) }
  os.remove(err_file)
  return res
end

describe("the modelslab command", function()
  setup(function() sim = simulator.start { scenario = SCENARIO } end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  describe("help and usage", function()
    it("prints the main help and each command's help with exit 0", function()
      local res = run { "--help" }
      assert.equal(0, res.code)
      assert.matches("Usage: modelslab COMMAND", res.out)
      assert.matches("77 +no API key", res.out)
      for _, name in ipairs { "status", "watch", "run", "cancel", "workflows", "schema" } do
        res = run { name, "--help" }
        assert.equal(0, res.code)
        assert.matches("^Usage: modelslab " .. name, res.out)
      end
      assert.matches("pattern=PATTERN", run({ "help", "watch" }).out)
      assert.matches("^modelslab %d", run({ "--version" }).out)
    end)

    it("exits 64 on a usage error, naming the mistake on stderr", function()
      local cases = {
        { {}, "no command" },
        { { "frobnicate" }, "unknown command" },
        { { "status", WF }, "needs WORKFLOW_ID EXECUTION_ID" },
        { { "status", "not-a-uuid", "1" }, "UUID" },
        { { "status", WF, "0" }, "positive integer" },
        -- a double would round this to 2^53: refused, never rounded
        { { "status", WF, "9007199254740993" }, "below 2%^53" },
        { { "watch", WF, "9007199254740992" }, "below 2%^53" },
        { { "status", WF, "1", "--bogus" }, "unknown option %-%-bogus" },
        { { "status", WF, "1", "--interval", "1" }, "does not apply to status" },
        { { "watch", WF, "1", "--timeout", "soon" }, "number of seconds" },
        { { "watch", WF, "1", "--interval" }, "needs a value" },
        { { "status", WF, "1", "--filter", "colour=red" }, "unknown %-%-filter" },
        { { "status", WF, "1", "--filter", "pattern=[a" }, "malformed pattern" },
        { { "status", WF, "1", "--filter", "status=bogus" },
          "status=bogus is not a status: use pending, running, completed, failed, cancelled" },
        { { "run", WF, "novalue" }, "KEY=VALUE" },
        { { "run", WF, "seed:={oops" }, "not JSON" },
        { { "run", WF, "--json-params", "/nonexistent/params.json" }, "cannot read" },
        { { "status", WF, "1", "--base-url", "ftp://example" }, "base_url" },
      }
      for _, case in ipairs(cases) do
        local res = run(case[1])
        assert.equal(64, res.code, table.concat(case[1], " "))
        assert.matches(case[2], res.err)
        assert.equal("", res.out)
      end
    end)
  end)

  describe("authentication", function()
    it("exits 77 without a key, with a refused key and on a 403", function()
      local res = run({ "status", WF, "1" }, { MODELSLAB_API_KEY = false })
      assert.equal(77, res.code)
      assert.matches("MODELSLAB_API_KEY", res.err)
      res = run({ "status", WF, "1" }, { MODELSLAB_API_KEY = "wrong-key-123" })
      assert.equal(77, res.code)
      assert.matches("401", res.err)
      assert.equal(77, run({ "status", WF, "11" }).code)
    end)

    it("reads the key from --api-key-file and never prints it", function()
      local file = os.tmpname()
      write(file, sim.key .. "\n")
      local res = run({ "status", WF, "1", "--api-key-file", file }, { MODELSLAB_API_KEY = false })
      assert.equal(0, res.code)
      -- a key pasted as an argument by mistake is redacted in the message
      res = run({ "status", WF, "1", sim.key, "--api-key-file", file }, { MODELSLAB_API_KEY = false })
      assert.equal(64, res.code)
      assert.matches("unexpected argument '%[key%]'", res.err)
      write(file, "\n")
      assert.equal(77, run({ "status", WF, "1", "--api-key-file", file }, { MODELSLAB_API_KEY = false }).code)
      os.remove(file)
      assert.equal(64, run({ "status", WF, "1", "--api-key-file", file }).code)
    end)
  end)

  describe("status", function()
    it("exits by the execution's status: 0, 1, 2, and 0 while running or pending", function()
      local expect = { [1] = 0, [2] = 1, [3] = 2, [4] = 0, [5] = 0 }
      for id, code in pairs(expect) do
        assert.equal(code, run({ "status", WF, tostring(id) }).code, "execution " .. id)
      end
    end)

    it("shows the status, the progress, one line per step and the output URLs", function()
      local res = run { "status", WF, "1" }
      assert.matches("completed · execution 1", res.out, 1, true)
      assert.matches("3/3 steps", res.out, 1, true)
      assert.matches("✓ Text to Image +completed", res.out)
      assert.matches("output:\n  http://[^\n]+/generated/1%-1%.png\n  http://[^\n]+/generated/1%-2%.png", res.out)
      assert.is_nil(res.out:find(ESC, 1, true))  -- a pipe gets no escape sequences
      res = run { "status", WF, "2" }
      assert.matches("✗ Image Upscaler +failed", res.out)
      assert.matches("error: Image generation failed: Invalid prompt", res.out)
    end)

    it("shows only the steps --filter lets through", function()
      local res = run { "status", WF, "2", "--filter", "status=failed,running" }
      assert.matches("Image Upscaler", res.out)
      assert.is_nil(res.out:find("Text to Image", 1, true))
      assert.matches("(1 of 2 steps hidden by --filter)", res.out, 1, true)
      res = run { "status", WF, "1", "--filter", "name~Restore" }
      assert.matches("Face Restore", res.out)
      assert.is_nil(res.out:find("Upscaler", 1, true))
      res = run { "status", WF, "1", "--filter", "pattern=^Image", "--json" }
      local doc = cjson.decode(res.out)
      assert.equal(1, #doc.steps)
      assert.equal("Image Upscaler", doc.steps[1].name)
    end)

    it("never passes control characters from the server to the terminal", function()
      for _, res in ipairs { run { "status", WF, "13" }, run { "watch", WF, "13", unpack(FAST) },
          tty { "status", WF, "13", "--no-color" } } do
        assert.equal(0, res.code)
        assert.matches("Evil?[2J?[31m step", res.out, 1, true)
        assert.is_nil(res.out:find("\27[2J", 1, true))
      end
    end)

    it("prints the document as JSON with --json", function()
      local res = run { "status", WF, "3", "--json" }
      assert.equal(2, res.code)
      local doc = cjson.decode(res.out)
      assert.equal("cancelled", doc.execution.status)
      assert.equal(2, #doc.steps)
    end)

    it("exits 69 on an undocumented status, an API error and a network error", function()
      local res = run { "status", WF, "6" }
      assert.equal(69, res.code)
      assert.matches("undocumented status: exploded", res.err)
      assert.equal(69, run({ "status", WF, "12" }).code)  -- 402
      res = run { "status", WF, "999", "--json" }
      assert.equal(69, res.code)
      assert.matches("404", res.err)
      assert.same({ "error", 404, 69 }, (function(e) return { e.type, e.status, e.exit_code } end)(
        cjson.decode(res.out)))
      res = run { "status", WF, "1", "--base-url", "http://127.0.0.1:1/api/v1" }
      assert.equal(69, res.code)
      assert.matches("transport", res.err)
    end)
  end)

  describe("watch with pipes", function()
    it("prints one line per event and exits 0 when the execution completes", function()
      local res = run { "watch", WF, "7", unpack(FAST) }
      assert.equal(0, res.code)
      assert.is_nil(res.out:find(ESC, 1, true))
      local lines = {}
      for line in res.out:gmatch("[^\n]+") do lines[#lines + 1] = line end
      local events = {}  -- without the time prefix and the step durations
      for _, line in ipairs(lines) do
        if line:find("^%[") then
          events[#events + 1] = line:gsub("^%[ *[%d.]+s%] ", ""):gsub("(: %a+) %(.*%)$", "%1")
        end
      end
      assert.same({ "execution 7 pending", "execution 7 running",
        "step 1 Text to Image: running", "step 1 Text to Image: completed",
        "step 2 Image Upscaler: running", "step 2 Image Upscaler: completed",
        "step 3 Face Restore: running", "step 3 Face Restore: completed",
      }, { unpack(events, 1, 8) })
      assert.matches("^execution 7 completed in [%d.]+s %(3/3 steps%)$", events[9])
      assert.equal(9, #events)
      assert.matches("\noutput:\n  http://", res.out)
    end)

    it("exits 1 when the execution fails and 2 when it is cancelled", function()
      local res = run { "watch", WF, "8", unpack(FAST) }
      assert.equal(1, res.code)
      assert.matches("step 2 Image Upscaler: failed", res.out)
      assert.matches("error: Upscaler ran out of memory", res.out)
      res = run { "watch", WF, "9", unpack(FAST) }
      assert.equal(2, res.code)
      assert.matches("execution 9 cancelled", res.out)
    end)

    it("exits 3 on --timeout and on --stall-timeout", function()
      local res = run { "watch", WF, "10", "--timeout", "0.2", unpack(FAST) }
      assert.equal(3, res.code)
      assert.matches("timeout", res.err)
      res = run { "watch", WF, "10", "--stall-timeout", "0.2", unpack(FAST) }
      assert.equal(3, res.code)
      assert.matches("stalled", res.err)
    end)

    it("--cancel-on-timeout cancels the execution on the server", function()
      local res = run { "watch", WF, "10", "--timeout", "0.2", "--cancel-on-timeout", unpack(FAST) }
      assert.equal(3, res.code)
      assert.matches("cancelled on the server", res.err)
      assert.equal(2, run({ "status", WF, "10" }).code)
    end)

    it("leaves out the step events --filter does not match", function()
      local res = run { "watch", WF, "7", "--filter", "status=completed", unpack(FAST) }
      assert.equal(0, res.code)
      assert.is_nil(res.out:find(": running", 1, true))
      assert.matches("step 3 Face Restore: completed", res.out)
      res = run { "watch", WF, "8", "--json", "--filter", "status=failed", unpack(FAST) }
      local steps_seen = {}
      for _, ev in ipairs(json_lines(res.out)) do
        if ev.step then steps_seen[#steps_seen + 1] = ev.type .. " " .. ev.step.name end
      end
      assert.same({ "step_failed Image Upscaler" }, steps_seen)
    end)

    it("prints JSON Lines with --json, ending with the exit code", function()
      local res = run { "watch", WF, "8", "--json", unpack(FAST) }
      assert.equal(1, res.code)
      local list = json_lines(res.out)
      local types = {}
      for i, ev in ipairs(list) do types[i] = ev.type end
      assert.same({ "status", "status", "step_started", "step_completed", "step_started", "step_failed",
        "status", "done" }, types)
      assert.equal(cjson.null, list[1].from)
      assert.equal("Image Upscaler", list[6].step.name)
      local done = list[#list]
      assert.same({ "failed", 1, 8, "Upscaler ran out of memory" }, { done.status, done.exit_code,
        done.execution_id, done.error })
      res = run { "watch", WF, "10", "--json", "--timeout", "0.2", unpack(FAST) }
      list = json_lines(res.out)
      assert.same({ "error", "timeout", 3 }, { list[#list].type, list[#list].kind, list[#list].exit_code })
    end)
  end)

  describe("watch on a terminal", function()
    it("redraws one block in place, in colour, and restores the cursor", function()
      local res = tty { "watch", WF, "7", unpack(FAST) }
      assert.equal(0, res.code)
      local out = res.out
      assert.equal(1, out:find(HIDE, 1, true))
      assert.truthy(out:find(PESC .. "%dA"))              -- cursor up: redrawn in place
      assert.truthy(out:find(ESC .. "2K", 1, true))
      assert.truthy(out:find(ESC .. "32m✓" .. ESC .. "0m Face Restore", 1, true))  -- green mark
      assert.truthy(out:find(ESC .. "36m", 1, true))     -- a running step or spinner, cyan
      local show = out:find(SHOW, 1, true)
      assert.truthy(show)
      local after = out:sub(show)
      assert.matches("^" .. PESC .. "%?25houtput:\r?\n  http://", after)
      -- the final frame: the execution completed, every step shown
      assert.matches("completed · execution 7 · [%d.]+s", out)
      assert.matches("3/3 steps", out, 1, true)
    end)

    it("respects NO_COLOR and --no-color but still redraws", function()
      for _, case in ipairs { { {}, { NO_COLOR = "1" } }, { { "--no-color" }, {} } } do
        local words = { "watch", WF, "1", unpack(FAST) }
        for _, w in ipairs(case[1]) do words[#words + 1] = w end
        local res = tty(words, case[2])
        assert.equal(0, res.code)
        assert.is_nil(res.out:find(PESC .. "3%dm"))
        assert.truthy(res.out:find(ESC .. "2K", 1, true))
        assert.truthy(res.out:find("✓ Face Restore", 1, true))
      end
    end)

    it("prints lines, never redraws, when TERM is dumb", function()
      local res = tty({ "watch", WF, "1", unpack(FAST) }, { TERM = "dumb" })
      assert.equal(0, res.code)
      assert.is_nil(res.out:find(ESC, 1, true))
      assert.matches("step 3 Face Restore: completed", res.out)
      res = run { "watch", WF, "8", "--json", "--filter", "status=failed", unpack(FAST) }
      local steps_seen = {}
      for _, ev in ipairs(json_lines(res.out)) do
        if ev.step then steps_seen[#steps_seen + 1] = ev.type .. " " .. ev.step.name end
      end
      assert.same({ "step_failed Image Upscaler" }, steps_seen)
    end)

    it("fits the block to the terminal's width and uses ASCII outside UTF-8", function()
      local res = tty({ "watch", WF, "1", "--no-color", unpack(FAST) }, { COLUMNS = false, LANG = "C" },
        { stty = "cols 40" })
      assert.equal(0, res.code)
      local drawn = 0
      for line in res.out:gmatch(PESC .. "2K([^\r\n]*)") do  -- each line of each frame
        line = line:gsub(PESC .. "[%d;?]*[A-Za-z]", "")
        assert.is_true(#line < 40, line)
        drawn = drawn + 1
      end
      assert.is_true(drawn >= 5)
      assert.matches("%+ completed %- execution 1", res.out)
      assert.matches("%[#+%] 3/3 steps", res.out)
    end)

    it("shows the command's status and outputs on a terminal with marks and colour", function()
      local res = tty { "status", WF, "2" }
      assert.equal(1, res.code)
      assert.truthy(res.out:find(ESC .. "31m✗", 1, true))
    end)
  end)

  describe("Ctrl-C", function()
    it("stops watching, restores the terminal and exits 130; the execution goes on", function()
      local res = tty({ "watch", WF, "10", unpack(FAST) }, nil, { interrupt = "Long" })
      assert.equal(130, res.code)
      local hide, show = res.out:find(HIDE, 1, true), res.out:find(SHOW, 1, true)
      assert.truthy(hide and show and show > hide)
      assert.truthy(res.out:find(ESC .. "0m" .. SHOW, 1, true))
      assert.matches("interrupted; the execution goes on", res.out)
      assert.equal(0, run({ "status", WF, "10" }).code)  -- still running
    end)

    it("with --cancel-on-interrupt also cancels the execution on the server", function()
      local res = tty({ "watch", WF, "10", "--cancel-on-interrupt", unpack(FAST) }, nil, { interrupt = "Long" })
      assert.equal(130, res.code)
      assert.matches("cancelled on the server", res.out)
      assert.equal(2, run({ "status", WF, "10" }).code)
    end)
  end)

  describe("run, cancel, workflows, schema", function()
    it("starts an execution with KEY=VALUE, KEY:=JSON and --json-params", function()
      local file = os.tmpname()
      write(file, '{"prompt": "from the file", "seed": 1, "steps": 30}')
      local res = run { "run", WF, "--json-params", file, "seed:=7", "prompt=a fox", "--json" }
      os.remove(file)
      assert.equal(0, res.code)
      local started = cjson.decode(res.out)
      assert.is_number(started.execution_id)
      local sent = cjson.decode(sim:stats().last_request.body)
      assert.same({ prompt = "a fox", seed = 7, steps = 30 }, sent)
      res = run { "run", WF, "prompt=x", "-q" }
      assert.matches("^%d+\n$", res.out)
      assert.equal(0, run({ "status", WF, (res.out:gsub("\n", "")) }).code)
    end)

    it("run --watch follows the new execution and exits by its outcome", function()
      local res = run { "run", WF, "prompt=a fox", "--watch", unpack(FAST) }
      assert.equal(0, res.code)
      assert.matches("execution %d+ started\n", res.out)
      assert.matches("execution %d+ completed in", res.out)
      res = run { "run", WF, "prompt=a fox", "--watch", "--json", unpack(FAST) }
      local list = json_lines(res.out)
      assert.equal("started", list[1].type)
      assert.same({ "done", 0 }, { list[#list].type, list[#list].exit_code })
    end)

    it("reads --json-params from stdin with -", function()
      local file = os.tmpname()
      write(file, '{"prompt": "piped"}')
      local res = run({ "run", WF, "--json-params", "-", "-q" }, nil, file)
      os.remove(file)
      assert.equal(0, res.code)
      assert.equal('{"prompt":"piped"}', sim:stats().last_request.body)
    end)

    it("exits 69 when the API rejects the parameters", function()
      local res = run { "run", WF, "seed:=1" }
      assert.equal(69, res.code)
      assert.matches("422", res.err)
    end)

    it("cancels a running execution, and exits 69 for one already finished", function()
      local res = run { "cancel", WF, "4" }
      assert.equal(0, res.code)
      assert.matches("execution 4 cancelled", res.out)
      assert.equal(2, run({ "status", WF, "4" }).code)
      res = run { "cancel", WF, "1" }
      assert.equal(69, res.code)
      assert.matches("400", res.err)
    end)

    it("lists the workflows and shows a schema, as text and as JSON", function()
      local res = run { "workflows" }
      assert.equal(0, res.code)
      assert.matches(WF:gsub("%-", "%%-") .. "  Portrait pipeline  1000/min", res.out)
      local list = cjson.decode(run({ "workflows", "--json" }).out)
      assert.equal(WF, list[1].id)
      res = run { "schema", WF }
      assert.equal(0, res.code)
      assert.matches("prompt +string +yes +Text to Image %(1%)", res.out)
      assert.matches("seed +integer +no", res.out)
      local doc = cjson.decode(run({ "schema", WF, "--json" }).out)
      assert.equal("prompt", doc.parameters[1].key)
      assert.equal(69, run({ "schema", "dddddddd-0000-4000-8000-000000000004" }).code)
    end)
  end)
  describe("what the API says about an error", function()
    it("a 422 names what is wrong with the parameters, in the message and in the --json line", function()
      local res = run { "run", WF, "seed:=1" }
      assert.equal(69, res.code)
      assert.matches("http 422: Validation failed %-%- prompt: The prompt field is required%.", res.err)
      res = run { "run", WF, "seed:=1", "--json" }
      local e = cjson.decode(res.out)
      assert.same({ "error", 422, 69 }, { e.type, e.status, e.exit_code })
      assert.same({ prompt = { "The prompt field is required." } }, e.details)
    end)

    it("the --json error line carries the server's retry_after", function()
      local res = run { "status", WF, "14", "--json" }
      assert.equal(69, res.code)
      local e = cjson.decode(res.out)
      assert.same({ "error", "rate_limited", 429, 7 }, { e.type, e.kind, e.status, e.retry_after })
    end)

    it("a 404 from a base URL without /api/v1 says what is missing; other 404s do not", function()
      local res = run { "status", WF, "1", "--base-url", sim.url }
      assert.equal(69, res.code)
      assert.matches("http 404: Not found %(is base_url missing /api/v1%?%)", res.err)
      res = run { "status", WF, "999" }
      assert.equal(69, res.code)
      assert.is_nil(res.err:find("/api/v1?", 1, true), res.err)
    end)

    it("the simulator's banner shows the base URL the command needs", function()
      local p = assert(io.popen("echo $$; exec " .. LUA .. " bin/modelslab-simulator --scenario " .. SCENARIO))
      local pid, first, second = p:read("*l"), p:read("*l"), p:read("*l")
      local base = second and second:match("^base URL: (http://%S+)")
      local res = base and run({ "status", WF, "1", "--base-url", base }, { MODELSLAB_BASE_URL = false })
      os.execute("kill " .. pid)
      p:close()
      assert.matches("^modelslab%-simulator listening on http://127%.0%.0%.1:%d+$", first)
      assert.matches("/api/v1$", base)
      assert.equal(0, res.code, res.err)
    end)
  end)

  describe("picking a watch up again", function()
    it("after --timeout prints a command that works as printed, with --base-url and --api-key-file", function()
      local key_file = os.tmpname() .. " it's a key"  -- a quote and spaces: the shell must see one word
      write(key_file, sim.key .. "\n")
      local env = { MODELSLAB_API_KEY = false, MODELSLAB_BASE_URL = false }
      local res = run({ "watch", WF, "10", "--timeout", "0.2", "--base-url", sim.base_url, "--api-key-file", key_file,
        unpack(FAST) }, env)
      assert.equal(3, res.code)
      local hint = res.err:match("the execution goes on: (modelslab watch [^\n]+)")
      assert.truthy(hint, res.err)
      assert.truthy(hint:find("--base-url " .. sim.base_url, 1, true), hint)
      -- typed into a shell: it reaches the server with the key, and times out again (3, not 64, 69 or 77)
      local bin = modelslab_on_path()
      env.PATH = bin .. ":" .. os.getenv("PATH")
      local again = sh(hint .. " --timeout 0.2", env)
      os.execute("rm -rf " .. quote(bin))
      os.remove(key_file)
      assert.equal(3, again.code, again.err)
    end)

    it("after Ctrl-C prints the command with --base-url; run prints it too", function()
      local res = tty({ "watch", WF, "10", "--base-url", sim.base_url, unpack(FAST) }, { MODELSLAB_BASE_URL = false },
        { interrupt = "Long" })
      assert.equal(130, res.code)
      assert.truthy(res.out:find("interrupted; the execution goes on: modelslab watch " .. WF .. " 10 --base-url "
        .. sim.base_url, 1, true), res.out)
      res = run({ "run", WF, "prompt=x", "--base-url", sim.base_url }, { MODELSLAB_BASE_URL = false })
      assert.matches("follow it: modelslab watch " .. WF:gsub("%-", "%%-") .. " %d+ %-%-base%-url "
        .. sim.base_url:gsub("%p", "%%%0") .. "\n", res.out)
    end)
  end)

  describe("trouble while watching", function()
    it("shows each retry as it happens: a line, a JSON event, a dim line on a terminal", function()
      local res = run { "watch", WF, "15", unpack(FAST) }
      assert.equal(0, res.code, res.err)
      assert.matches("%] retrying: HTTP 503 [^\n]*%(1/5%)\n[^\n]*%] retrying: HTTP 503 [^\n]*%(2/5%)\n", res.out)
      sim:reset()
      res = run { "watch", WF, "15", "--json", unpack(FAST) }
      assert.equal(0, res.code)
      local retries = {}
      for _, ev in ipairs(json_lines(res.out)) do
        if ev.type == "retry" then retries[#retries + 1] = ev end
      end
      assert.equal(2, #retries)
      local first = retries[1]
      assert.same({ 1, 503, 5, "http" }, { first.attempt, first.status, first.max_attempts, first.kind })
      assert.equal(2, retries[2].attempt)
      assert.is_number(retries[2].delay)
      sim:reset()
      res = tty { "watch", WF, "15", unpack(FAST) }
      assert.equal(0, res.code)
      assert.matches(PESC .. "2mretrying: HTTP 503 [^\n]*%(2/5%)" .. PESC .. "0m", res.out)
    end)

    it("says the connection is refused, attempt by attempt, before it gives up", function()
      local res = run { "watch", WF, "1", "--base-url", "http://127.0.0.1:1/api/v1", unpack(FAST) }
      assert.equal(69, res.code)
      for n = 1, 4 do assert.matches("retrying: cannot connect %(" .. n .. "/5%)", res.out) end
    end)
  end)

  describe("the live view when the terminal shrinks", function()
    -- Execution 16 runs 1.5 s from its first poll with lines about 90 columns
    -- wide, polled every 0.5 s; the terminal goes from 100 columns to 40 0.2 s
    -- after the first wide step line shows (however slowly the command
    -- started; the bracket keeps grep from matching this command, which script
    -- writes at the top of its log), between two polls, and a marker in the
    -- output says where. Replayed on a
    -- terminal that rewraps (most do) and on one that cuts lines (xterm),
    -- the scrollback must hold one block: no fragments, no copies.
    local MARK = ESC .. "7777m"  -- an SGR no terminal knows: ignored
    local res, before, after
    setup(function()
      res = tty({ "watch", WF, "16", "--no-color", "--interval", "0.5", "--max-interval", "0.5" }, { COLUMNS = false },
        { stty = "cols 100 rows 40",
          meanwhile = "(i=0; while [ $i -lt 200 ] && ! grep -q 'at a re[s]olution' @LOG@; "
            .. "do sleep 0.05; i=$((i+1)); done; "
            .. "sleep 0.2; stty cols 40 </dev/tty; printf '\\033[7777m' >/dev/tty) & " })
      local block = res.out:sub(1, (res.out:find(SHOW, 1, true) or #res.out + 1) - 1)  -- outputs are never cut
      local at = block:find(MARK, 1, true)
      if at then before, after = block:sub(1, at - 1), block:sub(at + #MARK) end
    end)

    -- The frames in a piece of output: each begins where the cursor goes back up and clears a line.
    local function frames(out)
      local starts = {}
      for pos in out:gmatch("()\r" .. PESC .. "%d+A" .. PESC .. "2K") do starts[#starts + 1] = pos end
      local list = {}
      for i, pos in ipairs(starts) do list[i] = out:sub(pos, (starts[i + 1] or #out + 1) - 1) end
      return list
    end

    local function widest(frame)
      local w = 0
      for line in frame:gsub(PESC .. "[%d;?]*[A-Za-z]", ""):gmatch("[^\r\n]+") do
        local _, n = line:gsub("[^\128-\191]", "")
        w = math.max(w, n)
      end
      return w
    end

    it("draws every frame after the resize within the new width, from the next frame on", function()
      assert.equal(0, res.code, res.out)
      assert.truthy(after, "the resize happened after the watch ended")
      assert.is_true(widest(before) > 60)
      local list = frames(after)
      assert.is_true(#list >= 4, #list .. " frames after the resize")
      -- The first may have been drawn as the terminal changed; none after it is wide.
      for i = 2, #list do assert.is_true(widest(list[i]) < 40, "frame " .. i .. ":\n" .. list[i]) end
    end)

    for _, reflow in ipairs { true, false } do
      it("leaves one block in the scrollback on a terminal that " .. (reflow and "rewraps" or "cuts lines"), function()
        local t = vt.new(100, 40)
        t:feed(before)
        t:resize(40, reflow)
        t:feed(after)
        local headers, bars = 0, 0
        for _, line in ipairs(t:lines()) do
          if line:find("execution 16", 1, true) then headers = headers + 1 end
          if line:find("steps", 1, true) then bars = bars + 1 end
        end
        assert.same({ 1, 1 }, { headers, bars }, table.concat(t:lines(), "\n"))
      end)
    end

    it("never shows less elapsed time at the end than during the run", function()
      local shown = {}
      for e in res.out:gmatch("execution 16 · ([%d.]+)s") do shown[#shown + 1] = tonumber(e) end
      assert.is_true(#shown > 3)
      for i = 2, #shown do assert.is_true(shown[i] >= shown[i - 1], table.concat(shown, " ")) end
    end)
  end)

  describe("server text on a terminal", function()
    it("never passes C1 controls or malformed UTF-8 through, on any output", function()
      for _, res in ipairs { run { "status", WF, "17" }, run { "watch", WF, "17", unpack(FAST) },
          tty { "status", WF, "17" }, tty { "watch", WF, "17", unpack(FAST) } } do
        assert.equal(1, res.code)
        inert(res.out .. (res.err or ""))
        assert.matches("C1?[31m lone?[2J step", res.out, 1, true)
        assert.matches("bad?[31m?[2Jend", res.out, 1, true)
      end
    end)

    it("keeps --json exact: controls escaped, never dropped or changed", function()
      local res = run { "status", WF, "17", "--json" }
      inert(res.out)
      assert.is_nil(res.out:find("\27", 1, true))
      local doc = cjson.decode(res.out)
      assert.equal("bad\194\155[31m\239\191\189[2Jend", doc.error)  -- a lone byte has no JSON form: U+FFFD
      assert.equal("C1\194\155[31m lone\239\191\189[2J step", doc.steps[1].name)
    end)
  end)

  describe("odd documents from a hostile server", function()
    local server
    setup(function() server = hostile.start() end)
    teardown(function() server:stop() end)

    -- Runs the command against one of the hostile cases, from a fresh start.
    local function against(case, words, terminal)
      server:reset()
      local env = { MODELSLAB_BASE_URL = server.url .. "/odd/" .. case .. "/api/v1",
        MODELSLAB_API_KEY = "odd-documents-key" }
      local res = terminal and tty(words, env) or run(words, env)
      assert.is_nil((res.out .. (res.err or "")):find("internal error", 1, true), res.out .. (res.err or ""))
      inert(res.out .. (res.err or ""))
      return res
    end

    local HWF, ID = hostile.WF, "12345"
    local ODD = "odd?[2J?[31m?[5m?text"
    local ODD_PATTERN = ODD:gsub("%p", "%%%0")

    it("workflows shows the entries that are objects and counts the others", function()
      local res = against("completed", { "workflows" })
      assert.equal(0, res.code, res.err)
      assert.matches(ODD, res.out, 1, true)
      assert.matches("\n7 +%- +[%d.e+]+/min +12\n", res.out)
      assert.matches("4 of the 6 workflows the server sent are not objects", res.err, 1, true)
      res = against("completed", { "workflows", "--json" })
      assert.equal(0, res.code)
      assert.equal(1e300, cjson.decode(res.out)[1].call_count)
    end)

    it("schema shows what it can of an odd workflow", function()
      local res = against("completed", { "schema", HWF })
      assert.equal(0, res.code, res.err)
      assert.matches("description +" .. ODD_PATTERN, res.out)
      assert.matches("rate limit +%-", res.out)
      assert.matches("3 of the 4 parameters the server sent are not objects", res.err, 1, true)
      assert.equal(0, against("completed", { "schema", HWF, "--json" }).code)
    end)

    it("status, watch and the live view survive huge times, far timestamps and odd statuses", function()
      local res = against("completed", { "status", HWF, ID })
      assert.equal(0, res.code, res.err)
      assert.matches(">10000h", res.out, 1, true)
      for _, words in ipairs { { "watch", HWF, ID, unpack(FAST) }, { "watch", HWF, ID, "--json", unpack(FAST) } } do
        assert.equal(0, against("completed", words).code)
        assert.equal(1, against("failed", words).code)
        res = against("status", words)
        assert.equal(69, res.code)
        assert.matches("undocumented status: " .. ODD, res.err, 1, true)
      end
      res = against("completed", { "watch", HWF, ID, unpack(FAST) }, true)
      assert.equal(0, res.code, res.out)
      assert.matches("output:\r?\n  " .. ODD_PATTERN, res.out)
      assert.equal(1, against("failed", { "watch", HWF, ID, unpack(FAST) }, true).code)
      assert.equal(69, against("status", { "watch", HWF, ID, unpack(FAST) }, true).code)
    end)
  end)
end)
