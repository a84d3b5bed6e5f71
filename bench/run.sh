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
prefix=$(mktemp -d)
chmod 755 "$prefix" # nginx's workers run as another user
trap 'kill "$(cat "$prefix/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$prefix"' EXIT

port=$(lua5.4 -e 'local s = require("socket").bind("127.0.0.1", 0); local _, p = s:getsockname(); print(p)')
cp spec/fixtures/completed.json "$prefix/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" bench/nginx.conf.in > "$prefix/nginx.conf"
nginx -c "$prefix/nginx.conf" -p "$prefix" -e "$prefix/error.log"
cc -O2 -o "$prefix/status_loop" bench/status_loop.c $(pkg-config --cflags --libs libcurl)

base="http://127.0.0.1:$port/api/v1"
url="$base/workflows/3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42/runs/12345"
echo "$count sequential status fetches per round, $rounds rounds, nginx on loopback, keep-alive"
echo "round  plain-C req/s  client:status req/s  ratio"
i=1
while [ "$i" -le "$rounds" ]; do
    c=$("$prefix/status_loop" "$url" "$count" bench-key)
    l=$("$lua_bin" bench/status_loop.lua "$base" "$count" bench-key)
    echo "$i $c $l" | awk '{ printf "%5d  %13d  %19d  %.3f\n", $1, $2, $3, $3 / $2 }'
    i=$((i + 1))
done
