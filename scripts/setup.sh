#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine, and nothing twice:
# npm packages when package-lock.json changed, Debian's chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.caisse-installed
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "setup: installing npm packages"
  # `npm install` rather than `npm ci`: npm 11 leaves other platforms' optional packages
  # (biome's and rollup's native binaries) out of the lock file and then refuses `npm ci`
  # as out of sync. With the lock file present, `npm install` installs the locked versions.
  npm install --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi

if [ "${CAISSE_SKIP_BROWSER:-}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for browser tests"
  sudo_cmd=""
  [ "$(id -u)" = "0" ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
