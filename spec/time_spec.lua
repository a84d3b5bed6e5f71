local time = require("modelslab.time")

-- 2024-01-15T10:30:05Z, cross-checked with `date -u -d ... +%s`.
local T = 1705314605

describe("modelslab.time.parse", function()
  describe("accepts", function()
    it("a plain UTC timestamp with Z", function()
      assert.are.equal(T, time.parse("2024-01-15T10:30:05Z"))
    end)

    it("the Unix epoch as zero", function()
      assert.are.equal(0, time.parse("1970-01-01T00:00:00Z"))
    end)

    it("dates before 1970 as negative seconds", function()
      assert.are.equal(-1, time.parse("1969-12-31T23:59:59Z"))
    end)

    it("the leap day 2024-02-29", function()
      assert.are.equal(1709164800, time.parse("2024-02-29T00:00:00Z"))
      assert.are.equal(1709164800 + 86400, time.parse("2024-03-01T00:00:00Z"))
    end)

    it("the leap day of a 400-year century, 2000-02-29", function()
      assert.are.equal(951782400, time.parse("2000-02-29T00:00:00Z"))
    end)

    it("December 31st rolling into the next year", function()
      assert.are.equal(1704067199, time.parse("2023-12-31T23:59:59Z"))
      assert.are.equal(1704067200, time.parse("2024-01-01T00:00:00Z"))
    end)

    it("a fraction of a second", function()
      assert.are.equal(T + 0.25, time.parse("2024-01-15T10:30:05.250Z"))
      assert.are.equal(T + 0.5, time.parse("2024-01-15T10:30:05.5Z"))
    end)

    it("a positive offset with a colon", function()
      assert.are.equal(T, time.parse("2024-01-15T12:30:05+02:00"))
    end)

    it("a negative offset with half hours", function()
      assert.are.equal(T, time.parse("2024-01-15T05:00:05-05:30"))
    end)

    it("an offset without a colon", function()
      assert.are.equal(T, time.parse("2024-01-15T12:30:05+0200"))
    end)

    it("an offset that crosses midnight back into the previous day", function()
      assert.are.equal(T, time.parse("2024-01-16T01:30:05+15:00"))
    end)

    it("a fraction together with an offset", function()
      assert.are.equal(T + 0.125, time.parse("2024-01-15T12:30:05.125+02:00"))
    end)

    it("lower-case t and z", function()
      assert.are.equal(T, time.parse("2024-01-15t10:30:05z"))
    end)

    it("a space instead of T", function()
      assert.are.equal(T, time.parse("2024-01-15 10:30:05Z"))
    end)

    it("a leap second as the next minute's first second", function()
      assert.are.equal(time.parse("2017-01-01T00:00:00Z"), time.parse("2016-12-31T23:59:60Z"))
    end)
  end)

  it("returns an integral number when there is no fraction", function()
    local t = time.parse("2024-01-15T10:30:05Z")
    assert.are.equal(math.floor(t), t)
    if math.type then
      assert.are.equal("integer", math.type(t))
    end
  end)

  it("round-trips with os.date's UTC formatting across a century and a half", function()
    -- os.date("!...") formats in UTC whatever the machine's zone, so this
    -- checks the civil-date arithmetic against the C library's.
    local t = 0
    while t < 5e9 do
      local s = os.date("!%Y-%m-%dT%H:%M:%SZ", t)
      assert.are.equal(t, time.parse(s), s)
      t = t + 86400 * 13 + 3607
    end
  end)

  describe("rejects with nil and a message", function()
    local function rejects(input, fragment)
      local t, err = time.parse(input)
      assert.is_nil(t)
      assert.are.equal("string", type(err))
      assert.truthy(err:find("invalid timestamp", 1, true), err)
      assert.truthy(err:find(fragment, 1, true), "expected '" .. fragment .. "' in: " .. err)
    end

    it("a value that is not a string", function()
      rejects(1705314605, "expected a string, got number")
      rejects(nil, "got nil")
    end)

    it("an empty string", function()
      rejects("", "empty")
    end)

    it("garbage", function()
      rejects("yesterday", "expected YYYY-MM-DDThh:mm:ss")
      rejects("2024-01-15", "expected YYYY-MM-DDThh:mm:ss")
      rejects("2024-1-15T10:30:05Z", "expected YYYY-MM-DDThh:mm:ss")
      rejects("2024-01-15T10:30Z", "expected YYYY-MM-DDThh:mm:ss")
    end)

    it("month 13", function()
      rejects("2024-13-01T00:00:00Z", "month 13 out of range")
    end)

    it("month 0", function()
      rejects("2024-00-10T00:00:00Z", "month 0 out of range")
    end)

    it("day 0 and day 32", function()
      rejects("2024-01-00T00:00:00Z", "day 0 out of range")
      rejects("2024-01-32T00:00:00Z", "day 32 out of range")
    end)

    it("February 29th outside leap years", function()
      rejects("2023-02-29T00:00:00Z", "day 29 out of range for 2023-02")
      rejects("1900-02-29T00:00:00Z", "day 29 out of range for 1900-02")
    end)

    it("April 31st", function()
      rejects("2024-04-31T00:00:00Z", "day 31 out of range")
    end)

    it("hour 24, minute 60 and second 61", function()
      rejects("2024-01-15T24:00:00Z", "hour 24 out of range")
      rejects("2024-01-15T10:60:00Z", "minute 60 out of range")
      rejects("2024-01-15T10:30:61Z", "second 61 out of range")
    end)

    it("a missing time zone, since the API always sends one", function()
      rejects("2024-01-15T10:30:05", "missing time zone")
      rejects("2024-01-15T10:30:05.250", "missing time zone")
    end)

    it("a malformed zone", function()
      rejects("2024-01-15T10:30:05+2", "malformed time zone")
      rejects("2024-01-15T10:30:05 UTC", "malformed time zone")
    end)

    it("an offset out of range", function()
      rejects("2024-01-15T10:30:05+24:00", "zone hour 24 out of range")
      rejects("2024-01-15T10:30:05+01:60", "zone minute 60 out of range")
    end)

    it("a dot without fraction digits", function()
      rejects("2024-01-15T10:30:05.Z", "malformed fraction")
    end)

    it("trailing junk after the zone", function()
      rejects("2024-01-15T10:30:05Zjunk", "trailing characters")
      rejects("2024-01-15T10:30:05+02:00 ", "trailing characters")
    end)

    it("leading whitespace", function()
      rejects(" 2024-01-15T10:30:05Z", "expected YYYY-MM-DDThh:mm:ss")
    end)

    it("with a bounded message for huge garbage", function()
      local _, err = time.parse(string.rep("x", 10000))
      assert.truthy(#err < 200)
    end)
  end)
end)
