-- The webhook decoder needs the C core's JSON decoder; without it this spec
-- must fail loudly rather than pass by skipping.
local ok_core, core_err = pcall(require, "modelslab.core")
if not ok_core then
  error("webhook_spec needs modelslab.core (build the C extension first): " .. tostring(core_err), 0)
end

local webhook = require("modelslab.webhook")

local FLAT = [[{"event":"workflow.completed","execution_id":123,
  "workflow_id":"3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42","status":"completed",
  "output":{"output":["https://cdn.modelslab.com/generated/image1.png"]},
  "completed_at":"2024-01-15T10:30:15Z"}]]

local NESTED = [[{"event":"workflow.completed",
  "workflow":{"id":"3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42","name":"Portraits","user_id":1},
  "execution":{"id":12345,"status":"completed","started_at":"2024-01-15T10:30:00Z",
    "completed_at":"2024-01-15T10:30:15Z","execution_time":15.2,
    "input_data":{"prompt":"a cat"},
    "output_data":{"output":["https://cdn.modelslab.com/generated/image1.png"]}}}]]

local function rejects(body, fragment)
  local hook, err = webhook.decode(body)
  assert.is_nil(hook)
  assert.are.equal("table", type(err))
  assert.are.equal("invalid_response", err.kind)
  assert.are.equal("string", type(err.message))
  assert.truthy(err.message:find(fragment, 1, true),
    "expected '" .. fragment .. "' in: " .. err.message)
end

describe("modelslab.webhook.decode", function()
  describe("with the flat shape", function()
    it("normalises every documented field", function()
      local hook = assert(webhook.decode(FLAT))
      assert.are.equal("workflow.completed", hook.event)
      assert.are.equal(123, hook.execution_id)
      assert.are.equal("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", hook.workflow_id)
      assert.are.equal("completed", hook.status)
      assert.are.same({ "https://cdn.modelslab.com/generated/image1.png" }, hook.output.output)
      assert.are.equal("2024-01-15T10:30:15Z", hook.completed_at)
      assert.are.equal("flat", hook.shape)
    end)

    it("keeps the whole decoded payload as raw", function()
      local hook = assert(webhook.decode(FLAT))
      assert.are.equal(123, hook.raw.execution_id)
      assert.are.equal("workflow.completed", hook.raw.event)
    end)
  end)

  describe("with the nested shape", function()
    it("stays nested when the payload also carries a top-level execution_id", function()
      local body = NESTED:gsub('^{"event":"workflow.completed",', '{"event":"workflow.completed","execution_id":999,')
      assert.truthy(body:find('"execution_id":999,', 1, true))
      local hook = assert(webhook.decode(body))
      assert.are.equal("nested", hook.shape)
      assert.are.equal(12345, hook.execution_id)
      assert.are.equal("completed", hook.status)
      assert.are.same({ "https://cdn.modelslab.com/generated/image1.png" }, hook.output.output)
      assert.are.equal("2024-01-15T10:30:00Z", hook.started_at)
    end)

    it("refuses an execution id of 2^53 or more, never rounding it", function()
      rejects((NESTED:gsub('"id":12345', '"id":9007199254740993')), "below 2^53")
      rejects((NESTED:gsub('"id":12345', '"id":"9007199254740993"')), "below 2^53")
      rejects([[{"execution_id":9007199254740992}]], "below 2^53")
      assert.are.equal(9007199254740991, assert(webhook.decode([[{"execution_id":9007199254740991}]])).execution_id)
    end)

    it("normalises every documented field", function()
      local hook = assert(webhook.decode(NESTED))
      assert.are.equal("workflow.completed", hook.event)
      assert.are.equal(12345, hook.execution_id)
      assert.are.equal("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", hook.workflow_id)
      assert.are.equal("completed", hook.status)
      assert.are.same({ "https://cdn.modelslab.com/generated/image1.png" }, hook.output.output)
      assert.are.equal("2024-01-15T10:30:15Z", hook.completed_at)
      assert.are.equal("2024-01-15T10:30:00Z", hook.started_at)
      assert.are.equal(15.2, hook.execution_time)
      assert.are.equal("nested", hook.shape)
      assert.are.equal("Portraits", hook.raw.workflow.name)
      assert.are.equal("a cat", hook.raw.execution.input_data.prompt)
    end)

    it("falls back to execution.workflow_id when there is no workflow object", function()
      local hook = assert(webhook.decode([[{"execution":{"id":7,"workflow_id":"w-1","status":"failed"}}]]))
      assert.are.equal("w-1", hook.workflow_id)
    end)
  end)

  it("returns the execution id as an integer on Lua 5.3 and later", function()
    for _, body in ipairs({ FLAT, NESTED }) do
      local hook = assert(webhook.decode(body))
      if math.type then
        assert.are.equal("integer", math.type(hook.execution_id))
      else
        assert.are.equal(math.floor(hook.execution_id), hook.execution_id)
      end
    end
  end)

  it("accepts an execution id sent as a string of digits", function()
    local hook = assert(webhook.decode([[{"execution_id":"42","status":"completed"}]]))
    assert.are.equal(42, hook.execution_id)
  end)

  describe("without an event", function()
    it("infers workflow.<status> from the status", function()
      local hook = assert(webhook.decode([[{"execution_id":5,"status":"failed"}]]))
      assert.are.equal("workflow.failed", hook.event)
      assert.is_nil(hook.raw.event)
      hook = assert(webhook.decode([[{"execution":{"id":5,"status":"completed"}}]]))
      assert.are.equal("workflow.completed", hook.event)
    end)

    it("leaves the event nil when there is no status either", function()
      local hook = assert(webhook.decode([[{"execution_id":5}]]))
      assert.is_nil(hook.event)
      assert.are.equal(5, hook.execution_id)
    end)
  end)

  it("keeps an explicit event even when it disagrees with the status", function()
    local hook = assert(webhook.decode([[{"event":"workflow.done","execution_id":5,"status":"completed"}]]))
    assert.are.equal("workflow.done", hook.event)
  end)

  describe("rejects with an invalid_response error", function()
    it("a body that is not a string", function()
      rejects(nil, "must be a string")
      rejects({ execution_id = 1 }, "must be a string")
    end)

    it("an empty body", function()
      rejects("", "empty")
    end)

    it("a body that is not JSON", function()
      rejects("execution_id=123", "not valid JSON")
      rejects("{\"execution_id\":", "not valid JSON")
    end)

    it("JSON that is not an object", function()
      rejects("[1,2,3]", "JSON object")
      rejects("42", "JSON object")
      rejects("\"text\"", "JSON object")
      rejects("null", "JSON object")
    end)

    it("an object of neither shape", function()
      rejects("{}", "neither")
      rejects([[{"event":"workflow.completed","status":"completed"}]], "neither")
    end)

    it("a nested execution without an id", function()
      rejects([[{"execution":{"status":"completed"}}]], "execution id is missing")
    end)

    it("an execution id that is not a positive integer", function()
      rejects([[{"execution_id":0}]], "positive integer")
      rejects([[{"execution_id":-3}]], "positive integer")
      rejects([[{"execution_id":1.5}]], "positive integer")
      rejects([[{"execution_id":"12a"}]], "positive integer")
      rejects([[{"execution_id":true}]], "positive integer")
      rejects([[{"execution":{"id":{"n":1}}}]], "positive integer")
    end)

    it("a status or event that is not a string", function()
      rejects([[{"execution_id":1,"status":3}]], "status must be a string")
      rejects([[{"execution_id":1,"event":{"x":1}}]], "event must be a string")
    end)
  end)
end)
