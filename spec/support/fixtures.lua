-- Reads spec/fixtures/NAME.json as text.
local fixtures = {}

function fixtures.read(name)
  local f = assert(io.open("spec/fixtures/" .. name .. ".json", "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

return fixtures
