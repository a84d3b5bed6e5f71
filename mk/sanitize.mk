# Memory and undefined behaviour: the core under AddressSanitizer and UBSan,
# the specs with the garbage collector never resting, and libFuzzer.
#
#   make asan                     the specs against build/asan/modelslab/core.so
#   make gc-stress                the same, with the collector running all the time
#                                 (SPECS="spec/x_spec.lua ..." for a few specs only)
#   make fuzz FUZZ_SECONDS=N      each fuzzer for N seconds (default 60)
#   make fuzz-smoke               each fuzzer for 30 seconds
#
# Needs clang and libclang-rt-14-dev (the sanitizer and libFuzzer runtimes).
# Lua itself (liblua5.4) is not instrumented; the core and the interpreter's
# main are.

SAN_CC ?= clang
SAN_BUILD := build/asan
SAN_CORE := $(SAN_BUILD)/modelslab/core.so
SAN_LUA := $(SAN_BUILD)/lua_asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g
# Leaks are errors; fuzz/lsan.supp says what may ever be suppressed (nothing yet).
SAN_ENV := LUA_CPATH='$(CURDIR)/$(SAN_BUILD)/?.so;;' MODELSLAB_SIM_LUA=lua5.4 MODELSLAB_TIME_SCALE=5 \
	ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:exitcode=86 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The collector starts a new cycle as soon as one ends and takes a step every
# couple of bytes allocated, so garbage dies within an allocation or two and
# an object only C still points at is caught. (0 would mean "unchanged".)
GC_STRESS := collectgarbage("incremental", 1, 1000, 1)

.PHONY: asan gc-stress fuzz fuzz-smoke fuzz-build fuzz-seeds

# The core's sanitizer calls are left for the process to provide: lua_asan
# (fuzz/lua_asan.c) carries the runtime, instead of preloading it into lua5.4
# and so into every process the specs start.
$(SAN_CORE): $(SRC) $(HDR) | deps-ci
	@mkdir -p $(dir $@)
	$(SAN_CC) $(ALL_CFLAGS) $(SAN_FLAGS) -shared -o $@ $(SRC) $(LIBS) $(LDFLAGS)

$(SAN_LUA): fuzz/lua_asan.c | deps-ci
	@mkdir -p $(dir $@)
	$(SAN_CC) -std=c99 -Wall -Wextra $(SAN_FLAGS) $(shell $(PKG_CONFIG) --cflags $(LUA_PC)) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs $(LUA_PC))

asan: $(SAN_CORE) $(SAN_LUA)
	$(SAN_ENV) $(SPEC_TIMEOUT) $(SAN_LUA) $(BUSTED) -o utfTerminal $(SPECS)

gc-stress: $(SAN_CORE) $(SAN_LUA)
	$(SAN_ENV) $(SPEC_TIMEOUT) $(SAN_LUA) -e '$(GC_STRESS)' $(BUSTED) -o utfTerminal $(SPECS)

FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZERS := decode http
FUZZ_LUA_PC := lua5.4
FUZZ_FLAGS = -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -g -O1 -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DMLAB_ROOT='"$(CURDIR)"' -Isrc -Ifuzz \
	$(shell $(PKG_CONFIG) --cflags $(FUZZ_LUA_PC) libcurl)
FUZZ_LIBS = $(shell $(PKG_CONFIG) --libs $(FUZZ_LUA_PC) libcurl) -lm -lpthread

$(FUZZ_DIR)/%_fuzz: fuzz/%_fuzz.c fuzz/lua_env.c fuzz/lua_env.h $(SRC) $(HDR) | deps-ci
	@mkdir -p $(dir $@)
	$(SAN_CC) $(FUZZ_FLAGS) -o $@ $< fuzz/lua_env.c $(SRC) $(FUZZ_LIBS)

fuzz-build: $(FUZZERS:%=$(FUZZ_DIR)/%_fuzz)

# Seeds are rebuilt each run from spec/fixtures and spec/support/hostile.lua;
# what the fuzzers find accumulates in build/fuzz/corpus.
fuzz-seeds:
	@rm -rf $(FUZZ_DIR)/seeds
	@lua5.4 fuzz/make_corpus.lua $(FUZZ_DIR)/seeds

# Crashes land in build/fuzz/crashes/NAME/; replay one with
# build/fuzz/NAME_fuzz FILE.
fuzz: fuzz-build fuzz-seeds
	@for f in $(FUZZERS); do \
		mkdir -p $(FUZZ_DIR)/corpus/$$f $(FUZZ_DIR)/crashes/$$f; \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		$(FUZZ_DIR)/$${f}_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096 \
			-print_final_stats=1 -dict=fuzz/$$f.dict -artifact_prefix=$(FUZZ_DIR)/crashes/$$f/ \
			$(FUZZ_DIR)/corpus/$$f $(FUZZ_DIR)/seeds/$$f 2>$(FUZZ_DIR)/$$f.log; \
		rc=$$?; grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^==[0-9]+==|^SUMMARY|^fuzz:' \
			$(FUZZ_DIR)/$$f.log; \
		[ $$rc -eq 0 ] || { echo "fuzz: $$f failed, see $(FUZZ_DIR)/$$f.log"; exit 1; }; \
	done

fuzz-smoke:
	@$(MAKE) -s fuzz FUZZ_SECONDS=30
