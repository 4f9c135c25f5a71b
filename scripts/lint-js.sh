#!/usr/bin/env bash
# Lints templates/static/*.js (and the preview's generator/preview/client.js) with Biome, a single native binary: no Node needed to
# install, build or run bookgen, nor to run this script. The binary is the npm registry's
# @biomejs/cli-<platform> package at one pinned version, downloaded once into
# ~/.cache/bookgen and checked against the registry's sha512 integrity pinned below
# (a tarball that does not match is deleted, never run). Rules: biome.json.
# Usage: bash scripts/lint-js.sh [biome lint arguments...]   (default: templates/static generator/preview)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=2.6.8
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)  platform=linux-x64
                 integrity=sha512-XIk3pLQT56I6Tti+u0DF8FtSNXjCMTPbxVTzfJ9cS2t1ImVKvrqV5b52GuEaJg6/wuiXvz0sjfb5saB4TPRjzA== ;;
  Linux-aarch64) platform=linux-arm64
                 integrity=sha512-0Bjim8lKwnrvXUHoI4k3Tb51BjoiLEwDnovCI8nSzkk6wj3dShiuAjrx6+X0Hjf4ejR1sRZgTQiSDHlpy9vB7w== ;;
  Darwin-arm64)  platform=darwin-arm64
                 integrity=sha512-DHyj+JnRHcn4YdvpiqgTFZMYKSPELMCfFpNNlEuu1L8DKTGXhzW7raIwdsbo2Ie9nCljQLAQkVWQk/mwM0ueiA== ;;
  Darwin-x86_64) platform=darwin-x64
                 integrity=sha512-QWWUPjlA0RnkkgYnFLUHZu+RrDc0FdK0A+wEPA+dENQJwsuSHMH89lspnAw2QUWWc9VHyfluGx1Xmp6Y2GZi8Q== ;;
  *) echo "error: no pinned Biome build for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

cache="${XDG_CACHE_HOME:-$HOME/.cache}/bookgen/biome-$VERSION-$platform"
biome="$cache/package/biome"
if [ ! -x "$biome" ]; then
  mkdir -p "$cache"
  tarball="$cache/cli.tgz"
  url="https://registry.npmjs.org/@biomejs/cli-$platform/-/cli-$platform-$VERSION.tgz"
  curl --fail --silent --show-error --location --proto '=https' --max-time 120 -o "$tarball.part" "$url"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball.part" | base64 | tr -d '\n')"
  if [ "$actual" != "$integrity" ]; then
    rm -f "$tarball.part"
    echo "error: $url does not match the pinned integrity (got $actual); not running it" >&2
    exit 1
  fi
  mv "$tarball.part" "$tarball"
  tar -xzf "$tarball" -C "$cache" package/biome
  chmod +x "$biome"
fi

if [ "$#" -eq 0 ]; then set -- templates/static generator/preview; fi
exec "$biome" lint --error-on-warnings "$@"
