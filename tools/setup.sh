#!/usr/bin/env bash
# Installs whatever is missing (Debian packages only), then configures and builds.
# Idempotent: quiet when everything is already there. `setup.sh --browser` installs Chromium only,
# `setup.sh --xfs` xfsprogs only (for the test of chunk files as clones on a loop-mounted XFS),
# `setup.sh --libtorrent` Debian's python3-libtorrent only (the bench's and the namespace test's rival),
# `setup.sh --metrics` Debian's python3-prometheus-client only (the parser the metrics test reads with).
#   BUILD_DIR   build directory (default: build)
#   MESON_ARGS  extra arguments for `meson setup`, e.g. -Db_sanitize=thread
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PACKAGES=(g++ meson ninja-build pkg-config libuv1-dev libcli11-dev nlohmann-json3-dev doctest-dev libssl-dev
    libspdlog-dev)
# --browser, --xfs, --libtorrent, --metrics: only what one test needs (nothing is built).
tool_only=0
case "${1:-}" in
    --browser) tool_only=1 PACKAGES=(chromium) ;;
    --xfs) tool_only=1 PACKAGES=(xfsprogs) ;;
    --libtorrent) tool_only=1 PACKAGES=(python3-libtorrent) ;;
    --metrics) tool_only=1 PACKAGES=(python3-prometheus-client) ;;
esac

missing=()
for package in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

((tool_only)) && exit 0

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    echo "setup: configuring $BUILD_DIR"
    # shellcheck disable=SC2086
    meson setup "$BUILD_DIR" "$ROOT" ${MESON_ARGS:-} > /dev/null
fi
# Quiet on success; on failure, run again so the errors are shown.
ninja -C "$BUILD_DIR" > /dev/null 2>&1 || ninja -C "$BUILD_DIR"
