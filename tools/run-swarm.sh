#!/usr/bin/env bash
# The main job: installs what is missing, builds, then runs the swarm launcher on the owner and
# the five peers of configs/ring5.json on 127.0.0.1 (owner first, then one peer at a time, as the
# original brief describes), shows their progress and checks every copy against the original (SHA-256).
#
#   tools/run-swarm.sh [FILE]          distribute FILE (default: a generated sample of 5 MiB)
#   options: --config PATH             another swarm (default: configs/ring5.json)
#            --work DIR                where data and logs go (default: ./swarm-run, emptied first)
#            --quiet                   show only the verdict
#            any other option goes to the launcher: --together, --report FILE, --display ...
#            (build/src/swarm --help lists them)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
args=(--config "$ROOT/configs/ring5.json" --work "$PWD/swarm-run")
while (($#)); do
    case "$1" in
    --quiet) args+=(--display quiet); shift ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --together) args+=("$1"); shift ;;
    -*) args+=("$1" "${2:?"run-swarm: $1 needs a value"}"); shift 2 ;;
    *) args+=(--file "$1"); shift ;;
    esac
done

"$ROOT/tools/setup.sh"
# Later options win in the launcher, so a user's --config or --work replaces the defaults above.
exec "${BUILD_DIR:-$ROOT/build}/src/swarm" "${args[@]}"
