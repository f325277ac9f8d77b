/**
 * bench:payment-throughput — completed wallet payments per second through HTTP and
 * PostgreSQL, 16 customers paying one merchant at once, against what the same PostgreSQL
 * does through the same driver (`pg`) with the smallest double-entry transaction, in one
 * run on one fresh database.
 *
 * Payments: the built payment server (`startPaymentServer` from `@caisse/payment-server`'s
 * dist, audit sealer included) runs in a worker thread, so its event loop is its own as
 * in a process of its own. The main thread plays 16 browsers, each a closed loop of
 * payments on a keep-alive connection with its cookie: the requests a browser makes and
 * nothing else, `POST /pay` (the merchant's form) → 303 → `GET /checkout/:id` (summary and
 * identify form) → `POST /checkout/:id/identify` (account id, access key, CSRF token) →
 * 303 to the merchant's return URL with the voucher. Latency is from the first request
 * to the last response; the merchant signs each ticket before the clock starts, and
 * every voucher is verified with the server kit after the clock stops.
 * Ceiling: 16 `pg` connections, each looping BEGIN; INSERT a transfer row; UPDATE two
 * random account rows (of 100,000, in id order so no two deadlock); COMMIT — on scratch
 * tables in the same database, created here and dropped at the end.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { configSchema, type PaymentServer, startPaymentServer } from '@caisse/payment-server';
import { type CreatedTicket, createMerchant, createState, generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import pg from 'pg';

const CUSTOMERS = 16;
const CONNECTIONS = 16;
const PRICE = 100; // 1.00 EUR: far below the wallet threshold (50.00), so every payment is a wallet payment.
const ACCESS_KEY = 'correct horse battery staple';
const SHOP = 'https://shop.example';
const MERCHANT_ID = 'bookshop';

/** Payments: untimed warm-up, then timed windows of steady load (the loops never pause in between). */
const PAYMENT_PLAN = { warmupMs: 2_000, windows: 5, windowMs: 2_000 };
/** Ceiling: one warm-up round, then rounds before and after the payments, so a noisy spell lands on both. */
const CEILING_PLAN = { warmupMs: 500, roundsEachSide: 2, roundMs: 2_000 };
const ACCOUNTS = 100_000;

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// ——— the payment server, in a worker thread ———

interface ServerSetup {
  databaseUrl: string;
  port: number;
  merchantJwks: unknown;
}

type ToServer = { type: 'elu' } | { type: 'close' };
type FromServer =
  | { type: 'ready'; url: string; jwks: unknown }
  | { type: 'elu'; active: number; idle: number }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

async function runServer(setup: ServerSetup): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runServer runs in a worker thread');
  let server: (PaymentServer & { url: string }) | undefined;
  try {
    const url = `http://127.0.0.1:${setup.port}`;
    server = await startPaymentServer(
      configSchema.parse({
        PORT: setup.port,
        HOST: '127.0.0.1',
        CAISSE_ISSUER: url,
        CAISSE_SECRET: randomBytes(32).toString('base64url'),
        DATABASE_URL: setup.databaseUrl,
        LOG_LEVEL: 'error',
      }),
    );
    await server.merchants.register({
      id: MERCHANT_ID,
      displayName: 'The Bookshop',
      jwks: setup.merchantJwks as Parameters<PaymentServer['merchants']['register']>[0]['jwks'],
      returnOrigins: [SHOP],
    });
    const customers = server.customers;
    await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, n) => {
        const accountId = customerId(n);
        // Ceilings and cap far above the run's spending: only the payment path is measured.
        await customers.add({
          accountId,
          phone: `+336100${String(n).padStart(5, '0')}`,
          accessKey: ACCESS_KEY,
          limits: { EUR: { walletCap: 100_000_000n, dailyCeiling: 1_000_000_000n, monthlyCeiling: 1_000_000_000n } },
        });
        await customers.walletCredit(accountId, 'EUR', 50_000_000n, { idempotencyKey: `top-up:${accountId}` });
      }),
    );
    port.postMessage({ type: 'ready', url: server.url, jwks: await server.keys.jwks() } satisfies FromServer);
  } catch (error) {
    await server?.close().catch(() => {});
    port.postMessage({
      type: 'failed',
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    } satisfies FromServer);
    return;
  }
  port.on('message', async (message: ToServer) => {
    if (message.type === 'elu') {
      const { active, idle } = performance.eventLoopUtilization();
      port.postMessage({ type: 'elu', active, idle } satisfies FromServer);
    } else {
      await server?.close();
      port.postMessage({ type: 'closed' } satisfies FromServer);
      port.close();
    }
  });
}

const customerId = (n: number): string => `customer-${n}`;

/** The worker as the main thread sees it: one request, the next answer of the expected type. */
function serverThread(setup: ServerSetup) {
  const worker = new Worker(new URL(import.meta.url), { workerData: setup });
  const waiting: ((message: FromServer) => void)[] = [];
  let failure: Error | undefined;
  worker.on('message', (message: FromServer) => {
    if (message.type === 'failed') failure = new Error(`payment server failed to start:\n${message.error}`);
    waiting.shift()?.(message);
  });
  worker.on('error', (error) => {
    failure = error;
    waiting.shift()?.({ type: 'failed', error: error.message });
  });
  const next = (): Promise<FromServer> =>
    new Promise((resolve, reject) =>
      waiting.push((message) => (message.type === 'failed' ? reject(failure ?? new Error(message.error)) : resolve(message))),
    );
  return {
    ready: next() as Promise<Extract<FromServer, { type: 'ready' }>>,
    async eventLoop(): Promise<{ active: number; idle: number }> {
      const answer = next();
      worker.postMessage({ type: 'elu' } satisfies ToServer);
      return (await answer) as Extract<FromServer, { type: 'elu' }>;
    },
    async close(): Promise<void> {
      const answer = next();
      worker.postMessage({ type: 'close' } satisfies ToServer);
      await answer;
      await worker.terminate();
    },
    terminate: () => worker.terminate(),
  };
}

// ——— the browsers ———

interface Reply {
  status: number;
  location: string | undefined;
  body: string;
}

/** One customer's browser: a keep-alive connection and a cookie jar, and nothing a browser would not send. */
function browser(base: string, agent: Agent) {
  const cookies = new Map<string, string>();
  const { hostname, port } = new URL(base);
  return (method: 'GET' | 'POST', path: string, options: { form?: Record<string, string>; origin?: string } = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
      const headers: Record<string, string> = { 'accept-language': 'en', accept: 'text/html' };
      if (cookies.size > 0) headers.cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      if (body !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers['content-length'] = String(Buffer.byteLength(body));
      }
      if (options.origin) headers.origin = options.origin;
      const outgoing = request({ agent, hostname, port, method, path, headers }, (response) => {
        for (const line of response.headers['set-cookie'] ?? []) {
          const [pair = ''] = line.split(';');
          const at = pair.indexOf('=');
          if (at > 0) cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, location: response.headers.location, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
}

interface Payment {
  ticket: CreatedTicket;
  voucher: string;
  startedAt: number;
  finishedAt: number;
  /** POST /pay → 303, GET /checkout/:id → 200, POST identify → 303: milliseconds each. */
  steps: [number, number, number];
}

/** Walks one ticket through the hosted pages; throws unless it ends at the return URL with a voucher. */
async function pay(go: ReturnType<typeof browser>, ticket: CreatedTicket, account: string, issuer: string): Promise<Payment> {
  const startedAt = performance.now();
  const intake = await go('POST', '/pay', { form: { ticket: ticket.token }, origin: SHOP });
  if (intake.status !== 303 || !intake.location?.startsWith('/checkout/')) throw new Error(`POST /pay answered ${intake.status}`);
  const t1 = performance.now();
  const summary = await go('GET', intake.location);
  const csrf = /name="csrf" value="([^"]+)"/.exec(summary.body)?.[1];
  const action = /action="(\/checkout\/[^"]+\/identify)"/.exec(summary.body)?.[1];
  if (summary.status !== 200 || !csrf || !action) throw new Error(`GET ${intake.location} answered ${summary.status} without the form`);
  const t2 = performance.now();
  const paid = await go('POST', action, { form: { csrf, account, accessKey: ACCESS_KEY }, origin: issuer });
  const finishedAt = performance.now();
  const voucher = paid.location ? new URL(paid.location).searchParams.get('caisse_voucher') : null;
  if (paid.status !== 303 || !paid.location?.startsWith(`${SHOP}/paid?`) || !voucher) {
    throw new Error(`POST identify answered ${paid.status} ${paid.location?.split('?')[0] ?? ''}: not a voucher`);
  }
  return { ticket, voucher, startedAt, finishedAt, steps: [t1 - startedAt, t2 - t1, finishedAt - t2] };
}

// ——— the ceiling ———

async function createScratch(pool: pg.Pool): Promise<void> {
  await pool.query(`CREATE TABLE bench_scratch_accounts (id int PRIMARY KEY, balance bigint NOT NULL)`);
  await pool.query(
    `CREATE TABLE bench_scratch_transfers (
       id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       debit_account int NOT NULL, credit_account int NOT NULL, amount bigint NOT NULL,
       created_at timestamptz NOT NULL DEFAULT now())`,
  );
  await pool.query(`INSERT INTO bench_scratch_accounts SELECT n, 1000000000 FROM generate_series(1, ${ACCOUNTS}) n`);
  await pool.query('VACUUM ANALYZE bench_scratch_accounts');
}

async function dropScratch(pool: pg.Pool): Promise<void> {
  await pool.query('DROP TABLE IF EXISTS bench_scratch_transfers, bench_scratch_accounts');
}

/** Double-entry transactions per elapsed second over `ms`, on `connections` connections at once. */
async function ceilingRound(pool: pg.Pool, ms: number): Promise<number> {
  let committed = 0;
  const started = performance.now();
  const deadline = started + ms;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const client = await pool.connect();
      try {
        while (performance.now() < deadline) {
          const a = 1 + Math.floor(Math.random() * ACCOUNTS);
          let b = 1 + Math.floor(Math.random() * (ACCOUNTS - 1));
          if (b >= a) b++;
          const amount = 1 + Math.floor(Math.random() * 1000);
          await client.query('BEGIN');
          await client.query('INSERT INTO bench_scratch_transfers (debit_account, credit_account, amount) VALUES ($1, $2, $3)', [
            a,
            b,
            amount,
          ]);
          // Lower id first, so two transactions on the same pair queue instead of deadlocking.
          for (const [id, delta] of a < b
            ? [
                [a, -amount],
                [b, amount],
              ]
            : [
                [b, amount],
                [a, -amount],
              ]) {
            await client.query('UPDATE bench_scratch_accounts SET balance = balance + $2 WHERE id = $1', [id, delta]);
          }
          await client.query('COMMIT');
          committed++;
        }
      } finally {
        client.release();
      }
    }),
  );
  return (committed * 1000) / (performance.now() - started);
}

// ——— the run ———

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const perSecond = (value: number): string => `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** scrypt as the customers service runs it for one identify (N = 2^15, r = 8, p = 1, 32 bytes). */
function scryptOnce(): Promise<void> {
  return new Promise((resolve, reject) =>
    scrypt(ACCESS_KEY, randomBytes(16), 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error) =>
      error ? reject(error) : resolve(),
    ),
  );
}

async function scryptReference(): Promise<{ single: number; perSecond: number }> {
  const singles: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    await scryptOnce();
    singles.push(performance.now() - started);
  }
  let done = 0;
  const started = performance.now();
  const deadline = started + 1_500;
  await Promise.all(
    Array.from({ length: CUSTOMERS }, async () => {
      while (performance.now() < deadline) {
        await scryptOnce();
        done++;
      }
    }),
  );
  return { single: median(singles), perSecond: (done * 1000) / (performance.now() - started) };
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  const name = `bench_payment_throughput_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const databaseUrl = new URL(ADMIN_URL);
  databaseUrl.pathname = `/${name}`;

  const pool = new pg.Pool({ connectionString: databaseUrl.toString(), max: CONNECTIONS });
  // An idle connection that fails (the database dropped at the end) must not crash the run.
  pool.on('error', () => {});
  const merchantKey = generateKey();
  const server = serverThread({ databaseUrl: databaseUrl.toString(), port: await freePort(), merchantJwks: merchantKey.jwks });
  const agent = new Agent({ keepAlive: true, maxSockets: CUSTOMERS });
  let serving = false;
  try {
    const { url: issuer, jwks } = await server.ready;
    serving = true;
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      'bench:payment-throughput — completed wallet payments per second through HTTP + PostgreSQL, against a double-entry ceiling',
    );
    console.log(
      `node ${process.version}, ${CUSTOMERS} customers paying one merchant 1.00 EUR each, closed loop, keep-alive; PostgreSQL ${rows[0]?.server_version} through pg`,
    );
    console.log(
      'payment server: the built @caisse/payment-server (startPaymentServer) in a worker thread; the customers on the main thread',
    );
    console.log(`load average (1, 5, 15 min) before the run: ${load()} on ${cpus().length} cores`);
    console.log(
      `setup (fresh database, migrations, merchant, ${CUSTOMERS} customers with scrypt access keys): ${ms(performance.now() - runStarted)}`,
    );
    console.log('');

    await createScratch(pool);
    await ceilingRound(pool, CEILING_PLAN.warmupMs);
    const ceilingRounds: number[] = [];
    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++) ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs));

    const scryptFigures = await scryptReference();

    // Payments: 16 closed loops, never paused; the windows are cut from completion times.
    const merchant = createMerchant({
      merchantId: MERCHANT_ID,
      signingKey: merchantKey.privateJwk,
      paymentServer: { issuer, payEndpoint: `${issuer}/pay`, keys: staticKeySet(jwks as Parameters<typeof staticKeySet>[0]) },
      replayStore: memoryReplayStore(),
    });
    const payments: Payment[] = [];
    const startedAt = performance.now();
    const measureFrom = startedAt + PAYMENT_PLAN.warmupMs;
    const measureTo = measureFrom + PAYMENT_PLAN.windows * PAYMENT_PLAN.windowMs;
    let eluFrom: { active: number; idle: number } | undefined;
    let cpuFrom: NodeJS.CpuUsage | undefined;
    const sampling = setTimeout(async () => {
      cpuFrom = process.cpuUsage();
      eluFrom = await server.eventLoop();
    }, PAYMENT_PLAN.warmupMs);
    let eluTo: { active: number; idle: number } | undefined;
    let cpuUsed: NodeJS.CpuUsage | undefined;
    const sampled = new Promise<void>((resolve) =>
      setTimeout(async () => {
        cpuUsed = process.cpuUsage(cpuFrom);
        eluTo = await server.eventLoop();
        resolve();
      }, measureTo - startedAt),
    );
    let serial = 0;
    await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, n) => {
        const go = browser(issuer, agent);
        while (performance.now() < measureTo) {
          const ticket = merchant.createTicket({
            serial: `order-${serial++}`,
            currency: 'EUR',
            items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: PRICE, vatRate: 550 }],
            returnUrl: `${SHOP}/paid`,
            cancelUrl: `${SHOP}/basket`,
            state: createState(),
          });
          payments.push(await pay(go, ticket, customerId(n), issuer));
        }
      }),
    );
    clearTimeout(sampling);
    await sampled;

    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++) ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs));

    // Every payment counted is a voucher the merchant accepts (untimed).
    for (const payment of payments) {
      await merchant.verifyVoucher(payment.voucher, { ticket: payment.ticket.reference, state: payment.ticket.claims.state });
    }

    const timed = payments.filter((payment) => payment.finishedAt >= measureFrom && payment.finishedAt < measureTo);
    const windows = Array.from(
      { length: PAYMENT_PLAN.windows },
      (_, w) =>
        (timed.filter((payment) => Math.floor((payment.finishedAt - measureFrom) / PAYMENT_PLAN.windowMs) === w).length * 1000) /
        PAYMENT_PLAN.windowMs,
    );
    const latencies = timed.map((payment) => payment.finishedAt - payment.startedAt).sort((a, b) => a - b);
    const stepMeans = [0, 1, 2].map((step) => timed.reduce((sum, payment) => sum + (payment.steps[step] as number), 0) / timed.length);
    const meanLatency = latencies.reduce((sum, value) => sum + value, 0) / latencies.length;
    const paymentsPerSecond = median(windows);
    const ceiling = median(ceilingRounds);
    const serverBusy =
      eluFrom && eluTo ? (eluTo.active - eluFrom.active) / (eluTo.active + eluTo.idle - (eluFrom.active + eluFrom.idle)) : Number.NaN;
    const cpuPerPayment = cpuUsed ? (cpuUsed.user + cpuUsed.system) / 1000 / timed.length : Number.NaN;

    console.log(
      `payments     ${perSecond(paymentsPerSecond).padStart(10)}  median of ${PAYMENT_PLAN.windows} windows of ${PAYMENT_PLAN.windowMs / 1000} s after ${PAYMENT_PLAN.warmupMs / 1000} s of warm-up: ${windows.map((value) => value.toFixed(1)).join(' ')}`,
    );
    console.log(
      `ceiling      ${perSecond(ceiling).padStart(10)}  double-entry transactions at ${CONNECTIONS} connections, median of ${ceilingRounds.length} rounds of ${CEILING_PLAN.roundMs / 1000} s: ${ceilingRounds.map((value) => Math.round(value)).join(' ')}`,
    );
    console.log(
      `latency      p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)} over ${timed.length} payments`,
    );
    console.log('');
    console.log('where a payment spends its time (mean over the timed payments, as the browser sees it):');
    const labels = ['POST /pay → 303', 'GET /checkout/:id', 'POST identify → 303 voucher'];
    for (const [step, label] of labels.entries()) {
      const mean = stepMeans[step] as number;
      console.log(`  ${label.padEnd(28)} ${ms(mean).padStart(9)}  ${((mean / meanLatency) * 100).toFixed(0).padStart(3)} %`);
    }
    console.log(
      `  scrypt access-key check alone: ${ms(scryptFigures.single)} one at a time; ${perSecond(scryptFigures.perSecond)} at ${CUSTOMERS} at once (libuv pool of ${process.env.UV_THREADPOOL_SIZE ?? 4} threads on this machine) — the most payments/s any path that hashes once per payment can reach here`,
    );
    console.log(
      `  server event loop busy ${(serverBusy * 100).toFixed(0)} % of the timed windows; this process (server, scrypt threads, browsers) used ${ms(cpuPerPayment)} of CPU per payment`,
    );
    console.log(`  payments reached ${((paymentsPerSecond / scryptFigures.perSecond) * 100).toFixed(0)} % of the scrypt-alone rate`);
    console.log('');
    console.log(`ratio: ${(paymentsPerSecond / ceiling).toFixed(4)}`);
  } finally {
    agent.destroy();
    // A server that never came up has no one listening for `close`.
    await (serving ? server.close() : server.terminate());
    await dropScratch(pool).catch(() => {});
    await pool.end();
    const dropper = new pg.Client({ connectionString: ADMIN_URL });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  }
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
} else {
  void runServer(workerData as ServerSetup);
}
