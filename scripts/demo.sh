#!/usr/bin/env bash
# Starts the demo. Installs and builds first, so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
CAISSE_SKIP_BROWSER=1 bash scripts/setup.sh
npx turbo run build --output-logs=errors-only
exec node scripts/demo.mjs "$@"
