import { randomBytes } from 'node:crypto';
import { createMerchant, generateKey, staticKeySet } from '@caisse/server-kit';
import { SHOP_ORIGIN, type startTestServer } from '../../__fixtures__/payment-server.js';
import { startReceiver } from './receiver.js';

/**
 * A second merchant registered on a test server, with a notification URL and the receiver
 * listening there: for tests that follow what the merchant is told, not only the voucher.
 * `now`: the clock its kit dates tickets and checks vouchers by (the server's, when frozen).
 */
export async function registerNotifiedMerchant(shop: Awaited<ReturnType<typeof startTestServer>>, options: { now?: () => Date } = {}) {
  const key = generateKey();
  const merchantId = `notified-${randomBytes(3).toString('hex')}`;
  const merchant = createMerchant({
    merchantId,
    signingKey: key.privateJwk,
    paymentServer: { issuer: shop.url, payEndpoint: `${shop.url}/pay`, keys: staticKeySet(await shop.server.keys.jwks()) },
    ...(options.now ? { now: options.now } : {}),
  });
  const receiver = await startReceiver(merchant);
  await shop.server.merchants.register({
    id: merchantId,
    displayName: 'The Notified Shop',
    jwks: key.jwks,
    returnOrigins: [SHOP_ORIGIN],
    notifyUrl: receiver.url,
  });
  return { merchant, merchantId, receiver };
}
