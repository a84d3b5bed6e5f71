#!/bin/sh
# make bench: every peer side by side in one run (the machines are shared and
# noisy), against nginx on loopback; prints a table, each ratio against its
# target (a missed one flagged), and writes it to build/bench/RESULTS.md.
# usage: bench/compare.sh [COUNT]
set -e
cd "$(dirname "$0")/.."
n=${1:-10000}
. bench/nginx.sh
cc -O2 -o "$prefix/status_loop" bench/status_loop.c $(pkg-config --cflags --libs libcurl)
make -s LUA=luajit
lua54() { LUA_CPATH="$PWD/build/lua5.4/?.so;;" lua5.4 "$@"; }
luajit_() { LUA_CPATH="$PWD/build/luajit/?.so;;" luajit "$@"; }
status="/api/v1/workflows/3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42/runs/12345"
out="$prefix/results.tsv"

# Keep-alive http: three interleaved rounds, each peer once per round.
for round in 1 2 3; do
    "$prefix/status_loop" "plain C, http keep-alive" "$base$status" "$n" >> "$out"
    lua54 bench/status_loop.lua "client:status Lua 5.4, http keep-alive" "$base/api/v1" "$n" >> "$out"
    luajit_ bench/status_loop.lua "client:status LuaJIT, http keep-alive" "$base/api/v1" "$n" >> "$out"
done
few=$((n / 10))
lua54 bench/luasocket_loop.lua "LuaSocket + cjson, http" "$base$status" "$few" >> "$out"
"$prefix/status_loop" "plain C, https keep-alive" "$tls_base$status" "$n" "$ca" >> "$out"
lua54 bench/status_loop.lua "client:status Lua 5.4, https keep-alive" "$tls_base/api/v1" "$n" "$ca" >> "$out"
lua54 bench/luasocket_loop.lua "LuaSocket + LuaSec + cjson, https" "$tls_base$status" "$few" "$ca" >> "$out"
lua54 bench/status_loop.lua "client:status Lua 5.4, https new connection each" "$tls_new_base/api/v1" "$few" "$ca" \
    >> "$out"
lua54 bench/tls_default.lua "client:status, new TLS connection, built-in CA bundle (fails verify)" \
    "$tls_new_base/api/v1" "$few" >> "$out"
"$prefix/status_loop" "plain C, https new connection each" "$tls_new_base$status" "$few" "$ca" >> "$out"
lua54 bench/decode_loop.lua $((n * 5)) >> "$out"
lua54 bench/poller.lua "$base/slow/api/v1" 1000 100 >> "$out"
lua54 bench/memory.lua "$base/api/v1" 100000 > "$prefix/memory.tsv"

mkdir -p build/bench
sh bench/report.sh "$out" "$prefix/memory.tsv" "make bench COUNT=$n" | tee build/bench/RESULTS.md
