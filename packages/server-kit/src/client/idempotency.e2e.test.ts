import { describe, expect, it } from 'vitest';
import { lossyNetwork } from './__fixtures__/lossy-network.js';
import { type ApiTestServer, serverPerSuite } from './__fixtures__/payment-server.js';
import { createMerchantClient, type MerchantClientOptions } from './client.js';

describe('merchant API client: a refund retried after its answer was lost is made once', { timeout: 30_000 }, () => {
  let shop: ApiTestServer;
  let options: MerchantClientOptions;
  serverPerSuite((started, clientOptions) => {
    shop = started;
    options = clientOptions;
  });

  it('refunds once: the retry carries the same Idempotency-Key and gets the first answer again', async () => {
    const { id } = await shop.pay(1290);
    const network = lossyNetwork(1);
    const client = createMerchantClient({ ...options, fetch: network.fetch });

    const refund = await client.refunds.create({ id }, { amount: 500, reason: 'damaged' });
    expect(refund).toMatchObject({ payment: id, amount: 500, status: 'succeeded' });
    expect(network.answers).toEqual([
      { status: 201, replayed: false },
      { status: 201, replayed: true },
    ]);
    expect(await createMerchantClient(options).refunds.list({ id })).toEqual([refund]);
  });
});
