import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { configSchema, type PaymentServer, startPaymentServer } from '@caisse/payment-server';
import { createMerchant, type generateKey, memoryReplayStore, staticKeySet } from '@caisse/server-kit';
import pg from 'pg';

/**
 * The built payment server in a worker thread, so that its event loop is its own as in a
 * process of its own, and the main thread plays its clients. A bench's entry file is also
 * the worker's ({@link benchEntry}): the main thread calls {@link serverThread} with its
 * `import.meta.url`, the worker calls {@link runServer}.
 */

export const SHOP = 'https://shop.example';
export const MERCHANT_ID = 'bookshop';

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A bench's entry file, run twice: `main` on the main thread, `serve` with its setup in the server thread. */
export function benchEntry<Setup extends ServerSetup>(main: () => Promise<void>, serve: (setup: Setup) => Promise<void>): void {
  if (isMainThread) {
    main().catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
  } else {
    void serve(workerData as Setup);
  }
}

/** What every bench's server thread needs; a bench adds what it seeds. */
export interface ServerSetup {
  databaseUrl: string;
  port: number;
  merchantJwks: unknown;
  /** CAISSE_SECRET (default a random one): one for every instance of a bench that runs several, so each unseals the signing key. */
  secret?: string;
  /** The issuer the server names itself (default `http://127.0.0.1:<port>`): one for every instance of a bench that runs several. */
  issuer?: string;
  /**
   * Whether this instance registers the bench merchant and seeds (default true). A second
   * instance on the same database, started once the first is ready, sets it false: it
   * serves what the first stored, as another process behind the same address would.
   */
  seeds?: boolean;
}

type ToServer = { type: 'ask' } | { type: 'close' };
type FromServer<Ready, Answer> =
  | ({ type: 'ready'; url: string; jwks: unknown } & Ready)
  | { type: 'answer'; answer: Answer }
  | { type: 'closed' }
  | { type: 'failed'; error: string };

/**
 * The worker's side: starts the payment server on `setup`'s database and port (device
 * stream notifier only: no SMS, no log line per request) with the bench's merchant, lets
 * `hooks.seed` fill it, reports ready, then answers the main thread's one question with
 * `hooks.answer` until told to close. `hooks.close` releases what the bench opened beside
 * the server, after a failed start too.
 */
export async function runServer<Ready extends object, Answer>(
  setup: ServerSetup,
  hooks: {
    seed(server: PaymentServer): Promise<Ready>;
    answer(server: PaymentServer): Answer;
    close?(): void;
  },
): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runServer runs in a worker thread');
  const post = (message: FromServer<Ready, Answer>) => port.postMessage(message);
  let server: (PaymentServer & { url: string }) | undefined;
  try {
    server = await startPaymentServer(
      configSchema.parse({
        PORT: setup.port,
        HOST: '127.0.0.1',
        CAISSE_ISSUER: setup.issuer ?? `http://127.0.0.1:${setup.port}`,
        CAISSE_SECRET: setup.secret ?? randomBytes(32).toString('base64url'),
        DATABASE_URL: setup.databaseUrl,
        CAISSE_NOTIFIER: 'stream',
        LOG_LEVEL: 'error',
      }),
    );
    const seeds = setup.seeds ?? true;
    if (seeds) {
      await server.merchants.register({
        id: MERCHANT_ID,
        displayName: 'The Bookshop',
        jwks: setup.merchantJwks as Parameters<PaymentServer['merchants']['register']>[0]['jwks'],
        returnOrigins: [SHOP],
      });
    }
    const ready = seeds ? await hooks.seed(server) : ({} as Ready);
    post({ type: 'ready', url: server.url, jwks: await server.keys.jwks(), ...ready });
  } catch (error) {
    await server?.close().catch(() => {});
    hooks.close?.();
    post({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    return;
  }
  const started = server;
  port.on('message', async (message: ToServer) => {
    if (message.type === 'ask') {
      post({ type: 'answer', answer: hooks.answer(started) });
    } else {
      hooks.close?.();
      await started.close();
      post({ type: 'closed' });
      port.close();
    }
  });
}

/** The worker as the main thread sees it: one request, the next answer. `entry` is the bench's `import.meta.url`. */
export function serverThread<Ready extends object, Answer>(entry: string, setup: ServerSetup) {
  const worker = new Worker(new URL(entry), { workerData: setup });
  const waiting: ((message: FromServer<Ready, Answer>) => void)[] = [];
  let failure: Error | undefined;
  worker.on('message', (message: FromServer<Ready, Answer>) => {
    if (message.type === 'failed') failure = new Error(`payment server failed to start:\n${message.error}`);
    waiting.shift()?.(message);
  });
  worker.on('error', (error) => {
    failure = error;
    waiting.shift()?.({ type: 'failed', error: error.message });
  });
  const next = (): Promise<FromServer<Ready, Answer>> =>
    new Promise((resolve, reject) =>
      waiting.push((message) => (message.type === 'failed' ? reject(failure ?? new Error(message.error)) : resolve(message))),
    );
  let serving = false;
  const ready = next().then((message) => {
    serving = true;
    return message as Extract<FromServer<Ready, Answer>, { type: 'ready' }>;
  });
  return {
    ready,
    async ask(): Promise<Answer> {
      const answer = next();
      worker.postMessage({ type: 'ask' } satisfies ToServer);
      return ((await answer) as { type: 'answer'; answer: Answer }).answer;
    },
    /** Closes the server and ends the thread; a server that never came up has no one listening for `close`. */
    async close(): Promise<void> {
      if (!serving) {
        await worker.terminate();
        return;
      }
      const answer = next();
      worker.postMessage({ type: 'close' } satisfies ToServer);
      await answer;
      await worker.terminate();
    },
  };
}

/** The bench merchant's server kit (or another merchant's the bench registered), trusting the keys the server thread reported. */
export function benchMerchant(merchantKey: ReturnType<typeof generateKey>, issuer: string, jwks: unknown, merchantId = MERCHANT_ID) {
  return createMerchant({
    merchantId,
    signingKey: merchantKey.privateJwk,
    paymentServer: { issuer, payEndpoint: `${issuer}/pay`, keys: staticKeySet(jwks as Parameters<typeof staticKeySet>[0]) },
    replayStore: memoryReplayStore(),
  });
}

/** The SQL a server thread sent, counted since it started: statements, commits and (with BENCH_SQL_PROFILE) statements by text. */
export interface SqlSample {
  statements: number;
  transactions: number;
  /** With BENCH_SQL_PROFILE set: statements by text since the previous sample. */
  byText?: [string, number][];
}

/**
 * Counts, from now on, every statement this thread sends. Every statement the server
 * sends goes through pg.Client#query (pools included); a server thread's copy of pg is
 * the server's alone, so the count is the server's SQL. Call it in the server thread
 * before the server starts.
 */
export function countSql(): { sample(): SqlSample } {
  const sql = { statements: 0, transactions: 0 };
  const byText = new Map<string, number>();
  const profiling = process.env.BENCH_SQL_PROFILE !== undefined;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  // Connections inside BEGIN … COMMIT: a statement outside one commits on its own.
  const inTransaction = new WeakSet<pg.Client>();
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    sql.statements++;
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text !== undefined && /^\s*(BEGIN|START TRANSACTION)\b/i.test(text)) inTransaction.add(this);
    else if (text !== undefined && /^\s*(COMMIT|ROLLBACK)\b/i.test(text)) {
      inTransaction.delete(this);
      if (/^\s*COMMIT\b/i.test(text)) sql.transactions++;
    } else if (!inTransaction.has(this)) sql.transactions++;
    if (profiling && text !== undefined) {
      const key = text.replace(/\s+/g, ' ').trim().slice(0, 110);
      byText.set(key, (byText.get(key) ?? 0) + 1);
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;
  return {
    sample() {
      const counted = profiling ? [...byText] : undefined;
      byText.clear();
      return { ...sql, ...(counted ? { byText: counted } : {}) };
    },
  };
}

/** A fresh PostgreSQL database named `prefix` + random hex; `drop` removes it, open connections included. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export function freePort(): Promise<number> {
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
