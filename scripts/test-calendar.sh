#!/usr/bin/env bash
# Runs the suites that touch dates with the calendar moved (a year ahead by default), to
# prove that no test depends on today's date: fixtures frozen at a date, tickets and
# vouchers dated by a clock, settlement days and cut-offs, escrow time-outs, spending
# ceilings per day and month, history periods.
#
#   bash scripts/test-calendar.sh            # +365d
#   bash scripts/test-calendar.sh -30d +365d # each offset in turn
#
# Every process of a run sees the same moved clock (libfaketime, from Debian's package
# faketime): vitest and its workers, the payment servers they start, Chromium, and a
# PostgreSQL server of the run's own, so that the database's now() moves with the rest, as
# on a machine whose clock is a year ahead. With CAISSE_CALENDAR_DB=shared the suites use
# the machine's PostgreSQL (TEST_DATABASE_URL) instead, whose clock does not move: a test
# or a component that decides with both the database's now() and the process clock fails.
# In the moved PostgreSQL, statement_timeout, lock_timeout and deadlock_timeout never fire
# (its SIGALRM handler reads the real time through libfaketime and re-arms for a year): a
# suite that needs them (the ledger and audit concurrency suites) does not belong here.
#
# Needs the packages built (scripts/test.sh builds them first) and Redis (REDIS_URL).
# Writes no test-report.json: the reports of `npm test` stay as they were.
set -euo pipefail
cd "$(dirname "$0")/.."

offsets=("$@")
[ ${#offsets[@]} -gt 0 ] || offsets=("+365d")
for offset in "${offsets[@]}"; do
  [[ "$offset" =~ ^[+-][0-9]+d$ ]] || { echo "calendar: an offset is a number of days such as +365d or -30d, not '$offset'" >&2; exit 2; }
done

# The suites, per workspace, that freeze a clock at a date, or turn a clock into days,
# months and periods (cut-offs, settlement days, escrow time-outs, ceilings, history).
# Left out: suites that only parse dates (the protocol's schemas), and suites whose every
# time comes from the one real clock with no calendar arithmetic (tickets signed and
# checked a few minutes apart): they pass in `npm test` under the same conditions.
declare -A suites=(
  [packages/server-kit]="
    src/voucher/verify.test.ts src/voucher/verify.processes.test.ts src/voucher/late-return.test.ts
    src/notification/verify.test.ts src/ticket/create.test.ts src/merchant.test.ts src/interop.test.ts
    src/handlers/return.test.ts src/handlers/notification.test.ts src/jws/attacks.test.ts src/keys/remote.test.ts
    src/cli/ticket-inspect.test.ts src/cli/voucher-verify.test.ts src/cli/output.test.ts
    src/replay/memory.test.ts src/replay/postgres.test.ts src/replay/redis.test.ts
    src/client/after-payment.e2e.test.ts"
  [packages/payment-server]="
    src/settlement/cutoff.test.ts src/settlement/settlement.e2e.test.ts src/escrow/escrow.e2e.test.ts
    src/customers/ceilings.test.ts src/customers/service.test.ts src/account/routes.e2e.test.ts
    src/api/payments.e2e.test.ts src/api/assertion.test.ts
    src/api/assertion-store.test.ts src/api/idempotency.test.ts src/alerts/service.test.ts
    src/keys/service.test.ts src/merchants/service.test.ts src/checkout/intake.test.ts
    src/checkout/late-return.e2e.test.ts src/notifications/schedule.test.ts src/notifications/outbox.test.ts
    src/pages/i18n.test.ts src/pages/confirm.test.ts
    src/payments/acquirers.e2e.test.ts src/captures/captures.e2e.test.ts"
  [packages/sdk]="src/account.test.ts src/crypto/keys.test.ts src/http/server-clock.test.ts e2e/device.e2e.test.ts"
  [packages/widget]="src/checkout.test.ts src/ticket.test.ts src/element.test.ts src/popup.test.ts"
)
order=(packages/server-kit packages/payment-server packages/sdk packages/widget)

libfaketime() { ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -1; }
if [ -z "$(libfaketime)" ]; then
  echo "calendar: installing Debian's faketime"
  sudo_cmd=""
  [ "$(id -u)" = "0" ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq faketime >/dev/null
fi
LIBFAKETIME=$(libfaketime)

# Runs a command, and every process it starts, on a clock moved by $1 (such as +365d).
# The library itself rather than the `faketime` command: that one waits for every process
# sharing its clock, so `pg_ctl start` never returns under it.
moved() {
  local offset=$1
  shift
  env LD_PRELOAD="$LIBFAKETIME${LD_PRELOAD:+:$LD_PRELOAD}" FAKETIME="$offset" "$@"
}

work=$(mktemp -d /tmp/caisse-calendar.XXXXXX)
chmod 755 "$work" # the database server may run as another user
pg_pid_dir=""
stop_postgres() {
  if [ -n "$pg_pid_dir" ] && [ -f "$pg_pid_dir/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$pg_pid_dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  pg_pid_dir=""
}
cleanup() {
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL refuses to run as root: as root, its own server runs as the user postgres.
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A PostgreSQL server of this run's own, on the moved clock, on a free port.
start_postgres() {
  local offset=$1
  PG_BIN=$(pg_config --bindir 2>/dev/null || true)
  [ -x "${PG_BIN:-}/initdb" ] || PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "${PG_BIN:-}/initdb" ] || { echo "calendar: PostgreSQL's initdb was not found (or set CAISSE_CALENDAR_DB=shared)" >&2; return 1; }
  pg_pid_dir="$work/pg$offset"
  mkdir -p "$pg_pid_dir"
  [ "$(id -u)" != "0" ] || chown postgres "$pg_pid_dir"
  local port
  port=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  as_pg env LD_PRELOAD="$LIBFAKETIME" FAKETIME="$offset" "$PG_BIN/initdb" -D "$pg_pid_dir/data" -U postgres -A trust -E UTF8 --no-sync >"$pg_pid_dir/initdb.log" 2>&1 ||
    { cat "$pg_pid_dir/initdb.log" >&2; return 1; }
  as_pg env LD_PRELOAD="$LIBFAKETIME" FAKETIME="$offset" "$PG_BIN/pg_ctl" -D "$pg_pid_dir/data" -l "$pg_pid_dir/server.log" -w -s \
    -o "-p $port -k $pg_pid_dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start ||
    { cat "$pg_pid_dir/server.log" >&2; return 1; }
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/test"
}

started=$(date +%s)
status=0
total_passed=0
total_failed=0
for offset in "${offsets[@]}"; do
  days=${offset%d}
  # The clock must really move, in node as in the tests: else a green run proves nothing.
  reading=$(moved "$offset" node -e 'console.log(Date.now())')
  drift=$(((reading - $(date +%s%3N)) / 1000 - days * 86400))
  if [ "${drift#-}" -gt 60 ]; then
    echo "calendar: faketime $offset did not move node's clock ($drift s off): no proof possible" >&2
    exit 1
  fi

  if [ "${CAISSE_CALENDAR_DB:-own}" = "own" ]; then start_postgres "$offset"; fi
  database=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
  echo "calendar $offset: node's clock reads $(moved "$offset" node -e 'console.log(new Date().toISOString())')," \
    "PostgreSQL's $(psql "$database" -Atc 'SELECT now()' 2>/dev/null || echo '(not read)') ($database)"

  for workspace in "${order[@]}"; do
    report="$work/$(basename "$workspace")$offset.json"
    # shellcheck disable=SC2086 # the list is split into file names on purpose
    (cd "$workspace" && moved "$offset" npx vitest run ${suites[$workspace]} \
      --reporter=dot --reporter=json --outputFile.json="$report") || status=1
    counts=$(node -e '
      const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
      const failed = r.numFailedTests + (!r.success && r.numFailedTests === 0 ? 1 : 0);
      console.log(r.numPassedTests, failed, r.testResults.length);
    ' "$report" 2>/dev/null || echo "0 1 0")
    read -r passed failed files <<<"$counts"
    echo "calendar $offset: $workspace: $files files, $passed passed, $failed failed"
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
    [ "$failed" = "0" ] && [ "$passed" != "0" ] || status=1
  done
  stop_postgres
done

echo "calendar (${offsets[*]}, $(($(date +%s) - started)) s): $total_passed passed, $total_failed failed"
exit "$status"
