#!/usr/bin/env bash
# The benchmark: builds if needed (tools/setup.sh), then times N plain TCP copies of a file (the
# copy floor) against the swarm moving the same file to N peers. `tools/bench.sh --help` lists
# the options; figures go to stdout and to bench-work/bench.json.
#   tools/bench.sh --size 1GiB --peers 5 --runs 5
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build} "$ROOT/tools/setup.sh"
exec "${BUILD_DIR:-$ROOT/build}/tools/bench" "$@"
