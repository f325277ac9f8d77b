import { describe, expect, it } from 'vitest';
import { REFUSAL_REASONS } from '../errors.js';
import { LIMITS } from '../limits.js';
import { expectAccepted, refusal, refusedAt, STATE, T0, TICKET_SHA256, without } from '../test-support.js';
import { refusalClaims, refusalReason } from './refusal.js';

function validRefusal(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'https://pay.caisse.example',
    aud: 'librairie-du-port',
    jti: 'ref-000000007',
    iat: T0 + 95,
    exp: T0 + 155,
    ticket: { jti: 'tkt_01J9Z3K7Q8', sha256: TICKET_SHA256 },
    serial: 'CMD-2026-000123',
    amount: 2199,
    currency: 'EUR',
    reason: 'insufficient_funds',
    state: STATE,
  };
}

describe('refusalClaims', () => {
  it('accepts a realistic refusal with every reason', () => {
    for (const reason of Object.keys(REFUSAL_REASONS)) expectAccepted(refusalClaims, { ...validRefusal(), reason });
  });

  it('knows exactly the reasons of REFUSAL_REASONS', () => {
    expect(refusalReason.options).toEqual(Object.keys(REFUSAL_REASONS));
    expect(refusedAt(refusalClaims, { ...validRefusal(), reason: 'fraud_suspected' })).toEqual(['reason']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), reason: 'Insufficient_Funds' })).toEqual(['reason']);
  });

  it('refuses a refusal missing any member or carrying an unknown one', () => {
    for (const member of Object.keys(validRefusal())) expect(refusedAt(refusalClaims, without(validRefusal(), member))).toContain(member);
    expect(refusedAt(refusalClaims, { ...validRefusal(), message: 'Not enough money' })).toEqual(['']);
  });

  it('carries, for a ticket refused at intake, the precise code and what to do; nothing else under detail', () => {
    const detail = { code: 'key_unknown', message: 'The key kid 3f8a…a1 is not registered for merchant librairie-du-port: register it.' };
    expectAccepted(refusalClaims, { ...validRefusal(), reason: 'ticket_invalid', detail });
    expectAccepted(refusalClaims, { ...validRefusal(), reason: 'ticket_invalid', detail: { ...detail, message: 'é'.repeat(1000) } });
    expect(refusedAt(refusalClaims, { ...validRefusal(), detail: { ...detail, code: 'KEY_UNKNOWN' } })).toEqual(['detail.code']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), detail: { ...detail, message: 'x'.repeat(1001) } })).toEqual(['detail.message']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), detail: { ...detail, message: 'a\u0000b' } })).toEqual(['detail.message']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), detail: { ...detail, token: 'eyJ…' } })).toEqual(['detail']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), detail: { code: 'key_unknown' } })).toEqual(['detail.message']);
  });

  it('refuses exp at or before iat, and a validity over 600 s', () => {
    expect(refusal(refusalClaims, { ...validRefusal(), exp: T0 + 95 })).toEqual([{ path: 'exp', message: 'must be after iat' }]);
    expectAccepted(refusalClaims, { ...validRefusal(), exp: T0 + 95 + LIMITS.voucherLifetime });
    expect(refusedAt(refusalClaims, { ...validRefusal(), exp: T0 + 96 + LIMITS.voucherLifetime })).toEqual(['exp']);
  });

  it('refuses wrong types at their path', () => {
    expect(refusedAt(refusalClaims, { ...validRefusal(), amount: -5 })).toEqual(['amount']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), aud: 'not an id' })).toEqual(['aud']);
    expect(refusedAt(refusalClaims, { ...validRefusal(), ticket: { jti: 'tkt_01J9Z3K7Q8' } })).toEqual(['ticket.sha256']);
  });
});
