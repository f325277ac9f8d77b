import { describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, parties } from './__fixtures__/parties.js';
import { generateKey } from './keys/generate.js';
import { createMerchant } from './merchant.js';
import { createState } from './state.js';

describe('createMerchant', () => {
  it('creates a ticket and verifies the voucher that answers it, once', async () => {
    const checkout = parties();
    const merchant = createMerchant({
      merchantId: MERCHANT_ID,
      signingKey: checkout.merchant.privateJwk,
      paymentServer: { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: checkout.serverKeys },
      now: () => NOW,
    });
    const state = createState();
    const ticket = merchant.createTicket({
      serial: 'order-7',
      currency: 'EUR',
      items: [{ id: 'paper', label: 'Daily paper', quantity: 1, unitAmount: 120, vatRate: 210 }],
      returnUrl: 'https://news.example/read',
      cancelUrl: 'https://news.example/',
      state,
    });
    const token = checkout.voucher(ticket);
    await expect(merchant.verifyVoucher(token, { ticket: ticket.reference, state })).resolves.toMatchObject({ amount: 120 });
    await expect(merchant.verifyVoucher(token, { ticket: ticket.reference, state })).rejects.toMatchObject({ code: 'token_replayed' });
  });

  it('takes its mode from its key, and refuses a payment server known to run in the other mode: token_test_mode', () => {
    const checkout = parties();
    const paymentServer = { issuer: ISSUER, payEndpoint: `${ISSUER}/pay`, keys: checkout.serverKeys };
    const testKey = generateKey({ test: true });
    expect(createMerchant({ merchantId: MERCHANT_ID, signingKey: testKey.privateJwk, paymentServer }).mode).toBe('test');
    expect(createMerchant({ merchantId: MERCHANT_ID, signingKey: checkout.merchant.privateJwk, paymentServer }).mode).toBe('live');
    expect(() =>
      createMerchant({ merchantId: MERCHANT_ID, signingKey: testKey.privateJwk, paymentServer: { ...paymentServer, mode: 'live' } }),
    ).toThrow(expect.objectContaining({ code: 'token_test_mode', message: expect.stringContaining(`"${testKey.kid}" is a test key`) }));
    expect(() =>
      createMerchant({
        merchantId: MERCHANT_ID,
        signingKey: checkout.merchant.privateJwk,
        paymentServer: { ...paymentServer, mode: 'test' },
      }),
    ).toThrow(expect.objectContaining({ code: 'token_test_mode', message: expect.stringContaining('caisse keys new --test') }));
  });
});
