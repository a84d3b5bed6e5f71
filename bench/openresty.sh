#!/bin/sh
# make bench-openresty: the library inside a real nginx (one worker, Debian's
# Lua module and lua-resty-core) against the in-nginx floor, side by side in
# one run; a backend nginx answers each status after 50 ms. Load from wrk.
# Prints a Markdown table and writes it to build/bench-openresty.md.
# usage: bench/openresty.sh [SECONDS per load run, default 5]
set -e
cd "$(dirname "$0")/.."
seconds=${1:-5}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
make -s LUA=luajit

prefix=$(mktemp -d)
chmod 755 "$prefix" # nginx's workers run as another user
stop_all() {
    for pid in "$prefix"/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
    [ -n "$load" ] && kill "$load" 2>/dev/null
    rm -rf "$prefix"
}
trap stop_all EXIT
free_port() {
    lua5.4 -e 'local s = require("socket").bind("127.0.0.1", 0); local _, p = s:getsockname(); print(p)'
}
backend_port=$(free_port); front_port=$(free_port)
cp spec/fixtures/completed.json spec/fixtures/running.json "$prefix/"
for conf in backend front; do
    sed -e "s|@PREFIX@|$prefix|g" -e "s|@ROOT@|$PWD|g" -e "s|@BACKEND_PORT@|$backend_port|g" \
        -e "s|@FRONT_PORT@|$front_port|g" "bench/openresty_$conf.conf.in" > "$prefix/$conf.conf"
done
start() { nginx -p "$prefix" -c "$prefix/$1.conf" -e "$prefix/$1-error.log" -g "pid $prefix/$1.pid;"; }
start backend
start front
front="http://127.0.0.1:$front_port"
sleep 0.3
worker() { ps -o pid= --ppid "$(cat "$prefix/front.pid")" | tr -d ' ' | head -1; }
ticks() { awk '{ print $14 + $15 }' "/proc/$(worker)/stat"; }
backend_conns() { curl -s "http://127.0.0.1:$backend_port/connections"; }
for path in ours ours_new_client floor; do
    answer=$(curl -s -m 5 "$front/$path")
    [ "$answer" = completed ] || { echo "/$path answered: $answer" >&2; exit 1; }
done

results="$prefix/results.tsv"
# run NAME PATH CONNECTIONS: a warm-up second, then a measured load run;
# the backend connections opened during both.
run() {
    threads=$(( $3 > 1 ? 2 : 1 ))
    c0=$(backend_conns) # the warm-up's new connections count too
    wrk -t"$threads" -c"$3" -d1s "$front/$2" > /dev/null
    sleep 0.2 # the warm-up's last requests end before the run's begin
    t0=$(ticks)
    out="$prefix/$(echo "$1" | tr -c 'a-z0-9\n' _)-$(date +%s%N).wrk"
    wrk -t"$threads" -c"$3" -d"${seconds}s" --timeout 30s --latency "$front/$2" > "$out"
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$3" $(( $(ticks) - t0 )) $(( $(backend_conns) - c0 )) "$out" >> "$results"
}
# Three interleaved rounds: the report takes each figure's median.
for round in 1 2 3; do
    for c in 1 50 200; do
        run "floor c$c" floor "$c"
        run "ours c$c" ours "$c"
    done
done
run "ours, a client per request c50" ours_new_client 50

now() { date +%s.%N; }
# Seconds from QUIT until the front's master is gone; it is started again.
quit() {
    master=$(cat "$prefix/front.pid")
    q0=$(now)
    kill -QUIT "$master"
    # Gone, or a zombie its reaper has not collected yet.
    while [ -e "/proc/$master" ] && [ "$(awk '{ print $3 }' "/proc/$master/stat" 2>/dev/null)" != Z ]; do
        sleep 0.02
    done
    stop=$(echo "$(now) - $q0" | bc)
    start front
    sleep 0.3
}
# idle NAME PATH: 200 waits in flight; the worker's CPU over 10 s while they
# sleep, then the time nginx takes to stop after QUIT.
idle() {
    wrk -t2 -c200 -d60s --timeout 90s "$front/$2" > /dev/null 2>&1 &
    load=$!
    sleep 3
    t0=$(ticks)
    sleep 10
    idle_ticks=$(( $(ticks) - t0 ))
    quit
    kill "$load" 2>/dev/null || true
    wait "$load" 2>/dev/null || true
    load=
    printf '%s\t%s\t%s\t%s\n' "$1" "$idle_ticks" 10 "$stop" >> "$prefix/idle.tsv"
}
idle "floor" floor_wait
idle "ours" ours_wait
quit # with nothing in flight: what nginx itself takes
printf '%s\t%s\t%s\t%s\n' "nothing" 0 10 "$stop" >> "$prefix/idle.tsv"

mkdir -p build
lua5.4 bench/openresty_report.lua "$results" "$prefix/idle.tsv" "$(getconf CLK_TCK)" \
    "make bench-openresty (bench/openresty.sh $seconds)" | tee build/bench-openresty.md
