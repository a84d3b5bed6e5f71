local modelslab = require "modelslab"
local fixtures = require "spec.support.fixtures"

local has_integers = math.type ~= nil

local function decode_error(text)
  local doc, err = modelslab.decode_status(text)
  assert.is_nil(doc)
  return err
end

describe("modelslab.decode_status", function()
  it("mirrors the completed fixture, output included", function()
    local doc = assert(modelslab.decode_status(fixtures.read("completed")))
    assert.equal("success", doc.status)
    assert.equal(12345, doc.execution.id)
    assert.equal("3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42", doc.execution.workflow_id)
    assert.equal("completed", doc.execution.status)
    assert.equal("2024-01-15T10:30:15Z", doc.execution.completed_at)
    assert.equal(15.234, doc.execution.execution_time)
    assert.same({ "https://cdn.modelslab.com/generated/image1.png" }, doc.output.output)
    assert.same({ "https://cdn.modelslab.com/proxy/image1.png" }, doc.output.proxy_links)
    assert.equal(2, #doc.steps)
    assert.equal("Image Upscaler", doc.steps[2].name)
    assert.is_nil(doc.error)
  end)

  it("gives ids back as integers where Lua has them, and keeps execution_time a float", function()
    local doc = assert(modelslab.decode_status(fixtures.read("completed")))
    if has_integers then
      assert.equal("integer", math.type(doc.execution.id))
      assert.equal("float", math.type(doc.execution.execution_time))
    else
      assert.equal(12345, doc.execution.id)
    end
  end)

  it("turns JSON null into absent keys, never a sentinel", function()
    local doc = assert(modelslab.decode_status(fixtures.read("running")))
    assert.is_nil(doc.execution.completed_at)
    assert.is_nil(doc.execution.execution_time)
    assert.is_nil(doc.steps[2].completed_at)
    assert.equal("running", doc.steps[2].status)
    for key in pairs(doc.steps[2]) do assert.is_not.equal("completed_at", key) end
  end)

  it("carries the error of a failed execution", function()
    local doc = assert(modelslab.decode_status(fixtures.read("failed")))
    assert.equal("failed", doc.execution.status)
    assert.equal("Image generation failed: Invalid prompt", doc.error)
    assert.equal(1, #doc.steps)
  end)

  it("makes steps an empty sequence when the document has none", function()
    local doc = assert(modelslab.decode_status('{"status":"success","execution":{"id":7,"status":"pending"}}'))
    assert.same({}, doc.steps)
    doc = assert(modelslab.decode_status('{"execution":{"id":7,"status":"pending"},"steps":null}'))
    assert.same({}, doc.steps)
  end)

  it("turns proxy_links sent as an object keyed by index into a sequence", function()
    local doc = assert(modelslab.decode_status([[{"execution":{"id":1,"status":"completed"},
      "output":{"output":["a"],"proxy_links":{"1":"second","0":"first","10":"eleventh"}}}]]))
    assert.same({ "first", "second", "eleventh" }, doc.output.proxy_links)
  end)

  it("reads execution ids up to 2^53 - 1 and refuses larger ones, which a double would round", function()
    local doc = assert(modelslab.decode_status('{"execution":{"id":9007199254740991,"status":"running"}}'))
    assert.equal(9007199254740991, doc.execution.id)
    for _, id in ipairs { "9007199254740992", "9007199254740993", "1e16" } do
      local none, err = modelslab.decode_status('{"execution":{"id":' .. id .. ',"status":"running"}}')
      assert.is_nil(none, id)
      assert.equal("invalid_response", err.kind)
    end
  end)

  it("refuses an object that names a field twice, at any depth", function()
    for _, text in ipairs {
      '{"execution":{"id":1,"status":"running","status":"completed"}}',
      '{"execution":{"id":1,"status":"running"},"steps":[{"name":"a","status":"running","name":"b"}]}',
      '{"execution":{"id":1,"status":"running"},"extra":[[{"x":null,"x":null}]]}',
    } do
      local none, err = modelslab.decode_status(text)
      assert.is_nil(none, text)
      assert.equal("invalid_response", err.kind)
      assert.matches("same name twice", err.message)
    end
  end)

  it("counts names right around colons, quotes and backslashes inside strings", function()
    local doc = assert(modelslab.decode_status([[{"execution":{"id":1,"status":"running"},
      "a":"ends in a backslash\\","b":"x:\"y\":z","c":{"d:\"":null},"e":"https://x/y?z=1"}]]))
    assert.equal("ends in a backslash\\", doc.a)
    assert.equal('x:"y":z', doc.b)
  end)

  it("keeps fields it does not know", function()
    local doc = assert(modelslab.decode_status([[{"execution":{"id":1,"status":"running","gpu":"A100"},
      "queue_position":3,"steps":[{"name":"a","status":"running","progress":0.5}]}]]))
    assert.equal("A100", doc.execution.gpu)
    assert.equal(3, doc.queue_position)
    assert.equal(0.5, doc.steps[1].progress)
  end)

  it("accepts a status the docs do not list: judging it is the caller's job", function()
    local doc = assert(modelslab.decode_status('{"execution":{"id":1,"status":"paused"}}'))
    assert.equal("paused", doc.execution.status)
  end)

  describe("reports a body that says status error as kind api", function()
    for _, key in ipairs { "message", "messege", "error" } do
      it("reading its " .. key, function()
        local err = decode_error('{"status":"error","' .. key .. '":"Invalid API key"}')
        assert.equal("api", err.kind)
        assert.equal("Invalid API key", err.message)
        assert.is_false(err.retryable)
      end)
    end
    it("with a generic message when it has none", function()
      local err = decode_error('{"status":"error"}')
      assert.equal("api", err.kind)
      assert.equal("the API reported an error", err.message)
    end)
  end)

  local invalid = {
    ["text that is not JSON"] = "<html>Bad gateway</html>",
    ["an empty body"] = "",
    ["a top-level array"] = "[1,2,3]",
    ["a bare string"] = '"completed"',
    ["a document without execution"] = '{"status":"success"}',
    ["execution of the wrong type"] = '{"execution":"running"}',
    ["an execution id that is a fraction"] = '{"execution":{"id":1.5,"status":"running"}}',
    ["an execution id that is negative"] = '{"execution":{"id":-3,"status":"running"}}',
    ["an execution id of 2^64"] = '{"execution":{"id":18446744073709551616,"status":"running"}}',
    ["an execution id of 1e400"] = '{"execution":{"id":1e400,"status":"running"}}',
    ["NaN"] = '{"execution":{"id":1,"status":"running","execution_time":NaN}}',
    ["Infinity"] = '{"execution":{"id":1,"status":"running","execution_time":Infinity}}',
    ["a hexadecimal number"] = '{"execution":{"id":0x10,"status":"running"}}',
    ["a missing status"] = '{"execution":{"id":1}}',
    ["a status that is a number"] = '{"execution":{"id":1,"status":3}}',
    ["a timestamp that is a number"] = '{"execution":{"id":1,"status":"running","started_at":5}}',
    ["steps that are an object"] = '{"execution":{"id":1,"status":"running"},"steps":{"name":"a"}}',
    ["a step without a name"] = '{"execution":{"id":1,"status":"running"},"steps":[{"status":"running"}]}',
    ["a step that is a string"] = '{"execution":{"id":1,"status":"running"},"steps":["a"]}',
    ["a null in the steps array"] =
      '{"execution":{"id":1,"status":"running"},"steps":[null,{"name":"a","status":"running"}]}',
    ["output URLs that are numbers"] = '{"execution":{"id":1,"status":"completed"},"output":{"output":[1]}}',
    ["an error that is an object"] = '{"execution":{"id":1,"status":"failed"},"error":{"x":1}}',
    ["nesting deeper than the limit"] = string.rep("[", 100000) .. string.rep("]", 100000),
  }
  for name, text in pairs(invalid) do
    it("rejects " .. name .. " as invalid_response", function()
      local err = decode_error(text)
      assert.equal("invalid_response", err.kind)
      assert.is_string(err.message)
      assert.matches("^modelslab: invalid_response: ", tostring(err))
    end)
  end

  it("raises when given something other than a string", function()
    assert.has_error(function() modelslab.decode_status(nil) end,
      "modelslab.decode_status: text must be a string")
  end)

  it("passes bytes that are not UTF-8 through unchanged", function()
    local doc = assert(modelslab.decode_status('{"execution":{"id":1,"status":"running"},' ..
      '"steps":[{"name":"\255\254x","status":"running"}]}'))
    assert.equal("\255\254x", doc.steps[1].name)
  end)

  it("leaves the global cjson settings alone", function()
    modelslab.decode_status("{}")
    local cjson = require "cjson"
    local deep = string.rep("[", 100) .. string.rep("]", 100)
    assert.has_no.errors(function() cjson.decode(deep) end)
    assert.has_no.errors(function() cjson.decode("[NaN]") end)
  end)
end)
