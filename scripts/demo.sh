#!/usr/bin/env bash
# Starts the demo. Installs and builds first (JavaScript only: the demo needs no type
# declarations), so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
CAISSE_SKIP_BROWSER=1 bash scripts/setup.sh
node scripts/demo-build.mjs
exec node scripts/demo.mjs "$@"
