#!/bin/sh
# Sequential status fetches: client:status against the same loop in plain C
# with libcurl, side by side in one run (the machines are shared and noisy),
# against nginx serving the completed fixture on loopback with keep-alive.
# usage: bench/run.sh [COUNT] [ROUNDS]
set -e
cd "$(dirname "$0")/.."
count=${1:-10000}
rounds=${2:-5}
lua_bin=${LUA_BIN:-lua5.4}
. bench/nginx.sh
cc -O2 -o "$prefix/status_loop" bench/status_loop.c $(pkg-config --cflags --libs libcurl)

api="$base/api/v1"
url="$api/workflows/3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42/runs/12345"
echo "$count sequential status fetches per round, $rounds rounds, nginx on loopback, keep-alive"
echo "round  plain-C req/s  client:status req/s  ratio"
i=1
while [ "$i" -le "$rounds" ]; do
    c=$("$prefix/status_loop" "$url" "$count" bench-key)
    l=$("$lua_bin" bench/status_loop.lua "$api" "$count" bench-key)
    echo "$i $c $l" | awk '{ printf "%5d  %13d  %19d  %.3f\n", $1, $2, $3, $3 / $2 }'
    i=$((i + 1))
done
