# The modelslab command and the API reference.
#
#   make docs          the API reference from the LDoc comments, in build/doc
#                      (Debian package lua-ldoc); any LDoc warning fails it
#   make cli-specs     the command's and the examples' specs alone
#   make lint-bin      luacheck on the scripts in bin/, which have no .lua
#                      extension and so are skipped by `luacheck bin`

.PHONY: docs cli-specs lint-bin

docs:
	@command -v ldoc >/dev/null || { echo "ldoc missing: apt-get install lua-ldoc" >&2; exit 1; }
	@rm -rf build/doc
	ldoc --fatalwarnings -c config.ld .
	@echo "API reference: build/doc/index.html"

cli-specs: $(CORE)
	$(LUA_BIN) /usr/bin/busted -o utfTerminal spec/cli_spec.lua spec/examples_spec.lua

lint-bin:
	luacheck -q bin/modelslab bin/modelslab-simulator
