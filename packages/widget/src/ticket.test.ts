import { base64urlEncode } from '@caisse/protocol/base64url';
import { describe, expect, it } from 'vitest';
import { ITEMS, makeTicket, NOW } from './test-support.js';
import { readTicket } from './ticket.js';

const forge = (payload: string) => `eyJhbGciOiJFZERTQSJ9.${base64urlEncode(payload)}.c2ln`;

describe('readTicket', () => {
  it('reads what the button shows from the payload', () => {
    expect(readTicket(makeTicket())).toEqual({
      kind: 'purchase',
      serial: 'order-42',
      amount: 1590,
      currency: 'EUR',
      exp: NOW / 1000 + 900,
      items: ITEMS.map(({ label, quantity, unitAmount }) => ({ label, quantity, unitAmount })),
    });
  });

  it('refuses what is not a compact JWS with a JSON payload', () => {
    for (const token of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      'eyJ.not base64!.sig',
      'eyJ.eyJ=.sig',
      forge('not json'),
      forge('null'),
      forge('[]'),
      forge('"x"'),
    ]) {
      expect(readTicket(token)).toBeUndefined();
    }
  });

  it('refuses a payload missing a field or with one of the wrong type', () => {
    for (const claims of [
      { kind: 'refund' },
      { serial: '' },
      { serial: 42 },
      { amount: 12.5 },
      { amount: -1 },
      { amount: '1590' },
      { currency: 'eur' },
      { exp: '2026' },
      { items: 'none' },
      { items: [{ label: 'x', quantity: 1 }] },
      { items: [{ label: { html: '<b>' }, quantity: 1, unitAmount: 1 }] },
      { items: [null] },
    ]) {
      expect(readTicket(makeTicket(claims)), JSON.stringify(claims)).toBeUndefined();
    }
  });

  it('refuses a payload that is not UTF-8', () => {
    const bytes = new Uint8Array([0x7b, 0xff, 0x7d]);
    expect(readTicket(`eyJ.${base64urlEncode(bytes)}.c2ln`)).toBeUndefined();
  });
});
