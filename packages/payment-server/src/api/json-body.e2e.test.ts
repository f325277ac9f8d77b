import { describe, expect, it } from 'vitest';
import { type AfterPaymentWorld, worldPerSuite } from '../after-payment/__fixtures__/world.js';
import { serverDrivers } from './__fixtures__/api-server.js';

describe.each(await serverDrivers('api_json_body'))('merchant API request bodies on $name', ({ url }) => {
  let world: AfterPaymentWorld;
  worldPerSuite(url, (made) => {
    world = made;
  });

  it('refuses a refund whose body repeats "amount", refunding nothing (JSON.parse alone would refund the last one)', async () => {
    const customer = await world.customer();
    const { id } = await world.pay(customer, 3_000);
    const wallet = await world.wallet(customer);
    const before = await world.footprint();

    const response = await world.call(`/v1/payments/${id}/refunds`, { body: '{"amount":1,"amount":100}' });
    expect(response.status).toBe(400);
    const problem = await response.json();
    expect(problem).toMatchObject({ code: 'duplicate_member', status: 400 });
    expect(problem.detail).toContain('"amount"');

    expect(await world.footprint()).toEqual(before);
    expect(await world.wallet(customer)).toEqual(wallet);
    expect((await (await world.call(`/v1/payments/${id}/refunds`)).json()).refunds).toEqual([]);
  });

  it('refuses a repeated member on every endpoint that reads a body, even spelled with an escape, changing nothing', async () => {
    const customer = await world.customer();
    const held = await world.pay(customer, 800, { deferred: true });
    const before = await world.footprint();

    const cases: [string, string][] = [
      [`/v1/payments/${held.id}/cancellation`, '{"reason":"out of stock","reason":"fraud"}'],
      [`/v1/payments/${held.id}/refunds`, '{"amount":100,"reason":"late","\\u0061mount":200}'],
      [`/v1/payments/${held.id}/deliveries`, '{"reference":"parcel 1","reference":"parcel 2"}'],
      ['/v1/payments', `{"ticket":"${world.ticket(500).token}","phone":"+33611111111","phone":"+33622222222"}`],
    ];
    for (const [path, body] of cases) {
      const response = await world.call(path, { body });
      expect(response.status, `${path} ${body}`).toBe(400);
      expect((await response.json()).code, `${path} ${body}`).toBe('duplicate_member');
    }
    expect(await world.footprint()).toEqual(before);
  });
});
