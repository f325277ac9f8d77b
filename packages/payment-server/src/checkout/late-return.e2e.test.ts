import {
  createReturnHandler,
  memoryReplayStore,
  postgresReplayStore,
  type ReplayStore,
  staticKeySet,
  type Voucher,
} from '@caisse/server-kit';
import { freshDatabase, requirePostgres } from '@caisse/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startApiTestServer } from '../api/__fixtures__/api-server.js';
import type { DecoupledPayment } from '../api/decoupled.js';

// The server kit's own tests hold the Redis replay store to the same late returns: what
// matters here is that the payment server sends the very same voucher every time.
const hasPostgres = await requirePostgres('late returns to a merchant on the PostgreSQL replay store');

/** One clock for the payment server, the shop's tickets and the shop's verifier: frozen, moved by hand. */
const START = new Date('2026-03-02T09:00:00Z');
const clock = { at: START };
const now = () => clock.at;
const later = (minutes: number) => new Date(START.getTime() + minutes * 60_000);

let shop: Awaited<ReturnType<typeof startApiTestServer>>;
let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let pool: pg.Pool | undefined;

beforeAll(async () => {
  shop = await startApiTestServer({ now });
  await shop.server.customers.add({
    accountId: 'alice',
    phone: '+33612345678',
    accessKey: 'correct horse battery',
    limits: { EUR: { walletCap: 50_000n } },
  });
  const alice = await shop.server.customers.identify('alice', 'correct horse battery');
  await shop.server.customers.walletCredit(alice.id, 'EUR', 10_000n, { idempotencyKey: 'top-up-1' });
  if (hasPostgres) {
    database = await freshDatabase('late_return_e2e');
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
  }
});

afterAll(async () => {
  await shop?.close();
  await pool?.end();
  await database?.drop();
});

const stores: { name: string; enabled: boolean; make: () => Promise<ReplayStore> }[] = [
  { name: 'memory', enabled: true, make: async () => memoryReplayStore() },
  {
    name: 'PostgreSQL',
    enabled: hasPostgres,
    make: async () => {
      const store = postgresReplayStore({ client: pool as pg.Pool });
      await store.ensureSchema();
      return store;
    },
  },
];

/** Pays a fresh ticket as alice in a new browser; the browser stops at the shop's return URL. */
async function pay() {
  clock.at = START;
  const ticket = shop.ticket(700);
  const browser = new ScriptedBrowser(shop.url);
  const summary = await browser.go('/pay', { form: { ticket: ticket.token } });
  const paid = await browser.go(ScriptedBrowser.action(summary.html, '/identify'), {
    form: { csrf: ScriptedBrowser.csrf(summary.html), account: 'alice', accessKey: 'correct horse battery' },
  });
  if (!paid.leftTo) throw new Error(`the payment did not leave the payment server: ${paid.page?.status}`);
  const session = /\/checkout\/(cs_[^/?]+)/.exec(summary.page?.url ?? '')?.[1];
  return { ticket, browser, arrival: paid.leftTo, session };
}

describe.each(stores)('a paid checkout the browser comes back to, with the shop on the $name replay store', ({ enabled, make }) => {
  it.runIf(enabled)('delivers once: 2 minutes and 2 hours later the same voucher is refused as replayed', async () => {
    const { ticket, browser, arrival, session } = await pay();
    const delivered: Voucher[] = [];
    const errors: string[] = [];
    const returnHandler = createReturnHandler({
      issuer: shop.url,
      keys: staticKeySet(await shop.server.keys.jwks()),
      replayStore: await make(),
      audience: shop.merchantId,
      now,
      findTicket: (id) => (id === ticket.id ? ticket.reference : undefined),
      readState: () => ticket.claims.state,
      onPaid: (voucher) => {
        delivered.push(voucher);
      },
      onError: (error) => {
        errors.push((error as { code: string }).code);
      },
    });
    const bringBack = (url: URL) => returnHandler(new Request(url));
    const first = arrival.searchParams.get('caisse_voucher');

    await bringBack(arrival);
    expect(delivered).toHaveLength(1);

    for (const minutes of [2, 120]) {
      clock.at = later(minutes);
      // The Back button shows the checkout page again, which sends a paid session to its return.
      const backs = [
        await browser.go(`/checkout/${session}`),
        await browser.go(`/checkout/${session}/return`),
        await browser.go(`/pay?ticket=${ticket.token}`),
      ];
      for (const back of backs) {
        expect(back.leftTo?.pathname, `after ${minutes} minutes`).toBe('/paid');
        expect(back.leftTo?.searchParams.get('caisse_voucher'), 'the voucher signed at payment, byte for byte').toBe(first);
        await bringBack(back.leftTo as URL);
      }
    }
    expect(delivered).toHaveLength(1);
    expect(errors).toEqual(Array.from({ length: 6 }, () => 'token_replayed'));
  });
});

describe('a paid ticket is never refused', () => {
  it('answers another browser presenting a paid ticket with a page, and nothing signed for the shop', async () => {
    const { ticket, browser } = await pay();
    for (const minutes of [1, 120]) {
      clock.at = later(minutes);
      const stranger = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
      expect(stranger.leftTo, `after ${minutes} minutes`).toBeUndefined();
      expect(stranger.page?.status).toBe(409);
      expect(stranger.html).toContain('already used');
      expect(stranger.html).not.toContain('caisse_refusal');
      // The browser that paid goes back to its paid checkout, expired ticket or not.
      const owner = await browser.go('/pay', { form: { ticket: ticket.token } });
      expect(owner.leftTo?.searchParams.has('caisse_voucher')).toBe(true);
    }
  });

  it('gives the merchant API the voucher signed at payment, at every read', async () => {
    const { ticket, arrival } = await pay();
    for (const minutes of [1, 120]) {
      clock.at = later(minutes);
      const read = await shop.call(`/v1/payments/by-ticket/${ticket.id}`, { assertion: { iat: Math.floor(clock.at.getTime() / 1000) } });
      expect((await read.json()) as DecoupledPayment).toMatchObject({ state: 'paid', voucher: arrival.searchParams.get('caisse_voucher') });
    }
  });
});

describe('a ticket still being paid is not refused to the shop either', () => {
  it('answers another browser with a page while the first is at the checkout', async () => {
    clock.at = START;
    const ticket = shop.ticket(400);
    const first = new ScriptedBrowser(shop.url);
    expect((await first.go('/pay', { form: { ticket: ticket.token } })).page?.status).toBe(200);
    const stranger = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(stranger.leftTo).toBeUndefined();
    expect(stranger.page?.status).toBe(409);
    expect((await first.go('/pay', { form: { ticket: ticket.token } })).page?.status).toBe(200);
  });

  it('still answers an expired ticket nobody presented with a signed ticket_expired refusal', async () => {
    clock.at = START;
    const ticket = shop.ticket(400);
    clock.at = later(60);
    const late = await new ScriptedBrowser(shop.url).go('/pay', { form: { ticket: ticket.token } });
    expect(late.leftTo?.pathname).toBe('/basket');
    await expect(
      shop.merchant.verifyVoucher(late.leftTo?.searchParams.get('caisse_refusal') ?? '', { ticket: ticket.reference }),
    ).rejects.toMatchObject({ code: 'payment_refused', reason: 'ticket_expired' });
  });
});
