# The soak run (bench/soak.lua): SOAK_POLLS polls with about 5 % injected
# faults against the hostile server; resident memory, descriptors and Lua
# memory must stay flat. Takes a few minutes; never part of `make test`.
SOAK_POLLS ?= 100000

.PHONY: soak

soak: deps-test $(CORE)
	@$(LUA_BIN) bench/soak.lua $(SOAK_POLLS)
