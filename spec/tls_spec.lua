-- TLS against nginx on loopback with certificates made at test time: the peer
-- is verified by default, ca_file lets a private CA in, and the host name must
-- match the certificate. Every failure is a transport error with libcurl's code.
local modelslab = require "modelslab"
local fake_time = require "spec.support.fake_time"
local tls = require "spec.support.tls"
local slack = require "spec.support.slack"

local WF = "3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42"
local KEY = "tls-spec-key-0b7e"

describe("TLS", function()
  local server

  setup(function() server = tls.start() end)
  teardown(function() if server then server:stop() end end)

  local function client(base_url, ca_file)
    -- Loading the system's CA bundle under valgrind takes seconds: scaled.
    return modelslab.new { api_key = KEY, base_url = base_url, ca_file = ca_file, timeout = slack(3) }
  end

  local function fails(base_url, ca_file, code)
    local c = client(base_url, ca_file)
    local doc, err = c:status(WF, 12345)
    c:close()
    assert.is_nil(doc)
    assert.same({ "transport", code, true }, { err.kind, err.code, err.retryable })
    assert.is_nil(err.status)
    assert.is_nil(tostring(err):find(KEY, 1, true))
    return err
  end

  describe("by default (the system's CAs)", function()
    it("refuses a certificate from an unknown CA", function()
      local err = fails(server.url, nil, "PEER_FAILED_VERIFICATION")
      assert.matches("certificate", err.message)
    end)

    it("ends a wait with the same transport error after max_errors", function()
      local c = client(server.url)
      local time = fake_time.new()
      local _, err = c:wait(WF, 12345, { max_errors = 2, jitter = 0, sleep = time.sleep, clock = time.clock })
      c:close()
      assert.same({ "transport", "PEER_FAILED_VERIFICATION", 2 }, { err.kind, err.code, err.attempts })
    end)

    it("refuses it through a poller too", function()
      local c = client(server.url)
      local p = c:poller()
      p:add(WF, 12345)
      local results, deadline = {}, modelslab.now() + 5
      while #results == 0 and modelslab.now() < deadline do
        results = p:poll(0)
        if #results == 0 then p:wait(10) end
      end
      p:close()
      c:close()
      assert.same({ "transport", "PEER_FAILED_VERIFICATION" }, { results[1].err.kind, results[1].err.code })
    end)
  end)

  describe("with ca_file", function()
    it("accepts the server's certificate for 127.0.0.1 and keeps the connection", function()
      local c = client(server.url, server.ca_file)
      for _ = 1, 3 do
        assert.equal("completed", assert(c:status(WF, 12345)).execution.status)
      end
      c:close()
    end)

    it("accepts it for the name localhost", function()
      local c = client(server.localhost_url, server.ca_file)
      assert.equal("completed", assert(c:status(WF, 12345)).execution.status)
      c:close()
    end)

    it("lets a wait and a poller made from the client use it", function()
      local c = client(server.url, server.ca_file)
      local final = assert(c:wait(WF, 12345, { jitter = 0 }))
      assert.equal("completed", final.execution.status)
      local p = c:poller()
      p:add(WF, 12345)
      local results, deadline = {}, modelslab.now() + 5
      while #results == 0 and modelslab.now() < deadline do
        results = p:poll(0)
        if #results == 0 then p:wait(10) end
      end
      p:close()
      c:close()
      assert.equal("completed", results[1].doc.execution.status)
    end)

    it("still refuses a certificate for another host name", function()
      local err = fails(server.other_url, server.ca_file, "PEER_FAILED_VERIFICATION")
      assert.matches("127%.0%.0%.1", err.message)
    end)

    it("refuses a certificate the given CA did not sign", function()
      fails(server.url, server.other_ca_file, "PEER_FAILED_VERIFICATION")
    end)

    it("fails with SSL_CACERT_BADFILE when the file cannot be read", function()
      fails(server.url, server.prefix .. "/no-such-ca.crt", "SSL_CACERT_BADFILE")
    end)
  end)

  it("fails with SSL_CONNECT_ERROR when the port speaks plain HTTP", function()
    fails(server.plain_url, server.ca_file, "SSL_CONNECT_ERROR")
  end)
end)
