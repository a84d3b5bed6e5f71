#!/bin/sh
# make check-fresh: the README's commands on a brand-new Debian 12, as a new
# user types them. A minbase root made now with mmdebstrap (from this
# machine's apt sources) holding only what the README says the user has (make,
# ca-certificates), the committed HEAD cloned into /root/modelslab (mode 700),
# then, as root inside it:
#   make demo
#   make test LUAS=5.4
#   the LuaRocks install, with LuaSocket removed first: luarocks make, the
#   installed `modelslab --help` and `require "modelslab"`, a clean checkout.
# Nothing is cached: every package is fetched and installed by the commands
# themselves. The mounts (/proc, /dev, /sys) live in a private mount namespace
# and vanish with it, whatever happens; the root is then removed
# (CHECK_FRESH_KEEP=1 keeps it). Logs: build/check-fresh/*.log.
set -eu
cd "$(dirname "$0")/.."
repo=$PWD
logs=$repo/build/check-fresh
suite=${CHECK_FRESH_SUITE:-bookworm}
[ "$(id -u)" -eq 0 ] || { echo "check-fresh: run as root (mmdebstrap, chroot)" >&2; exit 77; }
rm -rf "$logs" && mkdir -p "$logs"
root=$(mktemp -d "${TMPDIR:-/var/tmp}/modelslab-fresh.XXXXXX")
started=$(date +%s)

cleanup() {
    # A mount left under the root would let rm reach into the host.
    if grep -q " $root/" /proc/self/mountinfo; then
        echo "check-fresh: mounts remain under $root; not removing it" >&2
    elif [ "${CHECK_FRESH_KEEP:-}" = 1 ]; then
        echo "check-fresh: root kept in $root"
    else
        rm -rf --one-file-system "$root"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# This machine's apt sources, as files mmdebstrap copies into the root.
sources=""
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -s "$f" ] && sources="$sources $f"
done

results=$logs/results
: > "$results"
# step NAME COMMAND...: runs it, logs it, records PASS or FAIL and the time.
step() {
    name=$1; shift
    t0=$(date +%s)
    echo "check-fresh: $name"
    if "$@" > "$logs/$name.log" 2>&1; then verdict=PASS; else verdict=FAIL; fi
    printf '%s\t%s\t%ss\n' "$verdict" "$name" $(($(date +%s) - t0)) >> "$results"
    if [ $verdict = FAIL ]; then echo "check-fresh: $name failed; its log ends:"; tail -n 25 "$logs/$name.log"; fi
    [ $verdict = PASS ]
}

# Runs a shell script as root in the root's /root/modelslab, with /proc, /dev
# and /sys mounted in a namespace of its own (a pid namespace too, so no
# server a spec started outlives it).
in_root() {
    unshare --mount --pid --fork --propagation private sh -ec '
        r=$1; shift
        mount -t proc proc "$r/proc"
        mount --rbind /dev "$r/dev"
        mount --rbind /sys "$r/sys"
        mount -t tmpfs tmpfs "$r/dev/shm"
        exec chroot "$r" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            sh -ec "cd /root/modelslab && $*"
    ' in_root "$root" "$@"
}

make_root() {
    # shellcheck disable=SC2086
    mmdebstrap --variant=minbase --include=make,ca-certificates "$suite" "$root" $sources
    git clone -q --no-local "$repo" "$root/root/modelslab"
    chmod 700 "$root/root" "$root/root/modelslab"
}

# The LuaRocks section of the README, on a machine without LuaSocket.
luarocks_install() {
    in_root '
        apt-get purge -y -qq lua-socket >/dev/null
        if lua5.4 -e "require \"socket\"" 2>/dev/null; then echo "LuaSocket is still there"; exit 1; fi
        luarocks --lua-version 5.4 make --deps-mode=none
        test -z "$(git status --porcelain)" || { git status --porcelain; echo "luarocks left files behind"; exit 1; }
        cd /
        modelslab --help | head -n 3
        lua5.4 -e "local m = require \"modelslab\" print(\"require modelslab: \" .. m.VERSION, package.searchpath(\"modelslab.core\", package.cpath))"
    '
}

status=0
step mmdebstrap make_root || status=1
if [ $status -eq 0 ]; then
    step make-demo in_root 'make demo' || status=1
    step make-test in_root 'make test LUAS=5.4' || status=1
    step luarocks luarocks_install || status=1
fi

echo
echo "== check-fresh: Debian $suite minbase + make, ca-certificates; HEAD cloned into /root/modelslab; as root"
cat "$results"
[ -f "$logs/make-test.log" ] && echo "make test: $(tail -n 1 "$logs/make-test.log")"
[ -f "$logs/luarocks.log" ] && sed -n 's/^require modelslab: /installed, no LuaSocket: require "modelslab" -> /p' "$logs/luarocks.log"
echo "check-fresh: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started)) s (logs: build/check-fresh/)"
exit $status
