-- Wait for an execution, then look into its steps with modelslab.steps:
-- which failed, which matched a name, how far it got, how long each took.
--
-- From the checkout, against the bundled simulator (start it first, in
-- another shell: bin/modelslab-simulator --port 8080):
--
--   make && MODELSLAB_API_KEY=sim-key MODELSLAB_BASE_URL=http://127.0.0.1:8080/api/v1 \
--     lua5.4 examples/steps_filter.lua
--
-- Arguments: [WORKFLOW_ID EXECUTION_ID [BASE_URL]]; the ids default to the
-- bundled simulator's failed execution (12346).
dofile((arg[0]:match("^(.*)/") or ".") .. "/checkout.lua")  -- the checkout's modules (see that file)
local modelslab = require "modelslab"
local steps = modelslab.steps

local workflow_id = arg[1] or "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local execution_id = arg[2] or "12346"
local client = modelslab.new { base_url = arg[3] }

local running_now = {}
local doc, err = client:wait(workflow_id, execution_id, {
  interval = 1, timeout = 300,
  on_update = function(d)  -- after every poll: the step running now, if any
    local step = steps.current(d)
    if step and not running_now[step.name] then
      running_now[step.name] = true
      print("running now: " .. step.name)
    end
  end,
})
client:close()
if not doc then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local done, total, fraction = steps.progress(doc)
print(string.format("execution %d: %s, %d/%d steps (%d%%)", doc.execution.id, doc.execution.status,
  done, total, math.floor(fraction * 100 + 0.5)))

local function names(list)
  local out = {}
  for i, step in ipairs(list) do out[i] = step.name end
  return #out > 0 and table.concat(out, ", ") or "none"
end

-- A table filter: every field given must match; status may be a list.
print("failed or cancelled: " .. names(steps.filter(doc, { status = { "failed", "cancelled" } })))
print("name contains 'Image': " .. names(steps.filter(doc, { name = "Image" })))
print("name matches '^Text': " .. names(steps.filter(doc, { name_pattern = "^Text" })))
-- A predicate: anything you can compute from the step and its index.
print("after the first: " .. names(steps.filter(doc, function(_, i) return i > 1 end)))

local upscaler, index = steps.find(doc, "Image Upscaler")
print("Image Upscaler: " .. (upscaler and ("step " .. index .. ", " .. upscaler.status) or "not reached"))
local counts = steps.count(doc)
for _, status in ipairs { "completed", "running", "failed", "cancelled" } do
  if counts[status] then print(string.format("  %d %s", counts[status], status)) end
end
for _, step in ipairs(doc.steps) do
  local seconds = steps.duration(step)
  print(string.format("  %-16s %-10s %s", step.name, step.status, seconds and (seconds .. " s") or "-"))
end
if doc.error then print("error: " .. doc.error) end
