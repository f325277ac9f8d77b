#!/usr/bin/env bash
# Installs what the demo and the tests need on a fresh machine, and nothing twice:
# npm packages when package-lock.json changed, Debian's chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.caisse-installed
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "setup: installing npm packages"
  # `npm ci`, not `npm install`: it installs exactly the versions in package-lock.json and
  # never writes to it, so a fresh clone stays clean. `npm install` rewrites the lock
  # whenever its own resolution differs (it added other platforms' optional binaries of
  # biome, rollup and turbo, and the next `git pull` conflicted). The lock lists every
  # platform's optional packages, as `npm install --package-lock-only` writes it; when
  # package.json and the lock disagree `npm ci` stops and says so: run `npm install` and
  # commit package-lock.json.
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json | cut -d' ' -f1 > "$stamp"
fi

if [ "${CAISSE_SKIP_BROWSER:-}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for browser tests"
  sudo_cmd=""
  [ "$(id -u)" = "0" ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
fi
