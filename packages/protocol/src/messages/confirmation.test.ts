import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.js';
import { CHALLENGE, expectAccepted, refusal, refusedAt, T0, TICKET_SHA256, ticketItems, without } from '../test-support.js';
import { confirmationClaims, confirmationRequest } from './confirmation.js';

function validRequest(): Record<string, unknown> {
  return {
    ver: 1,
    id: 'cfr-01J9Z3M0AA',
    challenge: CHALLENGE,
    ticket: { jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256 },
    payee: { id: 'librairie-du-port', name: 'Librairie du Port' },
    items: ticketItems(),
    amount: 2199,
    vat: 172,
    currency: 'EUR',
    createdAt: T0 + 30,
    expiresAt: T0 + 330,
  };
}

function validResponse(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'dev-5e1c9b77',
    aud: 'https://pay.caisse.example',
    jti: 'cfa-01J9Z3N4BB',
    iat: T0 + 110,
    request: 'cfr-01J9Z3M0AA',
    challenge: CHALLENGE,
    ticket: TICKET_SHA256,
    amount: 2199,
    currency: 'EUR',
    payee: 'librairie-du-port',
    decision: 'approve',
    pinProof: 'q8Zr0M1tW3xYv7Ln5Ks2Jd9Fh4Gb6Pc1',
  };
}

describe('confirmationRequest', () => {
  it('accepts a realistic request, asking for the PIN or a tap', () => {
    expectAccepted(confirmationRequest, validRequest());
    expectAccepted(confirmationRequest, { ...validRequest(), approval: 'tap' });
    expect(refusedAt(confirmationRequest, { ...validRequest(), approval: 'face' })).toEqual(['approval']);
  });

  it('refuses missing and unknown members', () => {
    for (const member of Object.keys(validRequest()).filter((name) => name !== 'approval'))
      expect(refusedAt(confirmationRequest, without(validRequest(), member))).toContain(member);
    expect(refusedAt(confirmationRequest, { ...validRequest(), pin: '1234' })).toEqual(['']);
    expect(refusedAt(confirmationRequest, { ...validRequest(), payee: { id: 'librairie-du-port', name: 'L', logo: 'x' } })).toEqual([
      'payee',
    ]);
  });

  it('refuses a challenge that is not 32 bytes of base64url', () => {
    for (const challenge of [CHALLENGE.slice(1), `${CHALLENGE}A`, `${CHALLENGE.slice(1)}+`]) {
      expect(refusedAt(confirmationRequest, { ...validRequest(), challenge })).toEqual(['challenge']);
    }
  });

  it('bounds items and the payee name', () => {
    const many = Array.from({ length: LIMITS.items + 1 }, (_, i) => ({ id: `i${i}`, label: 'x', quantity: 1, unitAmount: 1, vatRate: 0 }));
    expect(refusedAt(confirmationRequest, { ...validRequest(), items: many })).toEqual(['items']);
    expect(
      refusedAt(confirmationRequest, { ...validRequest(), payee: { id: 'librairie-du-port', name: 'n'.repeat(LIMITS.labelLength + 1) } }),
    ).toEqual(['payee.name']);
  });

  it('refuses expiresAt at or before createdAt', () => {
    expect(refusal(confirmationRequest, { ...validRequest(), expiresAt: T0 + 30 })).toEqual([
      { path: 'expiresAt', message: 'must be after createdAt' },
    ]);
    expect(refusedAt(confirmationRequest, { ...validRequest(), expiresAt: T0 })).toEqual(['expiresAt']);
  });
});

describe('confirmationClaims', () => {
  it('accepts an approval with a PIN proof and a decline without one', () => {
    expectAccepted(confirmationClaims, validResponse());
    expectAccepted(confirmationClaims, without({ ...validResponse(), decision: 'decline' }, 'pinProof'));
    expectAccepted(confirmationClaims, { ...validResponse(), decision: 'decline' });
  });

  it('leaves an approval without a PIN proof (a tap) for the server to check against its request', () => {
    expectAccepted(confirmationClaims, without(validResponse(), 'pinProof'));
  });

  it('refuses missing and unknown members', () => {
    for (const member of Object.keys(validResponse()).filter((name) => name !== 'pinProof')) {
      expect(refusedAt(confirmationClaims, without(validResponse(), member))).toContain(member);
    }
    expect(refusedAt(confirmationClaims, { ...validResponse(), pin: '1234' })).toEqual(['']);
  });

  it('refuses malformed values at their path', () => {
    expect(refusedAt(confirmationClaims, { ...validResponse(), decision: 'maybe' })).toEqual(['decision']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), ticket: { jti: 'tkt_1', sha256: TICKET_SHA256 } })).toEqual(['ticket']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), pinProof: 'short' })).toEqual(['pinProof']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), pinProof: 'p'.repeat(513) })).toEqual(['pinProof']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), pinProof: `${'p'.repeat(16)}=` })).toEqual(['pinProof']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), payee: 'Librairie du Port' })).toEqual(['payee']);
    expect(refusedAt(confirmationClaims, { ...validResponse(), amount: 21.99 })).toEqual(['amount']);
  });
});
