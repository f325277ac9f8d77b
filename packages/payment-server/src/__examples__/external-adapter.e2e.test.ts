/**
 * An acquirer adapter written outside the payment server, as an operator plugging in their
 * own bank writes one: it imports only the published packages (`@caisse/acquirer` for the
 * contract, `@caisse/payment-server` for the server), never a file of this package. The
 * "bank" is a map in memory standing in for a bank's HTTP API.
 */
import { randomUUID } from 'node:crypto';
import type { Acquirer, AcquirerResult, LookupResult } from '@caisse/acquirer';
import { loadConfig, startPaymentServer } from '@caisse/payment-server';
import { paymentSerial } from '@caisse/protocol';
import { createMerchant, createState, generateKey, staticKeySet } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../after-payment/__fixtures__/server-process.js';
import { payAs } from '../api/__fixtures__/api-server.js';

/** The smallest honest adapter: idempotent by key, approves known accounts, answers lookups from its records. */
function inMemoryBank(): Acquirer & { readonly calls: string[] } {
  const done = new Map<string, AcquirerResult>();
  const calls: string[] = [];
  function once(key: string, decide: () => AcquirerResult): Promise<AcquirerResult> {
    calls.push(key);
    const result = done.get(key) ?? decide();
    done.set(key, result);
    return Promise.resolve(result);
  }
  const approve = (kind: 'authorise' | 'capture' | 'refund' | 'void' | 'payout', amount: number, currency: string): AcquirerResult => ({
    status: 'approved',
    kind,
    bankReference: `ext_${randomUUID()}`,
    amount,
    currency,
  });
  return {
    calls,
    authorise: (request) =>
      once(request.idempotencyKey, () =>
        request.customerBankRef.startsWith('ext-')
          ? approve('authorise', request.amount, request.currency)
          : {
              status: 'declined',
              kind: 'authorise',
              reason: 'account_unknown',
              refusal: 'bank_declined',
              bankReference: null,
              amount: request.amount,
            },
      ),
    capture: (request) => once(request.idempotencyKey, () => approve('capture', request.amount, 'EUR')),
    refund: (request) => once(request.idempotencyKey, () => approve('refund', request.amount, 'EUR')),
    void: (request) => once(request.idempotencyKey, () => approve('void', request.amount, 'EUR')),
    payout: (request) => once(request.idempotencyKey, () => approve('payout', request.amount, request.currency)),
    lookup: (key): Promise<LookupResult> => Promise.resolve(done.get(key) ?? { status: 'unknown' }),
  };
}

describe('an acquirer adapter written outside the package', () => {
  const bank = inMemoryBank();
  let server: Awaited<ReturnType<typeof startPaymentServer>>;

  beforeAll(async () => {
    // A free port, so that the server's issuer (`http://localhost:PORT`) is its real address.
    const port = await freePort();
    const config = loadConfig({ PORT: String(port), CAISSE_DATA_DIR: '', LOG_LEVEL: 'error', CAISSE_WALLET_THRESHOLDS: '*:5000' });
    server = await startPaymentServer(config, { acquirers: [{ name: 'my-bank', acquirer: bank }] });
  });
  afterAll(() => server?.close());

  it('pays a ticket end to end through it', async () => {
    const merchantKey = generateKey();
    await server.merchants.register({
      id: 'outside-shop',
      displayName: 'The Outside Shop',
      jwks: merchantKey.jwks,
      returnOrigins: ['https://shop.example'],
    });
    await server.customers.add({ accountId: 'olga', phone: '+33612345699', accessKey: 'olga access key' });
    await server.customers.setBankRef('olga', 'ext-olga');
    const merchant = createMerchant({
      merchantId: 'outside-shop',
      signingKey: merchantKey.privateJwk,
      paymentServer: { issuer: server.issuer, payEndpoint: `${server.issuer}/pay`, keys: staticKeySet(await server.keys.jwks()) },
    });
    const ticket = merchant.createTicket({
      serial: 'order-outside-1',
      currency: 'EUR',
      items: [{ id: 'lamp', label: 'A lamp', quantity: 1, unitAmount: 12_000, vatRate: 2_000 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: createState(),
    });

    const id = await payAs(server.issuer, ticket.token, 'olga', 'olga access key');
    const { rows } = await server.db.query(
      'SELECT funding, acquirer, amount::int AS amount FROM payments WHERE merchant_id = $1 AND serial = $2',
      ['outside-shop', paymentSerial(id)],
    );
    expect(rows[0]).toEqual({ funding: 'bank', acquirer: 'my-bank', amount: 12_000 });
    expect(bank.calls).toEqual([`acq:authorise:outside-shop:${ticket.reference.id}`]);
  });
});
