import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configSchema, createPaymentServer, type PaymentServer } from '@caisse/payment-server';
import { createMerchant, createState, generateKey, staticKeySet, type TicketReference } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';
import { serve } from '@hono/node-server';

export const CUSTOMERS = {
  alice: { accountId: 'alice', phone: '+33611111111', accessKey: 'alice access key' },
  bob: { accountId: 'bob', phone: '+33622222222', accessKey: 'bob access key' },
  carol: { accountId: 'carol', phone: '+33633333333', accessKey: 'carol access key' },
} as const;

/**
 * A real payment server on 127.0.0.1 through its public entry, PGlite in memory, nothing
 * registered: what every end-to-end test against the payment server starts from (the
 * sample stores' tests build on it too, from examples/e2e, in test mode as the demo runs).
 */
export async function servePaymentServer(options: { mode?: 'live' | 'test' } = {}) {
  let payment: PaymentServer | undefined;
  const http = serve({ fetch: (request) => (payment as PaymentServer).app.fetch(request), port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => http.once('listening', () => resolve()));
  const url = `http://localhost:${(http.address() as AddressInfo).port}`;
  payment = await createPaymentServer(
    configSchema.parse({
      CAISSE_ISSUER: url,
      CAISSE_DATA_DIR: '',
      CAISSE_SECRET: 'e'.repeat(43),
      CAISSE_MODE: options.mode ?? 'live',
      LOG_LEVEL: 'error',
    }),
  );
  const server = payment;
  return {
    url,
    server,
    async close() {
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Device streams never end by themselves.
      (http as Server).closeAllConnections();
      await closed;
      await server.close();
    },
  };
}

/**
 * A real payment server ({@link servePaymentServer}) with a bookshop whose server kit asks
 * for decoupled payments (the phone confirms, no browser leg) and three customers with
 * funded wallets.
 */
export async function startPaymentServer() {
  const { url, server, close } = await servePaymentServer();
  const key = generateKey();
  await server.merchants.register({ id: 'bookshop', displayName: 'The Bookshop', jwks: key.jwks, returnOrigins: ['https://shop.example'] });
  for (const customer of Object.values(CUSTOMERS)) {
    await server.customers.add(customer);
    await server.customers.walletCredit(customer.accountId, 'EUR', 10_000n, { idempotencyKey: `fund-${customer.accountId}` });
  }
  const merchant = createMerchant({
    merchantId: 'bookshop',
    signingKey: key.privateJwk,
    paymentServer: { issuer: url, payEndpoint: `${url}/pay`, keys: staticKeySet(await server.keys.jwks()) },
  });
  const client = createMerchantClient({ server: { issuer: url }, merchantId: 'bookshop', key: key.privateJwk, retry: 0 });
  const tickets = new Map<string, TicketReference>();

  return {
    url,
    server,
    /** A fresh one-time enrolment code, as the operator would send it. */
    async enrollmentCode(account: keyof typeof CUSTOMERS = 'alice'): Promise<string> {
      return (await server.devices.createCode(account)).code;
    },
    /** Asks for a decoupled payment: the confirmation request goes to the customer's phone. Returns the ticket id. */
    async requestPayment(amount: number, account: keyof typeof CUSTOMERS = 'alice'): Promise<string> {
      const ticket = merchant.createTicket({
        serial: `order-${Math.random().toString(36).slice(2, 8)}`,
        currency: 'EUR',
        items: [{ id: 'book', label: 'Le Petit Prince', quantity: 1, unitAmount: amount, vatRate: 550 }],
        returnUrl: 'https://shop.example/paid',
        cancelUrl: 'https://shop.example/basket',
        state: createState(),
      });
      await client.payments.request({ ticket, phone: CUSTOMERS[account].phone });
      tickets.set(ticket.id, ticket.reference);
      return ticket.id;
    },
    /**
     * Asks the customer's phone to grant the bookshop a session allowance of `maximum` for an
     * hour (decoupled, as `requestPayment`). Returns the ticket id.
     */
    async requestAllowance(maximum: number, account: keyof typeof CUSTOMERS = 'alice'): Promise<string> {
      const ticket = merchant.createTicket({
        serial: `allowance-${Math.random().toString(36).slice(2, 8)}`,
        currency: 'EUR',
        amount: maximum,
        allowance: { expiresAt: Math.floor(Date.now() / 1000) + 3600 },
        returnUrl: 'https://shop.example/paid',
        cancelUrl: 'https://shop.example/basket',
        state: createState(),
      });
      await client.payments.request({ ticket, phone: CUSTOMERS[account].phone });
      return ticket.id;
    },
    /** Where the payment of a ticket stands, once it has left `confirming` and `authorising` (or after 10 s). */
    async outcome(ticketId: string): Promise<{ state: string; refusal?: string }> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const payment = await client.payments.byTicket(ticketId);
        if (!['confirming', 'authorising'].includes(payment.state) || Date.now() > deadline) return payment;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** The voucher of a paid ticket, verified as the bookshop's backend verifies it before delivering (once per ticket). */
    async voucher(ticketId: string) {
      const { voucher } = await client.payments.byTicket(ticketId);
      const reference = tickets.get(ticketId);
      if (voucher === undefined || reference === undefined) throw new Error(`ticket ${ticketId} is not paid`);
      return merchant.verifyVoucher(voucher, { ticket: reference });
    },
    close,
  };
}

export type TestPaymentServer = Awaited<ReturnType<typeof startPaymentServer>>;
