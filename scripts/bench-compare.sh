#!/usr/bin/env bash
# Runs every benchmark in bench/ for two builds, alternating (A, B, A, B, ...), so that a
# refactoring can be checked against the build before it on the same machine in the same run:
#   scripts/bench-compare.sh BEFORE_BIN_DIR AFTER_BIN_DIR [ROUNDS=2] > results.jsonl
# Each *_BIN_DIR holds the bench_* executables (build/bench, or a copy of an older build's).
# Every line of output is one JSON object: {"build": "before"|"after", "round": N,
# "bench": NAME, "result": <the benchmark's own JSON>}. The arguments are the short
# configurations documented in README.md's benchmark table; BSData comes from $KIZU_BSDATA or
# ../shared/data/bsdata. A project migrated by a newer schema cannot be opened by an older
# build, so bench_dataset can take a project per side: DATASET_PROJECT_BEFORE and
# DATASET_PROJECT_AFTER (default: the benchmark's own cached project).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE=${1:?before bin dir}
AFTER=${2:?after bin dir}
ROUNDS=${3:-2}
export KIZU_BSDATA=${KIZU_BSDATA:-$(cd .. && pwd)/shared/data/bsdata}
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
declare -A ARGS=(
  [bench_project]="--runs 3 --labels 2000"
  [bench_baseline]="--runs 3"
  [bench_cg]="2 300"
  [bench_learn]="--model squeezenet1_1 --mode all --steps 8 --frames 50 --repeats 3 --threads 1"
  [bench_inspect]="--frames 200 --repeats 3 --size 128"
  [bench_dataset]="--images 100000 --frames 300"
)
# The benchmark's JSON object (some print it indented) on one line.
compact() {
  python3 -c 'import json, sys
t = sys.stdin.read(); i = t.find("{")
print(json.dumps(json.JSONDecoder().raw_decode(t[i:])[0]) if i >= 0 else "null")'
}
ORDER=(bench_project bench_baseline bench_cg bench_learn bench_inspect bench_dataset)
for ((round = 1; round <= ROUNDS; round++)); do
  # Alternate which side goes first, so that neither always runs on a warmer cache.
  sides=(before after); (( round % 2 == 0 )) && sides=(after before)
  for bench in "${ORDER[@]}"; do
    for side in "${sides[@]}"; do
      dir=$BEFORE; [ "$side" = after ] && dir=$AFTER
      [ -x "$dir/$bench" ] || { echo "bench-compare: $dir/$bench missing" >&2; continue; }
      # shellcheck disable=SC2086
      extra=()
      if [ "$bench" = bench_dataset ]; then
        p=$([ "$side" = before ] && echo "${DATASET_PROJECT_BEFORE:-}" || echo "${DATASET_PROJECT_AFTER:-}")
        [ -n "$p" ] && extra=(--project "$p")
      fi
      out=$("$dir/$bench" ${ARGS[$bench]} "${extra[@]}" 2>/dev/null | compact || true)
      printf '{"build": "%s", "round": %d, "bench": "%s", "result": %s}\n' \
        "$side" "$round" "$bench" "${out:-null}"
    done
  done
done
