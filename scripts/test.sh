#!/usr/bin/env bash
# The one command that runs every test: installs what it needs, builds, typechecks,
# lints, runs each package's tests and prints one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
npx turbo run build typecheck --output-logs=errors-only
npx biome check .
find packages examples bench -name test-report.json -not -path '*/node_modules/*' -delete 2>/dev/null || true

status=0
npx turbo run test --continue || status=$?
# The suites that touch dates again, with every clock (Node, Chromium, PostgreSQL) a year
# ahead: no test may depend on today's date.
bash scripts/test-calendar.sh +365d || status=$?
node scripts/test-summary.mjs || status=$?
exit "$status"
