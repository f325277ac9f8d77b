import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Acquirer } from '@caisse/acquirer';
import { type TicketClaims, TOKEN_TYPES } from '@caisse/protocol';
import { createMerchant, createState, generateKey, memoryReplayStore, signJws, staticKeySet } from '@caisse/server-kit';
import { createAdaptorServer } from '@hono/node-server';
import type { AcquirerConfig } from '../acquirer/routing.js';
import { configSchema } from '../config.js';
import { createLogger } from '../log.js';
import { generateSecret } from '../secrets.js';
import { createPaymentServer, type PaymentServer } from '../server.js';
import { expectBooksClosed } from './books-closed.js';

export const SHOP_ORIGIN = 'https://shop.example';

/**
 * A real payment server on 127.0.0.1 (PGlite in memory unless `databaseUrl`), with one
 * registered merchant whose server kit is ready to sign tickets and verify vouchers.
 */
export async function startTestServer(
  options: {
    databaseUrl?: string;
    env?: Record<string, string>;
    /** One acquirer, named `sandbox`, taking every bank operation. */
    acquirer?: Acquirer;
    /** Several, routed (instead of `acquirer`). */
    acquirers?: readonly AcquirerConfig[];
    now?: () => Date;
  } = {},
) {
  let server: PaymentServer | undefined;
  const http = createAdaptorServer({ fetch: (request, env) => (server as PaymentServer).app.fetch(request, env) });
  await new Promise<void>((resolve) => http.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => resolve()));
  const url = `http://localhost:${(http.address() as AddressInfo).port}`;
  const config = configSchema.parse({
    CAISSE_ISSUER: url,
    CAISSE_SECRET: generateSecret(),
    LOG_LEVEL: 'error',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : { CAISSE_DATA_DIR: '' }),
    ...options.env,
  });
  server = await createPaymentServer(config, {
    log: createLogger({ level: 'error', write: () => {} }),
    ...(options.acquirer ? { acquirers: [{ name: 'sandbox', acquirer: options.acquirer }] } : {}),
    ...(options.acquirers ? { acquirers: options.acquirers } : {}),
    ...(options.now ? { now: options.now } : {}),
  });

  // A server in test mode (CAISSE_MODE=test in `env`) registers only test keys.
  const merchantKey = generateKey({ test: config.CAISSE_MODE === 'test' });
  const merchantId = `shop-${Math.random().toString(36).slice(2, 8)}`;
  await server.merchants.register({ id: merchantId, displayName: 'The Bookshop', jwks: merchantKey.jwks, returnOrigins: [SHOP_ORIGIN] });
  const merchant = createMerchant({
    merchantId,
    signingKey: merchantKey.privateJwk,
    paymentServer: { issuer: url, payEndpoint: `${url}/pay`, keys: staticKeySet(await server.keys.jwks()) },
    replayStore: memoryReplayStore(),
    // The shop dates its tickets by the same clock as the payment server, frozen or not.
    ...(options.now ? { now: options.now } : {}),
  });

  function ticket(amount: number, extra: { serial?: string } = {}) {
    return merchant.createTicket({
      serial: extra.serial ?? `order-${Math.random().toString(36).slice(2, 8)}`,
      currency: 'EUR',
      items: amount === 0 ? [] : [{ id: 'item', label: 'A book', quantity: 1, unitAmount: amount, vatRate: 550 }],
      returnUrl: `${SHOP_ORIGIN}/paid`,
      cancelUrl: `${SHOP_ORIGIN}/basket`,
      state: createState(),
    });
  }

  /** Signs claims as they are, with the merchant's key: for tickets the kit would refuse to make (bad sums, past dates). */
  function resign(claims: TicketClaims) {
    const token = signJws(TOKEN_TYPES.ticket, claims, merchantKey.signingKey);
    const sha256 = createHash('sha256').update(token).digest('base64url');
    return { token, reference: { id: claims.jti, sha256, amount: claims.amount, currency: claims.currency, serial: claims.serial } };
  }

  return {
    url,
    server,
    merchant,
    merchantId,
    /** The merchant's key pair: its private JWK signs merchant API calls (`createMerchantClient`). */
    merchantKey,
    ticket,
    resign,
    /** Stops the server, after checking what its tests left in the books (`expectBooksClosed`). */
    async close() {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      if (server) await expectBooksClosed(server.db);
      await server?.close();
    },
  };
}
