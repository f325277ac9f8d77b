import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AUDIT_ZERO_HASH } from '../audit.js';
import { expectAccepted, refusedAt, T0, without } from '../test-support.js';
import { evidenceBundle } from './evidence.js';

const JWS = 'eyJhbGciOiJFZERTQSJ9.eyJ2ZXIiOjF9.c2lnbmF0dXJl';
const DIGEST = 'ab'.repeat(32);
const key = (kid: string) => ({ ...generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }), kid });
const device = key('dev-1xF3Wq0p7yXn8sVbK2mT9cLr4hJd6gZa5eN0uQiO3wE');

function validBundle(): Record<string, unknown> {
  return {
    type: 'caisse-evidence',
    ver: 1,
    issuer: 'https://pay.caisse.example',
    exportedAt: T0,
    payment: { id: 'pay_42', merchant: 'librairie-du-port', ticket: 'tkt_01J9Z3K7Q8' },
    ticket: JWS,
    voucher: JWS,
    approval: JWS,
    device: { jwk: device, certificate: JWS },
    keys: { server: { keys: [key('server-2026-01')] }, merchant: { keys: [key('shop-2026-01')] } },
    audit: {
      sealed: true,
      batch: { seq: '1', prevHash: AUDIT_ZERO_HASH, hash: DIGEST, lastSerial: '42', digests: [DIGEST] },
      transfer: { serial: '42', encoding: '{"v":1}' },
    },
  };
}

describe('evidenceBundle', () => {
  it('accepts a sealed payment, and one with no transfer to seal', () => {
    expectAccepted(evidenceBundle, validBundle());
    expectAccepted(evidenceBundle, { ...validBundle(), audit: { sealed: false, reason: 'no_transfer' } });
  });

  it('names the payment by its payment id, never by an order serial', () => {
    expect(refusedAt(evidenceBundle, { ...validBundle(), payment: { id: 'CMD-42', merchant: 'm', ticket: 't' } })).toEqual(['payment.id']);
  });

  it('refuses a token that is not a compact JWS, a missing approval, an unsealed audit with a batch', () => {
    expect(refusedAt(evidenceBundle, { ...validBundle(), voucher: `${JWS}.extra` })).toEqual(['voucher']);
    expect(refusedAt(evidenceBundle, without(validBundle(), 'approval'))).toEqual(['approval']);
    const audit = { sealed: false, reason: 'no_transfer', batch: (validBundle().audit as { batch: unknown }).batch };
    expect(refusedAt(evidenceBundle, { ...validBundle(), audit })).toEqual(['audit']);
  });

  it('refuses another kind of document', () => {
    expect(refusedAt(evidenceBundle, { ...validBundle(), type: 'caisse-voucher+jwt' })).toEqual(['type']);
  });
});
