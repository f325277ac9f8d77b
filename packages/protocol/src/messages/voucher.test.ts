import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.js';
import { expectAccepted, ITEMS_SHA256, refusal, refusedAt, STATE, T0, TICKET_SHA256, validVoucher, without } from '../test-support.js';
import { address, sharedData, voucherClaims } from './voucher.js';

const REQUIRED = [
  'ver',
  'iss',
  'aud',
  'jti',
  'iat',
  'exp',
  'ticket',
  'serial',
  'amount',
  'currency',
  'items',
  'status',
  'sub',
  'confirmation',
  'state',
];

/** The voucher of an authentication ticket: no money, no funding. */
function authenticationVoucher(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'https://pay.caisse.example',
    aud: 'librairie-du-port',
    jti: 'pay_43',
    iat: T0 + 30,
    exp: T0 + 90,
    ticket: { jti: 'auth_01J9Z3K7R2', sha256: TICKET_SHA256 },
    serial: 'LOGIN-88412',
    amount: 0,
    currency: 'EUR',
    items: 'T1PNoYwrqgwDVLtfmj7L5e0Sq02OEbqHPC8RFhICuUU',
    status: 'authenticated',
    sub: 'c8f2a1d0e9b7',
    confirmation: { method: 'access_key', at: T0 + 25 },
    shared: { email: 'camille.martin@example.fr', name: 'Camille Martin' },
    state: STATE,
  };
}

/** A charge under a session allowance: funded by it, confirmed by it, with what is left. */
function allowanceCharge() {
  return {
    ...validVoucher(),
    status: 'authorised',
    funding: 'allowance',
    confirmation: { method: 'allowance', at: T0 },
    allowance: { id: 'al_AAAAAAAAAAAAAAAAAAAAAA', remaining: 800, expiresAt: T0 + 3600 },
  };
}

describe('voucherClaims', () => {
  it('accepts realistic held, authorised and authenticated vouchers', () => {
    expectAccepted(voucherClaims, validVoucher());
    expectAccepted(voucherClaims, { ...validVoucher(), status: 'authorised', funding: 'bank', shared: undefined });
    expectAccepted(voucherClaims, without(allowanceCharge(), 'shared'));
    expectAccepted(voucherClaims, authenticationVoucher());
  });

  it('an allowance voucher names its allowance exactly when the allowance funds it; granted is the confirmed grant only', () => {
    expectAccepted(voucherClaims, { ...allowanceCharge(), status: 'granted', confirmation: { method: 'device', at: T0 } });
    expect(refusedAt(voucherClaims, without(allowanceCharge(), 'allowance'))).toEqual(['allowance']);
    expect(
      refusedAt(voucherClaims, { ...validVoucher(), status: 'authorised', funding: 'wallet', allowance: allowanceCharge().allowance }),
    ).toEqual(['allowance']);
    // A charge is confirmed by the allowance; a grant by the customer: neither passes for the other.
    expect(refusedAt(voucherClaims, { ...allowanceCharge(), status: 'granted' })).toEqual(['status']);
    expect(refusedAt(voucherClaims, { ...allowanceCharge(), confirmation: { method: 'device', at: T0 } })).toEqual(['status']);
    expect(refusedAt(voucherClaims, { ...allowanceCharge(), allowance: { id: 'al_x', remaining: -1, expiresAt: T0 } })).toEqual([
      'allowance.remaining',
    ]);
  });

  it('refuses a voucher missing any required member, at that member', () => {
    for (const member of REQUIRED) expect(refusedAt(voucherClaims, without(validVoucher(), member))).toContain(member);
  });

  it('refuses unknown members at every level', () => {
    expect(refusedAt(voucherClaims, { ...validVoucher(), kind: 'purchase' })).toEqual(['']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), ticket: { jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256, amount: 2199 } })).toEqual(
      ['ticket'],
    );
    expect(refusedAt(voucherClaims, { ...validVoucher(), confirmation: { method: 'device', at: T0, pin: '1234' } })).toEqual([
      'confirmation',
    ]);
    expect(refusedAt(voucherClaims, { ...validVoucher(), shared: { phone: '+33612345678' } })).toEqual(['shared']);
  });

  it('refuses wrong types and values, at their path', () => {
    expect(refusedAt(voucherClaims, { ...validVoucher(), aud: 'https://librairie.example' })).toEqual(['aud']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), ticket: { jti: 'tkt_01J9Z3K7Q8', sha256: 'abc' } })).toEqual(['ticket.sha256']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), items: [] })).toEqual(['items']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), items: `${ITEMS_SHA256}=` })).toEqual(['items']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), status: 'captured' })).toEqual(['status']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), funding: 'card' })).toEqual(['funding']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), confirmation: { method: 'sms', at: T0 } })).toEqual(['confirmation.method']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), confirmation: { method: 'device', at: -1 } })).toEqual(['confirmation.at']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), sub: 'customer@example.fr' })).toEqual(['sub']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), currency: 'XXX' })).toEqual(['currency']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), amount: 21.99 })).toEqual(['amount']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), amount: LIMITS.amount + 1 })).toEqual(['amount']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), state: 'short' })).toEqual(['state']);
    expect(refusedAt(voucherClaims, { ...validVoucher(), ver: 2 })).toEqual(['ver']);
  });

  it('refuses exp at or before iat, and a validity over 600 s', () => {
    expect(refusal(voucherClaims, { ...validVoucher(), exp: T0 + 120 })).toEqual([{ path: 'exp', message: 'must be after iat' }]);
    expectAccepted(voucherClaims, { ...validVoucher(), exp: T0 + 120 + LIMITS.voucherLifetime });
    expect(refusal(voucherClaims, { ...validVoucher(), exp: T0 + 121 + LIMITS.voucherLifetime })).toEqual([
      { path: 'exp', message: 'must be at most 600 s after iat' },
    ]);
  });

  it('requires funding exactly when money moved', () => {
    expect(refusal(voucherClaims, without(validVoucher(), 'funding'))).toEqual([
      { path: 'funding', message: 'is present exactly when money moved' },
    ]);
    expect(refusedAt(voucherClaims, without({ ...validVoucher(), status: 'authorised' }, 'funding'))).toEqual(['funding']);
    expect(refusedAt(voucherClaims, { ...authenticationVoucher(), funding: 'wallet' })).toEqual(['funding']);
  });

  it('says how much loyalty points paid, from 1 to the amount, only when money moved', () => {
    const voucher = validVoucher();
    const amount = voucher.amount as number;
    expectAccepted(voucherClaims, { ...voucher, points: 1 });
    expectAccepted(voucherClaims, { ...voucher, points: amount, confirmation: { method: 'tap', at: T0 + 25 } });
    expect(refusal(voucherClaims, { ...voucher, points: amount + 1 })).toEqual([
      { path: 'points', message: 'is present only when money moved, from 1 to the amount' },
    ]);
    expect(refusedAt(voucherClaims, { ...voucher, points: 0 })).toEqual(['points']);
    expect(refusedAt(voucherClaims, { ...authenticationVoucher(), points: 1 })).toContain('points');
  });

  it('requires amount 0 exactly for an authentication voucher', () => {
    expect(refusal(voucherClaims, { ...validVoucher(), amount: 0 })).toEqual([
      { path: 'amount', message: 'is zero exactly for an authentication voucher' },
    ]);
    expect(refusedAt(voucherClaims, { ...authenticationVoucher(), amount: 100 })).toEqual(['amount']);
  });
});

describe('address and sharedData', () => {
  const home = {
    name: 'Camille Martin',
    line1: '12 rue des Lilas',
    line2: 'Bâtiment B',
    postalCode: '75011',
    city: 'Paris',
    region: 'Île-de-France',
    country: 'FR',
  };

  it('accept a full address and each kind of shared data alone', () => {
    expectAccepted(address, home);
    expectAccepted(address, { ...home, postalCode: 'SW1A 1AA', country: 'GB' });
    expectAccepted(sharedData, {});
    expectAccepted(sharedData, { shippingAddress: home });
    expectAccepted(sharedData, { email: 'camille@example.fr' });
    expectAccepted(sharedData, { name: 'Camille Martin' });
  });

  it('refuse malformed parts, at their path', () => {
    expect(refusedAt(address, { ...home, country: 'fr' })).toEqual(['country']);
    expect(refusedAt(address, { ...home, country: 'FRA' })).toEqual(['country']);
    expect(refusedAt(address, { ...home, postalCode: '75011-75012-75013' })).toEqual(['postalCode']);
    expect(refusedAt(address, { ...home, postalCode: '75011;' })).toEqual(['postalCode']);
    expect(refusedAt(address, { ...home, city: '' })).toEqual(['city']);
    expect(refusedAt(address, without(home, 'line1'))).toEqual(['line1']);
    expect(refusedAt(sharedData, { email: 'not an email' })).toEqual(['email']);
    expect(refusedAt(sharedData, { email: `${'a'.repeat(250)}@example.fr` })).toEqual(['email']);
    expect(refusedAt(sharedData, { shippingAddress: { ...home, country: 'XX1' } })).toEqual(['shippingAddress.country']);
  });
});
