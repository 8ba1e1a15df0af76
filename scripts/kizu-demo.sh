#!/usr/bin/env bash
# Installs what is missing, builds, makes a demo project (once) and starts the station on it.
#   scripts/kizu-demo.sh [PROJECT_DIR]     (default: ~/kizu-demo)
# The demo holds the BSData photos (../shared/data/bsdata or $KIZU_BSDATA) when they are
# present, labeled and split by group; otherwise labeled CG renders made on the spot.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${KIZU_BUILD_DIR:-build}
CLI="$BUILD_DIR/app/cli/kizu-cli"
PROJECT=${1:-$HOME/kizu-demo}
if [ ! -f "$PROJECT/project.kizu" ]; then
  "$CLI" project demo "$PROJECT"
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "No display found: starting the station under a virtual X server (xvfb-run)." >&2
  exec xvfb-run -a -s "-screen 0 1600x1000x24" "$BUILD_DIR/app/gui/kizu" "$PROJECT"
fi
exec "$BUILD_DIR/app/gui/kizu" "$PROJECT"
