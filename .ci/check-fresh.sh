#!/bin/sh
# make check-fresh: the README's commands on a brand-new Debian 12, typed as a
# new user would. One minbase root made now with mmdebstrap from this
# machine's apt sources, holding only what the README says the user has (make,
# ca-certificates); each part runs in a copy of it, with the committed HEAD
# cloned into /root/modelslab (mode 700):
#   demo      as root: make demo, the first command after the clone
#   test      as root: make test, the first command after the clone
#             (CHECK_FRESH_TEST="make test LUAS=5.4" for a shorter run)
#   luarocks  only the packages the README's LuaRocks section installs
#             (without recommends, so no LuaSocket): as a user luarocks make
#             --local and eval "$(luarocks path)", then as root luarocks make
#             into /usr/local; each time the installed `modelslab --help` and
#             `require "modelslab"` from /, and a checkout luarocks left clean.
# Nothing is cached: every package is fetched and installed by the commands
# themselves. The mounts (/proc, /dev, /sys) live in a private mount namespace
# and vanish with it, whatever happens; the roots are then removed
# (CHECK_FRESH_KEEP=1 keeps them). CHECK_FRESH_PARTS="demo luarocks" runs some
# parts only. Logs: build/check-fresh/*.log.
set -eu
cd "$(dirname "$0")/.."
repo=$PWD
logs=$repo/build/check-fresh
suite=${CHECK_FRESH_SUITE:-bookworm}
test_command=${CHECK_FRESH_TEST:-make test}
test_name=$(echo "$test_command" | tr ' =' '--')
[ "$(id -u)" -eq 0 ] || { echo "check-fresh: run as root (mmdebstrap, chroot)" >&2; exit 77; }
rm -rf "$logs" && mkdir -p "$logs"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/modelslab-fresh.XXXXXX")
chmod 755 "$work" # apt downloads as _apt
started=$(date +%s)

cleanup() {
    # A mount left under the roots would let rm reach into the host.
    if grep -q " $work/" /proc/self/mountinfo; then
        echo "check-fresh: mounts remain under $work; not removing it" >&2
    elif [ "${CHECK_FRESH_KEEP:-}" = 1 ]; then
        echo "check-fresh: roots kept in $work"
    else
        rm -rf --one-file-system "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# What this script types must be what the README says.
for line in 'make demo' 'make test' 'luarocks --lua-version 5.4 make --deps-mode=none' \
    'luarocks --lua-version 5.4 make --local --deps-mode=none' 'eval "$(luarocks --lua-version 5.4 path)"'; do
    grep -qF -- "$line" README.md || { echo "check-fresh: the README no longer says \`$line\`" >&2; exit 1; }
done
rock_packages=$(sed -n 's/^apt-get install //p' README.md)
[ "$(echo "$rock_packages" | wc -l)" -eq 1 ] && [ -n "$rock_packages" ] ||
    { echo "check-fresh: expected one 'apt-get install' line in the README" >&2; exit 1; }

# This machine's apt sources, as files mmdebstrap copies into the roots.
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
    printf '%s\t%-28s %4ss\n' "$verdict" "$name" $(($(date +%s) - t0)) >> "$results"
    if [ $verdict = FAIL ]; then echo "check-fresh: $name failed; its log ends:"; tail -n 25 "$logs/$name.log"; fi
    [ $verdict = PASS ]
}

# in_root ROOT SCRIPT: runs the script as root in ROOT's /root/modelslab, with
# /proc, /dev and /sys mounted in a namespace of its own (a pid namespace
# too, so no server a spec started outlives it).
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
    ' in_root "$@"
}

# One minbase root made now; each part gets a copy of it, untouched, with the
# checkout cloned in.
make_base() {
    # shellcheck disable=SC2086
    mmdebstrap --variant=minbase --include=make,ca-certificates "$suite" "$work/base" $sources
}

new_root() {
    cp -a "$work/base" "$1"
    git clone -q --no-local "$repo" "$1/root/modelslab"
    chmod 700 "$1/root" "$1/root/modelslab"
}

# From /, with LuaSocket nowhere: the installed command and library.
CHECK_INSTALLED='
    cd /
    if lua5.4 -e "require \"socket\"" 2>/dev/null; then echo "LuaSocket is installed"; exit 1; fi
    modelslab --help | head -n 1
    lua5.4 -e "local m = require \"modelslab\" print(\"require \\\"modelslab\\\": \" .. m.VERSION, package.searchpath(\"modelslab.core\", package.cpath))"
'

install_rock_packages() {
    in_root "$1" "
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends $rock_packages >/dev/null
        dpkg-query -W -f='\${Package} \${Version}\n' luarocks lua5.4 libcurl4-openssl-dev lua-cjson"
}

# installed_in OUTPUT DIR: the core that require "modelslab" loaded is DIR's.
installed_in() {
    echo "$1" | grep -q "^require \"modelslab\": .*[[:space:]]$2/lib/lua/5.4/modelslab/core.so$" ||
        { echo "require \"modelslab\" did not load the core from $2"; return 1; }
}

rock_as_user() {
    out=$(in_root "$1" "
        useradd -m lua-user
        cp -a /root/modelslab /home/lua-user/ && chown -R lua-user: /home/lua-user/modelslab
        runuser -u lua-user -- /usr/bin/env -i HOME=/home/lua-user PATH=/usr/bin:/bin sh -ec '
            cd ~/modelslab
            luarocks --lua-version 5.4 make --local --deps-mode=none
            eval \"\$(luarocks --lua-version 5.4 path)\"
            $CHECK_INSTALLED'" 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    installed_in "$out" /home/lua-user/.luarocks
    clean_checkout "$1/home/lua-user/modelslab"
}

rock_as_root() {
    out=$(in_root "$1" "
        luarocks --lua-version 5.4 make --deps-mode=none
        $CHECK_INSTALLED" 2>&1) || { echo "$out"; return 1; }
    echo "$out"
    installed_in "$out" /usr/local
    clean_checkout "$1/root/modelslab"
}

# luarocks make leaves nothing but build/ (ignored) in the checkout.
clean_checkout() {
    left=$(git -c safe.directory='*' -C "$1" status --porcelain --ignored)
    [ "$left" = "!! build/" ] || { echo "luarocks left in the checkout:"; echo "$left"; return 1; }
    echo "checkout clean after luarocks make"
}

status=0
parts=${CHECK_FRESH_PARTS:-demo test luarocks}
wanted() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
step mmdebstrap make_base || parts=""
if wanted demo; then
    { new_root "$work/demo" && step make-demo in_root "$work/demo" 'make demo'; } || status=1
fi
if wanted test; then
    { new_root "$work/test" && step "$test_name" in_root "$work/test" "$test_command"; } || status=1
fi
if wanted luarocks; then
    { new_root "$work/rocks" && step luarocks-packages install_rock_packages "$work/rocks" &&
        step luarocks-make-local-as-user rock_as_user "$work/rocks" &&
        step luarocks-make-as-root rock_as_root "$work/rocks"; } || status=1
fi
[ -n "$parts" ] || status=1

echo
echo "== check-fresh: Debian $suite minbase + make, ca-certificates; HEAD cloned into /root/modelslab; one new root each"
cat "$results"
test_log=$logs/$test_name.log
[ -f "$test_log" ] && echo "$test_command: $(grep -E '^[0-9]+ passed' "$test_log" | tail -n 1)"
for f in "$logs"/luarocks-make-*.log; do
    [ -f "$f" ] && sed -n "s|^require \"modelslab\": |$(basename "$f" .log): require \"modelslab\" -> |p" "$f"
done
echo "check-fresh: $([ $status -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - started)) s" \
    "(logs: build/check-fresh/)"
exit $status
