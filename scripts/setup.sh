#!/usr/bin/env bash
# Creates .venv with exactly the versions in uv.lock (hashes checked) and bookgen
# installed from this checkout in editable mode. Extra arguments go to `uv sync`
# (scripts/test-env.sh passes `--extra dev`).
#
# uv itself is pinned and kept outside the project, in the user's cache, so a fresh
# machine needs nothing but python3. Refresh the lock with `uv lock --upgrade` (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.8
tools="${XDG_CACHE_HOME:-$HOME/.cache}/bookgen/uv-$UV_VERSION"
if [ ! -x "$tools/bin/uv" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
# Never download a Python build: use the machine's python3 (3.11+).
export UV_PYTHON_DOWNLOADS=never
"$tools/bin/uv" sync --locked --python python3 --quiet "$@"
