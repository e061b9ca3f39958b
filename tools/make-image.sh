#!/usr/bin/env bash
# Builds a container image of chunkswarm without network access: the files of the Debian package
# (tools/make-deb.sh) and the shared libraries the program links, copied from this machine, on an
# empty base (FROM scratch); no registry is asked for anything. The entry point is the program:
#   podman run --rm --network host -v /srv/x:/data IMAGE peer --config /data/cluster.json --id 3
#   tools/make-image.sh [DEB]   (default: a package made now with tools/make-deb.sh)
#   IMAGE       the image's name (default: localhost/chunkswarm:VERSION)
#   ENGINE      podman or docker (default: whichever is installed, podman first)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ENGINE=${ENGINE:-$(command -v podman || command -v docker || true)}
[[ -n $ENGINE ]] || { echo "make-image: neither podman nor docker is installed (apt-get install podman)" >&2; exit 2; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
deb=${1:-}
[[ -n $deb ]] || deb=$(bash "$ROOT/tools/make-deb.sh" "$scratch")
[[ -f $deb ]] || { echo "make-image: no package at $deb" >&2; exit 2; }
version=$(dpkg-deb -f "$deb" Version)
IMAGE=${IMAGE:-localhost/chunkswarm:$version}

rootfs=$scratch/context/rootfs
mkdir -p "$rootfs"
dpkg-deb -x "$deb" "$rootfs"
# The libraries as the loader finds them here (the package's dependencies), and the loader itself.
for lib in $(ldd "$rootfs/usr/bin/chunkswarm" | grep -o '/[^ ]*'); do
    install -D "$(readlink -f "$lib")" "$rootfs$lib"
done
mkdir -p "$rootfs/tmp" "$rootfs/data"
chmod 1777 "$rootfs/tmp"
cat > "$scratch/context/Containerfile" << FILE
FROM scratch
COPY rootfs/ /
WORKDIR /data
LABEL org.opencontainers.image.title="chunkswarm" org.opencontainers.image.version="$version"
ENTRYPOINT ["/usr/bin/chunkswarm"]
CMD ["--help"]
FILE
"$ENGINE" build --quiet --network none -t "$IMAGE" "$scratch/context" > /dev/null
echo "$IMAGE"
