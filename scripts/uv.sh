#!/usr/bin/env bash
# Runs the pinned uv with the given arguments (`bash scripts/uv.sh lock --upgrade`).
# uv is kept outside the project, in the user's cache, so a fresh machine needs nothing
# but python3; it never downloads a Python build (the machine's python3, 3.11+, is used).
set -euo pipefail
UV_VERSION=0.13.8
tools="${XDG_CACHE_HOME:-$HOME/.cache}/bookgen/uv-$UV_VERSION"
if [ ! -x "$tools/bin/uv" ]; then
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PYTHON_DOWNLOADS=never
exec "$tools/bin/uv" "$@"
