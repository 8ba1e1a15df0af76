#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a short time from
# its seed corpus. A crash leaves its input in build-fuzz/artifacts/ and fails the run: copy
# it into tests/fuzz/regressions/<name>/ when fixing, so CTest replays it from then on.
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 20)
# KIZU_FUZZ_SEED fixes libFuzzer's random seed (CI uses 1, so a run explores the same inputs
# each time and a red CI is reproducible); unset, every run explores afresh.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
BUILD_DIR=${KIZU_FUZZ_BUILD_DIR:-build-fuzz}
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
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "${LIGHT_FLAGS[@]}" \
    -DKIZU_FUZZ=ON >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
mkdir -p "$BUILD_DIR/artifacts"
# The targets run side by side, as many at a time as there are cores; each reports when all are
# done, in name order.
fuzz_one() { # binary short-name
  local bin=$1 short=$2
  local work="$BUILD_DIR/corpus/$short"; mkdir -p "$work"
  local seeds=(tests/fuzz/corpus/$short)
  [ -d "tests/fuzz/regressions/$short" ] && seeds+=("tests/fuzz/regressions/$short")
  local rc=0
  ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
      -rss_limit_mb=2048 -max_len=65536 -artifact_prefix="$BUILD_DIR/artifacts/$short-" \
      -print_final_stats=1 -seed="${KIZU_FUZZ_SEED:-0}" "$work" "${seeds[@]}" >"$BUILD_DIR/$short.log" 2>&1 || rc=$?
  echo "$rc" >"$BUILD_DIR/$short.status"
}
names=()
for bin in "$BUILD_DIR"/tests/fuzz/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); short=${name#fuzz_}
  rm -f "$BUILD_DIR/$short.status"
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n || true; done
  echo "fuzz: $name for ${SECONDS_PER_TARGET}s"
  fuzz_one "$bin" "$short" &
  names+=("$name")
done
wait
status=0
for name in "${names[@]}"; do
  short=${name#fuzz_}
  if [ "$(cat "$BUILD_DIR/$short.status" 2>/dev/null)" != 0 ]; then
    echo "fuzz: $name FOUND A CRASH (see $BUILD_DIR/$short.log and $BUILD_DIR/artifacts/)"
    tail -n 30 "$BUILD_DIR/$short.log"
    status=1
  else
    echo "fuzz: $name"
    grep -E "stat::number_of_executed_units|cov:" "$BUILD_DIR/$short.log" | tail -n 2 | sed 's/^/  /'
  fi
done
exit $status
