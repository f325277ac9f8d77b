#!/usr/bin/env bash
# Starts the demo. Installs and builds first, so it works on a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
CAISSE_SKIP_BROWSER=1 bash scripts/setup.sh
npx turbo run build --output-logs=errors-only
echo
echo "Caisse demo: so far the foundation packages are built (@caisse/protocol, @caisse/server-kit)."
echo "Try the merchant CLI:  npx caisse keys new"
echo "The payment server, the sample stores and the phone app join this command as they land."
