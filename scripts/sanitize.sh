#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the core, the CLI and their tests
# (no GUI), and a run of those tests. Any report fails the run.
#   scripts/sanitize.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KIZU_ASAN_BUILD_DIR:-build-asan}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKIZU_SANITIZE=ON \
    -DKIZU_BUILD_GUI=OFF -DKIZU_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
# LibTorch and OpenCV are not instrumented: leaks inside them are not ours to chase here.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_container_overflow=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$BUILD_DIR"
exec ctest --output-on-failure -j "$(nproc)" -LE ui "$@"
