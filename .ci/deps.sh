#!/bin/sh
# Installs the Debian packages that building and testing need; as root it
# installs what is missing, otherwise it names what is missing and fails.
set -e
# luajit2 is the LuaJIT that Debian's nginx Lua module uses (it replaces luajit).
packages="gcc make pkg-config libcurl4-openssl-dev curl ca-certificates
lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev lua5.4 liblua5.4-dev
luajit2 libluajit2-5.1-dev lua-cjson lua-socket lua-busted lua-check luarocks
nginx-light libnginx-mod-http-lua valgrind"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages:$missing (run: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
