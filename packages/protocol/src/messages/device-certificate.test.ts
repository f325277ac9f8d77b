import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { expectAccepted, refusedAt, T0, without } from '../test-support.js';
import { deviceCertificateClaims } from './device-certificate.js';

const device = generateKeyPairSync('ed25519');
const DEVICE_ID = 'dev-1xF3Wq0p7yXn8sVbK2mT9cLr4hJd6gZa5eN0uQiO3wE';
const jwk = { ...device.publicKey.export({ format: 'jwk' }), kid: DEVICE_ID, alg: 'EdDSA' };

function validCertificate(): Record<string, unknown> {
  return {
    ver: 1,
    iss: 'https://pay.caisse.example',
    sub: DEVICE_ID,
    iat: T0 + 86_400,
    customer: 'alice',
    cnf: { jwk },
    enrolledAt: T0,
  };
}

describe('deviceCertificateClaims', () => {
  it('accepts a device key certified for its customer, revoked or not, in either mode', () => {
    expectAccepted(deviceCertificateClaims, validCertificate());
    expectAccepted(deviceCertificateClaims, { ...validCertificate(), revokedAt: T0 + 3_600 });
    expectAccepted(deviceCertificateClaims, { ...validCertificate(), test: true });
  });

  it('binds the key to the device it names', () => {
    const other = { ...validCertificate(), cnf: { jwk: { ...jwk, kid: 'dev-another' } } };
    expect(refusedAt(deviceCertificateClaims, other)).toEqual(['cnf.jwk.kid']);
  });

  it('refuses a private key, a revocation before the enrolment, a missing customer, a false test marker', () => {
    const secret = { ...device.privateKey.export({ format: 'jwk' }), kid: DEVICE_ID };
    expect(refusedAt(deviceCertificateClaims, { ...validCertificate(), cnf: { jwk: secret } })).toEqual(['cnf.jwk']);
    expect(refusedAt(deviceCertificateClaims, { ...validCertificate(), revokedAt: T0 - 1 })).toEqual(['revokedAt']);
    expect(refusedAt(deviceCertificateClaims, without(validCertificate(), 'customer'))).toEqual(['customer']);
    expect(refusedAt(deviceCertificateClaims, { ...validCertificate(), test: false })).toEqual(['test']);
  });
});
