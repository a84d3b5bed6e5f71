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
filtering. Ships an offline simulator of the ModelsLab Workflows API, which
alone needs LuaSocket (not a dependency of the rock: install it to run the
simulator).
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1.0",
}
-- Only the library is looked up: luarocks searches lib/<multiarch> but not
-- include/<multiarch> (where Debian keeps curl/curl.h); the compiler finds the
-- header on its own search path, and CURL_DIR or CURL_INCDIR name another one.
external_dependencies = {
  CURL = { library = "curl" },
}
-- The Makefile compiles every src/*.c into build/ and installs every module
-- under lua/ (targets rock-build and rock-install), so this file lists none.
build = {
  type = "make",
  build_target = "rock-build",
  install_target = "rock-install",
  build_variables = {
    CC = "$(CC)",
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    CURL_INCDIR = "$(CURL_INCDIR)",
    CURL_LIBDIR = "$(CURL_LIBDIR)",
  },
  install_variables = {
    LUA_INCDIR = "$(LUA_INCDIR)",
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
  },
  install = {
    bin = { ["modelslab"] = "bin/modelslab", ["modelslab-simulator"] = "bin/modelslab-simulator" },
  },
}
