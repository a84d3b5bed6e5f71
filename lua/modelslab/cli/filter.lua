--- The `--filter` language: each `--filter` adds one condition to a
-- `modelslab.steps.filter` table, and a step is shown when all match.
--
--   status=S[,S...]   `status`: the step's status is one of these
--   name~TEXT         `name`: the step's name contains TEXT (plain text)
--   pattern=PATTERN   `name_pattern`: the step's name matches a Lua pattern
--
-- Statuses given in several `--filter status=` add up (any of them).
-- @module modelslab.cli.filter

local filter = {}

filter.HELP = "status=S[,S...], name~TEXT or pattern=LUA_PATTERN"

-- The statuses the API documents; a step's status is one of them.
local STATUSES = { "pending", "running", "completed", "failed", "cancelled" }
local KNOWN = {}
for _, s in ipairs(STATUSES) do KNOWN[s] = true end

--- Adds one `--filter` expression to a filter table.
-- @tparam table|nil f the filter so far (nil: none yet)
-- @tparam string expr the expression
-- @treturn[1] table the filter
-- @treturn[2] nil
-- @treturn[2] string why the expression is not understood
-- @usage local f = filter.add(nil, "status=failed,running")
function filter.add(f, expr)
  f = f or {}
  local statuses = expr:match("^status=(.*)$")
  local text = expr:match("^name~(.*)$")
  local pattern = expr:match("^pattern=(.*)$")
  if statuses then
    local list = type(f.status) == "table" and f.status or {}
    for s in statuses:gmatch("[^,]+") do
      s = s:match("^%s*(.-)%s*$")
      if s ~= "" and not KNOWN[s] then
        return nil, "--filter status=" .. s .. " is not a status: use " .. table.concat(STATUSES, ", ")
      end
      if s ~= "" then list[#list + 1] = s end
    end
    if #list == 0 then return nil, "--filter status= needs at least one status" end
    f.status = list
  elseif text then
    if text == "" then return nil, "--filter name~ needs some text" end
    if f.name then return nil, "--filter name~ given twice" end
    f.name = text
  elseif pattern then
    if pattern == "" then return nil, "--filter pattern= needs a pattern" end
    if f.name_pattern then return nil, "--filter pattern= given twice" end
    -- A malformed pattern fails here, not in the middle of a watch.
    local ok, why = pcall(string.find, "", pattern)
    if not ok then
      return nil, "--filter pattern=" .. pattern .. ": " .. tostring(why):gsub("^[^:]*:%d+: ", "")
    end
    f.name_pattern = pattern
  else
    return nil, "unknown --filter '" .. expr .. "': use " .. filter.HELP
  end
  return f
end

return filter
