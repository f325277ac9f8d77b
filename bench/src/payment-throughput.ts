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
 * The same purchase is then measured a second time with customers who confirm on an
 * enrolled phone (docs/device-api.md): the browser gives the account id only, follows
 * the page's live status feed (`GET /checkout/:id/events`) as its script does, reloads
 * the page and leaves by `/checkout/:id/return` with the voucher; meanwhile a scripted
 * phone per customer, listening on its device stream, signs the answer with its PIN
 * proof and posts it. Each phone derives its PIN key (PBKDF2) once at setup, as a phone
 * does: the server never runs a slow hash on this path.
 * Ceiling: 16 `pg` connections, each looping BEGIN; INSERT a transfer row; UPDATE two
 * random account rows (of 100,000, in id order so no two deadlock); COMMIT — on scratch
 * tables in the same database, created here and dropped at the end.
 */
import { randomBytes, scrypt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { type CreatedTicket, type createMerchant, createState, generateKey } from '@caisse/server-kit';
import pg from 'pg';
import { ceilingRound, createScratch, dropScratch } from './ceiling.js';
import { b64, type DeviceJwk, listenAndApprove, newPhone } from './phones.js';
import {
  benchEntry,
  benchMerchant,
  countSql,
  freePort,
  freshDatabase,
  runServer,
  type ServerSetup,
  SHOP,
  type SqlSample,
  serverThread,
} from './server-thread.js';
import { load, median, percentile } from './stats.js';

const CUSTOMERS = 16;
const CONNECTIONS = 16;
const PRICE = 100; // 1.00 EUR: far below the wallet threshold (50.00), so every payment is a wallet payment.
const ACCESS_KEY = 'correct horse battery staple';

/** Payments, for each path: untimed warm-up, then timed windows of steady load (the loops never pause in between). */
const PAYMENT_PLAN = { warmupMs: 1_000, windows: 4, windowMs: 1_500 };
/** Ceiling: one warm-up round, then rounds before and after the payments, so a noisy spell lands on both. */
const CEILING_PLAN = { warmupMs: 500, roundsEachSide: 2, roundMs: 1_500 };

// ——— the payment server, in a worker thread ———

interface ThroughputSetup extends ServerSetup {
  /** The phones of the phone path's customers, in customer order: public JWK and PIN verifier. */
  phones: { id: string; jwk: DeviceJwk; pinVerifier: string }[];
}

/** The server thread's counters at one moment, the answer to the main thread's one question: event loop time and the SQL it sent. */
interface ServerSample extends SqlSample {
  active: number;
  idle: number;
}

function serveInThread(setup: ThroughputSetup): Promise<void> {
  const sql = countSql();
  return runServer<object, ServerSample>(setup, {
    async seed(server) {
      const { customers, devices } = server;
      // Ceilings and cap far above the run's spending: only the payment path is measured.
      const limits = { walletCap: 100_000_000n, dailyCeiling: 1_000_000_000n, monthlyCeiling: 1_000_000_000n };
      await customers.add({ accountId: customerId(0), phone: phoneOf(0), accessKey: ACCESS_KEY, limits: { EUR: limits } });
      // The others share its access key, so they are copies of its row (one scrypt, not 32: setup
      // time on 2 shared cores), each then given its limits and wallet by the customers service.
      await server.db.query(
        `INSERT INTO customers (id, phone, key_hash, key_salt, key_params, created_at)
         SELECT 'customer-' || n, '+336100' || lpad(n::text, 5, '0'), key_hash, key_salt, key_params, created_at
           FROM customers, generate_series(1, $1::int - 1) AS n WHERE id = $2`,
        [2 * CUSTOMERS, customerId(0)],
      );
      await Promise.all(
        Array.from({ length: 2 * CUSTOMERS }, async (_, n) => {
          const accountId = customerId(n);
          if (n > 0) await customers.setLimits(accountId, 'EUR', limits);
          await customers.walletCredit(accountId, 'EUR', 50_000_000n, { idempotencyKey: `top-up:${accountId}` });
          // Customers CUSTOMERS.. confirm on a phone, enrolled as the device API enrolls one (the code made here, not read from an SMS).
          const phone = n >= CUSTOMERS ? setup.phones[n - CUSTOMERS] : undefined;
          if (phone) {
            const { code } = await devices.createCode(accountId);
            await devices.enroll(phone.id, { code, jwk: phone.jwk, pinVerifier: phone.pinVerifier });
          }
        }),
      );
      return {};
    },
    answer() {
      const { active, idle } = performance.eventLoopUtilization();
      return { active, idle, ...sql.sample() };
    },
  });
}

const customerId = (n: number): string => `customer-${n}`;
const phoneOf = (n: number): string => `+336100${String(n).padStart(5, '0')}`;

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
  return (
    method: 'GET' | 'POST',
    path: string,
    options: { form?: Record<string, string>; origin?: string; accept?: string } = {},
  ): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
      const headers: Record<string, string> = { 'accept-language': 'en', accept: options.accept ?? 'text/html' };
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

type Walk = (go: ReturnType<typeof browser>, ticket: CreatedTicket, account: string, issuer: string) => Promise<Payment>;

interface Payment {
  ticket: CreatedTicket;
  voucher: string;
  startedAt: number;
  finishedAt: number;
  /** Milliseconds of each step, as the path's `steps` labels them. */
  steps: number[];
}

const ACCESS_KEY_STEPS = ['POST /pay → 303', 'GET /checkout/:id', 'POST identify → 303 voucher'];

/** Walks one ticket through the hosted pages with the access key; throws unless it ends at the return URL with a voucher. */
const payWithAccessKey: Walk = async (go, ticket, account, issuer) => {
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
  return { ticket, voucher: voucherOf(paid), startedAt, finishedAt, steps: [t1 - startedAt, t2 - t1, finishedAt - t2] };
};

function voucherOf(reply: Reply): string {
  const voucher = reply.location ? new URL(reply.location).searchParams.get('caisse_voucher') : null;
  if (reply.status !== 303 || !reply.location?.startsWith(`${SHOP}/paid?`) || !voucher) {
    throw new Error(`answered ${reply.status} ${reply.location?.split('?')[0] ?? ''}: not a voucher`);
  }
  return voucher;
}

const PHONE_STEPS = [
  'POST /pay → 303',
  'GET /checkout/:id',
  'POST identify → 303',
  'GET /checkout/:id (confirm page)',
  'GET …/events until answered',
  'GET /checkout/:id → return → voucher',
];

/**
 * Walks one ticket through the hosted pages of a customer with a phone, as a browser
 * with the confirmation page's script does: account id only, the confirmation page, its
 * live status feed until the session leaves `confirming`, then the reload that leaves
 * with the voucher. The customer's phone answers meanwhile (see {@link listenAndApprove}).
 */
const payOnPhone: Walk = async (go, ticket, account, issuer) => {
  const startedAt = performance.now();
  const steps: number[] = [];
  let last = startedAt;
  const step = () => {
    const at = performance.now();
    steps.push(at - last);
    last = at;
  };
  const intake = await go('POST', '/pay', { form: { ticket: ticket.token }, origin: SHOP });
  if (intake.status !== 303 || !intake.location?.startsWith('/checkout/')) throw new Error(`POST /pay answered ${intake.status}`);
  const sessionPath = intake.location;
  step();
  const summary = await go('GET', sessionPath);
  const csrf = /name="csrf" value="([^"]+)"/.exec(summary.body)?.[1];
  const action = /action="(\/checkout\/[^"]+\/identify)"/.exec(summary.body)?.[1];
  if (summary.status !== 200 || !csrf || !action) throw new Error(`GET ${sessionPath} answered ${summary.status} without the form`);
  step();
  const identified = await go('POST', action, { form: { csrf, account }, origin: issuer });
  if (identified.status !== 303 || identified.location !== sessionPath)
    throw new Error(`POST identify answered ${identified.status}, not the phone`);
  step();
  const confirm = await go('GET', sessionPath);
  const events = /data-events="([^"]+)"/.exec(confirm.body)?.[1];
  if (confirm.status !== 200 || !events) throw new Error(`GET ${sessionPath} answered ${confirm.status} without the live status`);
  step();
  // The feed ends by itself once the session has left `confirming`.
  const feed = await go('GET', events, { accept: 'text/event-stream' });
  if (feed.status !== 200 || !feed.body.includes('"state":"paid"')) throw new Error(`the live status ended without "paid": ${feed.body}`);
  step();
  const reloaded = await go('GET', sessionPath);
  if (reloaded.status !== 303 || !reloaded.location) throw new Error(`GET ${sessionPath} after the answer answered ${reloaded.status}`);
  const voucher = voucherOf(await go('GET', reloaded.location));
  step();
  return { ticket, voucher, startedAt, finishedAt: last, steps };
};

// ——— the run ———

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const perSecond = (value: number): string => `${value.toLocaleString('en-US', { maximumFractionDigits: 1 })}/s`;

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
  const deadline = started + 1_000;
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

interface PathFigures {
  name: string;
  perSecond: number;
  windows: number[];
  latencies: number[];
  count: number;
  stepLabels: string[];
  stepMeans: number[];
  meanLatency: number;
  serverBusy: number;
  cpuPerPayment: number;
  statementsPerPayment: number;
  transactionsPerPayment: number;
  byText?: [string, number][];
}

/** One path: 16 closed loops, never paused, for warm-up plus the windows; the windows are cut from completion times. */
async function measurePath(options: {
  name: string;
  walk: Walk;
  stepLabels: string[];
  firstCustomer: number;
  issuer: string;
  merchant: ReturnType<typeof createMerchant>;
  server: ReturnType<typeof serverThread<object, ServerSample>>;
  /** Stops the run when set (a phone's answer was refused). */
  failure?: () => Error | undefined;
}): Promise<PathFigures & { payments: Payment[] }> {
  const { merchant, server } = options;
  const agent = new Agent({ keepAlive: true, maxSockets: CUSTOMERS });
  const payments: Payment[] = [];
  const startedAt = performance.now();
  const measureFrom = startedAt + PAYMENT_PLAN.warmupMs;
  const measureTo = measureFrom + PAYMENT_PLAN.windows * PAYMENT_PLAN.windowMs;
  let from: ServerSample | undefined;
  let cpuFrom: NodeJS.CpuUsage | undefined;
  const sampling = setTimeout(async () => {
    cpuFrom = process.cpuUsage();
    from = await server.ask();
  }, PAYMENT_PLAN.warmupMs);
  let to: ServerSample | undefined;
  let cpuUsed: NodeJS.CpuUsage | undefined;
  const sampled = new Promise<void>((resolve) =>
    setTimeout(async () => {
      cpuUsed = process.cpuUsage(cpuFrom);
      to = await server.ask();
      resolve();
    }, measureTo - startedAt),
  );
  let serial = 0;
  try {
    await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, n) => {
        const go = browser(options.issuer, agent);
        while (performance.now() < measureTo) {
          const failed = options.failure?.();
          if (failed) throw failed;
          const ticket = merchant.createTicket({
            serial: `${options.name.replaceAll(' ', '-')}-${serial++}`,
            currency: 'EUR',
            items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: PRICE, vatRate: 550 }],
            returnUrl: `${SHOP}/paid`,
            cancelUrl: `${SHOP}/basket`,
            state: createState(),
          });
          payments.push(await options.walk(go, ticket, customerId(options.firstCustomer + n), options.issuer));
        }
      }),
    );
  } finally {
    clearTimeout(sampling);
    await sampled;
    agent.destroy();
  }

  const timed = payments.filter((payment) => payment.finishedAt >= measureFrom && payment.finishedAt < measureTo);
  const windows = Array.from(
    { length: PAYMENT_PLAN.windows },
    (_, w) =>
      (timed.filter((payment) => Math.floor((payment.finishedAt - measureFrom) / PAYMENT_PLAN.windowMs) === w).length * 1000) /
      PAYMENT_PLAN.windowMs,
  );
  const latencies = timed.map((payment) => payment.finishedAt - payment.startedAt).sort((a, b) => a - b);
  const stepMeans = options.stepLabels.map(
    (_, step) => timed.reduce((sum, payment) => sum + (payment.steps[step] as number), 0) / timed.length,
  );
  const span = (f: ServerSample | undefined, t: ServerSample | undefined, key: 'statements' | 'transactions') =>
    f && t ? (t[key] - f[key]) / timed.length : Number.NaN;
  return {
    name: options.name,
    payments,
    // Over the whole measured span, not the median window: an access-key window can hold no payment at all on a loaded machine (16 scrypts take seconds and finish together).
    perSecond: (timed.length * 1000) / (PAYMENT_PLAN.windows * PAYMENT_PLAN.windowMs),
    windows,
    latencies,
    count: timed.length,
    stepLabels: options.stepLabels,
    stepMeans,
    meanLatency: latencies.reduce((sum, value) => sum + value, 0) / latencies.length,
    serverBusy: from && to ? (to.active - from.active) / (to.active + to.idle - (from.active + from.idle)) : Number.NaN,
    cpuPerPayment: cpuUsed ? (cpuUsed.user + cpuUsed.system) / 1000 / timed.length : Number.NaN,
    statementsPerPayment: span(from, to, 'statements'),
    transactionsPerPayment: span(from, to, 'transactions'),
    ...(to?.byText ? { byText: to.byText } : {}),
  };
}

function printPath(figures: PathFigures, ceiling: number): void {
  console.log(
    `${figures.name.padEnd(12)} ${perSecond(figures.perSecond).padStart(10)}  over ${(PAYMENT_PLAN.windows * PAYMENT_PLAN.windowMs) / 1000} s after ${PAYMENT_PLAN.warmupMs / 1000} s of warm-up; windows of ${PAYMENT_PLAN.windowMs / 1000} s: ${figures.windows.map((value) => value.toFixed(1)).join(' ')}; ratio ${(figures.perSecond / ceiling).toFixed(4)}`,
  );
  console.log(
    `  latency p50 ${ms(percentile(figures.latencies, 50))}, p99 ${ms(percentile(figures.latencies, 99))}, max ${ms(figures.latencies.at(-1) ?? Number.NaN)} over ${figures.count} payments`,
  );
  console.log(
    `  server: ${figures.statementsPerPayment.toFixed(1)} SQL statements and ${figures.transactionsPerPayment.toFixed(1)} commits per payment (BEGIN/COMMIT/savepoints counted, background work included); event loop busy ${(figures.serverBusy * 100).toFixed(0)} %`,
  );
  console.log(`  this process (server, libuv threads, browsers, phones) used ${ms(figures.cpuPerPayment)} of CPU per payment`);
  for (const [step, label] of figures.stepLabels.entries()) {
    const mean = figures.stepMeans[step] as number;
    console.log(`    ${label.padEnd(38)} ${ms(mean).padStart(9)}  ${((mean / figures.meanLatency) * 100).toFixed(0).padStart(3)} %`);
  }
  for (const [text, count] of [...(figures.byText ?? [])].sort((a, b) => b[1] - a[1])) {
    console.log(`    ${(count / figures.count).toFixed(2).padStart(6)} × ${text}`);
  }
}

async function main(): Promise<void> {
  const runStarted = performance.now();
  const database = await freshDatabase('bench_payment_throughput');
  const loadBefore = load();

  const pool = new pg.Pool({ connectionString: database.url, max: CONNECTIONS });
  // An idle connection that fails (the database dropped at the end) must not crash the run.
  pool.on('error', () => {});
  const merchantKey = generateKey();
  // The phones make their keys and derive their PIN keys here, once: a phone's work, not the server's.
  const phones = await Promise.all(Array.from({ length: CUSTOMERS }, () => newPhone()));
  const setup: ThroughputSetup = {
    databaseUrl: database.url,
    port: await freePort(),
    merchantJwks: merchantKey.jwks,
    phones: phones.map((phone) => ({ id: phone.id, jwk: phone.jwk, pinVerifier: b64(phone.pinKey) })),
  };
  const server = serverThread<object, ServerSample>(import.meta.url, setup);
  const phoneAgent = new Agent({ keepAlive: true, maxSockets: 2 * CUSTOMERS });
  const closeStreams: (() => void)[] = [];
  try {
    const { url: issuer, jwks } = await server.ready;
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    console.log(
      'bench:payment-throughput — completed wallet payments per second through HTTP + PostgreSQL, against a double-entry ceiling',
    );
    console.log(
      `node ${process.version}, ${CUSTOMERS} customers at a time paying one merchant 1.00 EUR each, closed loop, keep-alive; PostgreSQL ${rows[0]?.server_version} through pg`,
    );
    console.log(
      'payment server: the built @caisse/payment-server (startPaymentServer) in a worker thread; the customers and their phones on the main thread',
    );
    console.log(`load average (1, 5, 15 min) before the run: ${loadBefore} on ${cpus().length} cores`);
    console.log(
      `setup (fresh database, migrations, merchant, ${2 * CUSTOMERS} customers sharing one scrypt access key, ${CUSTOMERS} phones with PBKDF2 PIN keys): ${ms(performance.now() - runStarted)}`,
    );
    console.log('');

    await createScratch(pool);
    await ceilingRound(pool, CEILING_PLAN.warmupMs, CONNECTIONS);
    const ceilingRounds: number[] = [];
    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++)
      ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs, CONNECTIONS));

    const scryptFigures = await scryptReference();

    const merchant = benchMerchant(merchantKey, issuer, jwks);
    const common = { issuer, merchant, server };
    const accessKey = await measurePath({
      ...common,
      name: 'access key',
      walk: payWithAccessKey,
      stepLabels: ACCESS_KEY_STEPS,
      firstCustomer: 0,
    });

    const answers: { failed?: Error; answered: number } = { answered: 0 };
    for (const phone of phones) closeStreams.push(await listenAndApprove(phone, issuer, phoneAgent, answers));
    const phone = await measurePath({
      ...common,
      name: 'phone',
      walk: payOnPhone,
      stepLabels: PHONE_STEPS,
      firstCustomer: CUSTOMERS,
      failure: () => answers.failed,
    });
    if (answers.failed) throw answers.failed;
    if (answers.answered !== phone.payments.length) throw new Error(`${answers.answered} answers for ${phone.payments.length} payments`);

    for (let round = 0; round < CEILING_PLAN.roundsEachSide; round++)
      ceilingRounds.push(await ceilingRound(pool, CEILING_PLAN.roundMs, CONNECTIONS));

    // Every payment counted is a voucher the merchant accepts (untimed).
    for (const payment of [...accessKey.payments, ...phone.payments]) {
      await merchant.verifyVoucher(payment.voucher, { ticket: payment.ticket.reference, state: payment.ticket.claims.state });
    }

    const ceiling = median(ceilingRounds);
    console.log(
      `ceiling      ${perSecond(ceiling).padStart(10)}  double-entry transactions at ${CONNECTIONS} connections, median of ${ceilingRounds.length} rounds of ${CEILING_PLAN.roundMs / 1000} s: ${ceilingRounds.map((value) => Math.round(value)).join(' ')}; 5 statements, 1 commit each`,
    );
    console.log('');
    printPath(accessKey, ceiling);
    console.log(
      `  scrypt access-key check alone: ${ms(scryptFigures.single)} one at a time; ${perSecond(scryptFigures.perSecond)} at ${CUSTOMERS} at once (libuv pool of ${process.env.UV_THREADPOOL_SIZE ?? 4} threads on this machine) — the most payments/s any path that hashes once per payment can reach here; payments reached ${((accessKey.perSecond / scryptFigures.perSecond) * 100).toFixed(0)} % of it`,
    );
    console.log('');
    printPath(phone, ceiling);
    console.log('');
    console.log(`load average (1, 5, 15 min) after the run: ${load()}`);
    console.log(`ratio: ${(phone.perSecond / ceiling).toFixed(4)}`);
  } finally {
    for (const close of closeStreams) close();
    phoneAgent.destroy();
    await server.close();
    await dropScratch(pool).catch(() => {});
    await pool.end();
    await database.drop();
  }
}

benchEntry(main, serveInThread);
