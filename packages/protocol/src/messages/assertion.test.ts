import { describe, expect, it } from 'vitest';
import { LIMITS } from '../limits.js';
import { expectAccepted, refusal, refusedAt, T0, TICKET_SHA256, without } from '../test-support.js';
import { assertionClaims } from './assertion.js';

function validAssertion(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'librairie-du-port',
    aud: 'https://pay.caisse.example',
    jti: 'asr-01J9Z5C3DD',
    iat: T0,
    exp: T0 + 60,
    htm: 'POST',
    htu: 'https://pay.caisse.example/api/v1/payments/pay_42/deliveries',
    bodySha256: TICKET_SHA256,
  };
}

describe('assertionClaims', () => {
  it('accepts a POST bound to its body and a GET without one', () => {
    expectAccepted(assertionClaims, validAssertion());
    expectAccepted(assertionClaims, without({ ...validAssertion(), htm: 'GET' }, 'bodySha256'));
  });

  it('refuses missing and unknown members', () => {
    for (const member of Object.keys(validAssertion()).filter((name) => name !== 'bodySha256')) {
      expect(refusedAt(assertionClaims, without(validAssertion(), member))).toContain(member);
    }
    expect(refusedAt(assertionClaims, { ...validAssertion(), nonce: 'x' })).toEqual(['']);
  });

  it('refuses other methods, non-https URLs and malformed body digests', () => {
    for (const htm of ['TRACE', 'post', 'HEAD']) expect(refusedAt(assertionClaims, { ...validAssertion(), htm })).toEqual(['htm']);
    expect(refusedAt(assertionClaims, { ...validAssertion(), htu: 'http://pay.caisse.example/api' })).toEqual(['htu']);
    expect(refusedAt(assertionClaims, { ...validAssertion(), htu: 'https://key:secret@pay.caisse.example/api' })).toEqual(['htu']);
    expect(refusedAt(assertionClaims, { ...validAssertion(), bodySha256: 'deadbeef' })).toEqual(['bodySha256']);
  });

  it('refuses exp at or before iat, and a validity over 300 s', () => {
    expect(refusal(assertionClaims, { ...validAssertion(), exp: T0 })).toEqual([{ path: 'exp', message: 'must be after iat' }]);
    expectAccepted(assertionClaims, { ...validAssertion(), exp: T0 + LIMITS.assertionLifetime });
    expect(refusal(assertionClaims, { ...validAssertion(), exp: T0 + LIMITS.assertionLifetime + 1 })).toEqual([
      { path: 'exp', message: 'must be at most 300 s after iat' },
    ]);
  });
});
