#!/usr/bin/env bash
# Are this checkout's outputs byte-identical to main's? (bench/identical.py says what is built.)
#   bash scripts/compare-builds.sh [BEFORE] [AFTER]
# BEFORE (default /tmp/pipeline-before) is built once from `git archive main`, then reused;
# AFTER (default /tmp/pipeline-after) is rebuilt from this checkout every time.
# BENCH_GROUPS and BENCH_LOCALES (default 1000 and 2) size the benchmark site.
set -euo pipefail
cd "$(dirname "$0")/.."
before=${1:-/tmp/pipeline-before}
after=${2:-/tmp/pipeline-after}
size=(--groups "${BENCH_GROUPS:-1000}" --locales "${BENCH_LOCALES:-2}")
if [ ! -d "$before" ]; then
  code=$(mktemp -d /tmp/bookgen-main-XXXXXX)
  git archive main | tar -x -C "$code"
  .venv/bin/python bench/identical.py build "$before" --code "$code" "${size[@]}"
  rm -rf "$code"
fi
.venv/bin/python bench/identical.py build "$after" "${size[@]}"
.venv/bin/python bench/identical.py compare "$before" "$after"
