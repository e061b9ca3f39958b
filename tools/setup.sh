#!/usr/bin/env bash
# Installs whatever is missing (Debian packages only), then configures and builds.
# Idempotent: quiet when everything is already there. `setup.sh --browser` installs Chromium only,
# `setup.sh --xfs` xfsprogs only (for the test of chunk files as clones on a loop-mounted XFS),
# `setup.sh --libtorrent` Debian's python3-libtorrent only (the bench's and the namespace test's rival),
# `setup.sh --metrics` Debian's python3-prometheus-client only (the parser the metrics test reads with),
# `setup.sh --ssh` Debian's openssh-server only, with its system service left stopped and disabled
# (the launcher's ssh test runs an sshd of its own on a free port of 127.0.0.1), `setup.sh --tmux`
# tmux only (the live view's test watches it in a tmux pane), `setup.sh --podman` podman and
# dpkg-dev only (the tests of the Debian package and the container image).
#   BUILD_DIR   build directory (default: build)
#   MESON_ARGS  extra arguments for `meson setup`, e.g. -Db_sanitize=thread
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
PACKAGES=(g++ meson ninja-build pkg-config libuv1-dev libcli11-dev nlohmann-json3-dev doctest-dev libssl-dev
    libspdlog-dev)
# --browser, --xfs, --libtorrent, --metrics, --ssh, --tmux, --podman: only what one test needs (nothing is built).
tool_only=0
no_service=0
case "${1:-}" in
    --browser) tool_only=1 PACKAGES=(chromium) ;;
    --xfs) tool_only=1 PACKAGES=(xfsprogs) ;;
    --libtorrent) tool_only=1 PACKAGES=(python3-libtorrent) ;;
    --metrics) tool_only=1 PACKAGES=(python3-prometheus-client) ;;
    --ssh) tool_only=1 no_service=1 PACKAGES=(openssh-server) ;;
    --tmux) tool_only=1 PACKAGES=(tmux) ;;
    --podman) tool_only=1 PACKAGES=(podman dpkg-dev) ;;
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
    if ((no_service)) && [[ ! -e /usr/sbin/policy-rc.d ]]; then
        # Debian starts a newly installed service unless policy-rc.d says no: no sshd on port 22.
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d > /dev/null
        "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
        trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
    if ((no_service)) && command -v systemctl > /dev/null; then
        "${sudo[@]}" systemctl disable --now ssh.service ssh.socket > /dev/null 2>&1 || true
    fi
fi

((tool_only)) && exit 0

if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    echo "setup: configuring $BUILD_DIR"
    # shellcheck disable=SC2086
    meson setup "$BUILD_DIR" "$ROOT" ${MESON_ARGS:-} > /dev/null
fi
# Quiet on success; on failure, run again so the errors are shown.
ninja -C "$BUILD_DIR" > /dev/null 2>&1 || ninja -C "$BUILD_DIR"
