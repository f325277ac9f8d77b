import { describe, expect, it } from 'vitest';
import { ISSUER, MERCHANT_ID, NOW, parties } from './__fixtures__/parties.js';
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
});
