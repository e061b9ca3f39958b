#!/usr/bin/env bash
# Builds the Debian package chunkswarm_VERSION_ARCH.deb: /usr/bin/chunkswarm, stripped, its man
# pages, the example configs in /usr/share/chunkswarm/configs and the README; its dependencies are
# the shared libraries the program links (dpkg-shlibdeps). Nothing is downloaded. Install it with
# `apt install ./chunkswarm_*.deb`.
#   tools/make-deb.sh [OUT_DIR]   where the .deb goes (default: the current directory)
#   BUILD_DIR   the build to package (default: build-release, configured here as a release build)
set -euo pipefail
umask 022  # the package's directories and files as dpkg-deb wants them, whatever the caller's umask

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(realpath -m "${1:-.}")
BUILD_DIR=${BUILD_DIR:-$ROOT/build-release}
for tool in meson ninja dpkg-deb dpkg-shlibdeps; do
    command -v "$tool" > /dev/null || { echo "make-deb: $tool is missing (apt-get install meson ninja-build dpkg-dev)" >&2; exit 2; }
done

if [[ ! -f $BUILD_DIR/build.ninja ]]; then
    echo "make-deb: configuring $BUILD_DIR (release)"
    meson setup "$BUILD_DIR" "$ROOT" --buildtype=release > /dev/null
fi
# Only what is installed: the program and its man pages.
ninja -C "$BUILD_DIR" src/chunkswarm src/chunkswarm.1 src/chunkswarm-owner.1 src/chunkswarm-peer.1 \
    src/chunkswarm-swarm.1 > /dev/null
version=$(meson introspect --projectinfo "$BUILD_DIR" | python3 -c "import json, sys; print(json.load(sys.stdin)['version'])")
arch=$(dpkg --print-architecture)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
meson install -C "$BUILD_DIR" --no-rebuild --strip --destdir "$scratch/stage" > "$scratch/install.log" 2>&1 ||
    { cat "$scratch/install.log" >&2; exit 1; }
# The package's paths are Debian's, whatever prefix the build was configured with.
pkg=$scratch/pkg
install -D -m 755 "$(find "$scratch/stage" -path '*/bin/chunkswarm' -type f)" "$pkg/usr/bin/chunkswarm"
mkdir -p "$pkg/usr/share/man/man1" "$pkg/usr/share/chunkswarm/configs" "$pkg/usr/share/doc/chunkswarm"
for page in $(find "$scratch/stage" -path '*/man1/*.1' -type f); do
    gzip -9n < "$page" > "$pkg/usr/share/man/man1/$(basename "$page").gz"
done
cp "$ROOT"/configs/*.json "$pkg/usr/share/chunkswarm/configs/"
gzip -9n < "$ROOT/README.md" > "$pkg/usr/share/doc/chunkswarm/README.md.gz"

# dpkg-shlibdeps reads the package's name from a debian/control of its own.
mkdir -p "$scratch/src/debian"
printf 'Source: chunkswarm\n\nPackage: chunkswarm\nArchitecture: any\n' > "$scratch/src/debian/control"
shlibs=$(cd "$scratch/src" && dpkg-shlibdeps -O "$pkg/usr/bin/chunkswarm" 2> "$scratch/shlibdeps.err") ||
    { echo "make-deb: dpkg-shlibdeps failed: $(cat "$scratch/shlibdeps.err")" >&2; exit 1; }
depends=$(sed -n 's/^shlibs:Depends=//p' <<< "$shlibs")
[[ -n $depends ]] || { echo "make-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$pkg/DEBIAN"
cat > "$pkg/DEBIAN/control" << CONTROL
Package: chunkswarm
Version: $version
Architecture: $arch
Maintainer: chunkswarm developers <chunkswarm@localhost>
Installed-Size: $(du -sk "$pkg/usr" | cut -f1)
Depends: $depends
Section: net
Priority: optional
Description: peer-to-peer distribution of a file or tree to many machines
 An owner splits a file, or a directory tree, into chunks and deals them out;
 peers in a ring trade the chunks until each holds every one, checked against
 the owner's SHA-256 of each. One program, chunkswarm, with the commands
 owner, peer and swarm (which runs a whole swarm from one config).
CONTROL
mkdir -p "$OUT"
deb=$OUT/chunkswarm_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$pkg" "$deb" > /dev/null
echo "$deb"
