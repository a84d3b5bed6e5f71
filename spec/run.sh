#!/bin/sh
# Runs the specs under each interpreter given (default lua5.4), then `make
# lint`, and ends with the one line CI reads: "N passed, N failed" (", N skipped"
# when busted had any), summed over every run. Each run has a time limit
# (SPEC_TIME_LIMIT seconds, default 900): a regression that hangs fails the
# run instead of stalling CI.
[ $# -gt 0 ] || set -- lua5.4
: "${BUSTED:?the Makefile sets BUSTED: run make test}"
limit=${SPEC_TIME_LIMIT:-900}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
passed=0 failed=0 skipped=0

for lua_bin in "$@"; do
    build=build/$lua_bin
    echo "== specs under $lua_bin"
    : > "$summary"
    LUA_CPATH="$PWD/$build/?.so;;" MODELSLAB_SUMMARY=$summary MODELSLAB_SIM_LUA=lua5.4 \
        timeout -k 10 "$limit" "$lua_bin" "$BUSTED" -o spec/support/summary.lua
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "busted under $lua_bin ran past the time limit of $limit s (SPEC_TIME_LIMIT) and was stopped:" \
            "a spec hangs; counted as a failure" >&2
        p=0 f=1 s=0
    elif [ -s "$summary" ]; then
        read -r p f s < "$summary"
    else
        echo "busted did not finish under $lua_bin" >&2
        p=0 f=1 s=0
    fi
    passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

if make -s lint; then
    passed=$((passed + 1)); echo "luacheck: clean"
else
    failed=$((failed + 1)); echo "luacheck: warnings above"
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ]
