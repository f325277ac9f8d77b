/**
 * bench:allowance-charges — charges under session allowances per second through HTTP and
 * PostgreSQL, 16 merchants charging at once, against what the same PostgreSQL does
 * through the same driver (`pg`) with the smallest double-entry transaction, in one run
 * on one fresh database.
 *
 * Server: the built payment server (`startPaymentServer` from `@caisse/payment-server`'s
 * dist) in one worker thread per core (two instances on this machine's two cores, as
 * two processes behind one address would be: the same issuer, the same database, and
 * each merchant's connections kept on one of them). Setup, untimed: 16 merchants, 16
 * customers each with a funded wallet and an enrolled phone; each merchant asks its
 * customer for an allowance with the server kit's merchant client (`payments.request`,
 * the decoupled checkout of an `allowance` ticket), the customer's phone approves it
 * with the PIN on its device stream, and the merchant reads the grant's voucher
 * (`payments.byTicket`) and verifies it: its `allowance.id` is what the merchant charges.
 * Charges: the main thread plays the 16 merchants' servers, each a closed loop of
 * `createMerchantClient(…).allowances.charge(ticket)` with a purchase ticket carrying
 * `allowanceId`, signed before the clock starts; latency is the call; every voucher is
 * verified with the server kit after the clock stops.
 * Ceiling: bench/src/ceiling.ts, the same as bench:payment-throughput's.
 */
import crypto, { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type CreatedTicket, createState, generateKey } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import pg from 'pg';
import { ceilingRound, createScratch, dropScratch } from './ceiling.js';
import { b64, type DeviceJwk, listenAndApprove, newPhone } from './phones.js';
import {
  benchEntry,
  benchMerchant,
  countSql,
  freePort,
  freshDatabase,
  MERCHANT_ID,
  runServer,
  type ServerSetup,
  SHOP,
  type SqlSample,
  serverThread,
} from './server-thread.js';
import { load, median, percentile } from './stats.js';

const MERCHANTS = 16;
const CONNECTIONS = 16;
/** Server instances, one worker thread each: one per core unless BENCH_INSTANCES says otherwise. */
const INSTANCES = Math.max(1, Number(process.env.BENCH_INSTANCES ?? cpus().length));
const PRICE = 100; // 1.00 EUR a charge.
/** Each allowance's maximum, 100,000.00 EUR: 100,000 charges, far more than a run makes; the wallet holds it back at the grant. */
const MAXIMUM = 10_000_000;
const ACCESS_KEY = 'correct horse battery staple';

/** Charges: untimed warm-up, then timed windows of steady load (the loops never pause in between). */
const CHARGE_PLAN = { warmupMs: 8_000, windows: 4, windowMs: 1_500 };
/** Ceiling: one warm-up round, then rounds before and after the charges, so a noisy spell lands on both. */
const CEILING_PLAN = { warmupMs: 500, roundsEachSide: 2, roundMs: 1_500 };

const merchantId = (n: number): string => (n === 0 ? MERCHANT_ID : `shop-${n}`);
const customerId = (n: number): string => `customer-${n}`;
const phoneOf = (n: number): string => `+336100${String(n).padStart(5, '0')}`;

// ——— the payment server, in worker threads ———

interface ChargesSetup extends ServerSetup {
  /** Merchants 1.. (merchant 0 is the bench merchant, `merchantJwks`): their public keys. */
  merchants: unknown[];
  /** Customer n's phone: public JWK and PIN verifier. */
  phones: { id: string; jwk: DeviceJwk; pinVerifier: string }[];
}

/** An instance's counters at one moment: event loop time, its thread's CPU, the SQL it sent, and the Ed25519 operations its thread ran. */
interface ServerSample extends SqlSample {
  active: number;
  idle: number;
  /** CPU time (ms) of this worker thread alone. */
  cpu: number;
  signatures: number;
  verifications: number;
}

/**
 * Counts every `crypto.sign` and `crypto.verify` of this thread (the server kit's JWS
 * calls them by name; `syncBuiltinESMExports` makes the imports see the counting ones).
 * A worker has its own copy of `node:crypto`'s exports, so the count is the server's.
 */
function countSignatures(): { signatures: number; verifications: number } {
  const counts = { signatures: 0, verifications: 0 };
  const mutable = crypto as unknown as Record<'sign' | 'verify', (...args: unknown[]) => unknown>;
  const { sign, verify } = mutable;
  mutable.sign = (...args) => {
    counts.signatures++;
    return sign(...args);
  };
  mutable.verify = (...args) => {
    counts.verifications++;
    return verify(...args);
  };
  syncBuiltinESMExports();
  return counts;
}

function serveInThread(setup: ChargesSetup): Promise<void> {
  const sql = countSql();
  const crypto = countSignatures();
  return runServer<object, ServerSample>(setup, {
    async seed(server) {
      const { customers, devices } = server;
      for (const [index, jwks] of setup.merchants.entries()) {
        await server.merchants.register({
          id: merchantId(index + 1),
          displayName: `Shop ${index + 1}`,
          jwks: jwks as Parameters<typeof server.merchants.register>[0]['jwks'],
          returnOrigins: [SHOP],
        });
      }
      // Ceilings and cap far above the grants: only the charge path is measured.
      const limits = { walletCap: 100_000_000n, dailyCeiling: 1_000_000_000n, monthlyCeiling: 1_000_000_000n };
      await Promise.all(
        setup.phones.map(async (phone, n) => {
          const accountId = customerId(n);
          await customers.add({ accountId, phone: phoneOf(n), accessKey: ACCESS_KEY, limits: { EUR: limits } });
          await customers.walletCredit(accountId, 'EUR', 50_000_000n, { idempotencyKey: `top-up:${accountId}` });
          const { code } = await devices.createCode(accountId);
          await devices.enroll(phone.id, { code, jwk: phone.jwk, pinVerifier: phone.pinVerifier });
        }),
      );
      return {};
    },
    answer() {
      const { active, idle } = performance.eventLoopUtilization();
      return { active, idle, cpu: threadCpu(), ...sql.sample(), ...crypto };
    },
  });
}

// ——— the merchants ———

type MerchantKit = ReturnType<typeof benchMerchant>;

interface Merchant {
  kit: MerchantKit;
  client: ReturnType<typeof createMerchantClient>;
  /** Requests its client sent (retries included). */
  requests: { count: number };
  allowanceId?: string;
}

/**
 * Merchant `n`'s kit and client. The client talks to the issuer's address; its `fetch`
 * sends the request to instance `n % INSTANCES` instead, as a load balancer keeping each
 * merchant's connections on one instance would, and counts it.
 */
function merchantOf(n: number, key: ReturnType<typeof generateKey>, issuer: string, jwks: unknown, origins: string[]): Merchant {
  const requests = { count: 0 };
  const origin = origins[n % origins.length] as string;
  // The kit's transport hands fetch the URL and the request's init: only the origin changes
  // for another instance. (A Request, as an older kit's ky handed it, is made anew with the
  // same method, headers, body and signal.)
  const routed: typeof fetch = async (input, init) => {
    requests.count++;
    if (origin === issuer) return fetch(input, init);
    if (!(input instanceof Request)) {
      const url = String(input);
      return fetch(url.startsWith(issuer) ? origin + url.slice(issuer.length) : url, init);
    }
    const url = origin + input.url.slice(issuer.length);
    const body = input.method === 'GET' ? undefined : await input.arrayBuffer();
    return fetch(url, { ...init, method: input.method, headers: input.headers, body, signal: input.signal, redirect: input.redirect });
  };
  return {
    kit: benchMerchant(key, issuer, jwks, merchantId(n)),
    client: createMerchantClient({ server: { issuer }, merchantId: merchantId(n), key: key.privateJwk, fetch: routed }),
    requests,
  };
}

/** Merchant `n` asks customer `n` for an allowance of {@link MAXIMUM}; the phone approves; the grant's voucher names it. */
async function grant(merchant: Merchant, n: number): Promise<string> {
  const ticket = merchant.kit.createTicket({
    serial: `grant-${n}`,
    currency: 'EUR',
    items: [],
    amount: MAXIMUM,
    allowance: { expiresAt: Math.floor(Date.now() / 1000) + 30 * 86_400 },
    returnUrl: `${SHOP}/paid`,
    cancelUrl: `${SHOP}/basket`,
    state: createState(),
  });
  await merchant.client.payments.request({ ticket, phone: phoneOf(n) });
  const deadline = performance.now() + 30_000;
  for (;;) {
    const payment = await merchant.client.payments.byTicket(ticket);
    if (payment.state === 'paid' && payment.voucher) {
      const voucher = await merchant.kit.verifyVoucher(payment.voucher, { ticket: ticket.reference, state: ticket.claims.state });
      if (voucher.status !== 'granted' || !voucher.allowance) throw new Error(`merchant ${n}: the grant's voucher is ${voucher.status}`);
      return voucher.allowance.id;
    }
    if (payment.state === 'refused' || performance.now() > deadline) throw new Error(`merchant ${n}: the grant ended ${payment.state}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Charge {
  ticket: CreatedTicket;
  merchant: number;
  voucher: string;
  startedAt: number;
  finishedAt: number;
}

// ——— the run ———

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const perSecond = (value: number): string => `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s`;

/**
 * CPU time (ms) of the calling thread alone so far, from /proc/thread-self (Node 20 has no
 * per-thread cpuUsage): splits this process's CPU into the server threads', the merchants'
 * (main) thread's, and the rest (libuv pool, GC and compiler threads). NaN where /proc cannot tell.
 */
function threadCpu(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ on Linux
  } catch {
    return Number.NaN;
  }
}

/** CPU time (ms) of every PostgreSQL server process on this machine so far, ended ones included, from /proc; NaN where /proc cannot tell. */
function postgresCpu(): number {
  try {
    const tick = 100; // USER_HZ on Linux
    let total = 0;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        if (!name.startsWith('postgres')) continue;
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // utime + stime, and cutime + cstime: a backend that ended (its connection closed)
        // leaves its time to the postmaster that reaped it, so the sum never goes back.
        total += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      } catch {
        // The process ended meanwhile.
      }
    }
    return (total * 1000) / tick;
  } catch {
    return Number.NaN;
  }
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  const database = await freshDatabase('bench_allowance_charges');
  const loadBefore = load();

  const pool = new pg.Pool({ connectionString: database.url, max: CONNECTIONS });
  // An idle connection that fails (the database dropped at the end) must not crash the run.
  pool.on('error', () => {});
  const keys = Array.from({ length: MERCHANTS }, () => generateKey());
  // The phones make their keys and derive their PIN keys here, once: a phone's work, not the server's.
  const phones = await Promise.all(Array.from({ length: MERCHANTS }, () => newPhone()));
  const ports = await Promise.all(Array.from({ length: INSTANCES }, () => freePort()));
  const issuer = `http://127.0.0.1:${ports[0]}`;
  const setup: ChargesSetup = {
    databaseUrl: database.url,
    port: ports[0] as number,
    issuer,
    secret: randomBytes(32).toString('base64url'),
    merchantJwks: (keys[0] as ReturnType<typeof generateKey>).jwks,
    merchants: keys.slice(1).map((key) => key.jwks),
    phones: phones.map((phone) => ({ id: phone.id, jwk: phone.jwk, pinVerifier: b64(phone.pinKey) })),
  };
  // The first instance migrates and seeds; the others start on what it stored.
  const servers = [serverThread<object, ServerSample>(import.meta.url, setup)];
  const phoneAgent = new Agent({ keepAlive: true, maxSockets: 2 * MERCHANTS });
  const closeStreams: (() => void)[] = [];
  try {
    const { jwks } = await (servers[0] as (typeof servers)[number]).ready;
    for (const port of ports.slice(1)) {
      const server = serverThread<object, ServerSample>(import.meta.url, { ...setup, port, seeds: false });
      servers.push(server);
      await server.ready;
    }
    const origins = ports.map((port) => `http://127.0.0.1:${port}`);
    const merchants = keys.map((key, n) => merchantOf(n, key, issuer, jwks, origins));

    // The grants, untimed: each customer's phone listens on its device stream and approves with the PIN.
    const answers: { failed?: Error; answered: number } = { answered: 0 };
    for (const phone of phones) closeStreams.push(await listenAndApprove(phone, issuer, phoneAgent, answers));
    const granted = await Promise.all(merchants.map((merchant, n) => grant(merchant, n)));
    if (answers.failed) throw answers.failed;
    for (const [n, id] of granted.entries()) (merchants[n] as Merchant).allowanceId = id;
    for (const close of closeStreams.splice(0)) close();

    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      'bench:allowance-charges — charges under session allowances per second through HTTP + PostgreSQL, against a double-entry ceiling',
    );
    console.log(
      `node ${process.version}, ${MERCHANTS} merchants at a time each charging its own customer's allowance 1.00 EUR (server kit merchant client, allowances.charge), closed loop, keep-alive; PostgreSQL ${rows[0]?.server_version} through pg`,
    );
    console.log(
      `payment server: the built @caisse/payment-server (startPaymentServer), ${INSTANCES} instance${INSTANCES === 1 ? '' : 's'} in worker threads (one issuer, one database; merchant n on instance n mod ${INSTANCES}); the merchants on the main thread`,
    );
    console.log(`load average (1, 5, 15 min) before the run: ${loadBefore} on ${cpus().length} cores`);
    console.log(
      `setup (fresh database, migrations, ${MERCHANTS} merchants, ${MERCHANTS} customers with wallets and phones, ${MERCHANTS} allowances of ${(MAXIMUM / 100).toLocaleString('en-US')} EUR granted on the phone): ${ms(performance.now() - runStarted)}`,
    );
    console.log('');

    await createScratch(pool);
    await ceilingRound(pool, CEILING_PLAN.warmupMs, CONNECTIONS);
    const ceilingRounds: number[] = [];
    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++)
      ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs, CONNECTIONS));

    // ——— the charges ———
    const charges: Charge[] = [];
    const startedAt = performance.now();
    const measureFrom = startedAt + CHARGE_PLAN.warmupMs;
    const measureTo = measureFrom + CHARGE_PLAN.windows * CHARGE_PLAN.windowMs;
    const sampleAll = async () => ({
      servers: await Promise.all(servers.map((server) => server.ask())),
      cpu: process.cpuUsage(),
      mainThread: threadCpu(),
      postgres: postgresCpu(),
      requests: merchants.reduce((sum, merchant) => sum + merchant.requests.count, 0),
    });
    type Sampled = Awaited<ReturnType<typeof sampleAll>>;
    let from: Sampled | undefined;
    let to: Sampled | undefined;
    const sampling = setTimeout(async () => {
      from = await sampleAll();
    }, CHARGE_PLAN.warmupMs);
    const sampled = new Promise<void>((resolve) =>
      setTimeout(async () => {
        to = await sampleAll();
        resolve();
      }, measureTo - startedAt),
    );
    let serial = 0;
    try {
      await Promise.all(
        merchants.map(async (merchant, n) => {
          while (performance.now() < measureTo) {
            const ticket = merchant.kit.createTicket({
              serial: `charge-${serial++}`,
              currency: 'EUR',
              items: [{ id: 'issue', label: 'Today’s issue', quantity: 1, unitAmount: PRICE, vatRate: 210 }],
              allowanceId: merchant.allowanceId as string,
              returnUrl: `${SHOP}/paid`,
              cancelUrl: `${SHOP}/basket`,
              state: createState(),
            });
            const chargeStarted = performance.now();
            const result = await merchant.client.allowances.charge(ticket);
            const finishedAt = performance.now();
            charges.push({ ticket, merchant: n, voucher: result.payment.voucher, startedAt: chargeStarted, finishedAt });
          }
        }),
      );
    } finally {
      clearTimeout(sampling);
      await sampled;
    }

    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++)
      ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs, CONNECTIONS));

    // Every charge counted is a voucher its merchant accepts, and a payment row (untimed).
    for (const charge of charges) {
      const voucher = await (merchants[charge.merchant] as Merchant).kit.verifyVoucher(charge.voucher, {
        ticket: charge.ticket.reference,
        state: charge.ticket.claims.state,
      });
      if (voucher.status !== 'authorised' || voucher.funding !== 'allowance') throw new Error(`a charge's voucher is ${voucher.status}`);
    }
    const stored = await pool.query<{ count: string }>(
      `SELECT count(*) FROM payments WHERE funding = 'allowance' AND allowance_id IS NOT NULL`,
    );
    if (Number(stored.rows[0]?.count) !== charges.length)
      throw new Error(`${stored.rows[0]?.count} payments for ${charges.length} charges`);

    const timed = charges.filter((charge) => charge.finishedAt >= measureFrom && charge.finishedAt < measureTo);
    const count = timed.length;
    const rate = (count * 1000) / (CHARGE_PLAN.windows * CHARGE_PLAN.windowMs);
    const windows = Array.from(
      { length: CHARGE_PLAN.windows },
      (_, w) =>
        (timed.filter((charge) => Math.floor((charge.finishedAt - measureFrom) / CHARGE_PLAN.windowMs) === w).length * 1000) /
        CHARGE_PLAN.windowMs,
    );
    const latencies = timed.map((charge) => charge.finishedAt - charge.startedAt).sort((a, b) => a - b);
    const ceiling = median(ceilingRounds);
    const total = (key: 'statements' | 'transactions' | 'signatures' | 'verifications') =>
      from && to ? to.servers.reduce((sum, sample, i) => sum + sample[key] - (from?.servers[i]?.[key] ?? 0), 0) / count : Number.NaN;
    const busy = (i: number) => {
      const f = from?.servers[i];
      const t = to?.servers[i];
      return f && t ? (t.active - f.active) / (t.active + t.idle - (f.active + f.idle)) : Number.NaN;
    };
    const cpuPerCharge = from && to ? (to.cpu.user + to.cpu.system - from.cpu.user - from.cpu.system) / 1000 / count : Number.NaN;
    const postgresPerCharge = from && to ? (to.postgres - from.postgres) / count : Number.NaN;
    const mainPerCharge = from && to ? (to.mainThread - from.mainThread) / count : Number.NaN;
    const serverPerCharge = (i: number) => {
      const f = from?.servers[i];
      const t = to?.servers[i];
      return f && t ? (t.cpu - f.cpu) / count : Number.NaN;
    };
    const serversPerCharge = servers.reduce((sum, _, i) => sum + serverPerCharge(i), 0);

    console.log(
      `ceiling      ${perSecond(ceiling).padStart(10)}  double-entry transactions at ${CONNECTIONS} connections, median of ${ceilingRounds.length} rounds of ${CEILING_PLAN.roundMs / 1000} s: ${ceilingRounds.map((value) => Math.round(value)).join(' ')}; 5 statements, 1 commit each`,
    );
    console.log('');
    console.log(
      `charges      ${perSecond(rate).padStart(10)}  over ${(CHARGE_PLAN.windows * CHARGE_PLAN.windowMs) / 1000} s after ${CHARGE_PLAN.warmupMs / 1000} s of warm-up; windows of ${CHARGE_PLAN.windowMs / 1000} s: ${windows.map((value) => value.toFixed(1)).join(' ')}; ratio ${(rate / ceiling).toFixed(4)}`,
    );
    console.log(
      `  latency p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)} over ${count} charges`,
    );
    console.log(
      `  per charge: ${from && to ? ((to.requests - from.requests) / count).toFixed(2) : 'NaN'} HTTP requests (merchant client, retries included); server: ${total('statements').toFixed(2)} SQL statements and ${total('transactions').toFixed(2)} commits (BEGIN/COMMIT counted; a statement outside a transaction commits on its own; background work included), ${total('signatures').toFixed(2)} signatures made and ${total('verifications').toFixed(2)} verified (Ed25519, all instances)`,
    );
    console.log(`  server event loops busy: ${servers.map((_, i) => `${(busy(i) * 100).toFixed(0)} %`).join(', ')}`);
    console.log(
      `  CPU per charge: ${ms(cpuPerCharge)} in this process (server instances, libuv threads, merchants), ${ms(postgresPerCharge)} in PostgreSQL's processes`,
    );
    console.log(
      `    of which server threads ${ms(serversPerCharge)} (${servers.map((_, i) => ms(serverPerCharge(i))).join(' + ')}), merchants' thread ${ms(mainPerCharge)}, other threads (libuv pool, GC, compiler) ${ms(cpuPerCharge - serversPerCharge - mainPerCharge)}`,
    );
    const byText = new Map<string, number>();
    for (const [text, times] of (to?.servers ?? []).flatMap((sample) => sample.byText ?? []))
      byText.set(text, (byText.get(text) ?? 0) + times);
    for (const [text, times] of [...byText].sort((a, b) => b[1] - a[1])) {
      console.log(`    ${(times / count).toFixed(2).padStart(6)} × ${text}`);
    }
    console.log('');
    console.log(`load average (1, 5, 15 min) after the run: ${load()}`);
    console.log(`ratio: ${(rate / ceiling).toFixed(4)}`);
  } finally {
    for (const close of closeStreams) close();
    phoneAgent.destroy();
    for (const server of servers) await server.close();
    await dropScratch(pool).catch(() => {});
    await pool.end();
    await database.drop();
  }
}

benchEntry(main, serveInThread);
