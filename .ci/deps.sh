#!/bin/sh
# Installs the Debian packages a target needs; as root it installs what is
# missing, otherwise it names what is missing and fails.
#   sh .ci/deps.sh demo   building the core and running the demo
#   sh .ci/deps.sh        everything: tests on every Lua, nginx, sanitizers, docs
set -e
demo="gcc libc6-dev make pkg-config libcurl4-openssl-dev ca-certificates lua5.4 liblua5.4-dev lua-cjson lua-socket"
# luajit2 is the LuaJIT that Debian's nginx Lua module uses (it replaces luajit).
all="$demo curl openssl bsdutils
lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev
luajit2 libluajit2-5.1-dev lua-busted lua-check luarocks lua-ldoc lua-sec
nginx-light libnginx-mod-http-lua valgrind clang llvm-14 libclang-rt-14-dev"
if [ "${1:-all}" = demo ]; then packages=$demo; else packages=$all; fi
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
