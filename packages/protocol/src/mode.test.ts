import { describe, expect, it } from 'vitest';
import { discoveryDocument } from './messages/keys.js';
import { notificationClaims } from './messages/notification.js';
import { refusalClaims } from './messages/refusal.js';
import { ticketClaims } from './messages/ticket.js';
import { voucherClaims } from './messages/voucher.js';
import { modeOfClaims, modeOfKid, TEST_KEY_PREFIX } from './mode.js';

const ref = { jti: 't_1', sha256: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' };
const state = 'k3J9xQ2mZp7RvT1wYb4NcA';
const envelope = { ver: 1, iss: 'https://pay.example', aud: 'shop-1', iat: 1_700_000_000, exp: 1_700_000_060 };
const ticket = {
  ...envelope,
  iss: 'shop-1',
  aud: 'https://pay.example',
  jti: 't_1',
  serial: 'order-1',
  kind: 'purchase',
  items: [{ id: 'b1', label: 'Book', quantity: 1, unitAmount: 1000, vatRate: 550 }],
  amount: 1000,
  vat: 52,
  currency: 'EUR',
  returnUrl: 'https://shop.example/paid',
  cancelUrl: 'https://shop.example/basket',
  fulfilment: 'immediate',
  state,
};
const voucher = {
  ...envelope,
  jti: 'pay_1',
  ticket: ref,
  serial: 'order-1',
  amount: 1000,
  currency: 'EUR',
  items: ref.sha256,
  funding: 'wallet',
  status: 'authorised',
  sub: 'c_1',
  confirmation: { method: 'device', at: 1_700_000_000 },
  state,
};
const refusal = {
  ...envelope,
  jti: 'f_1',
  ticket: ref,
  serial: 'order-1',
  amount: 1000,
  currency: 'EUR',
  reason: 'customer_declined',
  state,
};
const notification = {
  ...envelope,
  jti: 'n_1',
  event: 'settlement.paid',
  settlement: { id: 's_1', date: '2026-03-01', amount: 1, currency: 'EUR' },
};

describe('the test marker', () => {
  it.each([
    ['ticket', ticketClaims, ticket],
    ['voucher', voucherClaims, voucher],
    ['refusal', refusalClaims, refusal],
    ['notification', notificationClaims, notification],
  ] as const)('a %s takes test: true, or nothing; never false nor another value', (_kind, schema, claims) => {
    expect(schema.safeParse(claims).success).toBe(true);
    expect(schema.safeParse({ ...claims, test: true }).success).toBe(true);
    for (const other of [false, 'true', 1, null]) expect(schema.safeParse({ ...claims, test: other }).success).toBe(false);
  });

  it('tells the mode of claims and of a key id', () => {
    expect(modeOfClaims({})).toBe('live');
    expect(modeOfClaims({ test: true })).toBe('test');
    expect(modeOfKid(`${TEST_KEY_PREFIX}9f2c41d0`)).toBe('test');
    expect(modeOfKid('9f2c41d0')).toBe('live');
    expect(modeOfKid('Test_9f2c')).toBe('live');
  });

  it('lets the discovery document say its mode, live when it does not', () => {
    const document = {
      issuer: 'https://pay.example',
      jwksUri: 'https://pay.example/.well-known/jwks.json',
      payEndpoint: 'https://pay.example/pay',
      apiBase: 'https://pay.example/v1',
      algorithms: ['EdDSA'],
      versions: [1],
    };
    expect(discoveryDocument.parse(document).mode).toBeUndefined();
    expect(discoveryDocument.parse({ ...document, mode: 'test' }).mode).toBe('test');
    expect(discoveryDocument.safeParse({ ...document, mode: 'sandbox' }).success).toBe(false);
  });
});
