#!/bin/sh
# The poller following COUNT executions against nginx delaying every answer by
# 50 ms, next to the same COUNT fetched one after another with client:status.
# usage: bench/poller.sh [COUNT] [MAX_TRANSFERS]
set -e
cd "$(dirname "$0")/.."
. bench/nginx.sh
"${LUA_BIN:-lua5.4}" bench/poller.lua "$base/slow/api/v1" "${1:-1000}" "${2:-100}" |
    awk -F'\t' '{ print; wall[NR] = $3 } END { printf "speed-up: %.1f\n", wall[1] / wall[2] }'
