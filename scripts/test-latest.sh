#!/usr/bin/env bash
# Runs the test suite against the newest releases that pyproject.toml's ranges allow,
# in a throwaway environment (.venv-latest), without touching uv.lock or .venv.
# Use it before `bash scripts/uv.sh lock --upgrade` to see what an upgrade would break.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf .venv-latest
bash scripts/uv.sh venv --quiet --python python3 .venv-latest
VIRTUAL_ENV=.venv-latest bash scripts/uv.sh pip install --quiet --upgrade --resolution highest -e '.[dev]'
exec .venv-latest/bin/python -m pytest -n auto "$@"
