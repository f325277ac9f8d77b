import { TOKEN_TYPES } from '@caisse/protocol';
import { createState, createTicket, generateKey, signJws, type TicketInput } from '@caisse/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMerchantService, type MerchantService } from '../merchants/service.js';
import type { Database } from '../storage/database.js';
import { openDatabase } from '../storage/open.js';
import { checkTicket } from './intake.js';

const ISSUER = 'https://pay.caisse.test';
const NOW = new Date('2026-11-22T10:00:00Z');
const merchantKey = generateKey();
let db: Database;
let merchants: MerchantService;

beforeAll(async () => {
  db = await openDatabase();
  merchants = createMerchantService({ db });
  await merchants.register({
    id: 'bookshop',
    displayName: 'The Bookshop',
    jwks: merchantKey.jwks,
    returnOrigins: ['https://shop.example'],
  });
});
afterAll(async () => {
  await db.close();
});

function ticket(
  input: Partial<TicketInput> = {},
  options: { key?: typeof merchantKey; merchantId?: string; audience?: string; now?: Date } = {},
) {
  return createTicket(
    {
      serial: 'order-42',
      currency: 'EUR',
      items: [{ id: 'b1', label: 'Le Petit Prince', quantity: 1, unitAmount: 1290, vatRate: 550 }],
      returnUrl: 'https://shop.example/paid',
      cancelUrl: 'https://shop.example/basket',
      state: createState(),
      ...input,
    },
    {
      merchantId: options.merchantId ?? 'bookshop',
      paymentServer: options.audience ?? ISSUER,
      payEndpoint: `${ISSUER}/pay`,
      signingKey: (options.key ?? merchantKey).signingKey,
      now: () => options.now ?? NOW,
    },
  );
}

const check = (token: unknown) => checkTicket(token, { merchants, issuer: ISSUER, now: () => NOW });

describe('checkTicket', () => {
  it('accepts a ticket signed with a registered key and keeps the hash of its exact bytes', async () => {
    const created = ticket();
    expect(await check(created.token)).toEqual({ accepted: true, ticket: { claims: created.claims, sha256: created.sha256 } });
  });

  it('refuses a ticket from an unregistered merchant without trusting its URLs', async () => {
    const outcome = await check(ticket({}, { merchantId: 'stranger' }).token);
    expect(outcome).toMatchObject({ accepted: false, reason: 'merchant_unknown', code: 'merchant_unknown' });
    expect(outcome).not.toHaveProperty('ticket');
  });

  it('refuses a ticket signed with a key the merchant did not register', async () => {
    const outcome = await check(ticket({}, { key: generateKey() }).token);
    expect(outcome).toMatchObject({ accepted: false, reason: 'ticket_invalid', code: 'key_unknown' });
  });

  it('refuses a voucher or any other kind of token posted as a ticket', async () => {
    const voucherShaped = signJws(TOKEN_TYPES.voucher, ticket().claims, merchantKey.signingKey);
    expect(await check(voucherShaped)).toMatchObject({ accepted: false, reason: 'ticket_invalid', code: 'type_mismatch' });
  });

  it('refuses amounts that do not add up, even when signed', async () => {
    const claims = { ...ticket().claims, amount: 1 };
    expect(await check(signJws(TOKEN_TYPES.ticket, claims, merchantKey.signingKey))).toMatchObject({
      accepted: false,
      reason: 'ticket_invalid',
      code: 'amount_mismatch',
    });
  });

  it('refuses a ticket meant for another payment server', async () => {
    expect(await check(ticket({}, { audience: 'https://other-pay.example' }).token)).toMatchObject({
      accepted: false,
      code: 'audience_mismatch',
    });
  });

  it.each([
    ['returnUrl', { returnUrl: 'https://evil.example/paid' }],
    ['cancelUrl', { cancelUrl: 'https://shop.example.evil.example/' }],
    ['returnUrl on another port', { returnUrl: 'https://shop.example:8443/paid' }],
    ['notifyUrl', { notifyUrl: 'https://evil.example/hook' }],
  ])('refuses a %s outside the registered origins: no open redirect', async (_what, input) => {
    const outcome = await check(ticket(input).token);
    expect(outcome).toMatchObject({ accepted: false, reason: 'ticket_invalid', code: 'return_origin_unregistered' });
    expect(outcome).not.toHaveProperty('ticket');
  });

  it('refuses an expired ticket but trusts it enough to answer at its cancel URL', async () => {
    const created = ticket({ lifetime: 60 }, { now: new Date(NOW.getTime() - 120_000) });
    expect(await check(created.token)).toMatchObject({ accepted: false, reason: 'ticket_expired', ticket: { sha256: created.sha256 } });
  });

  it('refuses garbage with a clear code', async () => {
    expect(await check('not a token')).toMatchObject({ accepted: false, reason: 'merchant_unknown' });
    expect(await check(undefined)).toMatchObject({ accepted: false, code: 'request_invalid' });
  });
});
