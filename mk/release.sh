#!/bin/sh
# make release [VERSION=x.y.z]: from the committed HEAD, DIR gets the source
# tarball, a versioned rockspec whose source is URL/modelslab-VERSION.tar.gz,
# and a source rock carrying both, which `luarocks install` takes offline.
# usage: mk/release.sh DIR URL [VERSION]
set -e
dir=$1 url=$2
code=$(sed -n 's/^local VERSION = "\(.*\)"$/\1/p' lua/modelslab/client.lua)
version=${3:-$code}
if [ "$version" != "$code" ]; then
    echo "release: VERSION=$version, but lua/modelslab/client.lua says $code" >&2
    exit 64
fi
if [ -n "$(git status --porcelain)" ]; then
    echo "release: commit or stash your changes first (the release is made from HEAD)" >&2
    exit 65
fi
name=modelslab-$version
rm -rf "$dir" && mkdir -p "$dir"
git archive --format=tar.gz --prefix="$name/" -o "$dir/$name.tar.gz" HEAD
sed -e "s|^version = .*|version = \"$version-1\"|" \
    -e "s|^  url = .*|  url = \"$url/$name.tar.gz\",\n  dir = \"$name\",|" \
    modelslab-scm-1.rockspec > "$dir/$name-1.rockspec"
grep -q "dir = \"$name\"" "$dir/$name-1.rockspec" || { echo "release: rockspec source not rewritten" >&2; exit 70; }
cd "$dir"
${LUAROCKS:-luarocks} pack "$name-1.rockspec" >/dev/null
echo "release: $dir/$name-1.src.rock ($dir/$name-1.rockspec, source $url/$name.tar.gz)"
