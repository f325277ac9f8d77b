import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { SHOP_ORIGIN, startTestServer } from '../__fixtures__/payment-server.js';
import { serverDrivers } from '../api/__fixtures__/api-server.js';
import { generateSecret } from '../secrets.js';

const postgres = (await serverDrivers('attempt throttle instances')).find((driver) => driver.name === 'postgres');
/** Wrong access keys one client may send per 10 minutes: one attempt comes back every 200 s. */
const LIMIT = 3;

/**
 * DESIGN.md, "Storage and scale": every limit that protects customers lives in the
 * database, so N instances enforce it once. Two instances of one payment server (one
 * PostgreSQL, one secret, one public issuer, behind a trusted proxy naming the client in
 * `X-Forwarded-For`) on one frozen clock, over real HTTP: the identification limit holds
 * once, not twice, and right access keys are never slowed.
 */
describe.runIf(postgres !== undefined)('the identification limit across two instances, on postgres', () => {
  let at = new Date('2026-11-22T10:00:00Z');
  const now = () => at;
  let first: Awaited<ReturnType<typeof startTestServer>>;
  let second: Awaited<ReturnType<typeof startTestServer>>;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await (postgres as NonNullable<typeof postgres>).url();
    drop = database.drop;
    const env = { CAISSE_SECRET: generateSecret(), CAISSE_IDENTIFY_LIMIT: String(LIMIT), CAISSE_TRUST_PROXY: 'true' };
    first = await startTestServer({ databaseUrl: database.url as string, env, now });
    second = await startTestServer({ databaseUrl: database.url as string, env: { ...env, CAISSE_ISSUER: first.url }, now });
    await first.server.customers.add({ accountId: 'carol', phone: '+33612345671', accessKey: 'carols access key' });
    await first.server.customers.walletCredit('carol', 'EUR', 5_000n, { idempotencyKey: 'fund-carol' });
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await drop();
  });

  /** A checkout on `instance` by `client`, identifying with `account` and `accessKey`: the page it ends on, or where it left to. */
  async function identify(instance: typeof first, client: string, account: string, accessKey: string) {
    const browser = new ScriptedBrowser(instance.url, { 'x-forwarded-for': `192.0.2.99, ${client}` });
    const page = await browser.go('/pay', { form: { ticket: first.ticket(100).token } });
    // The form posts to the public issuer's origin, whichever instance served it.
    return browser.go(ScriptedBrowser.action(page.html, '/identify'), {
      form: { csrf: ScriptedBrowser.csrf(page.html), account, accessKey },
      origin: first.url,
    });
  }

  let guesses = 0;
  /** An account id nobody has, new each time: the per-account lockout (5 wrong keys) never comes into it. */
  const nobody = () => `nobody-${++guesses}`;

  const paid = (result: Awaited<ReturnType<typeof identify>>) =>
    result.leftTo?.origin === SHOP_ORIGIN && result.leftTo.searchParams.has('caisse_voucher');

  it(`answers the ${LIMIT + 1}th wrong attempt 429 with Retry-After, wherever the first ${LIMIT} went`, async () => {
    const client = '203.0.113.7';
    for (const instance of [first, second, first]) {
      expect((await identify(instance, client, nobody(), 'a guess')).page?.status).toBe(401);
    }
    for (const instance of [second, first]) {
      const held = await identify(instance, client, nobody(), 'a guess');
      expect(held.page?.status).toBe(429);
      expect(held.page?.headers.get('retry-after')).toBe('200');
      expect(held.html).toContain('Too many tries from this browser');
    }
    // Held before any key is checked, even the right one; another client goes on.
    expect((await identify(second, client, 'carol', 'carols access key')).page?.status).toBe(429);
    expect(paid(await identify(second, '203.0.113.8', 'carol', 'carols access key'))).toBe(true);

    // One attempt comes back every 200 s, for both instances.
    at = new Date(at.getTime() + 200_000);
    expect((await identify(second, client, nobody(), 'a guess')).page?.status).toBe(401);
    expect((await identify(first, client, nobody(), 'a guess')).page?.status).toBe(429);
  });

  it('never slows right access keys: they take nothing from the client’s budget', async () => {
    const client = '203.0.113.20';
    for (let payment = 0; payment < LIMIT + 2; payment++) {
      expect(paid(await identify(payment % 2 === 0 ? first : second, client, 'carol', 'carols access key'))).toBe(true);
    }
    const { rows } = await first.server.db.query('SELECT 1 FROM limit_buckets WHERE client = $1', [client]);
    expect(rows).toEqual([]);
    for (let attempt = 0; attempt < LIMIT; attempt++) {
      expect((await identify(attempt % 2 === 0 ? second : first, client, nobody(), 'a guess')).page?.status).toBe(401);
    }
    expect((await identify(first, client, nobody(), 'a guess')).page?.status).toBe(429);
  });
});
