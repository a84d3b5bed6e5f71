local steps = require("modelslab.steps")
local cjson = require("cjson")

-- Decode a fixture the way the core does: JSON nulls become absent keys.
local function strip_nulls(v)
  if type(v) ~= "table" then
    return v
  end
  local out = {}
  for k, x in pairs(v) do
    if x ~= cjson.null then
      out[k] = strip_nulls(x)
    end
  end
  return out
end

local function fixture(name)
  local f = assert(io.open("spec/fixtures/" .. name .. ".json", "rb"))
  local text = f:read("*a")
  f:close()
  return strip_nulls(cjson.decode(text))
end

local function names(list)
  local out = {}
  for i, s in ipairs(list) do
    out[i] = s.name
  end
  return out
end

local function step(name, status, started_at, completed_at)
  return { name = name, status = status, started_at = started_at, completed_at = completed_at }
end

local function doc(status, list)
  return { status = "success", execution = { id = 1, status = status }, steps = list }
end

describe("modelslab.steps", function()
  local running, completed, failed
  before_each(function()
    running, completed, failed = fixture("running"), fixture("completed"), fixture("failed")
  end)

  describe("filter", function()
    it("selects by a single status", function()
      assert.are.same({ "Image Upscaler" }, names(steps.filter(running, { status = "running" })))
    end)

    it("selects by any of several statuses", function()
      local list = { step("a", "failed"), step("b", "completed"), step("c", "cancelled") }
      assert.are.same({ "a", "c" }, names(steps.filter(list, { status = { "failed", "cancelled" } })))
    end)

    it("matches a name as a plain substring, not a pattern", function()
      assert.are.same({ "Image Upscaler" }, names(steps.filter(completed, { name = "Upscaler" })))
      local list = { step("a.b", "completed"), step("axb", "completed") }
      assert.are.same({ "a.b" }, names(steps.filter(list, { name = "a.b" })))
    end)

    it("matches name_pattern as a Lua pattern", function()
      assert.are.same({ "Image Upscaler" }, names(steps.filter(completed, { name_pattern = "^Image" })))
    end)

    it("requires every given field to match", function()
      assert.are.same({}, steps.filter(running, { name = "Text", status = "running" }))
      assert.are.same({ "Text to Image" },
        names(steps.filter(running, { name = "Text", status = "completed" })))
    end)

    it("accepts a predicate called with the step and its index", function()
      local seen = {}
      local out = steps.filter(completed, function(s, i)
        seen[#seen + 1] = i
        return s.name == "Text to Image"
      end)
      assert.are.same({ 1, 2 }, seen)
      assert.are.same({ "Text to Image" }, names(out))
    end)

    it("returns a new table even when everything matches", function()
      local out = steps.filter(completed, function() return true end)
      assert.are.same(completed.steps, out)
      assert.are_not.equal(completed.steps, out)
    end)

    it("accepts a bare steps array and skips steps without a name", function()
      local list = { step(nil, "running"), step("x", "running") }
      assert.are.same({ "x" }, names(steps.filter(list, { name = "x" })))
      assert.are.same({ "x" }, names(steps.filter(list, { name_pattern = "." })))
    end)

    it("treats a document without steps as having none", function()
      assert.are.same({}, steps.filter({ execution = { status = "pending" } }, { status = "running" }))
    end)

    it("rejects an unknown field by name", function()
      assert.has_error(function() steps.filter(running, { state = "running" }) end,
        "bad argument #2 to 'filter' (unknown field 'state')")
    end)

    it("rejects wrongly typed fields", function()
      assert.has_error(function() steps.filter(running, { status = 1 }) end)
      assert.has_error(function() steps.filter(running, { status = { "ok", 2 } }) end)
      assert.has_error(function() steps.filter(running, { status = {} }) end)
      assert.has_error(function() steps.filter(running, { name = true }) end)
      assert.has_error(function() steps.filter(running, { name_pattern = {} }) end)
    end)

    it("rejects a filter that is neither a table nor a function", function()
      assert.has_error(function() steps.filter(running, "running") end,
        "bad argument #2 to 'filter' (table or function expected, got string)")
      assert.has_error(function() steps.filter(running) end)
    end)

    it("reports a malformed name_pattern as a bad argument", function()
      local ok, err = pcall(steps.filter, running, { name_pattern = "[a" })
      assert.is_false(ok)
      assert.truthy(tostring(err):find("name_pattern", 1, true), err)
    end)

    it("rejects something that is not a document or an array", function()
      assert.has_error(function() steps.filter(nil, {}) end)
      assert.has_error(function() steps.filter({ steps = "x" }, {}) end)
      assert.has_error(function() steps.filter({ 1, 2 }, {}) end)
    end)
  end)

  describe("find", function()
    it("returns the step with exactly that name and its index", function()
      local s, i = steps.find(completed, "Image Upscaler")
      assert.are.equal(completed.steps[2], s)
      assert.are.equal(2, i)
    end)

    it("does not match substrings", function()
      assert.is_nil(steps.find(completed, "Upscaler"))
    end)

    it("returns the first of duplicate names", function()
      local _, i = steps.find({ step("a", "completed"), step("a", "running") }, "a")
      assert.are.equal(1, i)
    end)

    it("rejects a non-string name", function()
      assert.has_error(function() steps.find(completed, 1) end)
    end)
  end)

  describe("count", function()
    it("counts steps by status with a total", function()
      assert.are.same({ completed = 1, running = 1, total = 2 }, steps.count(running))
      assert.are.same({ failed = 1, total = 1 }, steps.count(failed))
    end)

    it("counts statusless steps as unknown and an empty list as zero", function()
      assert.are.same({ unknown = 1, total = 1 }, steps.count({ step("a") }))
      assert.are.same({ total = 0 }, steps.count({}))
    end)
  end)

  describe("current", function()
    it("returns the first running step and its index", function()
      local s, i = steps.current(running)
      assert.are.equal("Image Upscaler", s.name)
      assert.are.equal(2, i)
    end)

    it("returns nil when nothing is running", function()
      assert.is_nil(steps.current(completed))
      assert.is_nil(steps.current(failed))
    end)
  end)

  describe("progress", function()
    it("counts completed steps over the steps known so far", function()
      assert.are.same({ 1, 2, 0.5 }, { steps.progress(running) })
    end)

    it("does not count a failed step as done", function()
      assert.are.same({ 0, 1, 0 }, { steps.progress(failed) })
    end)

    it("reports a fraction of 0 when there are no steps", function()
      assert.are.same({ 0, 0, 0 }, { steps.progress(doc("pending")) })
      assert.are.same({ 0, 0, 0 }, { steps.progress({}) })
    end)

    it("reports a fraction of 1 once the execution is completed", function()
      assert.are.same({ 2, 2, 1 }, { steps.progress(completed) })
      local lagging = doc("completed", { step("a", "completed"), step("b", "running") })
      assert.are.same({ 1, 2, 1 }, { steps.progress(lagging) })
    end)
  end)

  describe("duration", function()
    it("measures a finished step from start to completion", function()
      assert.are.equal(10, steps.duration(completed.steps[2]))
    end)

    it("measures a running step up to now", function()
      local s = running.steps[2] -- started 2024-01-15T10:30:05Z
      assert.are.equal(7, steps.duration(s, 1705314605 + 7))
    end)

    it("defaults now to the current time for a running step", function()
      assert.truthy(steps.duration(running.steps[2]) > 3600)
    end)

    it("clamps a running step to zero when the local clock is behind", function()
      assert.are.equal(0, steps.duration(running.steps[2], 1705314605 - 30))
    end)

    it("handles fractional timestamps", function()
      local s = step("a", "completed", "2024-01-15T10:30:05.250Z", "2024-01-15T10:30:06Z")
      assert.are.equal(0.75, steps.duration(s))
    end)

    it("returns nil when not started, unparsable or inconsistent", function()
      assert.is_nil(steps.duration(step("a", "pending")))
      assert.is_nil(steps.duration(step("a", "running", "soon")))
      assert.is_nil(steps.duration(step("a", "completed", "2024-01-15T10:30:05Z", "later")))
      assert.is_nil(steps.duration(step("a", "completed", "2024-01-15T10:30:05Z", "2024-01-15T10:30:00Z")))
      assert.is_nil(steps.duration(step("a", "failed", "2024-01-15T10:30:05Z")))
    end)

    it("rejects a non-table step and a non-number now", function()
      assert.has_error(function() steps.duration(nil) end)
      assert.has_error(function() steps.duration(running.steps[2], "now") end)
    end)
  end)

  describe("diff", function()
    local function types(events)
      local out = {}
      for i, e in ipairs(events) do
        out[i] = e.type .. (e.index and ("#" .. e.index) or "")
      end
      return out
    end

    it("reports everything as new when there is no previous document", function()
      local ev = steps.diff(nil, running)
      assert.are.same({ "status", "step_completed#1", "step_started#2" }, types(ev))
      assert.are.same({ type = "status", to = "running" }, ev[1])
      assert.is_nil(ev[2].from)
      assert.are.equal(running.steps[2], ev[3].step)
      assert.are.equal("running", ev[3].to)
    end)

    it("puts the status event first when the execution is running", function()
      local ev = steps.diff(doc("pending", {}), doc("running", { step("a", "running") }))
      assert.are.same({ "status", "step_started#1" }, types(ev))
      assert.are.same({ "pending", "running" }, { ev[1].from, ev[1].to })
    end)

    it("puts the status event last when the execution is terminal", function()
      local ev = steps.diff(running, completed)
      assert.are.same({ "step_completed#2", "status" }, types(ev))
      assert.are.same({ "running", "completed" }, { ev[1].from, ev[1].to })
      assert.are.same({ "running", "completed" }, { ev[2].from, ev[2].to })
    end)

    it("reports a failed step before the failed execution", function()
      local prev = doc("running", { step("Text to Image", "running") })
      local ev = steps.diff(prev, failed)
      assert.are.same({ "step_failed#1", "status" }, types(ev))
      assert.are.equal("failed", ev[2].to)
    end)

    it("reports a step skipped past between polls as completed from nil", function()
      local prev = doc("running", { step("a", "completed") })
      local cur = doc("running", { step("a", "completed"), step("b", "completed"), step("c", "running") })
      local ev = steps.diff(prev, cur)
      assert.are.same({ "step_completed#2", "step_started#3" }, types(ev))
      assert.is_nil(ev[1].from)
      assert.are.equal("completed", ev[1].to)
    end)

    it("treats a different name at the same index as a new step", function()
      local ev = steps.diff(doc("running", { step("a", "running") }), doc("running", { step("b", "running") }))
      assert.are.same({ "step_started#1" }, types(ev))
      assert.is_nil(ev[1].from)
    end)

    it("reports unfamiliar step statuses as step_changed", function()
      local ev = steps.diff(doc("running", { step("a", "running") }), doc("running", { step("a", "paused") }))
      assert.are.same({ "step_changed#1" }, types(ev))
      assert.are.same({ "running", "paused" }, { ev[1].from, ev[1].to })
    end)

    it("reports nothing when nothing changed", function()
      assert.are.same({}, steps.diff(running, fixture("running")))
    end)

    it("puts the cancelled status last and an unknown status first", function()
      local cur = doc("cancelled", { step("a", "completed") })
      assert.are.same({ "step_completed#1", "status" }, types(steps.diff(nil, cur)))
      cur = doc("queued_elsewhere", { step("a", "running") })
      assert.are.same({ "status", "step_started#1" }, types(steps.diff(nil, cur)))
    end)

    it("works on bare steps arrays without a status event", function()
      assert.are.same({ "step_started#1" }, types(steps.diff({}, { step("a", "running") })))
    end)

    it("rejects a missing current document and a bad previous one", function()
      assert.has_error(function() steps.diff(running, nil) end)
      assert.has_error(function() steps.diff("x", running) end)
    end)
  end)
end)
