# Sourced by the benchmark scripts: starts nginx on a free loopback port from
# bench/nginx.conf.in in a temporary prefix, stopped on exit. Sets $base.
prefix=$(mktemp -d)
chmod 755 "$prefix" # nginx's workers run as another user
trap 'kill "$(cat "$prefix/nginx.pid" 2>/dev/null)" 2>/dev/null; rm -rf "$prefix"' EXIT
port=$(lua5.4 -e 'local s = require("socket").bind("127.0.0.1", 0); local _, p = s:getsockname(); print(p)')
cp spec/fixtures/completed.json "$prefix/"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@PORT@|$port|g" bench/nginx.conf.in > "$prefix/nginx.conf"
nginx -c "$prefix/nginx.conf" -p "$prefix" -e "$prefix/error.log" -g "pid $prefix/nginx.pid;"
base="http://127.0.0.1:$port"
