#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of the core, the CLI and their tests
# (no GUI), and a run of those tests. Any report fails the run.
#   scripts/sanitize.sh [ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${KIZU_ASAN_BUILD_DIR:-build-asan}
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(cd .. && pwd)}
# Checking builds: -O1 with line tables only (-g1) compiles a LibTorch file in less than half
# the time of -O2 -g (33 s against 75 s measured here) and still gives sanitizer reports with
# file:line, which is all these builds are for.
# The core libraries compile in unity files (KIZU_UNITY): LibTorch's headers, most of a
# LibTorch file's compile time, are parsed once per batch of sources.
LIGHT_FLAGS=(-DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
             -DKIZU_UNITY=ON)
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "${LIGHT_FLAGS[@]}" -DKIZU_SANITIZE=ON \
    -DKIZU_BUILD_GUI=OFF -DKIZU_BUILD_BENCH=OFF >/dev/null
fi
# LibTorch and OpenCV are not instrumented: leaks inside them are not ours to chase here.
# detect_odr_violation=1 (size mismatches only): kizu-cli and its learn module
# (kizu-cli-learn.so, loaded only for commands that need LibTorch) each link the static
# kizu_core, so its globals exist twice with the same definition, which level 2 reports.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1:detect_container_overflow=0:detect_odr_violation=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# (The build runs kizu-cli itself, for its man page: the options above apply there too.)
cmake --build "$BUILD_DIR" -j "$(nproc)"
cd "$BUILD_DIR"
# Left out here, run by the test command: the crash-consistency run (label crash: it kills
# kizu-cli at random moments and would add its minute to the chain of tests that share the fake
# camera), and the three longest LibTorch-bound tests (label no-asan, marked in their sources):
# 3-7 times slower under ASan than without (282, 174 and 146 s of this run's 915 s on 2 cores),
# while their code paths (training, evaluation, ONNX export, sweeps) also run here in test_learn,
# test_experiment_sweep, test_cli_models (model export --onnx) and test_cli_pretrain.
exec ctest --output-on-failure -j "$(nproc)" -LE "ui|crash|no-asan" "$@"
