/**
 * A real payment server for the client's tests: the payment server's own merchant API
 * test fixture (PGlite in memory, the API mounted, a merchant whose private key the tests
 * hold, payments made through the hosted pages). Imported from its source because
 * `@caisse/payment-server` depends on this package: declaring the reverse dependency
 * would make a cycle of the workspace graph.
 */
import { afterAll, beforeAll } from 'vitest';
import { type ApiTestServer, startApiTestServer } from '../../../../payment-server/src/api/__fixtures__/api-server.js';
import type { MerchantClientOptions } from '../client.js';

export { type ApiTestServer, insertPayment, startApiTestServer } from '../../../../payment-server/src/api/__fixtures__/api-server.js';

/**
 * One payment server for the enclosing `describe`, closed after its tests. `ready` gets it
 * with the options of a client signing as its merchant, by issuer (no discovery), that
 * retries at once.
 * @example let shop: ApiTestServer; let options: MerchantClientOptions;
 * serverPerSuite((started, clientOptions) => { shop = started; options = clientOptions; });
 */
export function serverPerSuite(ready: (shop: ApiTestServer, options: MerchantClientOptions) => void): void {
  let shop: ApiTestServer | undefined;
  beforeAll(async () => {
    shop = await startApiTestServer();
    ready(shop, { server: { issuer: shop.url }, merchantId: shop.self.merchantId, key: shop.self.key.privateJwk, retry: { backoff: 1 } });
  }, 60_000);
  afterAll(async () => {
    await shop?.close();
  });
}
