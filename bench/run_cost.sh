#!/bin/sh
# The cost of a non-replayable run: the same request to nginx on loopback as
# a POST (new connection each, as every run goes) and as a GET (kept
# connection), http and https, three interleaved rounds; prints the medians
# and the difference per run.
# usage: bench/run_cost.sh [COUNT]
set -e
cd "$(dirname "$0")/.."
n=${1:-2000}
. bench/nginx.sh
make -s LUA=5.4
lua54() { LUA_CPATH="$PWD/build/lua5.4/?.so;;" LUA_PATH="$PWD/?.lua;$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" lua5.4 "$@"; }
out="$prefix/run_cost.tsv"
for round in 1 2 3; do
    lua54 bench/run_cost.lua "GET, http, kept connection" GET "$base/api/v1" "$n" >> "$out"
    lua54 bench/run_cost.lua "POST, http, new connection each" POST "$base/api/v1" "$n" >> "$out"
    lua54 bench/run_cost.lua "GET, https, kept connection" GET "$tls_base/api/v1" "$n" "$ca" >> "$out"
    lua54 bench/run_cost.lua "POST, https, new connection each" POST "$tls_base/api/v1" "$n" "$ca" >> "$out"
done
# Median of the three rounds per row: wall and CPU microseconds per call.
sort -t "$(printf '\t')" -k1,1 -k3,3n "$out" | awk -F '\t' '
    { rows[$1] = rows[$1] + 1; if (rows[$1] == 2) { wall[$1] = $3 / $2 * 1e6; cpu[$1] = $4 / $2 * 1e6; order[++k] = $1 } }
    END {
        printf "%-42s %14s %14s\n", "what (median of 3 rounds)", "wall us/call", "CPU us/call"
        for (i = 1; i <= k; i++) printf "%-42s %14.1f %14.1f\n", order[i], wall[order[i]], cpu[order[i]]
        for (i = 1; i <= k; i++) if (order[i] ~ /^POST/) {
            s = order[i]; sub(/^POST/, "GET", s); sub(/new connection each/, "kept connection", s)
            printf "cost of the new connection, %s: %.1f us wall, %.1f us CPU per run\n",
                (order[i] ~ /https/ ? "https" : "http"), wall[order[i]] - wall[s], cpu[order[i]] - cpu[s]
        }
    }'
