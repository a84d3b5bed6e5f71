rockspec_format = "3.0"
package = "modelslab"
version = "scm-1"
source = {
  url = "git+https://example.invalid/modelslab.git",
}
description = {
  summary = "Follow ModelsLab workflow executions from Lua: status, waiting, steps",
  detailed = [[
A C core over libcurl and lua-cjson fetches an execution's status into plain
Lua tables over a reused connection; a Lua layer adds waiting, events and step
filtering. Ships an offline simulator of the ModelsLab Workflows API.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1.0",
  "luasocket", -- only the bundled simulator uses it
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["modelslab.core"] = {
      sources = { "src/config.c", "src/core.c", "src/curlcodes.c", "src/decode.c", "src/document.c", "src/handle.c", "src/json.c", "src/poller.c", "src/sink.c", "src/transport.c" },
      defines = { "_POSIX_C_SOURCE=200809L" },
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
      libraries = { "curl" },
    },
    ["modelslab"] = "lua/modelslab/init.lua",
    ["modelslab.check"] = "lua/modelslab/check.lua",
    ["modelslab.client"] = "lua/modelslab/client.lua",
    ["modelslab.cli"] = "lua/modelslab/cli/init.lua",
    ["modelslab.cli.args"] = "lua/modelslab/cli/args.lua",
    ["modelslab.cli.codes"] = "lua/modelslab/cli/codes.lua",
    ["modelslab.cli.commands"] = "lua/modelslab/cli/commands.lua",
    ["modelslab.cli.filter"] = "lua/modelslab/cli/filter.lua",
    ["modelslab.cli.help"] = "lua/modelslab/cli/help.lua",
    ["modelslab.cli.json"] = "lua/modelslab/cli/json.lua",
    ["modelslab.cli.lines"] = "lua/modelslab/cli/lines.lua",
    ["modelslab.cli.live"] = "lua/modelslab/cli/live.lua",
    ["modelslab.cli.term"] = "lua/modelslab/cli/term.lua",
    ["modelslab.cli.view"] = "lua/modelslab/cli/view.lua",
    ["modelslab.cli.watch"] = "lua/modelslab/cli/watch.lua",
    ["modelslab.document"] = "lua/modelslab/document.lua",
    ["modelslab.endpoints"] = "lua/modelslab/endpoints.lua",
    ["modelslab.errors"] = "lua/modelslab/errors.lua",
    ["modelslab.follow"] = "lua/modelslab/follow.lua",
    ["modelslab.openresty"] = "lua/modelslab/openresty.lua",
    ["modelslab.poller"] = "lua/modelslab/poller.lua",
    ["modelslab.response"] = "lua/modelslab/response.lua",
    ["modelslab.steps"] = "lua/modelslab/steps.lua",
    ["modelslab.time"] = "lua/modelslab/time.lua",
    ["modelslab.tracker"] = "lua/modelslab/tracker.lua",
    ["modelslab.transport"] = "lua/modelslab/transport.lua",
    ["modelslab.wait"] = "lua/modelslab/wait.lua",
    ["modelslab.webhook"] = "lua/modelslab/webhook.lua",
    ["modelslab.simulator"] = "lua/modelslab/simulator/init.lua",
    ["modelslab.simulator.api"] = "lua/modelslab/simulator/api.lua",
    ["modelslab.simulator.scenario"] = "lua/modelslab/simulator/scenario.lua",
    ["modelslab.simulator.server"] = "lua/modelslab/simulator/server.lua",
  },
  install = {
    bin = { ["modelslab"] = "bin/modelslab", ["modelslab-simulator"] = "bin/modelslab-simulator" },
  },
}
