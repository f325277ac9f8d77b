import { isMerchantApiError } from '@caisse/server-kit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedBrowser } from '../__fixtures__/browser.js';
import { startTestServer } from '../__fixtures__/payment-server.js';
import { type AllowanceWorld, serverDrivers, startAllowanceWorld, testClock } from '../allowances/__fixtures__/world.js';
import { generateSecret } from '../secrets.js';

const postgres = (await serverDrivers('merchant lifecycle instances')).find((driver) => driver.name === 'postgres');

/**
 * Two instances of one payment server (one PostgreSQL, one secret, one public issuer) on
 * one frozen clock: a merchant suspended through one is refused at once by the other, on
 * the hosted page and on the allowance charge path, whose instance keeps the merchant's
 * keys a few seconds; resumed, it is taken again at once.
 */
describe.runIf(postgres !== undefined)('a merchant suspended on one instance, on postgres', () => {
  const clock = testClock('2026-11-22T10:00:00Z');
  let world: AllowanceWorld;
  let second: Awaited<ReturnType<typeof startTestServer>>;
  let drop = async () => {};

  beforeAll(async () => {
    const database = await (postgres as NonNullable<typeof postgres>).url();
    drop = database.drop;
    const secret = generateSecret();
    world = await startAllowanceWorld(database.url, clock.now, { CAISSE_SECRET: secret });
    second = await startTestServer({
      databaseUrl: database.url as string,
      env: { CAISSE_SECRET: secret, CAISSE_ISSUER: world.shop.url },
      now: clock.now,
    });
  });
  afterAll(async () => {
    await second?.close();
    await world?.close();
    await drop();
  });

  const code = (promise: Promise<unknown>) =>
    promise.then(
      () => 'charged',
      (error: unknown) => (isMerchantApiError(error) ? error.code : Promise.reject(error)),
    );

  it('is refused by the other instance at once, and taken again at once when resumed there', async () => {
    const alice = await world.customer(5_000);
    const { id } = await world.grant(alice, 2_000);
    // This instance has just read the merchant (active) for its charge path.
    expect(await code(world.client.allowances.charge(world.chargeTicket(id, 100)))).toBe('charged');

    await second.server.merchants.suspend(world.shop.merchantId, { by: 'operator:ops', reason: 'Chargebacks under review' });

    expect(await code(world.client.allowances.charge(world.chargeTicket(id, 100)))).toBe('merchant_suspended');
    const page = await new ScriptedBrowser(world.shop.url).go('/pay', { form: { ticket: world.shop.ticket(300).token } });
    expect(page.page?.status).toBe(403);
    expect(page.html).toContain('merchant_suspended');
    const onSecond = await new ScriptedBrowser(second.url).go('/pay', { form: { ticket: world.shop.ticket(300).token } });
    expect(onSecond.page?.status).toBe(403);
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 100 });

    await second.server.merchants.resume(world.shop.merchantId, { by: 'operator:ops' });
    expect(await code(world.client.allowances.charge(world.chargeTicket(id, 100)))).toBe('charged');
    expect(await world.client.allowances.get(id)).toMatchObject({ used: 200 });
    await world.client.allowances.close(id);
  });
});
