import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey, generateSecret } from '../secrets.js';
import { enrollmentCodeHash, newEnrollmentCode, normaliseEnrollmentCode } from './codes.js';
import { pinProofMatches, sealPinVerifier } from './pin.js';

const sealingKey = deriveKey(generateSecret(), 'key-sealing');
const pinKey = randomBytes(32);
const verifier = pinKey.toString('base64url');
const proof = (purpose: string, binding: string, key = pinKey) =>
  createHmac('sha256', key).update(`caisse-pin|${purpose}|${binding}`).digest('base64url');

describe('PIN proofs', () => {
  const device = { id: `dev-${'a'.repeat(43)}`, sealedVerifier: sealPinVerifier(sealingKey, `dev-${'a'.repeat(43)}`, verifier) };

  it('keeps the verifier sealed and accepts only the proof for its purpose and binding', () => {
    expect(device.sealedVerifier).not.toContain(verifier);
    expect(pinProofMatches(sealingKey, device, 'approve', 'cfr_1|challenge', proof('approve', 'cfr_1|challenge'))).toBe(true);
    expect(pinProofMatches(sealingKey, device, 'approve', 'cfr_2|challenge', proof('approve', 'cfr_1|challenge'))).toBe(false);
    expect(pinProofMatches(sealingKey, device, 'pin-change', 'cfr_1|challenge', proof('approve', 'cfr_1|challenge'))).toBe(false);
    expect(pinProofMatches(sealingKey, device, 'approve', 'cfr_1|challenge', proof('approve', 'cfr_1|challenge', randomBytes(32)))).toBe(
      false,
    );
  });

  it("does not open a verifier copied into another device's row", () => {
    const other = { id: `dev-${'b'.repeat(43)}`, sealedVerifier: device.sealedVerifier };
    expect(() => pinProofMatches(sealingKey, other, 'approve', 'x', proof('approve', 'x'))).toThrow();
  });
});

describe('enrollment codes', () => {
  it('are 12 digits grouped by four, typed with or without spaces and dashes, hashed the same', () => {
    const code = newEnrollmentCode();
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    const digits = code.replaceAll(' ', '');
    expect(normaliseEnrollmentCode(code)).toBe(digits);
    expect(normaliseEnrollmentCode(code.replaceAll(' ', '-'))).toBe(digits);
    expect(normaliseEnrollmentCode('12345')).toBeUndefined();
    expect(normaliseEnrollmentCode('1234 5678 901a')).toBeUndefined();
    expect(enrollmentCodeHash(digits)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(enrollmentCodeHash(digits)).not.toContain(digits);
  });
});
