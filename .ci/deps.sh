#!/bin/sh
# Installs the Debian packages a target needs; as root it installs what is
# missing, otherwise it names what is missing and fails. The Makefile runs it
# as an explicit prerequisite (deps-SET), before anything is compiled.
#   sh .ci/deps.sh lua5.4   the core for one Lua (lua5.1 ... lua5.4, luajit)
#   sh .ci/deps.sh demo     make demo: the core for Lua 5.4 and the simulator
#   sh .ci/deps.sh test     make test: every Lua, busted, luacheck, luarocks,
#                           nginx with its Lua module, LÖVE under Xvfb
#   sh .ci/deps.sh ci       everything CI runs: also valgrind, the sanitizers
#                           and libFuzzer, LDoc, the benchmarks, mmdebstrap
set -e
core="gcc libc6-dev make pkg-config libcurl4-openssl-dev ca-certificates lua-cjson"
lua51="$core lua5.1 liblua5.1-0-dev"
lua52="$core lua5.2 liblua5.2-dev"
lua53="$core lua5.3 liblua5.3-dev"
lua54="$core lua5.4 liblua5.4-dev"
# luajit2 is the LuaJIT that Debian's nginx Lua module uses (it replaces luajit).
luajit="$core luajit2 libluajit2-5.1-dev"
demo="$lua54 lua-socket"
test="$demo $lua51 $lua52 $lua53 $luajit git curl openssl bsdutils lua-busted lua-check luarocks
nginx-light libnginx-mod-http-lua lua-resty-core lua-resty-lrucache love xvfb xauth zip"
ci="$test valgrind clang llvm-14 libclang-rt-14-dev lua-ldoc lua-sec mmdebstrap wrk"
case "${1:-ci}" in
    lua5.1) packages=$lua51 ;; lua5.2) packages=$lua52 ;; lua5.3) packages=$lua53 ;;
    lua5.4) packages=$lua54 ;; luajit) packages=$luajit ;;
    demo) packages=$demo ;; test) packages=$test ;; ci) packages=$ci ;;
    *) echo "deps.sh: unknown set '$1' (lua5.1 ... lua5.4, luajit, demo, test, ci)" >&2; exit 64 ;;
esac
missing=""
for p in $packages; do
    case " $missing " in *" $p "*) continue ;; esac
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
