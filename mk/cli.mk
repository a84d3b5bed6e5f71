# The modelslab command and the API reference.
#
#   make docs          the API reference from the LDoc comments, in build/doc
#                      (Debian package lua-ldoc); any LDoc warning fails it
#   make cli-specs     the command's and the examples' specs alone

.PHONY: docs cli-specs

docs: deps-ci
	@rm -rf build/doc
	$(LDOC) --fatalwarnings -c config.ld .
	@echo "API reference: build/doc/index.html"

cli-specs: $(CORE)
	$(LUA_BIN) $(BUSTED) -o utfTerminal spec/cli_spec.lua spec/examples_spec.lua
