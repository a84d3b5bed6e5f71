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

.PHONY: all deps test demo clean lint

all: $(CORE)

$(CORE): $(SRC) $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared -o $@ $(SRC) $(LIBS) $(LDFLAGS)

# Installs the Debian packages the build and the tests use (root only; a no-op
# when they are present).
deps:
	@sh .ci/deps.sh

test: deps $(CORE)
	@sh spec/run.sh $(LUA_BIN)

demo: deps $(CORE)
	@$(LUA_BIN) examples/demo.lua

lint:
	luacheck -q lua bin spec examples

clean:
	rm -rf build
