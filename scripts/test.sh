#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (Qt Test under CTest).
# UI tests run offscreen; the whole run sits under a virtual X server so that the tests that
# need OpenGL (Qt3D) have one. Extra arguments go to ctest (e.g. -L core, -R store).
# Afterwards it lists the skipped test functions and why (scripts/check_skips.py); with
# KIZU_CI=1 (CI) a skip that is not on that script's allow-list fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
ROOT=$PWD
BUILD_DIR=${KIZU_BUILD_DIR:-build}
cd "$BUILD_DIR"
# Logs of an earlier run would report its skips as this run's.
mkdir -p test-logs
find test-logs -maxdepth 1 -name '*.txt' -delete
run=(ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@")
if [ -z "${DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
  run=(xvfb-run -a -s "-screen 0 1600x1000x24" "${run[@]}")
fi
status=0
"${run[@]}" || status=$?
enforce=()
if [ "${KIZU_CI:-}" = 1 ]; then enforce=(--enforce); fi
skips=0
python3 "$ROOT/scripts/check_skips.py" test-logs "${enforce[@]}" || skips=$?
if [ "$status" -ne 0 ]; then exit "$status"; fi
exit "$skips"
