#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (Qt Test under CTest).
# UI tests run offscreen; the whole run sits under a virtual X server so that the tests that
# need OpenGL (Qt3D) have one. Extra arguments go to ctest (e.g. -L core, -R store).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
BUILD_DIR=${KIZU_BUILD_DIR:-build}
cd "$BUILD_DIR"
run=(ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@")
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  exec xvfb-run -a -s "-screen 0 1600x1000x24" "${run[@]}"
fi
exec "${run[@]}"
