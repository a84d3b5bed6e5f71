# modelslab: build the C core in-tree, test, demo.
# `make LUA=5.1` (5.2, 5.3, luajit) builds for another Lua; 5.4 is the default.
#
# Debian packages are an explicit first step: each target that needs some
# depends on deps-SET (.ci/deps.sh SET installs what is missing when run as
# root). Nothing here runs a tool while the Makefile is read, so a first run
# on a bare machine installs pkg-config and the headers before any flag is
# asked of them.

# The tools, in one place (make BUSTED=... to use others).
BUSTED ?= /usr/bin/busted
LUACHECK ?= luacheck
LDOC ?= ldoc
LUAROCKS ?= luarocks
PKG_CONFIG ?= pkg-config
export BUSTED LUACHECK LUAROCKS

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
# The C sources, listed once: the rock's build (rock-build below) uses them too.
SRC := $(wildcard src/*.c)
HDR := $(wildcard src/*.h)
CORE_FLAGS := -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden
WARN := -Wall -Wextra -pedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
# Deferred (=): pkg-config runs when a recipe needs the flags, after deps-*.
ALL_CFLAGS = $(CORE_FLAGS) $(WARN) $(shell $(PKG_CONFIG) --cflags $(LUA_PC) libcurl) $(CFLAGS)
LIBS = $(shell $(PKG_CONFIG) --libs libcurl) -lm

export LUA_PATH := $(CURDIR)/lua/?.lua;$(CURDIR)/lua/?/init.lua;;
export LUA_CPATH := $(CURDIR)/$(BUILD)/?.so;;

ROCK_TREE ?= $(CURDIR)/build/rocks
ROCKSPEC := modelslab-scm-1.rockspec

.PHONY: all deps test demo clean lint rock rock-build rock-install release check-fresh bench bench-callgrind bench-poller bench-wait memcheck

all: $(CORE)

$(CORE): $(SRC) $(HDR) | deps-$(LUA_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(SRC) $(LIBS) $(LDFLAGS)

# deps-demo, deps-test, deps-ci, deps-lua5.4 ...: see .ci/deps.sh.
deps: deps-ci
deps-%:
	@sh .ci/deps.sh $*

# The specs run on every Lua we claim (LUAS=5.4 for one), summed in one line.
LUAS ?= 5.1 5.2 5.3 5.4 luajit
LUA_BINS := $(foreach v,$(LUAS),$(if $(filter luajit,$(v)),luajit,lua$(v)))

test: deps-test
	@for v in $(LUAS); do $(MAKE) -s LUA=$$v all || exit 1; done
	@sh spec/run.sh $(LUA_BINS)

demo: deps-demo $(CORE)
	@$(LUA_BIN) examples/demo.lua

# One lint, used by `make test` (spec/run.sh) too. bin/* names the scripts,
# which have no .lua extension.
lint:
	$(LUACHECK) -q lua bin/* spec examples

# Installs the rock into ROCK_TREE with the real luarocks. --deps-mode=none:
# Debian's lua-cjson is a system package, not a rock luarocks could see.
rock: deps-test
	$(LUAROCKS) --lua-version=$(if $(filter luajit,$(LUA)),5.1,$(LUA)) make --tree=$(ROCK_TREE) \
		--deps-mode=none $(ROCKSPEC)

# The rockspec's build (build.type "make"): luarocks passes its compiler, flags
# and directories, and nothing is written outside build/, so a luarocks build
# never leaves a module in the checkout that would shadow build/$(LUA_BIN).
ROCK_BUILD = build/rock-$(notdir $(LUA_INCDIR))
rock-build:
	@mkdir -p $(ROCK_BUILD)/modelslab
	$(CC) $(CORE_FLAGS) $(CFLAGS) -I$(LUA_INCDIR) -I$(CURL_INCDIR) $(LIBFLAG) \
		-o $(ROCK_BUILD)/modelslab/core.so $(SRC) -L$(CURL_LIBDIR) -lcurl -lm

# Every module under lua/, so the rockspec lists none of them.
rock-install:
	install -d $(INST_LIBDIR)/modelslab
	install -m 644 $(ROCK_BUILD)/modelslab/core.so $(INST_LIBDIR)/modelslab/
	cd lua && find modelslab -name '*.lua' -exec install -D -m 644 {} $(INST_LUADIR)/{} \;

# make release [VERSION=x.y.z] (default: the version in the code): build/release
# gets the source tarball of the committed HEAD, a versioned rockspec and a
# source rock that `luarocks install` takes offline. RELEASE_URL: where the
# tarball will be published (the source rock carries it anyway).
RELEASE_URL ?= file://$(CURDIR)/build/release
release: deps-test
	@sh mk/release.sh build/release $(RELEASE_URL) $(VERSION)

# The README's commands on a brand-new Debian 12 root (.ci/check-fresh.sh):
# make demo, make test, the LuaRocks install. Root only; CI runs it.
check-fresh: deps-ci
	@sh .ci/check-fresh.sh

# Benchmarks are never part of `make test`; see bench/compare.sh.
bench: deps-ci $(CORE)
	@sh bench/compare.sh $(COUNT)

# A spec run that hangs fails instead of stalling CI (spec/run.sh has its own
# limit for make test); valgrind and the sanitizers run several times slower.
SLOW_SPEC_LIMIT ?= 2400
SPEC_TIMEOUT = timeout -k 10 $(SLOW_SPEC_LIMIT)

# The specs under valgrind: any leak or memory error in the process fails.
memcheck: deps-ci $(CORE)
	MODELSLAB_TIME_SCALE=50 $(SPEC_TIMEOUT) valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30 \
		$(LUA_BIN) $(BUSTED) -o utfTerminal

# Instructions per keep-alive status fetch, ours against plain C (callgrind).
bench-callgrind: deps-ci $(CORE)
	@sh bench/status_loop_callgrind.sh $(if $(COUNT),$(COUNT),1000) $(LUA_BIN)

# The poller against sequential client:status, 50 ms per answer.
bench-poller: deps-ci $(CORE)
	@LUA_BIN=$(LUA_BIN) sh bench/poller.sh $(COUNT) $(MAX_TRANSFERS)

# Status requests spent following a simulated three-minute execution.
bench-wait: deps-ci $(CORE)
	@$(LUA_BIN) bench/wait_requests.lua

clean:
	rm -rf build

# More targets, one file per area (cli, fuzz, ...).
-include mk/*.mk
