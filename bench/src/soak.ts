/**
 * bench:soak — the payment server under a steady mix of work for a long time (30 minutes
 * by default), watched for anything that grows without bound. Not run in CI.
 *
 * The built payment server (`startPaymentServer`, PostgreSQL, a fresh database) runs in a
 * child process of its own (bench/src/server-process.ts, its server in a worker thread as
 * in the other benches, with `--expose-gc`), so that its memory is its own. This process
 * is the rest of the world:
 * - the phones: several customers' phones, each listening on its device stream and
 *   approving every confirmation request with its PIN (bench/src/phones.ts); each phone
 *   hangs up and reconnects once a minute, one phone at a time, so a stream the server
 *   failed to forget would pile up;
 * - the merchant's backend: decoupled payments (`POST /v1/payments {ticket, phone}`
 *   through the server kit's merchant client) offered at a fixed rate, open loop (an
 *   arrival is sent when due, whether or not earlier ones have finished; late and dropped
 *   arrivals are counted), a share of them refunded in full or in part through the same
 *   client once paid;
 * - the merchant's notification endpoint: a local `node:http` server running the server
 *   kit's notification handler, which verifies and acknowledges every event; a payment is
 *   done when its `payment.authorised` notification arrives.
 *
 * Every `--sample` seconds one line: what was done, errors, the outbox's backlog, the
 * server process's memory (RSS, and its heap right after a full collection), its
 * PostgreSQL connections, the device streams it holds open, its TCP sockets, and table
 * sizes. At the end, a line fitted through the second half of the samples says whether
 * each figure that must stay bounded grows; tables that grow with the business are
 * reported per payment instead.
 */
import { Agent, createServer as createHttpServer, type Server } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { getHeapSpaceStatistics } from 'node:v8';
import { createNotificationHandler, createState, generateKey, type Notification } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { type NodeHandler, toNodeHandler } from '@caisse/server-kit/node';
import pg from 'pg';
import { b64, type DeviceJwk, listenAndApprove, newPhone, type Phone } from './phones.js';
import { isServerProcess, type ProcessFigures, relayServer, serverProcess } from './server-process.js';
import { benchEntry, benchMerchant, freePort, freshDatabase, runServer, type ServerSetup, SHOP } from './server-thread.js';
import { load, percentile } from './stats.js';
import { fitLine } from './trend.js';

// ——— what the run does ———

const DEFAULTS = { durationMinutes: 30, rate: 10, sampleSeconds: 30, phones: 16 };
/** The merchant of the run (the bench merchant that `runServer` registers has no notification URL). */
const SOAK_MERCHANT = 'soakshop';
/** Share of paid payments refunded once their notification arrives; half of those in full, half in part. */
const REFUND_SHARE = 0.2;
/** Each phone's stream lives this long before the phone hangs up and reconnects (phones take turns, one at a time). */
const STREAM_LIFETIME_MS = 60_000;
/** How long a phone about to hang up waits for its payments in progress to finish. */
const DRAIN_LIMIT_MS = 30_000;
/** A payment not notified this long after it was asked for is counted lost (an error). */
const LOST_AFTER_MS = 120_000;
/** After the last arrival, how long the payments and refunds still in progress may take to finish. */
const FINISH_LIMIT_MS = 60_000;

// ——— what the run checks ———

/** The server's PostgreSQL pool (storage/postgres.ts, default 10) plus its one LISTEN connection (storage/pg-listener.ts). */
const SERVER_CONNECTIONS_CEILING = 10 + 1;
/** The name the server's LISTEN connection gives itself (storage/pg-listener.ts, not exported). */
const LISTENER_APPLICATION_NAME = 'caisse-listener';
/** Allowed growth per hour, as a share of the figure's level over the judged samples: memory, sockets, bounded tables. */
const ALLOWED_GROWTH_PER_HOUR = 0.1;
/** More payments than this failing (refused, lost, an API error) fails the run: a soak that fails payments is not at its steady state. */
const MAX_ERROR_SHARE = 0.001;
/** More arrivals than this dropped (too many in progress) fails the run: the offered rate was not held. */
const MAX_DROPPED_SHARE = 0.01;
/**
 * Memory is judged only from this many seconds of load on: the server's heap grows over
 * the first minutes, in old and code space, as the load reaches more code and V8 compiles
 * and optimises it (measured here: 16.7 → 21.9 MiB after a full GC in the first 3 min at
 * 5 payments/s; within ±0.4 MiB from the 5th to the 10th minute at 10/s).
 */
const MEMORY_WARMUP_S = 300;
/** The oldest undelivered notification may be this old at most (the dispatcher passes every 2 s). */
const MAX_BACKLOG_AGE_S = 60;

/**
 * Tables that must not grow with the business: each keeps a row only for a while, then a
 * purge deletes it (packages/payment-server/src/housekeeping/, and the merchant API's
 * purges in requests). `settlesAfterS`: at a steady rate, how long until the table holds
 * its steady number of rows (its retention plus the purge's interval); only samples after
 * that (and in the second half of the run) are judged, so a table kept for days is judged
 * only in a soak that long. `null`: no purge, so the table is reported, not judged. Edit
 * this list as retentions change.
 */
const BOUNDED_TABLES: readonly { table: string; settlesAfterS: number | null; why: string }[] = [
  {
    table: 'api_assertions',
    settlesAfterS: 180,
    why: 'used assertion jti: kept 90 s (60 s lifetime + 30 s tolerance), purged at most once a minute in requests (api/single-use.ts) and every 5 min by housekeeping',
  },
  {
    table: 'api_idempotency_keys',
    settlesAfterS: 24 * 3600 + 300,
    why: 'kept 24 h, then purged (api/idempotency.ts, housekeeping every 5 min): judged only in a soak longer than a day',
  },
  {
    table: 'notifications',
    settlesAfterS: 30 * 86_400 + 300,
    why: 'delivered rows kept 30 days (CAISSE_NOTIFICATION_RETENTION_DAYS, at least 1), then pruned by housekeeping every 5 min: judged only in a soak longer than that',
  },
];

// ——— options ———

interface Options {
  durationMinutes: number;
  /** Payments offered per second. */
  rate: number;
  sampleSeconds: number;
  phones: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      sample: { type: 'string' },
      phones: { type: 'string' },
    },
  });
  const read = (flag: keyof typeof values, env: string, fallback: number, integer = false): number => {
    const text = values[flag] ?? process.env[env];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!(Number.isFinite(value) && value > 0) || (integer && !Number.isInteger(value))) {
      throw new Error(`--${flag} (${env}) must be a positive ${integer ? 'integer' : 'number'}, not ${JSON.stringify(text)}`);
    }
    return value;
  };
  const options = {
    durationMinutes: read('duration', 'BENCH_SOAK_DURATION', DEFAULTS.durationMinutes),
    rate: read('rate', 'BENCH_SOAK_RATE', DEFAULTS.rate),
    sampleSeconds: read('sample', 'BENCH_SOAK_SAMPLE', DEFAULTS.sampleSeconds),
    phones: read('phones', 'BENCH_SOAK_PHONES', DEFAULTS.phones, true),
  };
  if (options.phones < 2) throw new Error('--phones must be at least 2: one phone reconnects while the others pay');
  return options;
}

// ——— the payment server, in a worker thread of its own process ———

interface SoakSetup extends ServerSetup {
  soakJwks: unknown;
  /** The merchant's notification endpoint, on this machine. */
  notifyUrl: string;
  /** Customer n's phone: public JWK and PIN verifier. */
  phones: { id: string; jwk: DeviceJwk; pinVerifier: string }[];
}

/** The server thread's figures at one moment. */
interface ServerSample {
  /** Bytes of the server thread's heap in use, right after a full collection when `collected`. */
  heapUsed: number;
  collected: boolean;
  /** Device streams the server holds open (`deviceStreams.size()`). */
  streams: number;
  /** The server thread's open TCP sockets: HTTP connections in and out, PostgreSQL connections. */
  sockets: number;
  /** Bytes in use in each space of the server thread's heap (old, code, …): says what grows. */
  spaces: Record<string, number>;
}

const customerId = (n: number): string => `soak-${n}`;
const phoneOf = (n: number): string => `+336200${String(n).padStart(5, '0')}`;

function serveInThread(setup: SoakSetup): Promise<void> {
  return runServer<object, ServerSample>(setup, {
    async seed(server) {
      const { customers, devices } = server;
      await server.merchants.register({
        id: SOAK_MERCHANT,
        displayName: 'The Soak Shop',
        jwks: setup.soakJwks as Parameters<typeof server.merchants.register>[0]['jwks'],
        returnOrigins: [SHOP],
        notifyUrl: setup.notifyUrl,
      });
      // Cap and ceilings far above what a long soak spends: only refusals the run causes count.
      const limits = { walletCap: 1_000_000_000n, dailyCeiling: 10_000_000_000n, monthlyCeiling: 10_000_000_000n };
      await Promise.all(
        setup.phones.map(async (phone, n) => {
          const accountId = customerId(n);
          await customers.add({ accountId, phone: phoneOf(n), accessKey: 'correct horse battery staple', limits: { EUR: limits } });
          await customers.walletCredit(accountId, 'EUR', 500_000_000n, { idempotencyKey: `top-up:${accountId}` });
          const { code } = await devices.createCode(accountId);
          await devices.enroll(phone.id, { code, jwk: phone.jwk, pinVerifier: phone.pinVerifier });
        }),
      );
      return {};
    },
    answer(server) {
      // Started with --expose-gc: the heap is measured right after a full collection of this thread's heap, so what is left is what is kept.
      const collect = (globalThis as { gc?: () => void }).gc;
      collect?.();
      const { heapUsed } = process.memoryUsage();
      return {
        heapUsed,
        collected: collect !== undefined,
        streams: server.deviceStreams.size(),
        sockets: process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap').length,
        spaces: Object.fromEntries(getHeapSpaceStatistics().map((space) => [space.space_name, space.space_used_size])),
      };
    },
  });
}

// ——— the world around it ———

/** A phone in a customer's hand, approving what arrives on its stream. */
interface PhoneLine {
  index: number;
  phone: Phone;
  answers: { failed?: Error; answered: number };
  hangUp: (() => void) | undefined;
  /** About to hang up: takes no new payment until it has reconnected. */
  draining: boolean;
  /** Payments asked of this phone and not settled yet. */
  outstanding: number;
}

interface InFlight {
  line: PhoneLine;
  startedAt: number;
}

/** Totals since the load started. */
interface Counts {
  offered: number;
  dropped: number;
  paid: number;
  refundsAsked: number;
  refunds: number;
  refundNotices: number;
  /** Events the notification endpoint processed (duplicates not counted). */
  notices: number;
  /** `payment.authorised` for a payment already counted lost. */
  lateNotices: number;
  errors: number;
  lost: number;
  reconnects: number;
}

type Merchant = ReturnType<typeof benchMerchant>;
type Client = ReturnType<typeof createMerchantClient>;

/** The payments, refunds and notifications of the run, as the merchant's backend keeps them. */
function createShop(kit: Merchant, client: Client, lines: readonly PhoneLine[]) {
  const counts: Counts = {
    offered: 0,
    dropped: 0,
    paid: 0,
    refundsAsked: 0,
    refunds: 0,
    refundNotices: 0,
    notices: 0,
    lateNotices: 0,
    errors: 0,
    lost: 0,
    reconnects: 0,
  };
  const errorKinds = new Map<string, number>();
  const inFlight = new Map<string, InFlight>();
  let refundsInFlight = 0;
  let serial = 0;
  let nextLine = 0;
  /** This sample window's arrival lateness and payment latencies, ms. */
  let window = { lateness: [] as number[], latencies: [] as number[] };
  /** Over the whole run: the latest arrival, and how many were sent more than 100 ms after they were due. */
  const late = { max: 0, over100: 0 };

  const fail = (kind: string) => {
    counts.errors++;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  const describe = (error: unknown): string => {
    const { name, code, message } = error as { name?: string; code?: string; message?: string };
    return code ? `${name ?? 'Error'} ${code}` : `${name ?? 'Error'}: ${String(message).slice(0, 100)}`;
  };
  const settle = (ticket: string): InFlight | undefined => {
    const entry = inFlight.get(ticket);
    if (entry === undefined) return undefined;
    inFlight.delete(ticket);
    entry.line.outstanding--;
    return entry;
  };

  function refund(paymentId: string, amount: number): void {
    const full = Math.random() < 0.5;
    counts.refundsAsked++;
    refundsInFlight++;
    client.refunds
      .create(
        { id: paymentId },
        { amount: full ? amount : Math.max(1, Math.floor(amount / 2)), reason: full ? 'order cancelled' : 'one item damaged' },
      )
      .then(
        (answer) => (answer.status === 'succeeded' ? counts.refunds++ : fail(`refund ${answer.status}`)),
        (error: unknown) => fail(`refund: ${describe(error)}`),
      )
      .finally(() => refundsInFlight--);
  }

  return {
    counts,
    errorKinds,
    late,
    fail,
    /** One arrival, `lateness` ms after it was due: a payment for the next phone not about to hang up. */
    arrive(lateness: number, maxInFlight: number): void {
      counts.offered++;
      window.lateness.push(lateness);
      late.max = Math.max(late.max, lateness);
      if (lateness > 100) late.over100++;
      let line: PhoneLine | undefined;
      for (let tries = 0; tries < lines.length && line === undefined; tries++) {
        const candidate = lines[nextLine++ % lines.length] as PhoneLine;
        if (!candidate.draining) line = candidate;
      }
      if (line === undefined || inFlight.size >= maxInFlight) {
        counts.dropped++;
        return;
      }
      const amount = 100 + Math.floor(Math.random() * 1901); // 1.00 to 20.00 EUR: wallet payments, approved with the PIN.
      const ticket = kit.createTicket({
        serial: `soak-${serial++}`,
        currency: 'EUR',
        items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
        returnUrl: `${SHOP}/paid`,
        cancelUrl: `${SHOP}/basket`,
        state: createState(),
      });
      const jti = ticket.claims.jti;
      inFlight.set(jti, { line, startedAt: performance.now() });
      line.outstanding++;
      client.payments.request({ ticket, phone: phoneOf(line.index) }).then(
        (answer) => {
          if (answer.state === 'refused' && settle(jti)) fail('payment refused when asked');
        },
        (error: unknown) => {
          if (settle(jti)) fail(`payment request: ${describe(error)}`);
        },
      );
    },
    /** What the notification endpoint verified, in the order it arrived. */
    notified(event: Notification): void {
      counts.notices++;
      switch (event.event) {
        case 'payment.authorised': {
          const entry = settle(event.payment.ticket.jti);
          if (entry === undefined) {
            counts.lateNotices++;
            return;
          }
          counts.paid++;
          window.latencies.push(performance.now() - entry.startedAt);
          if (Math.random() < REFUND_SHARE) refund(event.payment.id, event.payment.amount);
          return;
        }
        case 'payment.refused':
          if (settle(event.refusal.ticket.jti)) fail(`payment refused: ${event.refusal.reason}`);
          return;
        case 'refund.succeeded':
          counts.refundNotices++;
          return;
        default:
          fail(`unexpected notification ${event.event}`);
      }
    },
    /** Counts the payments waiting too long as lost, and the answers the server refused. */
    sweep(): void {
      const tooOld = performance.now() - LOST_AFTER_MS;
      for (const [ticket, entry] of inFlight) {
        if (entry.startedAt < tooOld && settle(ticket)) {
          counts.lost++;
          fail('payment not notified within 2 min');
        }
      }
      for (const line of lines) {
        if (line.answers.failed) {
          fail(`phone answer refused: ${line.answers.failed.message.slice(0, 100)}`);
          line.answers.failed = undefined;
        }
      }
    },
    /** This window's lateness and latencies; a new window starts. */
    takeWindow() {
      const taken = window;
      window = { lateness: [], latencies: [] };
      taken.lateness.sort((a, b) => a - b);
      taken.latencies.sort((a, b) => a - b);
      return taken;
    },
    /** Whether every payment and refund asked for has its outcome, and every refund its notification. */
    finished: () => inFlight.size === 0 && refundsInFlight === 0 && counts.refundNotices >= counts.refunds,
    /** Counts every payment still waiting as lost. */
    giveUp(): void {
      for (const ticket of [...inFlight.keys()]) {
        settle(ticket);
        counts.lost++;
        fail('payment not notified by the end of the run');
      }
    },
  };
}

type Shop = ReturnType<typeof createShop>;

/**
 * Offers `rate` payments per second for `durationMs`, open loop: each arrival is sent when
 * due whatever the others are doing; a timer that fires late sends the arrivals it missed
 * at once, each counted late by how much.
 */
function offer(shop: Shop, rate: number, durationMs: number, maxInFlight: number): { stop(): void } {
  const total = Math.floor((durationMs / 1000) * rate);
  const startedAt = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - startedAt) / 1000) * rate) + 1);
    for (; sent < due; sent++) shop.arrive(now - (startedAt + (sent * 1000) / rate), maxInFlight);
    if (sent >= total) clearInterval(timer);
  }, 5);
  return { stop: () => clearInterval(timer) };
}

/**
 * Hangs up each phone's stream and reconnects it, one phone every
 * STREAM_LIFETIME_MS / phones, until `signal` aborts. A phone first stops taking payments
 * and lets those in progress finish (its request would otherwise be sent again on the new
 * stream and answered twice).
 */
async function rotateStreams(lines: readonly PhoneLine[], issuer: string, agent: Agent, shop: Shop, signal: AbortSignal): Promise<void> {
  const gap = STREAM_LIFETIME_MS / lines.length;
  for (let n = 0; ; n++) {
    try {
      await sleep(gap, undefined, { signal });
    } catch {
      return;
    }
    const line = lines[n % lines.length] as PhoneLine;
    line.draining = true;
    const deadline = performance.now() + DRAIN_LIMIT_MS;
    while (line.outstanding > 0 && performance.now() < deadline && !signal.aborted) await sleep(20);
    line.hangUp?.();
    line.hangUp = undefined;
    try {
      line.hangUp = await listenAndApprove(line.phone, issuer, agent, line.answers);
      shop.counts.reconnects++;
      line.draining = false;
    } catch (error) {
      // Stays draining, without a stream, until its next turn.
      shop.fail(`stream reopen: ${(error as Error).message}`);
    }
  }
}

// ——— samples ———

interface Sample {
  /** Seconds since the load started (0: just before). */
  t: number;
  counts: Counts;
  lateP99: number;
  latencyP50: number;
  latencyP99: number;
  server: ServerSample & ProcessFigures;
  /** Heap in use on this (the load's) thread. */
  loadHeap: number;
  /** The server's PostgreSQL connections: its pool, its LISTEN connection. */
  pool: number;
  listener: number;
  backlog: number;
  /** Seconds since the oldest undelivered notification was written; 0 when none is. */
  oldest: number;
  parked: number;
  streamsOpen: number;
  databaseBytes: number;
  tables: Map<string, { rows: number; bytes: number; inserted: number }>;
}

/** The database as this run's monitoring connection sees it. */
async function readDatabase(monitor: pg.Client, tables: readonly string[]) {
  const connections = await monitor.query<{ app: string; n: number }>(
    `SELECT application_name AS app, count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1`,
  );
  const outbox = await monitor.query<{ pending: number; parked: number; oldest: number }>(
    `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending, count(*) FILTER (WHERE status = 'parked')::int AS parked,
            coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest
       FROM notifications`,
  );
  const counted = await monitor.query<Record<string, number>>(
    `SELECT ${tables.map((table, n) => `(SELECT count(*) FROM ${monitor.escapeIdentifier(table)})::int AS t${n}`).join(', ')}`,
  );
  // n_tup_ins: rows inserted so far, deleted ones included (the statistics PostgreSQL keeps, flushed within seconds).
  const sizes = await monitor.query<{ name: string; bytes: string; inserted: string }>(
    `SELECT relname AS name, pg_total_relation_size(relid)::text AS bytes, n_tup_ins::text AS inserted
       FROM pg_stat_user_tables WHERE schemaname = 'public'`,
  );
  const database = await monitor.query<{ bytes: string }>('SELECT pg_database_size(current_database())::text AS bytes');
  const bySize = new Map(sizes.rows.map((row) => [row.name, row]));
  const rows = counted.rows[0] ?? {};
  // The database is the run's own: every session but this one is the server's, its LISTEN connection by its name.
  const listener = connections.rows.find((row) => row.app === LISTENER_APPLICATION_NAME)?.n ?? 0;
  return {
    pool: connections.rows.reduce((sum, row) => sum + row.n, 0) - listener,
    listener,
    byName: connections.rows.map((row) => `${row.n} ${row.app || '(no name)'}`).join(', '),
    backlog: outbox.rows[0]?.pending ?? 0,
    parked: outbox.rows[0]?.parked ?? 0,
    oldest: outbox.rows[0]?.oldest ?? 0,
    databaseBytes: Number(database.rows[0]?.bytes ?? 0),
    tables: new Map(
      tables.map((table, n) => [
        table,
        { rows: rows[`t${n}`] ?? 0, bytes: Number(bySize.get(table)?.bytes ?? 0), inserted: Number(bySize.get(table)?.inserted ?? 0) },
      ]),
    ),
  };
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(0));

/** The columns of a sample line: heading, width, value. */
function columns(sample: Sample, previous: Sample | undefined): [string, number, string][] {
  const paidInWindow = sample.counts.paid - (previous?.counts.paid ?? 0);
  const cpu = previous && paidInWindow > 0 ? (sample.server.cpuMs - previous.server.cpuMs) / paidInWindow : Number.NaN;
  return [
    ['t s', 6, sample.t.toFixed(0)],
    ['paid', 7, String(sample.counts.paid)],
    ['refunds', 7, String(sample.counts.refunds)],
    ['errors', 6, String(sample.counts.errors)],
    ['drop', 5, String(sample.counts.dropped)],
    ['late p99 ms', 11, ms(sample.lateP99)],
    ['pay p50/p99 ms', 14, `${ms(sample.latencyP50)}/${ms(sample.latencyP99)}`],
    ['notices', 7, String(sample.counts.notices)],
    ['backlog', 7, String(sample.backlog)],
    ['oldest s', 8, sample.oldest.toFixed(1)],
    ['rss MiB', 7, mib(sample.server.rss)],
    [sample.server.collected ? 'heap·gc MiB' : 'heap MiB', 11, mib(sample.server.heapUsed)],
    ['cpu ms/pay', 10, Number.isNaN(cpu) ? '-' : cpu.toFixed(1)],
    ['pg conns', 8, `${sample.pool + sample.listener} (${sample.pool}+${sample.listener})`],
    ['streams', 7, `${sample.server.streams}/${sample.streamsOpen}`],
    ['sockets', 7, String(sample.server.sockets)],
    ['db MiB', 6, mib(sample.databaseBytes)],
    ...BOUNDED_TABLES.map(({ table }): [string, number, string] => [table, table.length, String(sample.tables.get(table)?.rows ?? 0)]),
  ];
}

const line = (cells: [string, number, string][], heading: boolean): string =>
  cells.map(([title, width, value]) => (heading ? title : value).padStart(Math.max(width, title.length))).join('  ');

// ——— the verdict ———

interface Verdict {
  name: string;
  /** The first sample judged. */
  from: string;
  level: string;
  growth: string;
  limit: string;
  /** Growth (the low end of its confidence interval) over the allowance; NaN when not a growth check or not judged. */
  ratio: number;
  verdict: string;
  /** A count above its ceiling: the run fails. */
  above?: boolean;
}

/**
 * How a figure is held to account: `growth`, its growth per hour against an allowance
 * (memory, the outbox, purged tables); `ceiling`, a count its design caps, which it may
 * never pass (connections, streams); `report`, shown only.
 */
type Limit =
  | { kind: 'growth'; allowed(judged: Sample[], values: number[]): { perHour: number; basis: string } }
  | { kind: 'ceiling'; ceiling: number; basis: string }
  | { kind: 'report'; why: string };

/** A figure that must stay bounded. */
interface Check {
  name: string;
  /** Samples before this many seconds of load are not judged (on top of the first half of the run). */
  settlesAfterS: number;
  /** Why the figure is not judged at all, if it is not. */
  skip?: string;
  value(sample: Sample): number;
  limit: Limit;
  format(value: number): string;
}

/** Seconds as a reader counts them: `180 s`, `24.1 h`, `30.0 days`. */
const duration = (seconds: number): string =>
  seconds >= 2 * 86_400
    ? `${(seconds / 86_400).toFixed(1)} days`
    : seconds >= 2 * 3600
      ? `${(seconds / 3600).toFixed(1)} h`
      : `${seconds.toFixed(0)} s`;
const average = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
const inMiB = (value: number): string => `${value.toFixed(2)} MiB`;
const counted =
  (unit: string) =>
  (value: number): string =>
    `${value.toFixed(Math.abs(value) >= 100 || Number.isInteger(value) ? 0 : 1)} ${unit}`;
/** A tenth of the figure's level, per hour. */
const tenthOfLevel: Limit = {
  kind: 'growth',
  allowed: (_, values) => ({ perHour: ALLOWED_GROWTH_PER_HOUR * average(values), basis: `${ALLOWED_GROWTH_PER_HOUR * 100} % of level` }),
};

/** Rows inserted into `table` until `sample` (deleted ones included). */
const insertedInto = (sample: Sample, table: string): number => sample.tables.get(table)?.inserted ?? 0;

/** What this run judges: the server's memory, connections and streams, the outbox, and the tables that must stay bounded. */
function checks(options: Options): Check[] {
  return [
    {
      name: 'server heap (after a full GC)',
      settlesAfterS: MEMORY_WARMUP_S,
      value: (sample) => sample.server.heapUsed / 2 ** 20,
      limit: tenthOfLevel,
      format: inMiB,
    },
    {
      name: 'server process RSS',
      settlesAfterS: MEMORY_WARMUP_S,
      value: (sample) => sample.server.rss / 2 ** 20,
      limit: tenthOfLevel,
      format: inMiB,
    },
    {
      name: 'server PostgreSQL connections',
      settlesAfterS: 0,
      value: (sample) => sample.pool + sample.listener,
      limit: { kind: 'ceiling', ceiling: SERVER_CONNECTIONS_CEILING, basis: 'pool + LISTEN' },
      format: counted('conn'),
    },
    {
      name: 'server device streams',
      settlesAfterS: 0,
      value: (sample) => sample.server.streams,
      limit: { kind: 'ceiling', ceiling: options.phones + 1, basis: 'phones + 1 reconnecting' },
      format: counted('streams'),
    },
    {
      name: 'server TCP sockets',
      settlesAfterS: 0,
      value: (sample) => sample.server.sockets,
      limit: { kind: 'report', why: 'keep-alive connections come and go with the load' },
      format: counted('sockets'),
    },
    {
      name: 'notification backlog',
      settlesAfterS: 0,
      value: (sample) => sample.backlog,
      limit: { kind: 'growth', allowed: () => ({ perHour: options.rate * 60, basis: "a minute's events" }) },
      format: counted('rows'),
    },
    ...BOUNDED_TABLES.map(
      ({ table, settlesAfterS }): Check => ({
        name: `${table} rows`,
        settlesAfterS: settlesAfterS ?? 0,
        ...(settlesAfterS === null ? { skip: 'no purge yet' } : {}),
        value: (sample) => sample.tables.get(table)?.rows ?? 0,
        // A purged table keeps a small share of what it takes in; without its purge it keeps all of it.
        limit: {
          kind: 'growth',
          allowed: (judged) => {
            const from = judged[0];
            const to = judged.at(-1);
            const inserted =
              from && to && to.t > from.t ? ((insertedInto(to, table) - insertedInto(from, table)) / (to.t - from.t)) * 3600 : 0;
            return { perHour: Math.max(1, ALLOWED_GROWTH_PER_HOUR * inserted), basis: `${ALLOWED_GROWTH_PER_HOUR * 100} % of inserts` };
          },
        },
        format: counted('rows'),
      }),
    ),
  ];
}

/**
 * Judges each check over the samples of the second half of the run that are also past
 * its settling time, through a least-squares line. A growth check compares the line's
 * growth per hour with its allowance, counting the low end of the slope's 95 % confidence
 * interval, so that noise fails nothing; a series whose high end exceeds the allowance is
 * called noisy rather than flat. A ceiling check fails when any sample of the run, warm-up
 * included, is above the ceiling (a pool at its maximum is no growth, and a slope through a
 * count that sits at its cap only measures noise).
 */
function judgeRun(samples: readonly Sample[], options: Options): Verdict[] {
  const half = (options.durationMinutes * 60) / 2;
  return checks(options).map((check) => {
    const start = Math.max(half, check.settlesAfterS);
    const judged = samples.filter((sample) => sample.t > 0 && sample.t >= start);
    const notJudged = (why: string): Verdict => ({
      name: check.name,
      from: '-',
      level: '-',
      growth: '-',
      limit: '-',
      ratio: Number.NaN,
      verdict: `not judged: ${why}`,
    });
    if (check.skip) return notJudged(check.skip);
    const values = judged.map((sample) => check.value(sample));
    const trend =
      judged.length >= 3
        ? fitLine(
            judged.map((sample) => sample.t),
            values,
          )
        : undefined;
    const signed = (value: number) => (value >= 0 ? `+${check.format(value)}` : `−${check.format(-value)}`);
    const shown = {
      name: check.name,
      from: judged[0] ? `${judged[0].t.toFixed(0)} s` : '-',
      level: trend ? check.format(trend.mean) : '-',
      growth: trend ? `${signed(trend.slope * 3600)} ± ${check.format(trend.margin * 3600)}` : '-',
    };
    const { limit } = check;
    if (limit.kind === 'ceiling') {
      const highest = Math.max(...samples.filter((sample) => sample.t > 0).map((sample) => check.value(sample)));
      const above = highest > limit.ceiling;
      return {
        ...shown,
        limit: `≤ ${check.format(limit.ceiling)} (${limit.basis})`,
        ratio: Number.NaN,
        verdict: `${above ? 'ABOVE its ceiling' : 'within its ceiling'}: at most ${check.format(highest)} in the run`,
        above,
      };
    }
    if (trend === undefined) return notJudged(`needs 3 samples from t = ${duration(start)}, run longer`);
    if (limit.kind === 'report') return { ...shown, limit: '-', ratio: Number.NaN, verdict: `reported: ${limit.why}` };
    const allowed = limit.allowed(judged, values);
    const low = (trend.slope - trend.margin) * 3600;
    const high = (trend.slope + trend.margin) * 3600;
    const ratio = Math.max(0, low) / Math.max(allowed.perHour, Number.MIN_VALUE);
    return {
      ...shown,
      limit: `+${check.format(allowed.perHour)}/h (${allowed.basis})`,
      ratio,
      verdict: ratio > 1 ? 'GROWS' : low > 0 ? 'rises, within the allowance' : high <= allowed.perHour ? 'flat' : 'no trend shown (noisy)',
    };
  });
}

function printTable(headings: string[], rows: string[][]): void {
  const widths = headings.map((heading, i) => Math.max(heading.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (cells: string[]) =>
    `  ${cells
      .map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}`;
  console.log(format(headings));
  for (const row of rows) console.log(format(row));
}

// ——— the run ———

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

async function main(): Promise<void> {
  const options = readOptions();
  const durationMs = options.durationMinutes * 60_000;
  const sampleMs = options.sampleSeconds * 1000;
  const maxInFlight = Math.max(100, Math.ceil(options.rate * 30));
  const runStarted = performance.now();
  const loadBefore = load();

  // The merchant's notification endpoint listens first: its URL is registered with the merchant.
  let handle: NodeHandler | undefined;
  const endpoint = createHttpServer((request, response) => {
    if (handle) void handle(request, response);
    else response.writeHead(503).end();
  });
  const notifyPort = await freePort();
  await listen(endpoint, notifyPort);
  // Closed at the end; unreferenced so that a failed setup does not leave the process waiting on it.
  endpoint.unref();

  const soakKey = generateKey();
  const benchKey = generateKey();
  // The phones make their keys and derive their PIN keys here, once: a phone's work, not the server's.
  const phones = await Promise.all(Array.from({ length: options.phones }, () => newPhone()));
  const port = await freePort();
  const database = await freshDatabase('bench_soak');
  const setup: SoakSetup = {
    databaseUrl: database.url,
    port,
    merchantJwks: benchKey.jwks,
    soakJwks: soakKey.jwks,
    notifyUrl: `http://127.0.0.1:${notifyPort}/caisse/notify`,
    phones: phones.map((phone) => ({ id: phone.id, jwk: phone.jwk, pinVerifier: b64(phone.pinKey) })),
  };
  const server = serverProcess<object, ServerSample>(import.meta.url, setup, ['--expose-gc']);
  const monitor = new pg.Client({ connectionString: database.url, application_name: 'caisse-soak-monitor' });
  monitor.on('error', () => {});
  const phoneAgent = new Agent({ keepAlive: true, maxSockets: 2 * options.phones });
  const lines: PhoneLine[] = phones.map((phone, index) => ({
    index,
    phone,
    answers: { answered: 0 },
    hangUp: undefined,
    draining: false,
    outstanding: 0,
  }));
  const stopping = new AbortController();
  const interrupt = () => stopping.abort();
  process.once('SIGINT', interrupt);
  let arrivals: { stop(): void } | undefined;
  let rotating: Promise<void> | undefined;
  try {
    const { url: issuer, jwks } = await server.ready;
    await monitor.connect();
    const kit = benchMerchant(soakKey, issuer, jwks, SOAK_MERCHANT);
    const client = createMerchantClient({ server: { issuer }, merchantId: SOAK_MERCHANT, key: soakKey.privateJwk });
    const shop = createShop(kit, client, lines);
    handle = toNodeHandler(
      createNotificationHandler({
        merchant: kit,
        onNotification: (event) => shop.notified(event),
        onError: (error) => shop.fail(`notification endpoint: ${(error as Error).message}`),
      }),
    );
    for (const each of lines) each.hangUp = await listenAndApprove(each.phone, issuer, phoneAgent, each.answers);
    const tables = (
      await monitor.query<{ name: string }>(`SELECT relname AS name FROM pg_stat_user_tables WHERE schemaname = 'public' ORDER BY relname`)
    ).rows.map((row) => row.name);
    const { rows: version } = await monitor.query<{ server_version: string }>('SHOW server_version');

    console.log(
      `bench:soak — the payment server under a steady mix for ${options.durationMinutes} min, watched for anything that grows without bound`,
    );
    console.log(
      `node ${process.version}, PostgreSQL ${version[0]?.server_version}; payment server: the built @caisse/payment-server (startPaymentServer) in a process of its own (pid ${server.pid}; worker thread, --expose-gc), on a fresh database`,
    );
    console.log(
      `mix: ${options.rate} decoupled payments/s offered (open loop, 1.00–20.00 EUR from the wallet, server kit merchant client) to ${options.phones} phones approving on their device streams (each hung up and reopened every ${STREAM_LIFETIME_MS / 1000} s, one at a time); ${REFUND_SHARE * 100} % refunded (half in full, half in part); every event notified to a local endpoint (server kit notification handler)`,
    );
    console.log(`load average (1, 5, 15 min) before the run: ${loadBefore} on ${cpus().length} cores`);
    console.log(
      `setup (database, migrations, merchant, ${options.phones} customers with wallets and phones, streams open): ${ms(performance.now() - runStarted)} ms`,
    );
    console.log('');

    const samples: Sample[] = [];
    const takeSample = async (t: number): Promise<Sample> => {
      shop.sweep();
      const [answer, db] = await Promise.all([server.ask(), readDatabase(monitor, tables)]);
      const window = shop.takeWindow();
      const sample: Sample = {
        t,
        counts: { ...shop.counts },
        lateP99: percentile(window.lateness, 99),
        latencyP50: percentile(window.latencies, 50),
        latencyP99: percentile(window.latencies, 99),
        server: answer,
        loadHeap: process.memoryUsage().heapUsed,
        pool: db.pool,
        listener: db.listener,
        backlog: db.backlog,
        oldest: db.oldest,
        parked: db.parked,
        streamsOpen: lines.filter((each) => each.hangUp !== undefined).length,
        databaseBytes: db.databaseBytes,
        tables: db.tables,
      };
      const cells = columns(sample, samples.at(-1));
      if (samples.length === 0) console.log(line(cells, true));
      console.log(line(cells, false));
      samples.push(sample);
      return sample;
    };

    // ——— the load ———
    await takeSample(0);
    const loadStarted = performance.now();
    arrivals = offer(shop, options.rate, durationMs, maxInFlight);
    rotating = rotateStreams(lines, issuer, phoneAgent, shop, stopping.signal);
    for (let k = 1; ; k++) {
      const at = Math.min(k * sampleMs, durationMs);
      try {
        await sleep(Math.max(0, loadStarted + at - performance.now()), undefined, { signal: stopping.signal });
      } catch {
        throw new Error('interrupted: no verdict');
      }
      await takeSample(at / 1000);
      if (at >= durationMs) break;
    }
    arrivals.stop();
    stopping.abort();
    await rotating;

    // ——— the payments still in progress finish; the phones hang up ———
    const finishBy = performance.now() + FINISH_LIMIT_MS;
    while (!shop.finished() && performance.now() < finishBy) await sleep(100);
    const finishedIn = performance.now() - (loadStarted + durationMs);
    shop.sweep();
    shop.giveUp();
    for (const each of lines) {
      each.hangUp?.();
      each.hangUp = undefined;
    }
    let leftOpen = (await server.ask()).streams;
    for (let tries = 0; leftOpen > 0 && tries < 20; tries++) {
      await sleep(250);
      leftOpen = (await server.ask()).streams;
    }
    const after = await readDatabase(monitor, tables);
    const counts = shop.counts;
    const last = samples.at(-1) as Sample;
    const first = samples[0] as Sample;

    // ——— totals ———
    const worstLate = Math.max(...samples.map((sample) => (Number.isNaN(sample.lateP99) ? 0 : sample.lateP99)));
    console.log('');
    console.log(
      `offered ${counts.offered} payments in ${options.durationMinutes} min (${(counts.offered / (durationMs / 1000)).toFixed(2)}/s): paid ${counts.paid}, dropped ${counts.dropped} (more than ${maxInFlight} in progress), lost ${counts.lost}; arrivals sent late: p99 ${ms(worstLate)} ms in the worst window, max ${ms(shop.late.max)} ms, ${shop.late.over100} later than 100 ms`,
    );
    console.log(
      `refunds: ${counts.refundsAsked} asked, ${counts.refunds} succeeded, ${counts.refundNotices} notified; notifications processed ${counts.notices} (${counts.lateNotices} for payments already counted lost), ${after.parked} parked; phone answers ${lines.reduce((sum, each) => sum + each.answers.answered, 0)}; stream reconnections ${counts.reconnects}`,
    );
    console.log(
      `after the last arrival: everything settled in ${(finishedIn / 1000).toFixed(1)} s; the outbox holds ${after.backlog} undelivered; the server holds ${leftOpen} device streams once every phone hung up`,
    );
    console.log(`errors: ${counts.errors}${[...shop.errorKinds].map(([kind, n]) => `\n  ${n} × ${kind}`).join('')}`);
    console.log(
      `this process (the load): heap ${mib(first.loadHeap)} → ${mib(last.loadHeap)} MiB; the server's PostgreSQL sessions at the end, by application name: ${after.byName || 'none'}`,
    );

    // ——— bounded figures: a line through the second half ———
    const verdicts = judgeRun(samples, options);
    console.log('');
    console.log(
      `what must stay bounded: growth per hour from a least-squares line through the samples of the second half (t ≥ ${(durationMs / 2000).toFixed(0)} s, later where a figure takes longer to settle), ± its 95 % confidence margin; a growth check's ratio counts the low end against the allowance; a ceiling holds over the whole run`,
    );
    printTable(
      ['figure', 'from', 'level', 'growth per hour', 'limit', 'ratio', 'verdict'],
      verdicts.map((verdict) => [
        verdict.name,
        verdict.from,
        verdict.level,
        verdict.growth,
        verdict.limit,
        Number.isNaN(verdict.ratio) ? '-' : verdict.ratio.toFixed(2),
        verdict.verdict,
      ]),
    );
    // From the first sample memory is judged on, else from the middle of the run.
    const halfway =
      samples.find((sample) => sample.t >= Math.max(durationMs / 2000, MEMORY_WARMUP_S) && sample !== last) ??
      samples.find((sample) => sample.t >= durationMs / 2000) ??
      first;
    console.log(
      `  server heap by space, t = ${halfway.t.toFixed(0)} s → ${last.t.toFixed(0)} s: ${Object.entries(last.server.spaces)
        .filter(([, bytes]) => bytes > 0)
        .map(([space, bytes]) => `${space.replace(/_space$/, '')} ${mib(halfway.server.spaces[space] ?? 0)} → ${mib(bytes)}`)
        .join(', ')} MiB`,
    );
    for (const { table, why } of BOUNDED_TABLES) console.log(`  ${table}: ${why}`);

    // ——— tables: growth per payment ———
    const paid = Math.max(1, last.counts.paid);
    const bounded = new Set(BOUNDED_TABLES.map(({ table }) => table));
    const grown = tables
      .map((table) => {
        const from = first.tables.get(table) ?? { rows: 0, bytes: 0, inserted: 0 };
        const to = last.tables.get(table) ?? { rows: 0, bytes: 0, inserted: 0 };
        return { table, from, to, rows: to.rows - from.rows, bytes: to.bytes - from.bytes };
      })
      .filter((entry) => entry.rows !== 0 || entry.bytes !== 0 || bounded.has(entry.table))
      .sort((a, b) => b.bytes - a.bytes);
    console.log('');
    console.log(
      `tables, from the start of the load to its end (${last.counts.paid} payments, ${last.counts.refunds} refunds): database ${mib(first.databaseBytes)} → ${mib(last.databaseBytes)} MiB, ${((last.databaseBytes - first.databaseBytes) / paid / 1024).toFixed(2)} KiB per payment`,
    );
    printTable(
      ['table', 'rows', 'MiB', 'rows/payment', 'KiB/payment', 'kind'],
      grown.map((entry) => [
        entry.table,
        `${entry.from.rows} → ${entry.to.rows}`,
        `${mib(entry.from.bytes)} → ${mib(entry.to.bytes)}`,
        (entry.rows / paid).toFixed(2),
        (entry.bytes / paid / 1024).toFixed(2),
        bounded.has(entry.table) ? 'must stay bounded' : 'grows with the business',
      ]),
    );

    // ——— what fails the run outright ———
    const failures: string[] = [];
    if (counts.errors > MAX_ERROR_SHARE * counts.offered)
      failures.push(`${counts.errors} errors, more than ${MAX_ERROR_SHARE * 100} % of ${counts.offered} payments`);
    if (counts.dropped > MAX_DROPPED_SHARE * counts.offered)
      failures.push(`${counts.dropped} arrivals dropped, more than ${MAX_DROPPED_SHARE * 100} %: the rate was not held`);
    for (const verdict of verdicts)
      if (verdict.above) failures.push(`${verdict.name} above its ceiling (${verdict.limit}): ${verdict.verdict}`);
    if (leftOpen > 0) failures.push(`the server still holds ${leftOpen} device streams after every phone hung up`);
    const oldest = Math.max(...samples.map((sample) => sample.oldest));
    if (oldest > MAX_BACKLOG_AGE_S)
      failures.push(`a notification waited ${oldest.toFixed(0)} s to be delivered (at most ${MAX_BACKLOG_AGE_S} s)`);
    if (after.parked > 0) failures.push(`${after.parked} notifications parked`);
    if (counts.refundNotices !== counts.refunds)
      failures.push(`${counts.refunds} refunds succeeded but ${counts.refundNotices} were notified`);
    if (!last.server.collected)
      console.log('note: the server ran without --expose-gc: its heap is measured without a full collection first');
    if (failures.length > 0) throw new Error(`the soak failed:\n  ${failures.join('\n  ')}`);

    const judgedVerdicts = verdicts.filter((verdict) => !Number.isNaN(verdict.ratio));
    const ratio = Math.max(0, ...judgedVerdicts.map((verdict) => verdict.ratio));
    const growing = judgedVerdicts.filter((verdict) => verdict.ratio > 1).map((verdict) => verdict.name);
    const worst = judgedVerdicts.find((verdict) => verdict.ratio === ratio && ratio > 0);
    console.log('');
    console.log(`load average (1, 5, 15 min) after the run: ${load()}`);
    console.log(
      `verdict: ${growing.length > 0 ? `grows beyond its allowance: ${growing.join(', ')}` : 'nothing grows beyond its allowance'}; every count within its ceiling; ${judgedVerdicts.length} growth figure${judgedVerdicts.length === 1 ? '' : 's'} judged${worst ? `, the closest to its allowance: ${worst.name}` : ', none shows growth'}`,
    );
    if (ratio > 1) process.exitCode = 1;
    console.log(`ratio: ${ratio.toFixed(2)}`);
  } finally {
    process.off('SIGINT', interrupt);
    arrivals?.stop();
    stopping.abort();
    await rotating?.catch(() => {});
    for (const each of lines) each.hangUp?.();
    phoneAgent.destroy();
    endpoint.closeAllConnections();
    endpoint.close();
    await monitor.end().catch(() => {});
    await server.close();
    await database.drop();
  }
}

if (isServerProcess()) {
  relayServer<object, ServerSample>(import.meta.url).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  benchEntry(main, serveInThread);
}
