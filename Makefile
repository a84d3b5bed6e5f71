# modelslab: build the C core in-tree, test, demo.
# `make LUA=5.1` (5.2, 5.3, luajit) builds for another Lua; 5.4 is the default.

LUA ?= 5.4
ifeq ($(LUA),luajit)
LUA_BIN := luajit
LUA_PC := luajit
else
LUA_BIN := lua$(LUA)
LUA_PC := lua$(LUA)
endif

CC ?= cc
BUILD := build/$(LUA_BIN)
CORE := $(BUILD)/modelslab/core.so
WARN := -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden $(WARN) \
	$(shell pkg-config --cflags $(LUA_PC) libcurl) $(CFLAGS)
LIBS := $(shell pkg-config --libs libcurl) -lm
SRC := $(wildcard src/*.c)
HDR := $(wildcard src/*.h)

export LUA_PATH := $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;;

# Debian keeps curl/curl.h under a multiarch directory luarocks does not search.
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)
CURL_INCDIR := $(firstword $(wildcard /usr/include/$(MULTIARCH)/curl/curl.h /usr/include/curl/curl.h))
ROCK_TREE ?= $(CURDIR)/build/rocks

.PHONY: all deps test demo clean lint rock bench bench-callgrind bench-poller bench-wait memcheck

all: $(CORE)

$(CORE): $(SRC) $(HDR)
	@sh .ci/deps.sh demo
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(SRC) $(LIBS) $(LDFLAGS)

# Installs the Debian packages the build and the tests use (root only; a no-op
# when they are present).
deps:
	@sh .ci/deps.sh

# The specs run on every Lua we claim (LUAS=5.4 for one), summed in one line.
LUAS ?= 5.1 5.2 5.3 5.4 luajit
LUA_BINS := $(foreach v,$(LUAS),$(if $(filter luajit,$(v)),luajit,lua$(v)))

test: deps
	@for v in $(LUAS); do $(MAKE) -s LUA=$$v all || exit 1; done
	@sh spec/run.sh $(LUA_BINS)

demo: $(CORE)
	@$(LUA_BIN) examples/demo.lua

# Installs the rock into ROCK_TREE with the real luarocks. --deps-mode=none:
# Debian's lua-cjson is a system package, not a rock luarocks could see.
rock:
	luarocks --lua-version=$(if $(filter luajit,$(LUA)),5.1,$(LUA)) make --tree=$(ROCK_TREE) \
		--deps-mode=none modelslab-scm-1.rockspec CURL_INCDIR=$(patsubst %/curl/curl.h,%,$(CURL_INCDIR))
	@rm -rf modelslab # luarocks builds modelslab/core.so in the checkout before installing it

# Benchmarks are never part of `make test`; see bench/run.sh.
bench: deps $(CORE)
	@sh bench/compare.sh $(COUNT)

# The specs under valgrind: any leak or memory error in the process fails.
memcheck: deps $(CORE)
	MODELSLAB_TIME_SCALE=50 valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
		$(LUA_BIN) /usr/bin/busted -o utfTerminal

# Instructions per keep-alive status fetch, ours against plain C (callgrind).
bench-callgrind: deps $(CORE)
	@sh bench/status_loop_callgrind.sh $(if $(COUNT),$(COUNT),1000) $(LUA_BIN)

# The poller against sequential client:status, 50 ms per answer.
bench-poller: deps $(CORE)
	@LUA_BIN=$(LUA_BIN) sh bench/poller.sh $(COUNT) $(MAX_TRANSFERS)

# Status requests spent following a simulated three-minute execution.
bench-wait: deps $(CORE)
	@$(LUA_BIN) bench/wait_requests.lua

lint:
	luacheck -q lua bin/* spec examples

clean:
	rm -rf build

# More targets, one file per area (cli, fuzz, ...).
-include mk/*.mk
