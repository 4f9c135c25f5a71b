#!/usr/bin/env bash
# Creates .venv with exactly the versions in uv.lock (hashes checked) and bookgen
# installed from this checkout in editable mode. Extra arguments go to `uv sync`
# (scripts/test-env.sh passes `--extra dev`). Refreshing the lock: see README.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/uv.sh sync --locked --python python3 --quiet "$@"
