#!/bin/sh
# Runs the specs with the given interpreter, then luacheck, and ends with the
# one line CI reads: "N passed, N failed" (", N skipped" when busted had any).
lua_bin=${1:-lua5.4}
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

MODELSLAB_SUMMARY=$summary MODELSLAB_SIM_LUA=lua5.4 "$lua_bin" /usr/bin/busted -o spec/support/summary.lua
if [ -s "$summary" ]; then
    read -r passed failed skipped < "$summary"
else
    echo "busted did not finish" >&2
    passed=0 failed=1 skipped=0
fi

if luacheck -q lua bin spec examples; then
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
