#!/bin/sh
# Instructions per keep-alive status fetch, client:status against the plain-C
# libcurl loop, counted by callgrind (stable on a loaded machine, unlike wall
# or CPU time). Each runner goes twice (N and 2N fetches); the difference
# divided by N leaves out start-up.
# usage: bench/status_loop_callgrind.sh [N] [LUA_BIN]
set -e
cd "$(dirname "$0")/.."
n=${1:-1000}
lua_bin=${2:-lua5.4}
. bench/nginx.sh
cc -O2 -o "$prefix/status_loop" bench/status_loop.c $(pkg-config --cflags --libs libcurl)
make -s LUA=$([ "$lua_bin" = luajit ] && echo luajit || echo "${lua_bin#lua}")
status="/api/v1/workflows/3f2b8c1e-9d4a-4f6b-8e21-7c5d9a0b1e42/runs/12345"
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$prefix/cg.out" "$@" > /dev/null 2>&1
    callgrind_annotate "$prefix/cg.out" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
per_fetch() { # label, then the command with COUNT where the count goes
    label=$1; shift
    a=$(instructions $(echo "$@" | sed "s/COUNT/$n/"))
    b=$(instructions $(echo "$@" | sed "s/COUNT/$((2 * n))/"))
    echo "$label $(( (b - a) / n ))"
}
c=$(per_fetch c "$prefix/status_loop" c "$base$status" COUNT | cut -d' ' -f2)
export LUA_PATH="$PWD/?.lua;$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/build/$lua_bin/?.so;;"
l=$(per_fetch l "$lua_bin" bench/status_loop.lua l "$base/api/v1" COUNT \
    | cut -d' ' -f2)
echo "instructions per keep-alive status fetch: plain C $c, client:status ($lua_bin) $l," \
    "ratio C/Lua $(echo "scale=3; $c / $l" | bc)"
