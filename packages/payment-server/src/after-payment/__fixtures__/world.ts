/** Test support for escrow, refunds and settlement: a real payment server, a sandbox bank, a merchant API caller and a notification receiver, on one clock. Not exported. */
import { randomUUID } from 'node:crypto';
import { createSandboxAcquirer, type RunningSandboxBank, type StartSandboxBankOptions, startSandboxBank } from '@caisse/sandbox-bank';
import { createMerchant, generateKey, staticKeySet } from '@caisse/server-kit';
import { afterAll, beforeAll } from 'vitest';
import type { AcquirerRoute } from '../../acquirer/routing.js';
import { type ApiCaller, payAs, type ServerDriver, startApiTestServer } from '../../api/__fixtures__/api-server.js';
import { checkLedgerInvariants } from '../../ledger/invariants.js';
import { type Receiver, startReceiver } from '../../notifications/__fixtures__/receiver.js';

/** The access key of every customer the world makes, for tests that walk the hosted pages themselves. */
export const ACCESS_KEY = 'correct horse battery';

export interface WorldOptions {
  databaseUrl?: string;
  env?: Record<string, string>;
  /** The acquirer's bank: the sandbox bank itself by default, or another URL (a proxy in front of it). */
  bankUrl?: (sandbox: RunningSandboxBank) => string;
  bank?: StartSandboxBankOptions;
  /**
   * Two acquirers instead of one: the sandbox bank named `first`, a second sandbox bank
   * named `second`, each with these routes (and the second bank's options).
   */
  routing?: {
    first: AcquirerRoute[];
    second: AcquirerRoute[];
    secondBank?: StartSandboxBankOptions;
    /** The second acquirer's bank: the second sandbox bank by default, or a proxy in front of it. */
    secondUrl?: (second: RunningSandboxBank) => string;
  };
}

let customers = 0;

/** Real time plus an offset the test moves: tickets the kit signs now stay valid, and days can pass at once. */
export function movingClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    set(at: Date) {
      offset = at.getTime() - Date.now();
    },
    advance(ms: number) {
      offset += ms;
    },
    get offset() {
      return offset;
    },
    set offset(ms: number) {
      offset = ms;
    },
  };
}

export async function afterPaymentWorld(options: WorldOptions = {}) {
  const clock = movingClock();
  const sandbox = await startSandboxBank({ timeoutDelayMs: 2_500, ...options.bank });
  const second = options.routing ? await startSandboxBank({ timeoutDelayMs: 2_500, ...options.routing.secondBank }) : undefined;
  const acquirer = createSandboxAcquirer({ url: options.bankUrl?.(sandbox) ?? sandbox.url, timeoutMs: 1_000 });
  const shop = await startApiTestServer({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    ...(options.routing && second
      ? {
          acquirers: [
            { name: 'first', acquirer, routes: options.routing.first },
            {
              name: 'second',
              acquirer: createSandboxAcquirer({ url: options.routing.secondUrl?.(second) ?? second.url, timeoutMs: 1_000 }),
              routes: options.routing.second,
            },
          ],
        }
      : { acquirer }),
    env: { CAISSE_WALLET_THRESHOLDS: '*:5000', ...options.env },
    now: clock.now,
  });
  const { server } = shop;

  // The merchant backend receiving notifications, on the server's clock.
  const kit = createMerchant({
    merchantId: shop.merchantId,
    signingKey: generateKey().privateJwk,
    paymentServer: { issuer: server.issuer, payEndpoint: `${server.issuer}/pay`, keys: staticKeySet(await server.keys.jwks()) },
    now: clock.now,
  });
  const receiver: Receiver = await startReceiver(kit);
  await server.db.query('UPDATE merchants SET notify_url = $2 WHERE id = $1', [shop.merchantId, receiver.url]);

  /**
   * Calls the merchant API as `startApiTestServer` does, with the assertion signed at the
   * server's time, a JSON body, and an `Idempotency-Key` on every POST (`key`, or a new one).
   */
  function call(
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string>; as?: ApiCaller; key?: string } = {},
  ) {
    const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
    const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    const headers: Record<string, string> = { ...init.headers };
    if (body !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' && headers['idempotency-key'] === undefined) headers['idempotency-key'] = init.key ?? randomUUID();
    return shop.call(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(init.as ? { as: init.as } : {}),
      assertion: { iat: Math.floor(clock.now().getTime() / 1000) },
    });
  }

  /** A customer with a funded wallet (and a bank reference for bank payments). */
  async function customer(options: { funded?: bigint; cap?: bigint; bankRef?: string } = {}) {
    const accountId = `cust-${++customers}-${Math.random().toString(36).slice(2, 6)}`;
    await server.customers.add({
      accountId,
      phone: `+336${String(10_000_000 + Math.floor(Math.random() * 89_999_999)).padStart(8, '0')}`,
      accessKey: ACCESS_KEY,
      limits: { EUR: { walletCap: options.cap ?? 50_000n, dailyCeiling: 1_000_000n, monthlyCeiling: 1_000_000n } },
    });
    const funded = options.funded ?? 20_000n;
    if (funded > 0n) await server.customers.walletCredit(accountId, 'EUR', funded, { idempotencyKey: `fund-${accountId}` });
    await server.customers.setBankRef(accountId, options.bankRef ?? 'test_approve');
    return accountId;
  }

  /**
   * A payment made as a customer makes it: a ticket from the kit (with the order serial
   * `serial`, or a random one), the hosted pages walked by a scripted browser. Returns the
   * ticket and the payment id (`pay_…`, the voucher's `jti`).
   */
  async function pay(accountId: string, amount: number, options: { deferred?: boolean; currency?: string; serial?: string } = {}) {
    const ticket = shop.merchant.createTicket({
      serial: options.serial ?? `order-${Math.random().toString(36).slice(2, 8)}`,
      currency: options.currency ?? 'EUR',
      items: [{ id: 'item', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: randomUUID(),
      ...(options.deferred ? { fulfilment: 'deferred' as const } : {}),
    });
    return { ticket, id: await payAs(shop.url, ticket.token, accountId, ACCESS_KEY) };
  }

  async function customerAccount(type: 'customer_wallet' | 'loyalty', accountId: string) {
    const { rows } = await server.db.query<{ balance: bigint; pending_debits: bigint; pending_credits: bigint }>(
      `SELECT b.balance, b.pending_debits, b.pending_credits FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
        WHERE a.type = $2 AND a.owner_id = $1 AND a.currency = 'EUR'`,
      [accountId, type],
    );
    const row = rows[0];
    if (!row) throw new Error(`no ${type} account for ${accountId}`);
    return { balance: BigInt(row.balance), pendingDebits: BigInt(row.pending_debits), pendingCredits: BigInt(row.pending_credits) };
  }

  const wallet = (accountId: string) => customerAccount('customer_wallet', accountId);
  /** The customer's loyalty points (CAISSE_LOYALTY_RATE, 1 % of each payment paid at once by default). */
  const loyalty = async (accountId: string) => (await customerAccount('loyalty', accountId)).balance;

  async function till(merchantId = shop.merchantId): Promise<bigint> {
    const { rows } = await server.db.query<{ total: bigint }>(
      `SELECT coalesce(sum(e.amount), 0)::int8 AS total FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
        WHERE a.type = 'merchant_till' AND a.owner_id = $1`,
      [merchantId],
    );
    return BigInt(rows[0]?.total ?? 0);
  }

  /** Rows that any change would add to: a refused request must leave every count as it was. */
  async function footprint() {
    const { rows } = await server.db.query<Record<string, bigint>>(
      `SELECT (SELECT count(*) FROM ledger_transfers) AS transfers, (SELECT count(*) FROM ledger_pending_resolutions) AS resolutions,
              (SELECT count(*) FROM refunds) AS refunds, (SELECT count(*) FROM escrow_resolutions) AS escrow,
              (SELECT count(*) FROM notifications) AS notifications, (SELECT count(*) FROM settlements) AS settlements,
              (SELECT count(*) FROM acquirer_operations) AS operations,
              (SELECT string_agg(serial || ':' || status, ',' ORDER BY serial) FROM payments) AS statuses`,
    );
    return rows[0];
  }

  /** A `SELECT count(*) AS n …` on the server's database, as a number. */
  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await server.db.query<{ n: bigint }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** The events written to the outbox for this merchant, oldest first. */
  async function outbox(event?: string) {
    const { rows } = await server.db.query<{ id: string; event: string; payload: Record<string, unknown>; status: string }>(
      `SELECT id, event, payload, status FROM notifications WHERE merchant_id = $1 AND ($2::text IS NULL OR event = $2) ORDER BY created_at, id`,
      [shop.merchantId, event ?? null],
    );
    return rows;
  }

  /** Runs the dispatcher until nothing is due, moving the clock to each retry. */
  async function deliverAll(passes = 20) {
    const offset = clock.offset;
    try {
      await deliverPasses(passes);
    } finally {
      clock.offset = offset;
    }
  }

  async function deliverPasses(passes: number) {
    for (let pass = 0; pass < passes; pass++) {
      await server.notificationDispatcher.runOnce();
      const { rows } = await server.db.query<{ next: Date | null }>(
        `SELECT min(next_attempt_at) AS next FROM notifications WHERE status = 'pending'`,
      );
      const next = rows[0]?.next;
      if (!next) return;
      if (next.getTime() >= clock.now().getTime()) clock.set(new Date(next.getTime() + 1));
    }
  }

  return {
    ...shop,
    clock,
    sandbox,
    /** The second sandbox bank, with `routing`. */
    second,
    receiver,
    call,
    customer,
    pay,
    wallet,
    loyalty,
    till,
    footprint,
    count,
    outbox,
    deliverAll,
    invariants: () => checkLedgerInvariants(server.db),
    async close() {
      await receiver.close();
      await shop.close();
      await sandbox.close();
      await second?.close();
    },
  };
}

export type AfterPaymentWorld = Awaited<ReturnType<typeof afterPaymentWorld>>;

/**
 * One world for the enclosing `describe`, on the driver's database (a fresh one for
 * PostgreSQL): made before its tests, then closed and its database dropped after them.
 * `ready` receives it, with the database URL for tests that start a second process on it.
 * @example describe.each(await serverDrivers('refunds'))('refunds on $name', ({ url }) => {
 *   let world: AfterPaymentWorld;
 *   worldPerSuite(url, (made) => { world = made; });
 */
export function worldPerSuite(
  database: ServerDriver['url'],
  ready: (world: AfterPaymentWorld, databaseUrl: string | undefined) => void,
  options: Omit<WorldOptions, 'databaseUrl'> = {},
): void {
  let world: AfterPaymentWorld | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await database();
    drop = made.drop;
    world = await afterPaymentWorld({ ...options, ...(made.url ? { databaseUrl: made.url } : {}) });
    ready(world, made.url);
  });
  afterAll(async () => {
    await world?.close();
    await drop?.();
  });
}
