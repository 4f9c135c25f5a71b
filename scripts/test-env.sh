#!/usr/bin/env bash
# Prepares a fresh Debian machine for the test suite: Chromium (for the real-browser
# tests) and redis-server (for the gateway's shared rate limits) from apt, and .venv
# with the locked versions of bookgen's dependencies and its [dev] extras.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/setup.sh --extra dev
